//! The checks of `doctor` that need no answer from Atlassian's API: the store, the profile,
//! the scopes, the clock (from the dates earlier answers carried) and the callback port. The
//! token, its cache and its age are token.rs's; the files of the config dir, files.rs's.

use std::net::TcpListener;

use secrecy::ExposeSecret as _;

use super::check::{Check, Facts};
use crate::commands::{Ctx, fix_for, login_command, note_text, relative};
use crate::error::Code;
use crate::oauth::RedirectUri;
use crate::oauth::callback::family_missing;
use crate::oauth::redirect::{DEFAULT_PORT, RedirectError};
use crate::profile::{ProfileError, Refused};
use crate::scopes::check::{self as cmp, SiteScopes};
use crate::store::{Credential, Kind, Method, StoreError, keychain};

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
pub(super) fn store_kind(ctx: &Ctx) -> Kind {
    ctx.profiles
        .find(ctx.wanted())
        .ok()
        .map(|found| found.info.store)
        .or(ctx.global.store)
        .unwrap_or(Kind::Keychain)
}

pub(super) fn store(ctx: &Ctx, facts: &mut Facts) -> Check {
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
        Err(e) => {
            facts.store_locked = matches!(
                e,
                ProfileError::Store {
                    source: StoreError::Locked { .. },
                    ..
                }
            );
            Check::from_error(NAME, e, "use --store file")
        }
    }
}

pub(super) fn profile(ctx: &Ctx, facts: &mut Facts) -> Check {
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
    // A Data Center site is known by its base URL: it has no cloud id.
    let site_id = if cfg.site.is_data_center() {
        cfg.site.url.as_str()
    } else {
        cfg.site.cloud_id.as_str()
    };
    let absent = absent_fields(&cfg.credential, site_id);
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
                "'{name}' is complete in the {}, but {} refused its {what} {} (recorded by an earlier command)",
                found.info.store,
                if cfg.site.is_data_center() {
                    "Jira"
                } else {
                    "Atlassian"
                },
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
            Code::NoRefreshToken,
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
            Code::ProfileUnusable,
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
        Credential::Composio(c) => vec![
            ("auth config id", blank(&c.auth_config_id)),
            ("client id", blank(&c.client_id)),
            ("client secret", c.client_secret.expose_secret().is_empty()),
        ],
    };
    fields
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect()
}

pub(super) fn scopes(facts: &Facts) -> Check {
    const NAME: &str = "scopes";
    let Some(cfg) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    let c = &cfg.credential;
    if c.method() == crate::store::Method::Pat {
        return Check::skip(
            NAME,
            "a personal access token has no scopes: it can do what its user can",
        );
    }
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
            Code::ScopeMissing,
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
                "{}, but {}",
                all_granted(comparison.required.len()),
                notes.join("; ")
            ),
            format!("run `{login}` to get a token that matches the grant"),
        );
    }
    Check::pass(
        NAME,
        format!("{}{basis}", all_granted(comparison.required.len())),
    )
}

/// "all 5 requested scopes granted", and "the requested scope granted" for one.
fn all_granted(n: usize) -> String {
    if n == 1 {
        "the requested scope granted".to_string()
    } else {
        format!("all {n} requested scopes granted")
    }
}

pub(super) fn clock(facts: &Facts) -> Check {
    const NAME: &str = "clock";
    let Some((server, local)) = facts.date else {
        return Check::skip(NAME, "no dated answer from the server to compare with");
    };
    let skew = (local - server).whole_seconds();
    let direction = if skew >= 0 { "ahead of" } else { "behind" };
    let whose = match &facts.cfg {
        Some(cfg) if cfg.site.is_data_center() => "the Jira server's",
        _ => "Atlassian's",
    };
    let detail = format!(
        "the local clock is {} s {direction} {whose}",
        skew.unsigned_abs()
    );
    let fix = "synchronise the system clock (Linux: `timedatectl set-ntp true`; macOS/Windows: set the time automatically)";
    if skew.abs() >= SKEW_FAIL_SECS {
        Check::fail(NAME, Code::ClockSkew, detail, fix)
    } else if skew.abs() >= SKEW_WARN_SECS {
        Check::warn(NAME, detail, fix)
    } else {
        Check::pass(NAME, detail)
    }
}

pub(super) fn callback_port(facts: &Facts) -> Check {
    const NAME: &str = "callback";
    // Only a consent comes back to a callback: the other methods never listen for one, and
    // a port in use is nothing to them.
    if let Some(cfg) = facts
        .cfg
        .as_ref()
        .filter(|c| c.credential.oauth().is_none())
    {
        let what = match cfg.credential.method() {
            Method::ServiceAccount => "a service account",
            Method::ApiToken => "an API token",
            Method::Pat => "a personal access token",
            Method::Composio => "an app handed to Composio (Composio's callback)",
            Method::OAuth => "this method",
        };
        return Check::skip(
            NAME,
            format!("{what} needs no callback (no browser consent)"),
        );
    }
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
        let now = time::OffsetDateTime::now_utc();
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
