//! The authorization server a profile's credentials come from: Atlassian's (Jira Cloud:
//! auth.atlassian.com for consent and tokens, api.atlassian.com for who is behind a token),
//! or a Jira Data Center instance's own OAuth 2.0 provider (an incoming application link, at
//! its base URL). Built once from the profile's `Site` (or, in `init`, from the site being
//! set up), it is asked for the consent URL, the code exchange, the refresh, a service
//! account's client credentials and who a token belongs to, so that no caller branches on
//! the deployment for any of them.
//!
//! What differs on Data Center: the consent has PKCE (S256) and no `audience` or `prompt`; a
//! code lives 10 s (the caller exchanges it at once); refresh tokens may or may not rotate
//! (the caller keeps whichever comes back); some instances answer a refresh only with the
//! `redirect_uri` of the grant, which is then sent again; a service account asks for its
//! scopes (READ, WRITE) each time; and a refresh is resent only where Jira cannot have used
//! it, as no reuse interval is documented (docs/protocol.md: "Data Center").

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope,
};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::token::{Seen, TokenError, map_token_error, token_client, token_set, transport};
use super::{OAuthError, RedirectUri, TokenSet};
use crate::atlassian::{self, ApiError};
use crate::net::{Endpoints, Http, HttpError, Peer, Retry};
use crate::store::{Account, CloudServers, Site};

/// Atlassian's API audience, sent with the consent and with client credentials.
pub(crate) const AUDIENCE: &str = "api.atlassian.com";

/// Whose OAuth 2.0 provider a profile uses. (Boxed: errors carry it, and a `Result` should
/// stay small.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthServer {
    /// Atlassian's, for Jira Cloud: its own hosts, or those the settings (or a sandbox) put
    /// in their place.
    Atlassian(Box<Endpoints>),
    /// A Jira Data Center instance's own, at this base URL (context path included).
    DataCenter(Box<Url>),
}

/// An OAuth client: its id and secret.
#[derive(Clone, Copy)]
pub struct Client<'a> {
    pub id: &'a str,
    pub secret: &'a SecretString,
}

/// A PKCE pair for one consent: the challenge goes in the consent URL, the verifier (a
/// secret: whoever has it and the code has the grant) only to the token endpoint. Atlassian
/// does not take PKCE from console apps, so only a Data Center consent sends it.
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

impl AuthServer {
    /// The server of a stored (or just chosen) site; `endpoints` are where Atlassian is for
    /// this run (Cloud sites only).
    pub fn of(site: &Site, endpoints: &Endpoints) -> AuthServer {
        match site.data_center_base() {
            Some(base) => AuthServer::data_center(base),
            None => AuthServer::atlassian(endpoints),
        }
    }

    /// The server a stored site was made with, as it recorded it: a Cloud site's Atlassian
    /// servers (Atlassian's own for a profile of a build that recorded none, as every such
    /// profile was made with them), or its Data Center instance. Its secrets go there only:
    /// a run whose endpoints differ is refused for it (`Ctx::servers_for`).
    pub fn made_with(site: &Site) -> AuthServer {
        match (site.data_center_base(), site.servers()) {
            (Some(base), _) => AuthServer::data_center(base),
            (None, Some(servers)) => AuthServer::Atlassian(Box::new(Endpoints {
                auth: servers.auth.clone(),
                api: servers.api.clone(),
            })),
            (None, None) => AuthServer::atlassian(&Endpoints::atlassian()),
        }
    }

    /// What a Cloud site made against `endpoints` records of them.
    pub fn record(endpoints: &Endpoints) -> CloudServers {
        CloudServers {
            auth: endpoints.auth.clone(),
            api: endpoints.api.clone(),
        }
    }

    /// Atlassian's, where `endpoints` say it is.
    pub fn atlassian(endpoints: &Endpoints) -> AuthServer {
        AuthServer::Atlassian(Box::new(endpoints.clone()))
    }

