//! `jira-auth doctor`: every check from the credential store to a live API call, each with a
//! status (pass / warn / fail / skip) and, when it is not a pass, the fix.
//!
//! Checks run in a fixed order and each one runs whenever what it needs is there: a failed
//! store does not stop the callback-port check, and a check whose input is missing is a
//! "skip" that says why. Network failures are failed checks, never an abort: support staff
//! need the whole picture in one run.
//!
//! Exit code: 0 unless a check failed (warnings alone are 0); otherwise the code of the
//! FIRST failed check, as the table in DESIGN.md defines it (store 6, profile/token/site 3,
//! scopes 4, network 5, clock 1). The first failure is usually the cause of the later ones
//! (no profile → no token → no site), so its code is the most specific answer for a script.

use std::net::TcpListener;

use secrecy::SecretString;
use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use super::{Ctx, print_json, relative, rfc3339, token, write_stdout};
use crate::atlassian::{self, ApiError, Dated, Resource};
use crate::cli::StoreKind;
use crate::error::{CliError, Exit, exit_of};
use crate::oauth::http::Http;
use crate::oauth::{Endpoints, callback};
use crate::scopes::check::{self as cmp, SiteScopes};
use crate::store::{self, AuthConfig, SecretStore};

/// As `token`: the access token must outlive the API calls below.
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

/// Where `login` listens when a profile does not say (init's default).
const DEFAULT_REDIRECT: &str = "http://127.0.0.1:8976/callback";

/// The scope `/myself` documents: classic "read users" (granular apps: read:user:jira).
const MYSELF_SCOPE: &str = "read:jira-user";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
        }
    }

    /// The line's mark: ✓ ! ✗ - where the locale is UTF-8, else the status as a word of the
    /// same width for every status (FAIL in capitals, to stand out without colour).
    fn mark(self, unicode: bool) -> console::StyledObject<&'static str> {
        let (symbol, word) = match self {
            Status::Pass => ("✓", "pass"),
            Status::Warn => ("!", "warn"),
            Status::Fail => ("✗", "FAIL"),
            Status::Skip => ("-", "skip"),
        };
        let mark = console::style(if unicode { symbol } else { word });
        match self {
            Status::Pass => mark.green(),
            Status::Warn => mark.yellow(),
            Status::Fail => mark.red().bold(),
            Status::Skip => mark.dim(),
        }
    }
}

struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
    /// The exit code this check's failure stands for.
    exit: Exit,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
            exit: Exit::Ok,
        }
    }

    fn skip(name: &'static str, why: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skip,
            detail: why.into(),
            fix: None,
            exit: Exit::Ok,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
            exit: Exit::Ok,
        }
    }

    fn fail(
        name: &'static str,
        exit: Exit,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
            exit,
        }
    }

    /// A failure described by an error from the rest of the program: its message (and
    /// causes) as the detail, its hints as the fix, its exit code.
    fn from_error(name: &'static str, err: &anyhow::Error, default_fix: &str) -> Check {
        let mut detail = String::new();
        let mut hints: Vec<String> = Vec::new();
        for (i, cause) in err.chain().enumerate() {
            if i > 0 {
                detail.push_str(": ");
            }
            detail.push_str(&cause.to_string());
            if let Some(c) = cause.downcast_ref::<CliError>() {
                hints.extend(c.hints.iter().cloned());
            }
        }
        let fix = if hints.is_empty() {
            default_fix.to_string()
        } else {
            hints.join("; ")
        };
        Check::fail(name, exit_of(err), detail, fix)
    }
}

