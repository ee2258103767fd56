//! The checks of `doctor` that need no answer from Atlassian's API: the store, the profile,
//! the token (renewed the way `token` renews it), the cache, the refresh token's age, the
//! scopes, the clock (from the dates earlier answers carried) and the callback port.

use std::net::TcpListener;

use secrecy::ExposeSecret as _;
use time::OffsetDateTime;

use super::check::{Check, Facts};
use crate::commands::{Ctx, fix_for, login_command, note_text, relative, rfc3339};
use crate::error::{CliError, Exit};
use crate::oauth::RedirectUri;
use crate::oauth::callback::family_missing;
use crate::oauth::redirect::{DEFAULT_PORT, RedirectError};
use crate::profile::{INACTIVITY_EXPIRY_DAYS, INACTIVITY_WARN_DAYS, Refused};
use crate::scopes::check::{self as cmp, SiteScopes};
use crate::store::{Credential, Kind, keychain};

/// As `token`: the access token must outlive the API calls of the live checks.
const MIN_TTL_SECS: u64 = 60;

/// Clock skew thresholds. Our own expiry arithmetic is relative (`expires_in` against the
/// local clock), so skew does not break refreshing; what it breaks is everything that
/// compares absolute times: the expiry and token ages we show and store, TLS certificate
/// validity, and other tools' token validators, which commonly allow 5 minutes. An
/// NTP-synced clock is within a second of Atlassian's; `Date` has a resolution of one second
/// and the request's latency adds a little, so a minute is already a real drift (warn), and
/// past 5 minutes things start to fail elsewhere (fail).
const SKEW_WARN_SECS: i64 = 60;
const SKEW_FAIL_SECS: i64 = 5 * 60;

/// The store the profile lives in (from the index), else the one --store names, else the
/// keychain: the one a new `init` would use.
pub fn store_kind(ctx: &Ctx) -> Kind {
    ctx.profiles
        .find(ctx.wanted())
        .ok()
        .map(|found| found.info.store)
        .or(ctx.global.store)
        .unwrap_or(Kind::Keychain)
}

pub fn store(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "store";
    let kind = store_kind(ctx);
    let backend = match kind {
        Kind::Keychain => keychain::BACKEND.to_string(),
        Kind::File => format!(
            "file store {}",
            ctx.profiles.config_dir().join("credentials").display()
        ),
    };
    match ctx.profiles.probe(kind) {
        Ok(()) => {
            facts.store_ok = true;
            Check::pass(
                NAME,
                format!("{backend} reachable (write, read back, delete)"),
            )
        }
        Err(e) => Check::from_error(NAME, e, "use --store file"),
    }
}

pub fn profile(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "profile";
    let found = match ctx.profiles.find(ctx.wanted()) {
        Ok(found) => found,
        Err(e) => return Check::from_error(NAME, e, "run `jira-auth init`"),
    };
    let name = found.name.clone();
    facts.profile = Some(name.clone());
    if !facts.store_ok {
        return Check::skip(
            NAME,
            format!("'{name}' is in the index; its credentials cannot be read without the store"),
        );
    }
    let cfg = match ctx.profiles.load(&found) {
        Ok(cfg) => cfg,
        Err(e) => {
            let fix = format!("run `jira-auth init --force --profile {name}`");
            return Check::from_error(NAME, e, &fix);
        }
    };
    let absent = absent_fields(&cfg.credential, &cfg.site.cloud_id);
    let check = if let Some(refused) = found.info.refused.as_ref().filter(|_| absent.is_empty()) {
        // Recorded by the command that met it; the token check below asks again.
        let (what, fix) = match refused.what {
            Refused::RefreshToken => (
                "refresh token",
                format!("run `jira-auth login --profile {name}` to consent again"),
            ),
            Refused::ClientSecret => (
                "client secret",
                format!(
                    "the app's secret was probably regenerated: run `jira-auth init --force --profile {name}` with the new one"
                ),
            ),
        };
        Check::warn(
            NAME,
            format!(
                "'{name}' is complete in the {}, but Atlassian refused its {what} {} (recorded by an earlier command)",
                found.info.store,
                relative(refused.at)
            ),
            fix,
        )
    } else if absent.is_empty() {
        let client = cfg
            .credential
            .client_id()
            .map(|id| format!("client id {id}, "))
            .unwrap_or_default();
        Check::pass(
            NAME,
            format!(
                "'{name}' complete in the {}: {client}site {} ({})",
                found.info.store, cfg.site.name, cfg.site.url
            ),
        )
    } else if absent == ["refresh token"] {
        Check::fail(
            NAME,
            Exit::AuthNeeded,
            format!(
                "'{name}' has no refresh token: it stops working when its access token expires"
            ),
            format!(
                "run `jira-auth login --profile {name}` (it requests offline_access, which brings a refresh token)"
            ),
        )
    } else {
        Check::fail(
            NAME,
            Exit::AuthNeeded,
            format!("'{name}' is incomplete: no {}", absent.join(", no ")),
            format!("run `jira-auth init --force --profile {name}` to set it up again"),
        )
    };
    facts.cfg = Some(cfg);
    check
}

