//! The checks of `doctor` about the token: valid or renewable (renewed the way `token`
//! renews it, under the same lock), answered from the kernel-keyring cache, and the age of
//! the refresh token against Atlassian's inactivity expiry.

use time::OffsetDateTime;

use super::check::{Check, Facts};
use super::local::store_kind;
use crate::commands::{Ctx, relative, rfc3339};
use crate::error::{CliError, Code, Exit};
use crate::profile::RENEWAL_MARGIN;
use crate::profile::{INACTIVITY_EXPIRY_DAYS, INACTIVITY_WARN_DAYS};
use crate::store::Kind;

pub(super) fn token(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "token";
    let Some(stored) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    let before = stored.credential.expires_at();
    // The same path as `token`: under the profile's lock, with the reuse-interval fallback,
    // so a doctor run can never be what logs the user out.
    match ctx.session().and_then(|s| s.valid_config(RENEWAL_MARGIN)) {
        Ok(usable) => {
            let cfg = ctx.told(usable);
            let check = match cfg.credential.expires_at() {
                Some(at) => {
                    let how = if Some(at) != before {
                        ", refreshed now"
                    } else {
                        ""
                    };
                    Check::pass(
                        NAME,
                        format!(
                            "access token valid until {} ({}){how}",
                            // Whole seconds: this line is read by people.
                            rfc3339(at.replace_nanosecond(0).unwrap_or(at)),
                            relative(at)
                        ),
                    )
                }
                None => Check::pass(NAME, "the credential does not expire"),
            };
            facts.cfg = Some(cfg);
            facts.token_ok = true;
            check
        }
        Err(e) => {
            let e = CliError::from(e);
            facts.token_rejected = e.exit() == Exit::AuthNeeded;
            let profile = facts.profile.clone().unwrap_or_default();
            Check::from_error(
                NAME,
                e,
                &format!("run `jira-auth login --profile {profile}`"),
            )
        }
    }
}

/// Whether `token` can answer from the kernel keyring. Never a failure: without the cache
/// everything works, each `token` just costs a Secret Service round trip.
pub(super) fn cache(ctx: &Ctx, facts: &Facts) -> Check {
    const NAME: &str = "cache";
    if !cfg!(target_os = "linux") {
        return Check::skip(NAME, "the kernel-keyring token cache exists on Linux only");
    }
    if store_kind(ctx) != Kind::Keychain {
        return Check::skip(NAME, "the file store needs no cache");
    }
    if !ctx.profiles.cache_enabled() {
        return Check::skip(NAME, "turned off by JIRA_AUTH_NO_CACHE");
    }
    if let (true, Some(profile)) = (facts.store_locked, &facts.profile) {
        // What `token` would otherwise do: hand out the cached copy until it expires.
        return if ctx.profiles.keychain_locked(profile) {
            Check::warn(
                NAME,
                "the keychain is locked: the access token cached in the kernel keyring was dropped, so `token` no longer hands it out (it would have until it expired)",
                "unlock the keychain; the next `token` caches the token again",
            )
        } else {
            Check::skip(
                NAME,
                "the keychain is locked, and no token of this profile is cached",
            )
        };
    }
    let (Some(profile), Some(cfg), true) = (&facts.profile, &facts.cfg, facts.token_ok) else {
        return Check::skip(NAME, "no valid token to cache");
    };
    let Some(expires_at) = cfg.credential.expires_at() else {
        return Check::skip(NAME, "only tokens that expire are cached");
    };
    // Reading the profile (check `token`) has just offered its token to the cache.
    match ctx.profiles.cached(profile) {
        Some(c) if c.expires_at >= expires_at => Check::pass(
            NAME,
            format!(
                "the access token is cached in the kernel keyring until it expires ({}): `token` answers without the keychain, even if it is locked meanwhile",
                relative(c.expires_at)
            ),
        ),
        _ => Check::warn(
            NAME,
            "the kernel keyring refused the token cache (keyutils filtered, as in many containers, or a session keyring without the user keyring): every `token` call costs a Secret Service round trip",
            "nothing is broken; for the fast path, run in a login session or link the user keyring into this session: `keyctl link @u @s`",
        ),
    }
}

pub(super) fn renewal_age(facts: &Facts) -> Check {
    const NAME: &str = "refresh";
    let Some(cfg) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    if cfg.credential.method() == crate::store::Method::ServiceAccount {
        return Check::skip(
            NAME,
            "a service account has no refresh token: a new access token is minted from the client secret",
        );
    }
    if !cfg.credential.has_refresh_token() {
        return Check::skip(NAME, "no refresh token (see profile)");
    }
    // Its age says nothing once Atlassian has refused it.
    if facts.token_rejected {
        return Check::skip(NAME, "the refresh token was refused (see token)");
    }
    let p = &cfg.profile;
    let Some(issued) = cfg.credential.grant_renewed_at() else {
        return Check::warn(
            NAME,
            "the refresh token's age is unknown",
            format!(
                "`jira-auth token --profile {p} --min-ttl 3600 >/dev/null` refreshes it and records the date"
            ),
        );
    };
    let days = (OffsetDateTime::now_utc() - issued).whole_days();
    let expiry = INACTIVITY_EXPIRY_DAYS;
    let rule = if cfg.site.is_data_center() {
        format!("Jira Data Center expires it {expiry} days after it was issued")
    } else {
        format!("Atlassian expires it after {expiry} days without use")
    };
    let summary = format!(
        "refresh token last renewed {days} day{} ago ({rule})",
        if days == 1 { "" } else { "s" }
    );
    if days >= expiry {
        Check::fail(
            NAME,
            Code::RefreshTokenExpired,
            summary,
            format!("it has most likely expired: run `jira-auth login --profile {p}`"),
        )
    } else if days > INACTIVITY_WARN_DAYS {
        Check::warn(
            NAME,
            summary,
            format!(
                "use it before day {expiry}: `jira-auth token --profile {p} --min-ttl 3600 >/dev/null` renews it; else `jira-auth login --profile {p}`"
            ),
        )
    } else {
        Check::pass(NAME, summary)
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::Status;
    use super::*;

    #[test]
    fn renewal_age_thresholds() {
        let now = OffsetDateTime::now_utc();
        let at = |days: i64| {
            let mut cfg = crate::store::model::tests::sample("p");
            crate::store::model::tests::grant(&mut cfg).refresh_token_issued_at =
                Some(now - time::Duration::days(days));
            let facts = Facts {
                cfg: Some(cfg),
                ..Facts::default()
            };
            renewal_age(&facts).status
        };
        assert_eq!(at(3), Status::Pass);
        assert_eq!(at(85), Status::Warn);
        assert_eq!(at(95), Status::Fail);
    }
}
