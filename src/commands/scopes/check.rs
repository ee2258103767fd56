//! `jira-auth scopes check`: required scopes against those granted to the profile's current
//! token and listed for its site; exit 4 when any is missing.

use serde_json::json;

use crate::atlassian::{self, Resource};
use crate::cli::ScopesCheckArgs;
use crate::commands::{Ctx, print_json, token, write_stdout};
use crate::error::{CliError, Exit};
use crate::say;
use crate::scopes::check::{self as cmp, Comparison, SiteScopes};
use crate::scopes::{self, OFFLINE_ACCESS, Unknown};

/// The token must outlive the accessible-resources call; the same margin as `token`.
const MIN_TTL_SECS: u64 = 60;

pub fn run(ctx: &Ctx, args: ScopesCheckArgs) -> anyhow::Result<()> {
    let required_arg = match args.require.as_deref() {
        Some(list) => Some(parse_required(list, &profile_scopes(ctx))?),
        None => None,
    };
    let (cfg, endpoints) = token::valid_config(ctx, MIN_TTL_SECS)?;
    let required = required_arg.unwrap_or_else(|| cfg.scopes_requested.clone());

    // accessible-resources is the second witness: without an answer the token alone decides,
    // and the user is told that the site could not be confirmed.
    let (site, site_note) = match fetch_resources(&cfg.access_token, &endpoints) {
        Ok(resources) => match resources.into_iter().find(|r| r.id == cfg.site.cloud_id) {
            Some(r) => (Some(r), None),
            None => (None, None),
        },
        Err(e) => (
            None,
            Some(format!(
                "accessible-resources could not be read ({e}); only the token's scopes were compared"
            )),
        ),
    };
    let site_scopes = match (&site, &site_note) {
        (Some(r), _) => SiteScopes::Listed(&r.scopes),
        (None, None) => SiteScopes::Gone,
        (None, Some(_)) => SiteScopes::Unknown,
    };
    let c = cmp::compare(
        &required,
        &cfg.scopes_granted,
        cfg.refresh_token.is_some(),
        site_scopes,
    );
    let mut notes = c.notes.clone();
    notes.extend(site_note);
    let login = cmp::login_command(&cfg.profile, &cfg.scopes_requested, &c.missing);
    // A site the grant no longer covers has no scope granted, whatever the token lists:
    // every API call to it fails, so "all granted" would be a lie.
    let site_gone = matches!(site_scopes, SiteScopes::Gone);
    let ok = c.ok() && !site_gone;

    if ctx.global.json {
        print_json(&json!({
            "profile": cfg.profile,
            "site": {
                "name": cfg.site.name,
                "url": cfg.site.url,
                "cloud_id": cfg.site.cloud_id,
                "in_accessible_resources": match site_scopes {
                    SiteScopes::Listed(_) => Some(true),
                    SiteScopes::Gone => Some(false),
                    SiteScopes::Unknown => None,
                },
            },
            "required": c.required,
            "granted": c.granted,
            "missing": c.missing,
            "extra": c.extra,
            "notes": notes,
            "fixes": c.missing.iter().map(|m| cmp::fix_for(m)).collect::<Vec<_>>(),
            "login": (!ok).then_some(&login),
            "ok": ok,
        }));
    } else {
        write_stdout(crate::ui::plain(&table(&c)).as_bytes())?;
        for n in &notes {
            say!("note: {n}");
        }
        if !c.ok() {
            say!("to fix:");
            for m in &c.missing {
                say!("  {}", cmp::fix_for(m));
            }
            say!("  then run `{login}` to consent again");
        }
    }
    if site_gone {
        return Err(CliError::new(
            Exit::AuthNeeded,
            format!(
                "the site of profile '{}', {} ({}), is no longer in accessible-resources: no scope is granted for it",
                cfg.profile, cfg.site.name, cfg.site.url
            ),
        )
        .hint(format!(
            "run `{login}` and grant access to the site on the consent page (if the app was removed from the site, a site admin must allow it again)"
        ))
        .into());
    }
    if ok {
        return Ok(());
    }
    Err(CliError::new(
        Exit::ScopeCheck,
        format!(
            "{} required scope{} not granted to profile '{}': {}",
            c.missing.len(),
            if c.missing.len() == 1 { " is" } else { "s are" },
            cfg.profile,
            c.missing.join(", ")
        ),
    )
    .into())
}

/// The scopes the profile requested or was granted, from the index (no keychain, no
/// network): names there that the catalog does not know came in with
/// `--allow-unknown-scopes` or from Atlassian, so `--require` may name them too.
fn profile_scopes(ctx: &Ctx) -> Vec<String> {
    let Ok(index) = ctx.index() else {
        return Vec::new();
    };
    match ctx.existing_profile(&index) {
        Ok((_, info)) => info
            .scopes_requested
            .iter()
            .chain(&info.scopes_granted)
            .cloned()
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// `--require LIST`: split and checked like every scope list, but offline_access only when
/// the user named it (parse_request adds it for consent, where it is always wanted). A name
/// the catalog does not know is a usage error unless it is among `known_to_profile`.
fn parse_required(list: &str, known_to_profile: &[String]) -> Result<Vec<String>, CliError> {
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
        return Err(scopes::unknown_scopes(&strangers, Unknown::Refuse));
    }
    let mut parsed = request.scopes;
    if !named.contains(&OFFLINE_ACCESS) {
        parsed.retain(|s| s != OFFLINE_ACCESS);
    }
    Ok(parsed)
}

fn fetch_resources(
    token: &secrecy::SecretString,
    endpoints: &crate::oauth::Endpoints,
) -> anyhow::Result<Vec<Resource>> {
    let (rt, http) = crate::commands::runtime_and_http()?;
    Ok(rt.block_on(atlassian::accessible_resources(&http, endpoints, token))?)
}

/// The table, with columns as wide as their longest cell.
pub fn table(c: &Comparison) -> String {
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
        assert!(
            e.message.starts_with("unknown scope 'read:new:jira'"),
            "{}",
            e.message
        );
        assert!(!e.hints.iter().any(|h| h.contains("--allow-unknown-scopes")));
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