/// What the stored credential lacks of what its method needs.
fn absent_fields(credential: &Credential, cloud_id: &str) -> Vec<&'static str> {
    let blank = |s: &str| s.trim().is_empty();
    let fields: Vec<(&'static str, bool)> = match credential {
        Credential::OAuth(g) => vec![
            ("client id", blank(&g.client_id)),
            ("client secret", g.client_secret.expose_secret().is_empty()),
            ("requested scopes", g.scopes_requested.is_empty()),
            ("callback URL", blank(&g.redirect_uri)),
            ("site cloud id", blank(cloud_id)),
            ("refresh token", g.refresh_token.is_none()),
        ],
        Credential::ServiceAccount(s) => vec![
            ("client id", blank(&s.client_id)),
            ("client secret", s.client_secret.expose_secret().is_empty()),
            ("site cloud id", blank(cloud_id)),
        ],
        Credential::ApiToken(t) => vec![
            ("email", blank(&t.email)),
            ("API token", t.token.expose_secret().is_empty()),
            ("API base URL", blank(&t.api_base_url)),
        ],
        Credential::Pat(p) => vec![("token", p.token.expose_secret().is_empty())],
    };
    fields
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect()
}

pub fn token(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "token";
    let Some(stored) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    let before = stored.credential.expires_at();
    // The same path as `token`: under the profile's lock, with the reuse-interval fallback,
    // so a doctor run can never be what logs the user out.
    match ctx.session().and_then(|s| s.valid_config(MIN_TTL_SECS)) {
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
pub fn cache(ctx: &Ctx, facts: &Facts) -> Check {
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
            "the access token is cached in the kernel keyring: `token` answers without the keychain",
        ),
        _ => Check::warn(
            NAME,
            "the kernel keyring refused the token cache (keyutils filtered, as in many containers, or a session keyring without the user keyring): every `token` call costs a Secret Service round trip",
            "nothing is broken; for the fast path, run in a login session or link the user keyring into this session: `keyctl link @u @s`",
        ),
    }
}

