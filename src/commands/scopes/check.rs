//! `jira-auth scopes check`: required scopes against those granted to the profile's current
//! token and listed for its site; exit 4 when any is missing.

use serde::Serialize;

use crate::cli::ScopesCheckArgs;
use crate::commands::{Ctx, Result, fix_for, login_command, note_text};
use crate::error::{CliError, Code, Exit};
use crate::profile::RENEWAL_MARGIN;
use crate::scopes::check::{self as cmp, Comparison, SiteScopes};
use crate::scopes::{self, OFFLINE_ACCESS, ScopeError, Unknown};
use crate::store::{AuthConfig, Method, Site};

/// What `scopes check --json` prints; the table and the notes are made from it.
#[derive(Serialize)]
struct Report {
    profile: String,
    site: SiteInReport,
    required: Vec<String>,
    granted: Vec<String>,
    missing: Vec<String>,
    extra: Vec<String>,
    notes: Vec<String>,
    /// One per missing scope.
    fixes: Vec<String>,
    /// The `login` to run, when something is missing (`null` when all is well).
    login: Option<String>,
    /// That `login`, whether or not it is needed.
    #[serde(skip)]
    login_command: String,
    ok: bool,
}

#[derive(Serialize)]
struct SiteInReport {
    #[serde(flatten)]
    site: Site,
    /// `None` when accessible-resources could not be read.
    in_accessible_resources: Option<bool>,
}

pub(super) fn run(ctx: &Ctx, args: ScopesCheckArgs) -> Result {
    let data_center = ctx
        .profiles
        .find(ctx.wanted())
        .is_ok_and(|f| f.info.site.is_data_center());
    let required = match args.require.as_deref() {
        Some(list) if data_center => Some(scopes::datacenter::parse_request(list)?),
        Some(list) => Some(parse_required(list, &profile_scopes(ctx))?),
        None => None,
    };
    let cfg = ctx.told(ctx.session()?.valid_config(RENEWAL_MARGIN)?);
    let (report, comparison) = compute(ctx, &cfg, required)?;
    if ctx.json {
        ctx.ui.print_json(&report);
    } else {
        render(ctx, &report, &comparison)?;
    }
    verdict(&report)
}

/// Required against granted, with accessible-resources as the second witness: without an
/// answer the token alone decides, and the user is told that the site could not be
/// confirmed. Atlassian refusing the token is an answer, not a missing one: nothing is
/// granted then, and the command fails as `sites` does.
fn compute(
    ctx: &Ctx,
    cfg: &AuthConfig,
    required: Option<Vec<String>>,
) -> Result<(Report, Comparison)> {
    let c = &cfg.credential;
    let required = required.unwrap_or_else(|| c.scopes_requested().to_vec());
    match c.method() {
        Method::ApiToken | Method::Pat => {
            return Err(CliError::usage(format!(
                "scopes check does not apply to profile '{}': {}",
                cfg.profile,
                if c.method() == Method::Pat {
                    "a personal access token has no scopes, only its user's permissions in Jira"
                } else {
                    "Atlassian does not say which scopes an API token has (a classic one has the account's permissions; a scoped one's were chosen at id.atlassian.com)"
                }
            ))
            .hint(format!(
                "`jira-auth doctor --profile {}` checks that the credential works",
                cfg.profile
            )));
        }
        Method::OAuth | Method::ServiceAccount | Method::Composio => {}
    }
    if cfg.site.is_data_center() {
        return Ok(compute_data_center(cfg, required));
    }
    if c.method() == Method::ServiceAccount {
        return Ok(compute_service_account(cfg, required));
    }
    let (site, site_note) = match ctx.accessible_resources(c.secret().0) {
        Ok(resources) => (
            resources.into_iter().find(|r| r.id == cfg.site.cloud_id),
            None,
        ),
        Err(e) if e.exit() == Exit::AuthNeeded => return Err(e),
        Err(e) => (
            None,
            Some(format!(
                "accessible-resources could not be read ({}); only the token's scopes were compared",
                e.message()
            )),
        ),
    };
    let site_scopes = match (&site, &site_note) {
        (Some(r), _) => SiteScopes::Listed(&r.scopes),
        (None, None) => SiteScopes::Gone,
        (None, Some(_)) => SiteScopes::Unknown,
    };
    let comparison = cmp::compare(
        &required,
        c.scopes_granted(),
        c.has_refresh_token(),
        site_scopes,
    );
    let in_accessible_resources = match site_scopes {
        SiteScopes::Listed(_) => Some(true),
        SiteScopes::Gone => Some(false),
        SiteScopes::Unknown => None,
    };
    // A site the grant no longer covers has no scope granted, whatever the token lists:
    // every API call to it fails, so "all granted" would be a lie.
    let ok = comparison.ok() && in_accessible_resources != Some(false);
    let mut notes: Vec<String> = comparison.notes.iter().map(note_text).collect();
    notes.extend(site_note);
    let login = login_command(&cfg.profile, c.scopes_requested(), &comparison.missing);
    let report = Report {
        profile: cfg.profile.clone(),
        site: SiteInReport {
            site: cfg.site.clone(),
            in_accessible_resources,
        },
        required: comparison.required.clone(),
        granted: comparison.granted.clone(),
        missing: comparison.missing.clone(),
        extra: comparison.extra.clone(),
        notes,
        fixes: comparison.missing.iter().map(|m| fix_for(m)).collect(),
        login: (!ok).then(|| login.clone()),
        login_command: login,
        ok,
    };
    Ok((report, comparison))
}

