//! OAuth 2.0 against Atlassian: the consent URL, the code exchange, the refresh and client
//! credentials (token.rs), the validated callback URL (redirect.rs) and the loopback listener
//! that catches the browser's return (callback/); a Data Center instance's own provider, with
//! PKCE, is datacenter.rs.

pub mod callback;
pub mod datacenter;
pub mod redirect;
pub mod token;

use oauth2::basic::BasicClient;
use oauth2::{AuthUrl, ClientId, CsrfToken, RedirectUrl, Scope};
use rand::RngCore;
use secrecy::SecretString;
use time::OffsetDateTime;
use url::Url;

use crate::net::{Endpoints, HttpError};
pub use redirect::RedirectUri;
pub use token::{client_credentials, exchange_code, refresh};

pub const AUDIENCE: &str = "api.atlassian.com";

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
    redirect_uri: &RedirectUri,
    scopes: &[String],
    state: &str,
) -> Url {
    let client = BasicClient::new(ClientId::new(client_id.to_string()))
        .set_auth_uri(AuthUrl::from_url(endpoints.authorize()))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.url().clone()));
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

/// A token request that failed. The texts say what Atlassian answered, never what to do
/// about it (that is the command line's: error.rs) and never a response body (it can hold
/// a token).
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
    /// Client credentials refused: the client id or secret of a service account is wrong,
    /// or the credential was revoked.
    #[error("Atlassian refused the service account's client id or secret (401 access_denied)")]
    ServiceAccountRejected,
    /// The same when a stored profile mints a new token: the credential worked once.
    #[error(
        "Atlassian no longer accepts this profile's service-account credential (401 access_denied)"
    )]
    StoredServiceAccountRejected,
    /// The client may not use client credentials: an OAuth 2.0 (3LO) app's client id, say,
    /// not a service account's.
    #[error(
        "Atlassian does not allow client credentials for this client (unauthorized_client): {0}"
    )]
    NotAServiceAccount(String),
    #[error("the authorization code was rejected (invalid_grant): {0}")]
    CodeRejected(String),
    /// `invalid_grant` on a refresh: the refresh token was revoked, expired or reused.
    #[error("Atlassian no longer accepts this profile's refresh token (invalid_grant): {0}")]
    RefreshRejected(String),
    /// Data Center: the client id or secret of the application link refused at the code
    /// exchange (`invalid_client`).
    #[error("Jira refused the application link's client id or secret (invalid_client)")]
    DcClientRejected,
    /// The same on a refresh: they worked when the profile was made.
    #[error(
        "Jira no longer accepts this profile's client id or secret (invalid_client on refresh)"
    )]
    DcStoredClientRejected,
    /// Data Center refused the code: expired (10 s by default), used, another redirect URL,
    /// or a PKCE verifier that does not match its challenge.
    #[error("Jira refused the authorization code (invalid_grant){}", detail(.0))]
    DcCodeRejected(String),
    /// Data Center refused a service account's client id or secret (`invalid_client`).
    #[error("Jira refused the service account's client id or secret (invalid_client)")]
    DcServiceAccountRejected,
    /// The same when a stored profile mints a new token: it worked once.
    #[error(
        "Jira no longer accepts this profile's service-account client id or secret (invalid_client)"
    )]
    DcStoredServiceAccountRejected,
    /// `invalid_scope` to a service account's mint: Jira gives service accounts READ and
    /// WRITE only.
    #[error("Jira refused the scopes {0} for a service account (invalid_scope)")]
    DcScopeRefused(String),
    /// `invalid_grant` on a Data Center refresh: revoked, expired (90 days) or spent.
    #[error("Jira no longer accepts this profile's refresh token (invalid_grant){}", detail(.0))]
    DcRefreshRejected(String),
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A response we cannot read; `what` says how, never what it held (it may be a token).
    #[error("unexpected response from Atlassian (HTTP {status}, {what})")]
    Unexpected { status: u16, what: String },
    #[error("the token endpoint answered {0}")]
    Protocol(String),
}

/// ": why" after an error, when the server said more than its error code.
fn detail(desc: &str) -> String {
    if desc.is_empty() || desc == "invalid_grant" {
        String::new()
    } else {
        format!(": {desc}")
    }
}

impl OAuthError {
    /// The refresh token itself was refused (Cloud or Data Center): the grant needs a new
    /// consent, or the previous token while it still counts.
    pub fn refresh_token_refused(&self) -> bool {
        matches!(
            self,
            OAuthError::RefreshRejected(_) | OAuthError::DcRefreshRejected(_)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_has_every_required_parameter() {
        let redirect = RedirectUri::parse("http://127.0.0.1:8976/callback").unwrap();
        let scopes = vec!["read:jira-work".to_string(), "offline_access".to_string()];
        let url = authorize_url(&Endpoints::atlassian(), "CID", &redirect, &scopes, "st4te");
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
    fn state_is_long_and_random() {
        let a = new_state();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_state());
    }
}
