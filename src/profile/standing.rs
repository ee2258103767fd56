//! What `token` would find now, without asking Atlassian: the stored credential read through
//! the store as `token` reads it, and judged as `token` would judge it. For `status`, which
//! must not say "valid" of a profile that `token` refuses.

use time::OffsetDateTime;

use super::session::{Session, fresh};
use super::{ProfileError, Refusal};
use crate::store::Credential;

/// How a profile stands when it can give out a credential.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Standing {
    /// Valid for longer than the margin asked for. `refused`: Atlassian refused a renewal
    /// nevertheless (one forced early): it stops working when it expires.
    Valid { refused: Option<Refusal> },
    /// Stale; `token` would renew it (a refresh token, or a service account's secret).
    Renewable,
}

impl Session<'_> {
    /// What `token --min-ttl min_ttl` would find: the store read (never the kernel cache:
    /// the store is what a renewal needs), no lock, no request. A profile `token` would fail
    /// on is the error `token` would give, Atlassian's last refusal included.
    pub(crate) fn standing(&self, min_ttl: std::time::Duration) -> Result<Standing, ProfileError> {
        let cfg = self.profiles.load(&self.found)?;
        let refused = self.found.info.refused.clone();
        if fresh(&cfg, min_ttl) {
            return Ok(Standing::Valid { refused });
        }
        if let Some(refusal) = refused {
            return Err(ProfileError::Refused {
                name: self.found.name.clone(),
                refusal,
                data_center: cfg.site.is_data_center(),
            });
        }
        match &cfg.credential {
            Credential::OAuth(g) if g.refresh_token.is_none() => {
                Err(ProfileError::NoRefreshToken {
                    name: self.found.name.clone(),
                })
            }
            _ => Ok(Standing::Renewable),
        }
    }
}

/// "2026-12-01T10:00:00Z": when a refusal happened, as messages say it.
pub(super) fn when(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