/// What earlier checks learned that later ones need.
#[derive(Default)]
struct Facts {
    profile: Option<String>,
    /// The profile as stored (check 2), then as renewed (check 3).
    cfg: Option<AuthConfig>,
    token_ok: bool,
    /// Atlassian refused to renew the token (as opposed to not being reachable).
    token_rejected: bool,
    /// accessible-resources: `Some(Some(site))`, `Some(None)` when the site is gone, `None`
    /// when there was no answer.
    site: Option<Option<Resource>>,
    /// The first server `Date` seen, with the local time its answer arrived.
    date: Option<(OffsetDateTime, OffsetDateTime)>,
}

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let endpoints = Endpoints::from_env()?;
    let mut facts = Facts::default();
    let mut checks: Vec<Check> = Vec::new();

    let store = check_store(ctx, &mut checks);
    check_profile(ctx, store.as_deref(), &mut facts, &mut checks);
    check_token(ctx, &mut facts, &mut checks);
    checks.push(check_cache(ctx, &facts));
    checks.push(check_refresh_age(&facts));

    let api = Api::new();
    checks.push(check_site(&api, &endpoints, &mut facts));
    checks.push(check_myself(&api, &endpoints, &mut facts));
    checks.push(check_me(&api, &endpoints, &mut facts));
    checks.push(check_scopes(&facts));
    checks.push(check_clock(&facts));
    checks.push(check_callback_port(&facts));

    report(ctx, facts.profile.as_deref(), &checks)?;
    let failed: Vec<&Check> = checks.iter().filter(|c| c.status == Status::Fail).collect();
    match failed.first() {
        None => Ok(()),
        Some(first) => {
            let names: Vec<&str> = failed.iter().map(|c| c.name).collect();
            Err(CliError::new(
                first.exit,
                format!(
                    "{} check{} failed: {}",
                    failed.len(),
                    if failed.len() == 1 { "" } else { "s" },
                    names.join(", ")
                ),
            )
            .into())
        }
    }
}

// ---- 1. store --------------------------------------------------------------------------

/// The store the profile lives in (from the index), else the one --store names, else the
/// keychain: the one a new `init` would use.
fn store_kind(ctx: &Ctx) -> StoreKind {
    let from_index = ctx.index().ok().and_then(|index| {
        let name = ctx.profile(&index).ok()?;
        index.profiles.get(&name).map(|info| info.store.into())
    });
    from_index
        .or(ctx.global.store)
        .unwrap_or(StoreKind::Keychain)
}

fn check_store(ctx: &Ctx, checks: &mut Vec<Check>) -> Option<Box<dyn SecretStore>> {
    const NAME: &str = "store";
    let kind = store_kind(ctx);
    let backend = match kind {
        StoreKind::Keychain => store::keychain::BACKEND.to_string(),
        StoreKind::File => format!(
            "file store {}",
            ctx.config_dir.join("credentials").display()
        ),
    };
    let opened = store::open(kind, &ctx.config_dir).and_then(|s| s.probe().map(|()| s));
    match opened {
        Ok(s) => {
            checks.push(Check::pass(
                NAME,
                format!("{backend} reachable (write, read back, delete)"),
            ));
            Some(s)
        }
        Err(e) => {
            let err = anyhow::Error::new(CliError::from(e));
            checks.push(Check::from_error(NAME, &err, "use --store file"));
            None
        }
    }
}

// ---- 2. profile ------------------------------------------------------------------------

