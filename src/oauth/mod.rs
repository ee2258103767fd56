//! OAuth 2.0 (3LO) against auth.atlassian.com: endpoints, the consent URL, the code exchange
//! and the refresh.

pub mod callback;
pub mod http;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use url::Url;

use crate::error::{CliError, Exit};
use http::{Http, HttpError, Retry, Seen};

pub const DEFAULT_AUTH_URL: &str = "https://auth.atlassian.com";
pub const DEFAULT_API_URL: &str = "https://api.atlassian.com";
pub const AUDIENCE: &str = "api.atlassian.com";

/// Where Atlassian is: the real hosts, or (tests, proxies) what the environment says.
#[derive(Debug, Clone)]
pub struct Endpoints {
    pub auth: Url,
    pub api: Url,
}

impl Endpoints {
    pub fn from_env() -> Result<Endpoints, CliError> {
        Ok(Endpoints {
            auth: base_url("JIRA_AUTH_AUTH_URL", DEFAULT_AUTH_URL)?,
            api: base_url("JIRA_AUTH_API_URL", DEFAULT_API_URL)?,
        })
    }

    pub fn authorize(&self) -> Url {
        join(&self.auth, "authorize")
    }

    pub fn token(&self) -> Url {
        join(&self.auth, "oauth/token")
    }

    /// `path` is relative to the API base, without a leading slash.
    pub fn api(&self, path: &str) -> Url {
        join(&self.api, path)
    }
}

fn join(base: &Url, path: &str) -> Url {
    let mut s = base.as_str().trim_end_matches('/').to_string();
    s.push('/');
    s.push_str(path);
    Url::parse(&s).expect("a valid base URL joined with a constant path is valid")
}

/// Reads a base URL override. Plain http is accepted only on loopback: anything else would
/// send client secrets and tokens in clear text.
fn base_url(var: &str, default: &str) -> Result<Url, CliError> {
    let raw = match std::env::var(var) {
        Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
        _ => default.to_string(),
    };
    let url =
        Url::parse(&raw).map_err(|e| CliError::usage(format!("{var}={raw} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(CliError::usage(format!(
                "{var}={raw}: plain http is only allowed for loopback hosts; use https"
            )));
        }
        other => {
            return Err(CliError::usage(format!(
                "{var}={raw}: unsupported scheme '{other}'; use https"
            )));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(CliError::usage(format!(
            "{var}={raw}: a base URL cannot have a query or fragment"
        )));
    }
    Ok(url)
}

pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// An unguessable `state` for CSRF protection: 32 random bytes, hex.
pub fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The consent URL, with every parameter Atlassian requires.
pub fn authorize_url(
    endpoints: &Endpoints,
    client_id: &str,
    redirect_uri: &Url,
    scopes: &[String],
    state: &str,
) -> Url {
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_auth_uri(AuthUrl::from_url(endpoints.authorize()))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
    let state = state.to_string();
    let (url, _) = client
        .authorize_url(move || CsrfToken::new(state))
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .add_extra_param("audience", AUDIENCE)
        .add_extra_param("prompt", "consent")
        .url();
    url
}

/// What a successful token response gives us.
pub struct TokenSet {
    pub access_token: SecretString,
    pub expires_at: OffsetDateTime,
    pub refresh_token: Option<SecretString>,
    /// As granted, which can be narrower than requested.
    pub scopes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the client secret was rejected by Atlassian (401 access_denied)")]
    SecretRejected,
    /// The same answer to a refresh: the secret worked once, so it was changed since.
    #[error(
        "Atlassian no longer accepts this profile's client secret (401 access_denied on refresh)"
    )]
    StoredSecretRejected,
    #[error("Atlassian rejected the client at the token endpoint (unauthorized_client): {0}")]
    ClientRejected(String),
    #[error("the authorization code was rejected (invalid_grant): {0}")]
    CodeRejected(String),
    /// `invalid_grant` on a refresh: the refresh token was revoked, expired or reused.
    #[error("Atlassian no longer accepts this profile's refresh token (invalid_grant): {0}")]
    RefreshRejected(String),
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A response we cannot read; `what` says how, never what it held (it may be a token).
    #[error("unexpected response from Atlassian (HTTP {status}, {what})")]
    Unexpected { status: u16, what: String },
    #[error("the token endpoint answered {0}")]
    Protocol(String),
}