    /// The Data Center instance at `base`.
    pub fn data_center(base: &Url) -> AuthServer {
        AuthServer::DataCenter(Box::new(base.clone()))
    }

    /// Who answers, in a message: "Atlassian", "Jira".
    pub fn name(&self) -> &'static str {
        match self {
            AuthServer::Atlassian(_) => "Atlassian",
            AuthServer::DataCenter(_) => "Jira",
        }
    }

    pub fn is_data_center(&self) -> bool {
        matches!(self, AuthServer::DataCenter(_))
    }

    /// Where Jira's REST API takes this server's Bearer tokens for `site`: Atlassian's
    /// gateway (`…/ex/jira/CLOUD_ID`), or the Data Center instance itself.
    pub fn rest_base(&self, site: &Site) -> String {
        match self {
            AuthServer::Atlassian(endpoints) => endpoints.jira_api_base(&site.cloud_id).to_string(),
            AuthServer::DataCenter(_) => site.url.clone(),
        }
    }

    /// Who its network failures are about.
    pub fn peer(&self) -> Peer {
        match self {
            AuthServer::Atlassian(_) => Peer::Atlassian,
            AuthServer::DataCenter(base) => Peer::Jira(atlassian::datacenter::base_text(base)),
        }
    }

    /// How its token endpoint is named in network errors.
    pub(super) fn token_endpoint_name(&self) -> &'static str {
        match self {
            AuthServer::Atlassian(_) => "the Atlassian token endpoint",
            AuthServer::DataCenter(_) => "the Jira Data Center token endpoint",
        }
    }

    fn token_url(&self) -> Url {
        match self {
            AuthServer::Atlassian(endpoints) => endpoints.token(),
            AuthServer::DataCenter(base) => below(base, "rest/oauth2/latest/token"),
        }
    }

    /// The consent URL, with every parameter the server requires: Atlassian's `audience`
    /// and `prompt=consent`, or a Data Center instance's S256 challenge.
    pub fn authorize_url(
        &self,
        client_id: &str,
        redirect_uri: &RedirectUri,
        scopes: &[String],
        state: &str,
        pkce: &Pkce,
    ) -> Url {
        let auth_url = match self {
            AuthServer::Atlassian(endpoints) => endpoints.authorize(),
            AuthServer::DataCenter(base) => below(base, "rest/oauth2/latest/authorize"),
        };
        let client = BasicClient::new(ClientId::new(client_id.to_string()))
            .set_auth_uri(AuthUrl::from_url(auth_url))
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri.url().clone()));
        let state = state.to_string();
        let request = client
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(scopes.iter().cloned().map(Scope::new));
        let (url, _) = match self {
            AuthServer::Atlassian(_) => request
                .add_extra_param("audience", AUDIENCE)
                .add_extra_param("prompt", "consent"),
            AuthServer::DataCenter(_) => request.set_pkce_challenge(pkce.challenge.clone()),
        }
        .url();
        url
    }

    /// Exchanges the authorization code for tokens (the client secret in the body; the PKCE
    /// verifier too on Data Center). A code works once: it is never sent again once the
    /// server may have seen it.
    pub async fn exchange_code(
        &self,
        http: &Http,
        client: Client<'_>,
        redirect_uri: &RedirectUri,
        code: SecretString,
        pkce: Pkce,
    ) -> Result<TokenSet, OAuthError> {
        let oauth = token_client(self.token_url(), client.id, client.secret)
            .set_redirect_uri(RedirectUrl::from_url(redirect_uri.url().clone()));
        let seen = Seen::default();
        let call = |req| transport(http, req, Retry::Once, &seen, self);
        let request = oauth.exchange_code(AuthorizationCode::new(code.expose_secret().to_string()));
        let request = match self {
            AuthServer::Atlassian(_) => request,
            AuthServer::DataCenter(_) => request.set_pkce_verifier(PkceCodeVerifier::new(
                pkce.verifier.expose_secret().to_string(),
            )),
        };
        let resp = request.request_async(&call).await.map_err(|e| {
            match map_token_error(e, &seen, self) {
                // Data Center says invalid_client or unauthorized_client alike for a wrong
                // application link's client id or secret.
                OAuthError::ClientRejected(_) if self.is_data_center() => {
                    OAuthError::ClientRefused {
                        by: self.clone(),
                        stored: false,
                    }
                }
                other => other,
            }
        })?;
        token_set(&resp, self)
    }

    /// Trades a refresh token for a new access token and, where the server rotates them (as
    /// Atlassian does; Data Center may), a new refresh token: the caller keeps whichever
    /// comes back. `redirect_uri` is the grant's, for the Data Center instances that want it
    /// on a refresh (asked again with it when they say so: a request they refused used
    /// nothing).
    pub async fn refresh(
        &self,
        http: &Http,
        client: Client<'_>,
        refresh_token: &SecretString,
        redirect_uri: &str,
    ) -> Result<TokenSet, OAuthError> {
        let oauth = token_client(self.token_url(), client.id, client.secret);
        let token = RefreshToken::new(refresh_token.expose_secret().to_string());
        // Atlassian's reuse interval makes a refresh safe to resend; Data Center documents
        // none, so there it is resent only where the instance cannot have used it (no
        // connection, 429, 503): a refresh token resent after Jira rotated it may be
        // refused, and a refused one ends the grant.
        let policy = match self {
            AuthServer::Atlassian(_) => Retry::Safe,
            AuthServer::DataCenter(_) => Retry::Once,
        };
        let seen = Seen::default();
        let call = |req| transport(http, req, policy, &seen, self);
        let answer = match oauth
            .exchange_refresh_token(&token)
            .request_async(&call)
            .await
        {
            Err(e) if self.is_data_center() && asks_for_redirect_uri(&e) => {
                tracing::debug!("the instance wants redirect_uri on a refresh; sending it");
                let seen = Seen::default();
                let call = |req| transport(http, req, policy, &seen, self);
                oauth
                    .exchange_refresh_token(&token)
                    .add_extra_param("redirect_uri", redirect_uri.to_string())
                    .request_async(&call)
                    .await
                    .map_err(|e| self.error_on_refresh(e, &seen))
            }
            other => other.map_err(|e| self.error_on_refresh(e, &seen)),
        }?;
        token_set(&answer, self)
    }

    /// A service account's new access token (OAuth 2.0 client credentials): no consent and
    /// no refresh token; the client secret mints a new token whenever the last one runs out.
    /// Atlassian takes `audience` (its admin console sets the scopes); a Data Center instance
    /// is asked for `scopes` (READ and/or WRITE) each time. Nothing is spent by a lost
    /// answer, so it is retried as any safe request.
    pub async fn client_credentials(
        &self,
        http: &Http,
        client: Client<'_>,
        scopes: &[String],
    ) -> Result<TokenSet, OAuthError> {
        let oauth = token_client(self.token_url(), client.id, client.secret);
        let seen = Seen::default();
        let call = |req| transport(http, req, Retry::Safe, &seen, self);
        let request = oauth.exchange_client_credentials();
        let request = match self {
            AuthServer::Atlassian(_) => request.add_extra_param("audience", AUDIENCE),
            AuthServer::DataCenter(_) => request.add_scopes(scopes.iter().cloned().map(Scope::new)),
        };
        let resp = request.request_async(&call).await.map_err(|e| match e {
            RequestTokenError::ServerResponse(r)
                if *r.error() == BasicErrorResponseType::InvalidScope =>
            {
                OAuthError::ScopeRefused {
                    by: self.clone(),
                    scopes: scopes.join(" "),
                }
            }
            e => match map_token_error(e, &seen, self) {
                OAuthError::ClientRefused { by, .. } => {
                    OAuthError::ServiceAccountRefused { by, stored: false }
                }
                // Atlassian: the client may not use client credentials (an OAuth 2.0 (3LO)
                // app's client id, say, not a service account's).
                OAuthError::ClientRejected(desc) if !self.is_data_center() => {
                    OAuthError::NotAServiceAccount(desc)
                }
                OAuthError::ClientRejected(_) => OAuthError::ServiceAccountRefused {
                    by: self.clone(),
                    stored: false,
                },
                other => other,
            },
        })?;
        token_set(&resp, self)
    }

    /// Who `token` belongs to, only to say so (which account consented; the wrong one is an
    /// easy mistake with several in a browser). On Cloud, the User Identity API's `/me` when
    /// `read:me` is `granted`, else the `/myself` of the site `cloud_id`; on Data Center,
    /// the instance's `/rest/api/2/myself`.
    pub async fn who_am_i(
        &self,
        http: &Http,
        token: &SecretString,
        granted: &[String],
        cloud_id: &str,
    ) -> Result<Account, ApiError> {
        match self {
            AuthServer::Atlassian(endpoints) if granted.iter().any(|s| s == "read:me") => {
                let me = atlassian::me(http, endpoints, token).await?.value;
                Ok(Account {
                    account_id: me.account_id,
                    name: me.name,
                    email: me.email,
                })
            }
            AuthServer::Atlassian(endpoints) => {
                let me = atlassian::myself(http, endpoints, cloud_id, token)
                    .await?
                    .value;
                Ok(Account {
                    account_id: me.account_id,
                    name: me.display_name,
                    email: me.email_address,
                })
            }
            AuthServer::DataCenter(base) => Ok(atlassian::datacenter::myself(http, base, token)
                .await?
                .value
                .account()),
        }
    }

    /// As `map_token_error`, except that `invalid_grant` is about the refresh token, not a
    /// code, and a refused client, which worked when the profile was made, was changed since.
    fn error_on_refresh(&self, e: TokenError, seen: &Seen) -> OAuthError {
        match map_token_error(e, seen, self) {
            // Not a code: the refresh may have reached Jira, its answer lost.
            OAuthError::Http(HttpError::MaybeConsumed { what, detail }) => {
                OAuthError::Http(HttpError::Unavailable {
                    what,
                    peer: self.peer(),
                    detail,
                    attempts: 1,
                    sent: true,
                })
            }
            OAuthError::CodeRejected { by, desc } => OAuthError::RefreshRejected { by, desc },
            OAuthError::ClientRefused { by, .. } => OAuthError::ClientRefused { by, stored: true },
            OAuthError::ClientRejected(_) if self.is_data_center() => OAuthError::ClientRefused {
                by: self.clone(),
                stored: true,
            },
            other => other,
        }
    }
}

