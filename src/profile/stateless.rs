//! Stateless mode: a service account's credential taken from the environment, for CI, with
//! no profile. Nothing is written to disk or to the keychain (no index, no lock file: two
//! jobs minting at once is harmless, as client credentials rotate nothing). The access
//! token — never the secret — is kept in the kernel-keyring cache where that works, under a
//! name derived from the whole credential, so that the job's next `token` needs no request
//! and a different secret (rotated, mistyped) never gets another one's token.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::Access;
use super::session::mint;
use super::{ProfileError, Profiles};
use crate::atlassian::site::{SiteUrl, tenant_info};
use crate::net::{Endpoints, Net};
use crate::oauth::{AuthServer, Client};
use crate::store::Site;
use crate::store::cache::CachedToken;
use crate::store::model::Scheme;

/// A service account as stateless mode's environment describes it.
pub struct ServiceAccountEnv {
    pub client_id: String,
    pub client_secret: SecretString,
    /// Where the site is; its cloud id then comes from its tenant_info, unless given too.
    pub site: Option<SiteUrl>,
    pub cloud_id: Option<String>,
}

impl ServiceAccountEnv {
    /// The cache's name for this credential: `@` and `:` cannot start or be in a profile
    /// name, so it never meets a profile's entry. A digest, not the secret: the name is
    /// visible to every process of the user (`keyctl show`).
    fn cache_name(&self) -> String {
        let mut h = Sha256::new();
        for part in [
            self.client_id.as_bytes(),
            self.client_secret.expose_secret().as_bytes(),
            self.site
                .as_ref()
                .map(|s| s.origin())
                .unwrap_or_default()
                .as_bytes(),
            self.cloud_id.as_deref().unwrap_or_default().as_bytes(),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part);
        }
        let digest = h.finalize();
        let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        format!("@sa:{hex}")
    }
}

impl Profiles {
    /// A token for a service account of the environment, valid for more than `min_ttl`
    /// seconds: from the kernel-keyring cache when it holds one, else minted (after asking
    /// the site for its cloud id, when only its address was given).
    pub fn stateless_token(
        &self,
        net: &Net,
        endpoints: &Endpoints,
        sa: &ServiceAccountEnv,
        min_ttl: std::time::Duration,
    ) -> Result<Access, ProfileError> {
        let name = sa.cache_name();
        let now = OffsetDateTime::now_utc();
        if let Some(tok) = self.cache.get(&name)
            && tok.expires_at - now > min_ttl
        {
            return Ok(access(endpoints, tok));
        }
        let cloud_id = match (&sa.cloud_id, &sa.site) {
            (Some(id), _) => id.clone(),
            (None, Some(site)) => {
                let http = net.http().map_err(crate::atlassian::ApiError::from)?;
                net.block_on(tenant_info(http, site))
                    .map_err(crate::atlassian::ApiError::from)??
            }
            (None, None) => {
                return Err(ProfileError::Site(
                    crate::atlassian::ApiError::UnknownSite {
                        url: String::new(),
                        detail: "neither a site nor a cloud id was given".into(),
                    },
                ));
            }
        };
        let client = Client {
            id: &sa.client_id,
            secret: &sa.client_secret,
        };
        let tokens =
            mint(net, &AuthServer::atlassian(endpoints), client, &[]).map_err(|source| {
                ProfileError::Renew {
                    source,
                    maybe_rotated: false,
                    data_center: false,
                }
            })?;
        let token = CachedToken {
            profile: name,
            access_token: tokens.access_token,
            expires_at: tokens.expires_at,
            site: Site::cloud(
                cloud_id,
                sa.site.as_ref().map(SiteUrl::origin).unwrap_or_default(),
                sa.site.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
                AuthServer::record(endpoints),
            ),
            has_refresh_token: false,
            refresh_token_issued_at: None,
        };
        self.cache.put_token(&token, false);
        Ok(access(endpoints, token))
    }
}

fn access(endpoints: &Endpoints, tok: CachedToken) -> Access {
    Access {
        profile: None,
        api_base_url: endpoints.jira_api_base(&tok.site.cloud_id).to_string(),
        secret: tok.access_token,
        scheme: Scheme::Bearer,
        expires_at: Some(tok.expires_at),
        site: tok.site,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(secret: &str, cloud_id: Option<&str>) -> ServiceAccountEnv {
        ServiceAccountEnv {
            client_id: "sa-client".into(),
            client_secret: SecretString::from(secret),
            site: None,
            cloud_id: cloud_id.map(str::to_string),
        }
    }

    #[test]
    fn cache_names_hold_no_secret_and_differ_with_any_part_of_the_credential() {
        let a = sa("ATOA-secret-one", Some("c1")).cache_name();
        assert!(a.starts_with("@sa:") && a.len() == 4 + 32, "{a}");
        assert!(!a.contains("secret") && !a.contains("sa-client"));
        assert_eq!(a, sa("ATOA-secret-one", Some("c1")).cache_name());
        assert_ne!(a, sa("ATOA-secret-two", Some("c1")).cache_name());
        assert_ne!(a, sa("ATOA-secret-one", Some("c2")).cache_name());
        assert!(crate::store::check_profile_name(&a).is_err());
    }
}