/// A Cloud service account: its scopes are those its last token came with (set in
/// admin.atlassian.com, not asked for), and its site was given at init: accessible-resources
/// lists OAuth grants' sites, and is not asked.
fn compute_service_account(cfg: &AuthConfig, required: Vec<String>) -> (Report, Comparison) {
    let c = &cfg.credential;
    let comparison = cmp::compare(&required, c.scopes_granted(), false, SiteScopes::Unknown);
    let ok = comparison.ok();
    let login = format!(
        "jira-auth init --force --method service-account --profile {}",
        cfg.profile
    );
    let report = Report {
        profile: cfg.profile.clone(),
        site: SiteInReport {
            site: cfg.site.clone(),
            in_accessible_resources: None,
        },
        required: comparison.required.clone(),
        granted: comparison.granted.clone(),
        missing: comparison.missing.clone(),
        extra: comparison.extra.clone(),
        notes: vec![
            "a service account's scopes are those its token came with; its site was given at init (accessible-resources lists OAuth grants' sites, and is not asked)".into(),
        ],
        fixes: comparison
            .missing
            .iter()
            .map(|m| format!("{m}: add it to the service account's credential in admin.atlassian.com (Directory → Service accounts), then `{login}`"))
            .collect(),
        login: (!ok).then(|| login.clone()),
        login_command: login,
        ok,
    };
    (report, comparison)
}

/// Data Center: no accessible-resources and no offline_access; a granted scope includes
/// those before it (WRITE reads too), and what is missing is the application link's
/// permission (or the consent) to widen.
fn compute_data_center(cfg: &AuthConfig, required: Vec<String>) -> (Report, Comparison) {
    let c = &cfg.credential;
    let granted = scopes::datacenter::implied(c.scopes_granted());
    let comparison = cmp::compare(&required, &granted, false, SiteScopes::Unknown);
    let login = login_command(&cfg.profile, c.scopes_requested(), &comparison.missing);
    let ok = comparison.ok();
    let report = Report {
        profile: cfg.profile.clone(),
        site: SiteInReport {
            site: cfg.site.clone(),
            in_accessible_resources: None,
        },
        required: comparison.required.clone(),
        granted: comparison.granted.clone(),
        missing: comparison.missing.clone(),
        extra: comparison.extra.clone(),
        notes: Vec::new(),
        fixes: comparison
            .missing
            .iter()
            .map(|m| {
                format!(
                    "{m}: the incoming application link's permission must allow it (a Jira administrator sets it: Administration → Applications → Application links), and the user must be allowed it in Jira"
                )
            })
            .collect(),
        login: (!ok).then(|| login.clone()),
        login_command: login,
        ok,
    };
    (report, comparison)
}

/// The table on stdout; notes and fixes on stderr.
fn render(ctx: &Ctx, report: &Report, comparison: &Comparison) -> Result {
    ctx.ui.print(&ctx.ui.plain(&table(comparison)))?;
    for n in &report.notes {
        say!(ctx.ui, "note: {n}");
    }
    if !report.missing.is_empty() {
        ctx.ui.say("to fix:");
        for f in &report.fixes {
            say!(ctx.ui, "  {f}");
        }
        say!(
            ctx.ui,
            "  then run `{}` to consent again",
            report.login_command
        );
    }
    Ok(())
}