fn below(base: &Url, path: &str) -> Url {
    Url::parse(&format!("{}/{path}", base.as_str().trim_end_matches('/')))
        .expect("a base URL and a constant path make a URL")
}

/// An `invalid_request` whose description names `redirect_uri`.
fn asks_for_redirect_uri(e: &TokenError) -> bool {
    match e {
        RequestTokenError::ServerResponse(resp) => {
            *resp.error() == BasicErrorResponseType::InvalidRequest
                && resp
                    .error_description()
                    .is_some_and(|d| d.to_ascii_lowercase().contains("redirect_uri"))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::super::token::tests::{assert_form_has, one_shot};
    use super::*;

    fn query(url: &Url) -> HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn atlassians_consent_url_has_every_required_parameter_and_no_pkce() {
        let redirect = RedirectUri::parse("http://127.0.0.1:8976/callback").unwrap();
        let scopes = vec!["read:jira-work".to_string(), "offline_access".to_string()];
        let server = AuthServer::atlassian(&Endpoints::atlassian());
        let url = server.authorize_url("CID", &redirect, &scopes, "st4te", &Pkce::new());
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://auth.atlassian.com/authorize")
        );
        let q = query(&url);
        assert_eq!(q["audience"], "api.atlassian.com");
        assert_eq!(q["client_id"], "CID");
        assert_eq!(q["scope"], "read:jira-work offline_access");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:8976/callback");
        assert_eq!(q["state"], "st4te");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["prompt"], "consent");
        assert!(!q.contains_key("code_challenge"), "{q:?}");
    }

    #[test]
    fn a_data_center_consent_url_has_pkce_and_no_cloud_parameters() {
        let base = Url::parse("https://jira.example.com/jira").unwrap();
        let redirect = RedirectUri::parse("http://127.0.0.1:8976/callback").unwrap();
        let pkce = Pkce::new();
        let server = AuthServer::data_center(&base);
        let url = server.authorize_url("CID", &redirect, &["WRITE".into()], "st", &pkce);
        assert_eq!(
            url.as_str().split('?').next(),
            Some("https://jira.example.com/jira/rest/oauth2/latest/authorize")
        );
        let q = query(&url);
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce.challenge.as_str());
        assert_eq!(q["scope"], "WRITE");
        assert_eq!(q["response_type"], "code");
        assert!(!q.contains_key("audience") && !q.contains_key("prompt"));
        assert!(!url.as_str().contains(pkce.verifier.expose_secret()));
        assert_eq!(
            server.token_url().as_str(),
            "https://jira.example.com/jira/rest/oauth2/latest/token"
        );
    }

    #[test]
    fn the_server_of_a_site_is_its_deployments() {
        let endpoints = Endpoints::atlassian();
        let cloud = Site::cloud(
            "c1".into(),
            "https://acme.atlassian.net".into(),
            "acme".into(),
            AuthServer::record(&endpoints),
        );
        assert_eq!(
            AuthServer::of(&cloud, &endpoints),
            AuthServer::atlassian(&endpoints)
        );
        assert_eq!(
            AuthServer::made_with(&cloud),
            AuthServer::atlassian(&endpoints)
        );
        let base = Url::parse("https://jira.example.com/jira").unwrap();
        assert_eq!(
            AuthServer::of(&Site::data_center(&base), &endpoints),
            AuthServer::data_center(&base)
        );
    }

    #[test]
    fn atlassians_client_credentials_send_the_audience_and_read_the_token() {
        let (endpoints, served) = one_shot(
            r#"{"access_token":"sa-token","token_type":"Bearer","expires_in":3600,"scope":"read:jira-work"}"#,
        );
        let http = Http::new(Duration::from_secs(5)).unwrap();
        let secret = SecretString::from("sa-secret");
        let client = Client {
            id: "sa-client",
            secret: &secret,
        };
        let tokens = block_on(AuthServer::atlassian(&endpoints).client_credentials(
            &http,
            client,
            &["ignored".into()],
        ))
        .unwrap();
        assert_eq!(tokens.access_token.expose_secret(), "sa-token");
        assert!(tokens.refresh_token.is_none());
        assert_eq!(tokens.scopes, ["read:jira-work"]);
        let request = served.join().unwrap();
        assert!(request.starts_with("POST /oauth/token "), "{request}");
        let pairs = assert_form_has(
            &request,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "sa-client"),
                ("client_secret", "sa-secret"),
                ("audience", "api.atlassian.com"),
            ],
        );
        assert!(!pairs.iter().any(|(k, _)| k == "scope"), "{pairs:?}");
    }

    #[test]
    fn a_data_center_service_account_mints_with_its_scopes_in_a_form_body_and_no_audience() {
        let (endpoints, served) = one_shot(
            r#"{"access_token":"dc-sa-token","token_type":"bearer","expires_in":3600,"scope":"WRITE"}"#,
        );
        let base = Url::parse(&format!("{}jira", endpoints.auth)).unwrap();
        let http = Http::new(Duration::from_secs(5)).unwrap();
        let secret = SecretString::from("sa-secret");
        let client = Client {
            id: "sa-client",
            secret: &secret,
        };
        let tokens = block_on(AuthServer::data_center(&base).client_credentials(
            &http,
            client,
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
        let pairs = assert_form_has(
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
