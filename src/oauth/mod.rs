//! OAuth 2.0: the authorization server a profile uses, Atlassian's or a Data Center
//! instance's (server.rs: the consent URL, the code exchange, the refresh, client credentials
//! and who a token belongs to), the token endpoint's plumbing (token.rs), the validated
//! callback URL (redirect.rs) and the loopback listener that catches the browser's return
//! (callback/).

pub(crate) mod callback;
pub(crate) mod redirect;
pub(crate) mod server;
mod token;

use rand::RngCore;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::net::HttpError;
pub(crate) use redirect::RedirectUri;
pub(crate) use server::{AuthServer, Client, Pkce};

/// An unguessable `state` for CSRF protection: 32 random bytes, hex.
pub(crate) fn new_state() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a successful token response gives us.
/// The longest access-token lifetime believed, from an answer or a stored item.
pub(crate) use token::MAX_LIFETIME;

pub struct TokenSet {
    pub access_token: SecretString,
    pub expires_at: OffsetDateTime,
    pub refresh_token: Option<SecretString>,
    /// As granted, which can be narrower than requested.
    pub scopes: Vec<String>,
}

/// A token request that failed. The texts say what the server answered, and which server
/// (`by`), never what to do about it (that is the command line's: error/) and never a
/// response body (it can hold a token). `stored`: the credential worked when the profile was
/// made, so it was changed or revoked since.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// The client secret (Atlassian: 401 access_denied), or the application link's client id
    /// or secret (Data Center: invalid_client).
    #[error("{}", client_refused(.by, *.stored))]
    ClientRefused { by: AuthServer, stored: bool },
    /// Atlassian: the client id, or its callback URL, is not allowed (unauthorized_client).
    #[error("Atlassian rejected the client at the token endpoint (unauthorized_client): {0}")]
    ClientRejected(String),
    /// A service account's client id or secret refused, or the credential revoked.
    #[error("{}", service_account_refused(.by, *.stored))]
    ServiceAccountRefused { by: AuthServer, stored: bool },
    /// Atlassian: the client may not use client credentials (an OAuth 2.0 (3LO) app's
    /// client id, say, not a service account's).
    #[error(
        "Atlassian does not allow client credentials for this client (unauthorized_client): {0}"
    )]
    NotAServiceAccount(String),
    /// `invalid_scope` to a Data Center service account's mint: Jira gives service accounts
    /// READ and WRITE only.
    #[error("{} refused the scopes {scopes} for a service account (invalid_scope)", .by.name())]
    ScopeRefused { by: AuthServer, scopes: String },
    /// The code expired, was used, was sent with another redirect URL, or (Data Center) its
    /// PKCE verifier does not match its challenge.
    #[error("{} refused the authorization code (invalid_grant){}", .by.name(), detail(.desc))]
    CodeRejected { by: AuthServer, desc: String },
    /// `invalid_grant` on a refresh: the refresh token was revoked, expired or reused.
    #[error("{} no longer accepts this profile's refresh token (invalid_grant){}", .by.name(), detail(.desc))]
    RefreshRejected { by: AuthServer, desc: String },
    #[error(transparent)]
    Http(#[from] HttpError),
    /// A response we cannot read; `what` says how, never what it held (it may be a token).
    #[error("unexpected response from {} (HTTP {status}, {what})", .by.name())]
    Unexpected {
        by: AuthServer,
        status: u16,
        what: String,
    },
    #[error("the token endpoint answered {0}")]
    Protocol(String),
    /// A token response that parsed but cannot be used: an empty access token, one with
    /// characters no token has (a line break would inject a header into an `Authorization:`
    /// line), a lifetime of 0 or of years. `what` says which, never the value. `rotated` is
    /// the answer's new refresh token when that one is sound: the refresh spent the old one,
    /// so it is the grant now and must be stored (profile/session.rs).
    #[error("{} answered with a token that cannot be used: {what}", .by.name())]
    Unusable {
        by: AuthServer,
        what: String,
        rotated: Option<secrecy::SecretString>,
    },
}

fn client_refused(by: &AuthServer, stored: bool) -> &'static str {
    match (by, stored) {
        (AuthServer::Atlassian(_), false) => {
            "the client secret was rejected by Atlassian (401 access_denied)"
        }
        (AuthServer::Atlassian(_), true) => {
            "Atlassian no longer accepts this profile's client secret (401 access_denied on refresh)"
        }
        (AuthServer::DataCenter(_), false) => {
            "Jira refused the application link's client id or secret (invalid_client)"
        }
        (AuthServer::DataCenter(_), true) => {
            "Jira no longer accepts this profile's client id or secret (invalid_client on refresh)"
        }
    }
}

fn service_account_refused(by: &AuthServer, stored: bool) -> &'static str {
    match (by, stored) {
        (AuthServer::Atlassian(_), false) => {
            "Atlassian refused the service account's client id or secret (401 access_denied)"
        }
        (AuthServer::Atlassian(_), true) => {
            "Atlassian no longer accepts this profile's service-account credential (401 access_denied)"
        }
        (AuthServer::DataCenter(_), false) => {
            "Jira refused the service account's client id or secret (invalid_client)"
        }
        (AuthServer::DataCenter(_), true) => {
            "Jira no longer accepts this profile's service-account client id or secret (invalid_client)"
        }
    }
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
    /// The refresh token itself was refused: the grant needs a new consent, or the previous
    /// token while it still counts.
    pub fn refuses_the_refresh_token(&self) -> bool {
        matches!(self, OAuthError::RefreshRejected { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_is_long_and_random() {
        let a = new_state();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_state());
    }
}