fn check_profile(
    ctx: &Ctx,
    store: Option<&dyn SecretStore>,
    facts: &mut Facts,
    checks: &mut Vec<Check>,
) {
    const NAME: &str = "profile";
    let found = ctx.index().and_then(|index| {
        let (name, _) = ctx.existing_profile(&index)?;
        Ok(name)
    });
    let name = match found {
        Ok(name) => name,
        Err(e) => {
            let err = anyhow::Error::new(e);
            checks.push(Check::from_error(NAME, &err, "run `jira-auth init`"));
            return;
        }
    };
    facts.profile = Some(name.clone());
    let Some(store) = store else {
        checks.push(Check::skip(
            NAME,
            format!("'{name}' is in the index; its credentials cannot be read without the store"),
        ));
        return;
    };
    let cfg = match store.load(&name) {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            checks.push(Check::fail(
                NAME,
                Exit::AuthNeeded,
                format!(
                    "'{name}' is in the index but its credentials are missing from the {}",
                    store::kind_name(store.kind())
                ),
                format!("run `jira-auth init --force --profile {name}` to set it up again"),
            ));
            return;
        }
        Err(e) => {
            let err = anyhow::Error::new(CliError::from(e));
            checks.push(Check::from_error(
                NAME,
                &err,
                &format!("run `jira-auth init --force --profile {name}`"),
            ));
            return;
        }
    };
    let mut absent: Vec<&str> = Vec::new();
    let empty_secret = {
        use secrecy::ExposeSecret as _;
        cfg.client_secret.expose_secret().is_empty()
    };
    for (field, is_empty) in [
        ("client id", cfg.client_id.trim().is_empty()),
        ("client secret", empty_secret),
        ("requested scopes", cfg.scopes_requested.is_empty()),
        ("callback URL", cfg.redirect_uri.trim().is_empty()),
        ("site cloud id", cfg.site.cloud_id.trim().is_empty()),
        ("refresh token", cfg.refresh_token.is_none()),
    ] {
        if is_empty {
            absent.push(field);
        }
    }
    let check = if absent.is_empty() {
        Check::pass(
            NAME,
            format!(
                "'{name}' complete in the {}: client id {}, site {} ({})",
                store::kind_name(store.kind()),
                cfg.client_id,
                cfg.site.name,
                cfg.site.url
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
    checks.push(check);
    facts.cfg = Some(cfg);
}

// ---- 3. access token -------------------------------------------------------------------

fn check_token(ctx: &Ctx, facts: &mut Facts, checks: &mut Vec<Check>) {
    const NAME: &str = "token";
    let Some(stored) = &facts.cfg else {
        checks.push(Check::skip(NAME, "no readable profile"));
        return;
    };
    let before = stored.access_token_expires_at;
    // The same path as `token`: under the profile's lock, with the reuse-interval fallback,
    // so a doctor run can never be what logs the user out.
    match token::valid_config(ctx, MIN_TTL_SECS) {
        Ok((cfg, _)) => {
            let how = if cfg.access_token_expires_at != before {
                ", refreshed now"
            } else {
                ""
            };
            checks.push(Check::pass(
                NAME,
                format!(
                    "access token valid until {} ({}){how}",
                    // Whole seconds: this line is read by people.
                    rfc3339(
                        cfg.access_token_expires_at
                            .replace_nanosecond(0)
                            .unwrap_or(cfg.access_token_expires_at)
                    ),
                    relative(cfg.access_token_expires_at)
                ),
            ));
            facts.cfg = Some(cfg);
            facts.token_ok = true;
        }
        Err(e) => {
            facts.token_rejected = exit_of(&e) == Exit::AuthNeeded;
            let profile = facts.profile.clone().unwrap_or_default();
            checks.push(Check::from_error(
                NAME,
                &e,
                &format!("run `jira-auth login --profile {profile}`"),
            ));
        }
    }
}

// ---- 3b. kernel-keyring token cache ------------------------------------------------------

/// Whether `token` can answer from the kernel keyring (store::cache). Never a failure:
/// without the cache everything works, each `token` just costs a Secret Service round trip.
fn check_cache(ctx: &Ctx, facts: &Facts) -> Check {
    const NAME: &str = "cache";
    if !cfg!(target_os = "linux") {
        return Check::skip(NAME, "the kernel-keyring token cache exists on Linux only");
    }
    if store_kind(ctx) != StoreKind::Keychain {
        return Check::skip(NAME, "the file store needs no cache");
    }
    if !store::cache::enabled() {
        return Check::skip(NAME, "turned off by JIRA_AUTH_NO_CACHE");
    }
    let (Some(profile), Some(cfg), true) = (&facts.profile, &facts.cfg, facts.token_ok) else {
        return Check::skip(NAME, "no valid token to cache");
    };
    // Reading the profile (check 3) has just offered its token to the cache.
    match store::cache::get(&ctx.config_dir, profile) {
        Some(c) if c.expires_at >= cfg.access_token_expires_at => Check::pass(
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

// ---- 4. refresh token age --------------------------------------------------------------

fn check_refresh_age(facts: &Facts) -> Check {
    const NAME: &str = "refresh";
    let Some(cfg) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    if cfg.refresh_token.is_none() {
        return Check::skip(NAME, "no refresh token (see profile)");
    }
    // Its age says nothing once Atlassian has refused it.
    if facts.token_rejected {
        return Check::skip(NAME, "the refresh token was refused (see token)");
    }
    let p = &cfg.profile;
    let Some(issued) = cfg.refresh_token_issued_at else {
        return Check::warn(
            NAME,
            "the refresh token's age is unknown",
            format!(
                "`jira-auth token --profile {p} --min-ttl 3600 >/dev/null` refreshes it and records the date"
            ),
        );
    };
    let days = (OffsetDateTime::now_utc() - issued).whole_days();
    let expiry = token::INACTIVITY_EXPIRY_DAYS;
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
    } else if days > token::INACTIVITY_WARN_DAYS {
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

// ---- 5–7. live API calls ---------------------------------------------------------------

/// One runtime and one HTTP client for the API checks; setting either up failing is
/// recorded and turns every API check into a failure, not a crash.
struct Api {
    inner: Result<(tokio::runtime::Runtime, Http), String>,
}

impl Api {
    fn new() -> Api {
        let inner = super::runtime_and_http().map_err(|e| format!("{e:#}"));
        Api { inner }
    }

    /// The runtime and client, or the reason they could not be set up (as an error the
    /// check reports like any other HTTP failure).
    fn get(&self) -> Result<(&tokio::runtime::Runtime, &Http), ApiError> {
        match &self.inner {
            Ok((rt, http)) => Ok((rt, http)),
            Err(why) => Err(ApiError::Http(crate::oauth::http::HttpError::Setup(
                why.clone(),
            ))),
        }
    }
}

fn note_date<T>(facts: &mut Facts, answer: &Dated<T>) {
    if facts.date.is_none()
        && let Some(date) = answer.date
    {
        facts.date = Some((date, answer.received_at));
    }
}

fn token_of(facts: &Facts) -> Option<SecretString> {
    facts
        .cfg
        .as_ref()
        .filter(|_| facts.token_ok)
        .map(|c| c.access_token.clone())
}

/// An API error as a failed check: its exit code, message and hints.
fn api_failure(name: &'static str, e: ApiError, profile: &str) -> Check {
    let err = anyhow::Error::new(CliError::from(e));
    Check::from_error(
        name,
        &err,
        &format!("run `jira-auth login --profile {profile}`"),
    )
}

fn check_site(api: &Api, endpoints: &Endpoints, facts: &mut Facts) -> Check {
    const NAME: &str = "site";
    let (Some(token), Some(cfg)) = (token_of(facts), facts.cfg.as_ref()) else {
        return Check::skip(NAME, "no valid access token");
    };
    let (p, site) = (cfg.profile.clone(), cfg.site.clone());
    match api.get().and_then(|(rt, http)| {
        rt.block_on(atlassian::accessible_resources_dated(
            http, endpoints, &token,
        ))
    }) {
        Ok(answer) => {
            note_date(facts, &answer);
            let found = answer.value.iter().find(|r| r.id == site.cloud_id).cloned();
            let check = match &found {
                Some(r) => Check::pass(
                    NAME,
                    format!("{} ({}) is in accessible-resources", r.name, r.url),
                ),
                None => {
                    let others: Vec<String> = answer
                        .value
                        .iter()
                        .map(|r| format!("{} ({})", r.name, r.url))
                        .collect();
                    let covers = if others.is_empty() {
                        "no site at all".to_string()
                    } else {
                        others.join(", ")
                    };
                    Check::fail(
                        NAME,
                        Exit::AuthNeeded,
                        format!(
                            "{} ({}, cloud id {}) is no longer in accessible-resources; the grant covers {covers}",
                            site.name, site.url, site.cloud_id
                        ),
                        format!(
                            "run `jira-auth login --profile {p}` and grant access to the site on the consent page (if the app was removed from the site, a site admin must allow it again)"
                        ),
                    )
                }
            };
            facts.site = Some(found);
            check
        }
        Err(e) => api_failure(NAME, e, &p),
    }
}

fn check_myself(api: &Api, endpoints: &Endpoints, facts: &mut Facts) -> Check {
    const NAME: &str = "myself";
    let (Some(token), Some(cfg)) = (token_of(facts), facts.cfg.as_ref()) else {
        return Check::skip(NAME, "no valid access token");
    };
    if matches!(facts.site, Some(None)) {
        return Check::skip(NAME, "the site is not in accessible-resources");
    }
    let (p, cloud_id) = (cfg.profile.clone(), cfg.site.cloud_id.clone());
    let requested = cfg.scopes_requested.clone();
    match api
        .get()
        .and_then(|(rt, http)| rt.block_on(atlassian::myself(http, endpoints, &cloud_id, &token)))
    {
        Ok(answer) => {
            note_date(facts, &answer);
            Check::pass(
                NAME,
                format!(
                    "GET /rest/api/3/myself answers 200 (as {})",
                    answer.value.display_name
                ),
            )
        }
        Err(ApiError::ScopeMismatch(_)) => {
            let scope = MYSELF_SCOPE;
            Check::fail(
                NAME,
                Exit::ScopeCheck,
                format!(
                    "GET /rest/api/3/myself answered 401 \"scope does not match\": the token lacks {scope} (granular apps: read:user:jira)"
                ),
                format!(
                    "{}, then run `{}`",
                    cmp::fix_for(scope),
                    cmp::login_command(&p, &requested, &[scope.to_string()])
                ),
            )
        }
        Err(e) => api_failure(NAME, e, &p),
    }
}

fn check_me(api: &Api, endpoints: &Endpoints, facts: &mut Facts) -> Check {
    const NAME: &str = "me";
    let (Some(token), Some(cfg)) = (token_of(facts), facts.cfg.as_ref()) else {
        return Check::skip(NAME, "no valid access token");
    };
    if !cfg.scopes_granted.iter().any(|s| s == "read:me") {
        return Check::skip(
            NAME,
            "read:me is not granted (only needed for the User Identity API)",
        );
    }
    let p = cfg.profile.clone();
    let requested = cfg.scopes_requested.clone();
    match api
        .get()
        .and_then(|(rt, http)| rt.block_on(atlassian::me(http, endpoints, &token)))
    {
        Ok(answer) => {
            note_date(facts, &answer);
            Check::pass(
                NAME,
                format!("GET /me answers 200 (as {})", answer.value.name),
            )
        }
        Err(ApiError::ScopeMismatch(_)) => Check::fail(
            NAME,
            Exit::ScopeCheck,
            "GET /me answered 401 \"scope does not match\" although the token lists read:me",
            format!(
                "{}, then run `{}`",
                cmp::fix_for("read:me"),
                cmp::login_command(&p, &requested, &["read:me".to_string()])
            ),
        ),
        Err(e) => api_failure(NAME, e, &p),
    }
}

// ---- 8. scopes -------------------------------------------------------------------------

fn check_scopes(facts: &Facts) -> Check {
    const NAME: &str = "scopes";
    let Some(cfg) = &facts.cfg else {
        return Check::skip(NAME, "no readable profile");
    };
    let site = match &facts.site {
        Some(Some(r)) => SiteScopes::Listed(&r.scopes),
        Some(None) => SiteScopes::Gone,
        None => SiteScopes::Unknown,
    };
    let c = cmp::compare(
        &cfg.scopes_requested,
        &cfg.scopes_granted,
        cfg.refresh_token.is_some(),
        site,
    );
    let basis = if facts.token_ok {
        ""
    } else {
        " (from the stored token, which could not be renewed)"
    };
    let login = cmp::login_command(&cfg.profile, &cfg.scopes_requested, &c.missing);
    if !c.ok() {
        let fixes: Vec<String> = c.missing.iter().map(|m| cmp::fix_for(m)).collect();
        return Check::fail(
            NAME,
            Exit::ScopeCheck,
            format!("requested but not granted: {}{basis}", c.missing.join(", ")),
            format!("{}; then run `{login}`", fixes.join("; ")),
        );
    }
    // The site being gone is the site check's failure; repeating it here adds nothing.
    let notes: Vec<&String> = c
        .notes
        .iter()
        .filter(|_| !matches!(site, SiteScopes::Gone))
        .collect();
    if !notes.is_empty() {
        return Check::warn(
            NAME,
            format!(
                "all {} requested scopes granted, but {}",
                c.required.len(),
                notes
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            format!("run `{login}` to get a token that matches the grant"),
        );
    }
    Check::pass(
        NAME,
        format!("all {} requested scopes granted{basis}", c.required.len()),
    )
}

// ---- 9. clock --------------------------------------------------------------------------

fn check_clock(facts: &Facts) -> Check {
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

// ---- 10. callback port -----------------------------------------------------------------

fn check_callback_port(facts: &Facts) -> Check {
    const NAME: &str = "callback";
    let raw = facts
        .cfg
        .as_ref()
        .map(|c| c.redirect_uri.clone())
        .unwrap_or_else(|| DEFAULT_REDIRECT.to_string());
    let Ok(url) = Url::parse(&raw) else {
        return Check::warn(
            NAME,
            format!("the callback URL {raw} is not a URL"),
            "run `jira-auth init --force` with --port N or --redirect-uri URL",
        );
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let Some(addrs) = callback::loopback_addrs(&url) else {
        return Check::warn(
            NAME,
            format!("the callback URL {raw} is not on this machine"),
            "use a loopback callback URL (http://127.0.0.1:PORT/callback) in the console and `jira-auth init --force --port PORT`",
        );
    };
    // Every address `login` would listen on (both for localhost), bound and released at
    // once: only whether it could listen there now matters.
    // As in callback::Listener::bind: a missing address family is fine while another binds.
    let (mut bound, mut missing, mut taken) = (false, None, None);
    for ip in addrs {
        match TcpListener::bind((ip, port)) {
            Ok(_) => bound = true,
            Err(e) if callback::family_missing(&e) => missing = Some(e),
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

// ---- output ----------------------------------------------------------------------------

fn report(ctx: &Ctx, profile: Option<&str>, checks: &[Check]) -> anyhow::Result<()> {
    let ok = !checks.iter().any(|c| c.status == Status::Fail);
    if ctx.global.json {
        let list: Vec<_> = checks
            .iter()
            .map(|c| {
                json!({
                    "name": c.name,
                    "status": c.status.name(),
                    "detail": c.detail,
                    "fix": c.fix,
                })
            })
            .collect();
        print_json(&json!({ "profile": profile, "checks": list, "ok": ok }));
        return Ok(());
    }
    let unicode = crate::ui::unicode_locale();
    let mark_width = if unicode { 1 } else { 4 };
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        out.push_str(&format!(
            "{} {:<width$}  {}\n",
            c.status.mark(unicode),
            c.name,
            c.detail
        ));
        if let Some(fix) = &c.fix {
            out.push_str(&format!("{:mark_width$} {:<width$}  fix: {fix}\n", "", ""));
        }
    }
    write_stdout(crate::ui::plain(&out).as_bytes())
}

#[cfg(test)]
mod tests {
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
        assert_eq!(check_clock(&facts_with_date(2)).status, Status::Pass);
        assert_eq!(check_clock(&facts_with_date(-90)).status, Status::Warn);
        let far = check_clock(&facts_with_date(600));
        assert_eq!(far.status, Status::Fail);
        assert!(far.detail.contains("600 s ahead of"), "{}", far.detail);
        assert_eq!(check_clock(&Facts::default()).status, Status::Skip);
    }

    #[test]
    fn refresh_age_thresholds() {
        let now = OffsetDateTime::now_utc();
        let at = |days: i64| {
            let mut cfg = crate::store::tests::sample("p");
            cfg.refresh_token_issued_at = Some(now - time::Duration::days(days));
            let facts = Facts {
                cfg: Some(cfg),
                ..Facts::default()
            };
            check_refresh_age(&facts).status
        };
        assert_eq!(at(3), Status::Pass);
        assert_eq!(at(85), Status::Warn);
        assert_eq!(at(95), Status::Fail);
    }
}