pub fn refresh_age(facts: &Facts) -> Check {
    const NAME: &str = "refresh";
    let Some(cfg) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    if !cfg.credential.has_refresh_token() {
        return Check::skip(NAME, "no refresh token (see profile)");
    }
    // Its age says nothing once Atlassian has refused it.
    if facts.token_rejected {
        return Check::skip(NAME, "the refresh token was refused (see token)");
    }
    let p = &cfg.profile;
    let Some(issued) = cfg.credential.refresh_token_issued_at() else {
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
    let summary = format!(
        "refresh token last renewed {days} day{} ago (Atlassian expires it after {expiry} days without use)",
        if days == 1 { "" } else { "s" }
    );
    if days >= expiry {
        Check::fail(
            NAME,
            Exit::AuthNeeded,
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

pub fn scopes(facts: &Facts) -> Check {
    const NAME: &str = "scopes";
    let Some(cfg) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    let c = &cfg.credential;
    let site = match &facts.site {
        Some(Some(r)) => SiteScopes::Listed(&r.scopes),
        Some(None) => SiteScopes::Gone,
        None => SiteScopes::Unknown,
    };
    let comparison = cmp::compare(
        c.scopes_requested(),
        c.scopes_granted(),
        c.has_refresh_token(),
        site,
    );
    let basis = if facts.token_ok {
        ""
    } else {
        " (from the stored token, which could not be renewed)"
    };
    let login = login_command(&cfg.profile, c.scopes_requested(), &comparison.missing);
    if !comparison.ok() {
        let fixes: Vec<String> = comparison.missing.iter().map(|m| fix_for(m)).collect();
        return Check::fail(
            NAME,
            Exit::ScopeCheck,
            format!(
                "requested but not granted: {}{basis}",
                comparison.missing.join(", ")
            ),
            format!("{}; then run `{login}`", fixes.join("; ")),
        );
    }
    // The site being gone is the site check's failure; repeating it here adds nothing.
    let notes: Vec<String> = comparison
        .notes
        .iter()
        .filter(|_| !matches!(site, SiteScopes::Gone))
        .map(note_text)
        .collect();
    if !notes.is_empty() {
        return Check::warn(
            NAME,
            format!(
                "all {} requested scopes granted, but {}",
                comparison.required.len(),
                notes.join("; ")
            ),
            format!("run `{login}` to get a token that matches the grant"),
        );
    }
    Check::pass(
        NAME,
        format!(
            "all {} requested scopes granted{basis}",
            comparison.required.len()
        ),
    )
}

pub fn clock(facts: &Facts) -> Check {
    const NAME: &str = "clock";
    let Some((server, local)) = facts.date else {
        return Check::skip(NAME, "no dated answer from Atlassian to compare with");
    };
    let skew = (local - server).whole_seconds();
    let direction = if skew >= 0 { "ahead of" } else { "behind" };
    let detail = format!(
        "the local clock is {} s {direction} Atlassian's",
        skew.unsigned_abs()
    );
    let fix = "synchronise the system clock (Linux: `timedatectl set-ntp true`; macOS/Windows: set the time automatically)";
    if skew.abs() >= SKEW_FAIL_SECS {
        Check::fail(NAME, Exit::Unexpected, detail, fix)
    } else if skew.abs() >= SKEW_WARN_SECS {
        Check::warn(NAME, detail, fix)
    } else {
        Check::pass(NAME, detail)
    }
}

pub fn callback_port(facts: &Facts) -> Check {
    const NAME: &str = "callback";
    let stored = facts
        .cfg
        .as_ref()
        .and_then(|c| c.credential.oauth())
        .map(|g| g.redirect_uri.clone());
    let Some(raw) = stored.or_else(|| {
        RedirectUri::on_port(DEFAULT_PORT)
            .ok()
            .map(|r| r.to_string())
    }) else {
        return Check::skip(NAME, "no callback URL");
    };
    let redirect = match RedirectUri::parse(&raw) {
        Ok(r) => r,
        Err(RedirectError::NotAUrl(_)) => {
            return Check::warn(
                NAME,
                format!("the callback URL {raw} is not a URL"),
                "run `jira-auth init --force` with --port N or --redirect-uri URL",
            );
        }
        Err(RedirectError::NotLoopback) => {
            return Check::warn(
                NAME,
                format!("the callback URL {raw} is not on this machine"),
                "use a loopback callback URL (http://127.0.0.1:PORT/callback) in the console and `jira-auth init --force --port PORT`",
            );
        }
        Err(e) => {
            return Check::warn(
                NAME,
                format!("the callback URL {raw} cannot be listened on: {e}"),
                "run `jira-auth init --force` with --port N or --redirect-uri URL",
            );
        }
    };
    let port = redirect.port();
    // Every address `login` would listen on (both for localhost), bound and released at
    // once: only whether it could listen there now matters. As in the listener, a missing
    // address family is fine while another binds.
    let (mut bound, mut missing, mut taken) = (false, None, None);
    for ip in redirect.listen_addrs() {
        match TcpListener::bind((ip, port)) {
            Ok(_) => bound = true,
            Err(e) if family_missing(&e) => missing = Some(e),
            Err(e) => {
                taken = Some(e);
                break;
            }
        }
    }
    if !bound && taken.is_none() {
        taken = missing;
    }
    match taken {
        None => Check::pass(
            NAME,
            format!("port {port} is free for the callback ({raw})"),
        ),
        Some(e) => {
            let why = if e.kind() == std::io::ErrorKind::AddrInUse {
                "is already in use".to_string()
            } else {
                format!("cannot be bound ({e})")
            };
            Check::warn(
                NAME,
                format!(
                    "port {port} of the callback URL {raw} {why}: `jira-auth login` could not receive the answer"
                ),
                format!(
                    "stop what listens on port {port} before `jira-auth login`, or pick another port with `jira-auth init --force --port N` and set the app's callback URL in the developer console to match"
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::check::Status;
    use super::*;

    fn facts_with_date(skew_secs: i64) -> Facts {
        let now = OffsetDateTime::now_utc();
        Facts {
            date: Some((now - time::Duration::seconds(skew_secs), now)),
            ..Facts::default()
        }
    }

    #[test]
    fn clock_thresholds() {
        assert_eq!(clock(&facts_with_date(2)).status, Status::Pass);
        assert_eq!(clock(&facts_with_date(-90)).status, Status::Warn);
        let far = clock(&facts_with_date(600));
        assert_eq!(far.status, Status::Fail);
        assert!(far.detail.contains("600 s ahead of"), "{}", far.detail);
        assert_eq!(clock(&Facts::default()).status, Status::Skip);
    }

    #[test]
    fn refresh_age_thresholds() {
        let now = OffsetDateTime::now_utc();
        let at = |days: i64| {
            let mut cfg = crate::store::model::tests::sample("p");
            crate::store::model::tests::grant(&mut cfg).refresh_token_issued_at =
                Some(now - time::Duration::days(days));
            let facts = Facts {
                cfg: Some(cfg),
                ..Facts::default()
            };
            refresh_age(&facts).status
        };
        assert_eq!(at(3), Status::Pass);
        assert_eq!(at(85), Status::Warn);
        assert_eq!(at(95), Status::Fail);
    }

    #[test]
    fn a_profile_lacks_what_its_method_needs() {
        let mut cfg = crate::store::model::tests::sample("p");
        assert!(absent_fields(&cfg.credential, "id").is_empty());
        crate::store::model::tests::grant(&mut cfg).refresh_token = None;
        assert_eq!(absent_fields(&cfg.credential, "id"), ["refresh token"]);
        assert_eq!(
            absent_fields(&cfg.credential, " "),
            ["site cloud id", "refresh token"]
        );
    }
}
