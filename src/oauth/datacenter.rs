//! OAuth 2.0 against a Jira Data Center instance, its own provider (an incoming application
//! link): the consent URL at `<base>/rest/oauth2/latest/authorize` with PKCE (S256), the
//! code exchange and the refresh at `<base>/rest/oauth2/latest/token`, form bodies, the
//! client secret in the body as well.
//!
//! What differs from Cloud, and why it is here rather than in token.rs's Cloud calls: no
//! `audience` or `prompt`; Data Center's scopes; a code that lives 10 s (the caller exchanges
//! it at once); refresh tokens that may or may not rotate (the caller keeps whichever comes
//! back); and a refresh that some instances answer only with the `redirect_uri` of the
//! grant, which is then sent again (docs/protocol.md: both UNCONFIRMED, both handled).

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::token::{Seen, TokenError, map_token_error, token_client, token_set, transport};
use super::{OAuthError, RedirectUri, TokenSet};
use crate::net::{Http, HttpError, Retry};

/// How the instance's token endpoint is named in errors.
const WHAT: &str = "the Jira Data Center token endpoint";

fn below(base: &Url, path: &str) -> Url {
    Url::parse(&format!("{}/{path}", base.as_str().trim_end_matches('/')))
        .expect("a base URL and a constant path make a URL")
}

pub fn authorize_endpoint(base: &Url) -> Url {
    below(base, "rest/oauth2/latest/authorize")
}

pub fn token_endpoint(base: &Url) -> Url {
    below(base, "rest/oauth2/latest/token")
}

/// A PKCE pair for one consent: the challenge goes in the consent URL, the verifier (a
/// secret: whoever has it and the code has the grant) only to the token endpoint.
pub struct Pkce {
    challenge: PkceCodeChallenge,
    verifier: SecretString,
}

impl Pkce {
    pub fn new() -> Pkce {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        Pkce {
            challenge,
            verifier: SecretString::from(verifier.secret().to_string()),
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Pkce::new()
    }
}

/// The consent URL: response_type=code, the client, the exact redirect URL, the scopes
/// (space separated), the state and the S256 challenge.
pub fn authorize_url(
    base: &Url,
    client_id: &str,
    redirect_uri: &RedirectUri,
    scopes: &[String],
    state: &str,
    pkce: &Pkce,
) -> Url {
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_auth_uri(AuthUrl::from_url(authorize_endpoint(base)))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.url().clone()));
    let state = state.to_string();
    let (url, _) = client
        .authorize_url(move || CsrfToken::new(state))
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(pkce.challenge.clone())
        .url();
    url
}

/// Exchanges the code, with the PKCE verifier and the client secret, in a form body. The
/// code is single-use and short-lived: it is never sent twice once the server may have
/// seen it.
pub async fn exchange_code(
    http: &Http,
    base: &Url,
    client_id: &str,
    client_secret: &SecretString,
    redirect_uri: &RedirectUri,
    code: SecretString,
    pkce: Pkce,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(token_endpoint(base), client_id, client_secret)
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.url().clone()));
    let seen = Seen::default();
    let call = |req| transport(http, req, Retry::Once, &seen, WHAT);
    let verifier = PkceCodeVerifier::new(pkce.verifier.expose_secret().to_string());
    let resp = client
        .exchange_code(AuthorizationCode::new(code.expose_secret().to_string()))
        .set_pkce_verifier(verifier)
        .request_async(&call)
        .await
        .map_err(|e| match map_token_error(e, &seen) {
            OAuthError::SecretRejected | OAuthError::ClientRejected(_) => {
                OAuthError::DcClientRejected
            }
            OAuthError::CodeRejected(desc) => OAuthError::DcCodeRejected(desc),
            other => other,
        })?;
    Ok(token_set(&resp))
}

/// Trades the refresh token for new tokens; the answer may carry a new refresh token (then
/// the one sent is spent) or not (then it stays the one to use). An instance that answers
/// `invalid_request` about `redirect_uri` is asked again with the grant's redirect URL: it
/// has not used the refresh token on a request it refused.
pub async fn refresh(
    http: &Http,
    base: &Url,
    client_id: &str,
    client_secret: &SecretString,
    refresh_token: &SecretString,
    redirect_uri: &str,
) -> Result<TokenSet, OAuthError> {
    let client = token_client(token_endpoint(base), client_id, client_secret);
    let token = RefreshToken::new(refresh_token.expose_secret().to_string());
    // Sent again only where the instance cannot have used it (no connection, 429, 503):
    // with no documented reuse interval, a refresh token resent after Jira rotated it may
    // be refused, and a refused one ends the grant.
    let seen = Seen::default();
    let call = |req| transport(http, req, Retry::Once, &seen, WHAT);
    let first = client
        .exchange_refresh_token(&token)
        .request_async(&call)
        .await;
    let answer = match first {
        Err(e) if asks_for_redirect_uri(&e) => {
            tracing::debug!("the instance wants redirect_uri on a refresh; sending it");
            let seen = Seen::default();
            let call = |req| transport(http, req, Retry::Once, &seen, WHAT);
            client
                .exchange_refresh_token(&token)
                .add_extra_param("redirect_uri", redirect_uri.to_string())
                .request_async(&call)
                .await
                .map_err(|e| refresh_error(e, &seen))
        }
        other => other.map_err(|e| refresh_error(e, &seen)),
    }?;
    Ok(token_set(&answer))
}

