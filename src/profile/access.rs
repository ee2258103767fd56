//! What `token`, `header` and `exec` give out of a valid credential: the secret, how it is
//! sent, and where the site's REST API answers to it.

use secrecy::SecretString;
use time::OffsetDateTime;

use super::session::Session;
use crate::net::Endpoints;
use crate::oauth::AuthServer;
use crate::store::cache::CachedToken;
use crate::store::model::Scheme;
use crate::store::{AuthConfig, Credential, Site};

/// What `token`, `header` and `exec` give out: the secret, how to send it, and where.
pub struct Access {
    /// `None` in stateless mode.
    pub profile: Option<String>,
    pub secret: SecretString,
    pub scheme: Scheme,
    /// `None` for a static secret.
    pub expires_at: Option<OffsetDateTime>,
    pub site: Site,
    /// Where the REST API of the site answers to this credential.
    pub api_base_url: String,
}

impl Access {
    /// The value of an `Authorization` header.
    pub fn header(&self) -> SecretString {
        self.scheme.authorization(&self.secret)
    }
}

impl Session<'_> {
    pub(super) fn access(&self, cfg: &AuthConfig) -> Access {
        let (secret, scheme) = cfg.credential.secret();
        Access {
            profile: Some(cfg.profile.clone()),
            secret: secret.clone(),
            scheme,
            expires_at: cfg.credential.expires_at(),
            site: cfg.site.clone(),
            api_base_url: api_base_url(cfg, self.endpoints),
        }
    }

    /// The cache holds only tokens that expire, which are all OAuth or service-account
    /// Bearer tokens: for the Cloud gateway, or a Data Center site itself.
    pub(super) fn cached_access(&self, tok: CachedToken) -> Access {
        Access {
            api_base_url: AuthServer::of(&tok.site, self.endpoints).rest_base(&tok.site),
            profile: Some(tok.profile),
            secret: tok.access_token,
            scheme: Scheme::Bearer,
            expires_at: Some(tok.expires_at),
            site: tok.site,
        }
    }
}

/// Where a profile's REST API answers: for a Bearer token, its server's (the Cloud gateway,
/// or a Data Center site itself, PATs included); for an API token, the base that accepted it.
pub(crate) fn api_base_url(cfg: &AuthConfig, endpoints: &Endpoints) -> String {
    match &cfg.credential {
        Credential::ApiToken(t) => t.api_base_url.clone(),
        Credential::OAuth(_)
        | Credential::ServiceAccount(_)
        | Credential::Pat(_)
        | Credential::Composio(_) => AuthServer::of(&cfg.site, endpoints).rest_base(&cfg.site),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;
    use crate::store::model::tests::sample;

    #[test]
    fn headers_follow_the_scheme() {
        let access = |scheme| Access {
            profile: Some("p".into()),
            secret: SecretString::from("s3cret"),
            scheme,
            expires_at: None,
            site: sample("p").site,
            api_base_url: String::new(),
        };
        assert_eq!(
            access(Scheme::Bearer).header().expose_secret(),
            "Bearer s3cret"
        );
        // base64("me@example.com:s3cret")
        assert_eq!(
            access(Scheme::Basic {
                email: "me@example.com".into()
            })
            .header()
            .expose_secret(),
            "Basic bWVAZXhhbXBsZS5jb206czNjcmV0"
        );
    }
}