impl From<OAuthError> for CliError {
    fn from(e: OAuthError) -> CliError {
        let message = e.to_string();
        match e {
            OAuthError::SecretRejected => CliError::new(Exit::AuthNeeded, message)
                .hint("copy the Secret again from the developer console → your app → Settings (a regenerated secret replaces the old one)")
                .hint("this is not a consent problem: consent succeeded; only the secret is wrong"),
            OAuthError::StoredSecretRejected => CliError::new(Exit::AuthNeeded, message)
                .hint("the app's secret was probably regenerated in the developer console (your app → Settings), which ends the old one")
                .hint("run `jira-auth init --force` with the new secret; the stored profile was kept"),
            OAuthError::ClientRejected(_) => CliError::new(Exit::AuthNeeded, message)
                .hint("check the Client ID, and that the app's callback URL in the developer console (Authorization → OAuth 2.0 (3LO)) is exactly the redirect URI jira-auth uses: 127.0.0.1 and localhost differ, and so do ports"),
            OAuthError::CodeRejected(ref desc) => {
                let err = CliError::new(Exit::AuthNeeded, message.clone());
                let err = if desc.to_ascii_lowercase().contains("redirect") {
                    err.hint("the redirect URI sent with the code must be the one the consent used, and registered for the app exactly")
                } else {
                    err
                };
                err.hint("codes are single-use and short-lived: run `jira-auth init` (or `jira-auth login`) again to get a new one")
            }
            OAuthError::RefreshRejected(_) => CliError::new(Exit::AuthNeeded, message)
                .hint("run `jira-auth login` (or `jira-auth init --force`) to consent again; the stored profile was kept"),
            OAuthError::Http(h) => CliError::from(h),
            OAuthError::Unexpected { .. } | OAuthError::Protocol(_) => {
                CliError::new(Exit::Unavailable, message)
                    .hint("a proxy may be answering instead of Atlassian; check JIRA_AUTH_AUTH_URL / JIRA_AUTH_API_URL and your proxy, then run the command again")
            }
        }
    }
}

impl From<HttpError> for CliError {
    fn from(e: HttpError) -> CliError {
        let message = e.to_string();
        match e {
            HttpError::Setup(_) => CliError::new(Exit::Unexpected, message),
            HttpError::Config(_) => CliError::usage(message),
            HttpError::MaybeConsumed { .. } => CliError::new(Exit::Unavailable, message)
                .hint("run `jira-auth init` (or `jira-auth login` for an existing profile) again: it asks for a new code"),
            HttpError::RateLimited { retry_after, .. } => {
                let wait = match retry_after {
                    Some(s) => format!("wait {s} s (what Atlassian's Retry-After asked for)"),
                    None => "wait a minute".to_string(),
                };
                CliError::new(Exit::Unavailable, message).hint(format!(
                    "{wait}, then run the command again; every run that uses this app's client id counts against the same rate limit"
                ))
            }
            HttpError::Tls { .. } => CliError::new(Exit::Unavailable, message)
                .hint("a proxy or firewall that intercepts HTTPS, or a server that is not HTTPS, causes this; jira-auth trusts the operating system's CA certificates"),
            HttpError::Unavailable { .. } => CliError::new(Exit::Unavailable, message)
                .hint("check your network or proxy, and https://status.atlassian.com; then run the command again"),
        }
    }
}

/// Exchanges the authorization code for tokens (client secret in the body, as Atlassian
/// documents).
pub async fn exchange_code(
    http: &Http,
    endpoints: &Endpoints,
    client_id: &str,
    client_secret: &SecretString,
    redirect_uri: &Url,
    code: SecretString,
) -> Result<TokenSet, OAuthError> {
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_string()))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(endpoints.token()))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
    // A code works once: never sent again once the server may have seen it.
    let seen = Seen::default();
    let call = |req| http.oauth_call(req, Retry::Once, &seen);
    let resp = client
        .exchange_code(AuthorizationCode::new(code.expose_secret().to_string()))
        .request_async(&call)
        .await
        .map_err(|e| map_token_error(e, &seen))?;
    Ok(token_set(&resp))
}

/// Trades a refresh token for a new access token and (Atlassian rotates them) a new refresh
/// token. The one sent stops working once Atlassian's reuse interval has passed.
pub async fn refresh(
    http: &Http,
    endpoints: &Endpoints,
    client_id: &str,
    client_secret: &SecretString,
    refresh_token: &SecretString,
) -> Result<TokenSet, OAuthError> {
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_client_secret(ClientSecret::new(client_secret.expose_secret().to_string()))
        .set_auth_type(oauth2::AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(endpoints.token()));
    let seen = Seen::default();
    let call = |req| http.oauth_call(req, Retry::Safe, &seen);
    let token = RefreshToken::new(refresh_token.expose_secret().to_string());
    let resp = client
        .exchange_refresh_token(&token)
        .request_async(&call)
        .await
        .map_err(|e| map_refresh_error(e, &seen))?;
    Ok(token_set(&resp))
}

/// As `map_token_error`, except that `invalid_grant` is about the refresh token, not a code.
fn map_refresh_error(e: TokenError, seen: &Seen) -> OAuthError {
    match map_token_error(e, seen) {
        OAuthError::CodeRejected(desc) => OAuthError::RefreshRejected(desc),
        OAuthError::SecretRejected => OAuthError::StoredSecretRejected,
        other => other,
    }
}