/// A Data Center service account's new access token: client credentials in a form body,
/// with the scopes (READ and/or WRITE) asked for each time; no refresh token comes back.
/// Nothing is spent by a lost answer, so it is retried as any safe request.
pub async fn client_credentials(
    http: &Http,
    base: &Url,
    client_id: &str,
    client_secret: &SecretString,
    scopes: &[String],
) -> Result<TokenSet, OAuthError> {
    let client = token_client(token_endpoint(base), client_id, client_secret);
    let seen = Seen::default();
    let call = |req| transport(http, req, Retry::Safe, &seen, WHAT);
    let resp = client
        .exchange_client_credentials()
        .add_scopes(scopes.iter().cloned().map(Scope::new))
        .request_async(&call)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r)
                if *r.error() == oauth2::basic::BasicErrorResponseType::InvalidScope =>
            {
                OAuthError::DcScopeRefused(scopes.join(" "))
            }
            e => match map_token_error(e, &seen) {
                OAuthError::SecretRejected | OAuthError::ClientRejected(_) => {
                    OAuthError::DcServiceAccountRejected
                }
                other => other,
            },
        })?;
    Ok(token_set(&resp))
}

/// An `invalid_request` whose description names `redirect_uri`.
fn asks_for_redirect_uri(e: &TokenError) -> bool {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            *resp.error() == oauth2::basic::BasicErrorResponseType::InvalidRequest
                && resp
                    .error_description()
                    .is_some_and(|d| d.to_ascii_lowercase().contains("redirect_uri"))
        }
        _ => false,
    }
}

fn refresh_error(e: TokenError, seen: &Seen) -> OAuthError {
    match map_token_error(e, seen) {
        // Not a code: the refresh may have reached Jira, its answer lost.
        OAuthError::Http(HttpError::MaybeConsumed { what, detail }) => {
            OAuthError::Http(HttpError::Unavailable {
                what,
                detail,
                attempts: 1,
                sent: true,
            })
        }
        OAuthError::CodeRejected(desc) => OAuthError::DcRefreshRejected(desc),
        OAuthError::SecretRejected | OAuthError::ClientRejected(_) => {
            OAuthError::DcStoredClientRejected
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consent_url_has_pkce_and_no_cloud_parameters() {
        let base = Url::parse("https://jira.example.com/jira").unwrap();
        let redirect = RedirectUri::parse("http://127.0.0.1:8976/callback").unwrap();
        let pkce = Pkce::new();
        let url = authorize_url(&base, "CID", &redirect, &["WRITE".into()], "st", &pkce);
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://jira.example.com/jira/rest/oauth2/latest/authorize")
        );
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce.challenge.as_str());
        assert_eq!(q["scope"], "WRITE");
        assert_eq!(q["response_type"], "code");
        assert!(!q.contains_key("audience") && !q.contains_key("prompt"));
        assert!(!url.as_str().contains(pkce.verifier.expose_secret()));
        assert_eq!(
            token_endpoint(&base).as_str(),
            "https://jira.example.com/jira/rest/oauth2/latest/token"
        );
    }

    #[test]
    fn a_service_account_mints_with_its_scopes_in_a_form_body_and_no_audience() {
        let (endpoints, served) = super::super::token::tests::one_shot(
            r#"{"access_token":"dc-sa-token","token_type":"bearer","expires_in":3600,"scope":"WRITE"}"#,
        );
        let base = Url::parse(&format!("{}jira", endpoints.auth)).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = Http::new(std::time::Duration::from_secs(5)).unwrap();
        let tokens = rt
            .block_on(client_credentials(
                &http,
                &base,
                "sa-client",
                &SecretString::from("sa-secret"),
                &["WRITE".into()],
            ))
            .unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "dc-sa-token");
        assert!(tokens.refresh_token.is_none());
        assert_eq!(tokens.scopes, ["WRITE"]);
        let request = served.join().unwrap();
        assert!(
            request.starts_with("POST /jira/rest/oauth2/latest/token "),
            "{request}"
        );
        assert!(
            request
                .to_ascii_lowercase()
                .contains("content-type: application/x-www-form-urlencoded"),
            "{request}"
        );
        let pairs = super::super::token::tests::assert_form_has(
            &request,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "sa-client"),
                ("client_secret", "sa-secret"),
                ("scope", "WRITE"),
            ],
        );
        assert!(!pairs.iter().any(|(k, _)| k == "audience"), "{pairs:?}");
    }
}