/// The exit code: 3 when the site is gone from the grant, 4 when a scope is missing.
fn verdict(report: &Report) -> Result {
    let (profile, site, login) = (&report.profile, &report.site.site, &report.login_command);
    if report.site.in_accessible_resources == Some(false) {
        return Err(CliError::new(
            Code::SiteNotInGrant,
            format!(
                "the site of profile '{profile}', {} ({}), is no longer in accessible-resources: no scope is granted for it",
                site.name, site.url
            ),
        )
        .hint(format!(
            "run `{login}` and grant access to the site on the consent page (if the app was removed from the site, a site admin must allow it again)"
        )));
    }
    if report.ok {
        return Ok(());
    }
    let missing = &report.missing;
    Err(CliError::new(
        Code::ScopeMissing,
        format!(
            "{} required scope{} not granted to profile '{profile}': {}",
            missing.len(),
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join(", ")
        ),
    ))
}

/// The scopes the profile requested or was granted, from the index (no keychain, no
/// network): names there that the catalog does not know came in with
/// `--allow-unknown-scopes` or from Atlassian, so `--require` may name them too.
fn profile_scopes(ctx: &Ctx) -> Vec<String> {
    match ctx.profiles.find(ctx.wanted()) {
        Ok(found) => found
            .info
            .scopes_requested
            .iter()
            .chain(&found.info.scopes_granted)
            .cloned()
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `--require LIST`: split and checked like every scope list, but offline_access only when
/// the user named it (parse_request adds it for consent, where it is always wanted). A name
/// the catalog does not know is a usage error unless it is among `known_to_profile`.
fn parse_required(
    list: &str,
    known_to_profile: &[String],
) -> std::result::Result<Vec<String>, ScopeError> {
    let named: Vec<&str> = list
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if !named.is_empty() && named.iter().all(|s| *s == OFFLINE_ACCESS) {
        return Ok(vec![OFFLINE_ACCESS.to_string()]);
    }
    let request = scopes::parse_request(list, Unknown::Allow)?;
    let strangers: Vec<String> = request
        .unknown
        .into_iter()
        .filter(|u| !known_to_profile.contains(u))
        .collect();
    if !strangers.is_empty() {
        return Err(ScopeError::Unknown {
            names: strangers,
            policy: Unknown::Refuse,
        });
    }
    let mut parsed = request.scopes;
    if !named.contains(&OFFLINE_ACCESS) {
        parsed.retain(|s| s != OFFLINE_ACCESS);
    }
    Ok(parsed)
}

/// The table, with columns as wide as their longest cell.
pub(super) fn table(c: &Comparison) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let width = c
        .rows
        .iter()
        .map(|r| r.scope.chars().count())
        .max()
        .unwrap_or(0)
        .max("SCOPE".len());
    let mut out = format!(
        "{:<width$}  REQUIRED  GRANTED  STATUS\n",
        "SCOPE",
        width = width
    );
    for r in &c.rows {
        out.push_str(&format!(
            "{:<width$}  {:<8}  {:<7}  {}\n",
            r.scope,
            yes_no(r.required),
            yes_no(r.granted),
            r.status(),
            width = width
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_list_keeps_offline_access_only_when_named() {
        assert_eq!(
            parse_required("read:jira-work, write:jira-work", &[]).unwrap(),
            ["read:jira-work", "write:jira-work"]
        );
        assert_eq!(
            parse_required("offline_access read:me", &[]).unwrap(),
            ["offline_access", "read:me"]
        );
        assert_eq!(
            parse_required("offline_access", &[]).unwrap(),
            ["offline_access"]
        );
        assert!(parse_required("read jira", &[]).is_err());
        assert!(parse_required(" , ", &[]).is_err());
        // An unknown name only when the profile has it.
        let e = parse_required("read:jira-work read:new:jira", &[]).unwrap_err();
        assert_eq!(
            e,
            ScopeError::Unknown {
                names: vec!["read:new:jira".into()],
                policy: Unknown::Refuse
            }
        );
        assert_eq!(
            parse_required("read:jira-work read:new:jira", &["read:new:jira".into()]).unwrap(),
            ["read:jira-work", "read:new:jira"]
        );
    }

    #[test]
    fn table_aligns_columns() {
        let req = vec!["read:jira-work".to_string(), "write:jira-work".to_string()];
        let c = cmp::compare(&req, &req[..1], true, SiteScopes::Unknown);
        let t = table(&c);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[0], "SCOPE            REQUIRED  GRANTED  STATUS");
        assert_eq!(lines[1], "read:jira-work   yes       yes      ok");
        assert_eq!(lines[2], "write:jira-work  yes       no       MISSING");
        assert_eq!(lines[3], "offline_access   no        yes      extra");
    }
}