fn token_set(resp: &oauth2::basic::BasicTokenResponse) -> TokenSet {
    let lifetime = resp
        .expires_in()
        .unwrap_or(std::time::Duration::from_secs(3600));
    TokenSet {
        access_token: SecretString::from(resp.access_token().secret().to_string()),
        expires_at: OffsetDateTime::now_utc() + lifetime,
        refresh_token: resp
            .refresh_token()
            .map(|r| SecretString::from(r.secret().to_string())),
        scopes: resp
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

type TokenError = RequestTokenError<HttpError, oauth2::basic::BasicErrorResponse>;

/// Turns the oauth2 crate's error into ours. Bodies are never included: a malformed
/// success body can hold a token; `seen` tells what the response was like.
fn map_token_error(e: TokenError, seen: &Seen) -> OAuthError {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            let desc = resp
                .error_description()
                .cloned()
                .unwrap_or_else(|| resp.error().to_string());
            match resp.error() {
                BasicErrorResponseType::Extension(code) if code == "access_denied" => {
                    OAuthError::SecretRejected
                }
                BasicErrorResponseType::InvalidClient => OAuthError::SecretRejected,
                BasicErrorResponseType::UnauthorizedClient => OAuthError::ClientRejected(desc),
                BasicErrorResponseType::InvalidGrant => OAuthError::CodeRejected(desc),
                other => OAuthError::Protocol(format!("{other}: {desc}")),
            }
        }
        RequestTokenError::Request(h) => OAuthError::Http(h),
        // Parse: the body did not deserialize. Other: oauth2's own checks (content type,
        // empty body). Neither message is shown: `seen` says enough without the content.
        RequestTokenError::Parse(err, _body) => OAuthError::Unexpected {
            status: seen.status.get().unwrap_or(0),
            what: if seen.json.get() {
                format!("JSON without the expected fields (at {})", err.path())
            } else {
                "not JSON".into()
            },
        },
        RequestTokenError::Other(_) => OAuthError::Unexpected {
            status: seen.status.get().unwrap_or(0),
            what: if seen.json.get() {
                "JSON, but not what a token endpoint sends".into()
            } else {
                "not JSON".into()
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> Endpoints {
        Endpoints {
            auth: Url::parse("https://auth.atlassian.com").unwrap(),
            api: Url::parse("https://api.atlassian.com/").unwrap(),
        }
    }

    #[test]
    fn authorize_url_has_every_required_parameter() {
        let redirect = Url::parse("http://127.0.0.1:8976/callback").unwrap();
        let scopes = vec!["read:jira-work".to_string(), "offline_access".to_string()];
        let url = authorize_url(&endpoints(), "CID", &redirect, &scopes, "st4te");
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://auth.atlassian.com/authorize")
        );
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["audience"], "api.atlassian.com");
        assert_eq!(q["client_id"], "CID");
        assert_eq!(q["scope"], "read:jira-work offline_access");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8976/callback");
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["prompt"], "consent");
    }

    #[test]
    fn api_join_handles_trailing_slash() {
        assert_eq!(
            endpoints().api("oauth/token/accessible-resources").as_str(),
            "https://api.atlassian.com/oauth/token/accessible-resources"
        );
        assert_eq!(
            endpoints().token().as_str(),
            "https://auth.atlassian.com/oauth/token"
        );
    }

    #[test]
    fn each_token_failure_has_its_exit_code_and_hint() {
        let cli = |e: OAuthError| CliError::from(e);
        let e = cli(OAuthError::CodeRejected("Invalid redirect_uri".into()));
        assert_eq!(e.exit, Exit::AuthNeeded);
        assert!(
            e.hints.iter().any(|h| h.contains("redirect URI")),
            "{:?}",
            e.hints
        );
        assert!(e.hints.iter().any(|h| h.contains("single-use")));
        let e = cli(OAuthError::CodeRejected(
            "Invalid authorization code".into(),
        ));
        assert!(!e.hints.iter().any(|h| h.contains("redirect URI")));
        let e = cli(OAuthError::Http(HttpError::MaybeConsumed {
            what: "t".into(),
            detail: "timed out".into(),
        }));
        assert_eq!(e.exit, Exit::Unavailable);
        assert!(e.hints[0].contains("jira-auth init"), "{:?}", e.hints);
        let e = cli(OAuthError::Http(HttpError::RateLimited {
            what: "t".into(),
            retry_after: Some(7),
            attempts: 4,
        }));
        assert_eq!(e.exit, Exit::Unavailable);
        assert!(e.message.contains("Retry-After: 7 s") && e.hints[0].contains("wait 7 s"));
        let e = cli(OAuthError::Http(HttpError::Config("bad".into())));
        assert_eq!(e.exit, Exit::Usage);
        let e = cli(OAuthError::Unexpected {
            status: 200,
            what: "not JSON".into(),
        });
        assert_eq!(
            e.message,
            "unexpected response from Atlassian (HTTP 200, not JSON)"
        );
    }

    #[test]
    fn state_is_long_and_random() {
        let a = new_state();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_state());
    }

    #[test]
    fn loopback_hosts() {
        for ok in ["http://127.0.0.1:1", "http://localhost:2", "http://[::1]:3"] {
            assert!(is_loopback_host(&Url::parse(ok).unwrap()), "{ok}");
        }
        assert!(!is_loopback_host(
            &Url::parse("http://example.com").unwrap()
        ));
        assert!(!is_loopback_host(
            &Url::parse("http://127.example.com").unwrap()
        ));
    }
}
