//! `jira-auth sites` and `jira-auth sites use SITE`: the sites the profile's grant covers, and
//! moving the profile to another of them without a new consent.
//!
//! One grant (one refresh token) can cover several sites: all of the user's sites for an
//! account-level grant, the ones picked on the consent page for a resource-level grant. The
//! profile's site only decides which cloud id `token --json`, `exec` and `status` report, so
//! switching among covered sites needs no new token, only a careful rewrite of the stored
//! profile.

use serde::Serialize;

use super::{Ctx, Result};
use crate::atlassian::{self, Resource};
use crate::cli::{SitesArgs, SitesCommand};
use crate::error::{CliError, Code};
use crate::profile::RENEWAL_MARGIN;
use crate::store::{AuthConfig, Method, Site};

/// The SCOPES column is cut to about this many characters; `--json` has the full lists.
const SCOPES_WIDTH: usize = 48;

pub(crate) fn run(ctx: &Ctx, args: SitesArgs) -> Result {
    let found = ctx.profiles.find(ctx.wanted())?;
    if found.info.site.is_data_center() {
        return Err(CliError::usage(format!(
            "profile '{}' is of the Jira Data Center instance {}: a Data Center site is its base URL, and there is no list of sites to choose from",
            found.name, found.info.site.url
        ))
        .hint("for another instance, set up another profile: `jira-auth init --profile NAME --site URL`"));
    }
    if found.info.method != Method::OAuth {
        let method = found.info.method.as_str();
        return Err(CliError::new(
            Code::MethodMismatch,
            format!(
            "profile '{}' uses {method}: its one site was chosen at init, and accessible-resources (the list of sites a grant covers) is for OAuth apps",
            found.name
        ))
        .hint(format!(
            "for another site, set it up again: `jira-auth init --force --profile {} --method {method} --site SITE`",
            found.name
        )));
    }
    match args.command {
        None => list(ctx),
        Some(SitesCommand::Use(a)) => switch(ctx, &a.site),
    }
}

/// What `sites --json` prints.
#[derive(Serialize)]
struct Listed<'a> {
    profile: &'a str,
    sites: Vec<Covered<'a>>,
}

/// One covered site, as `sites --json` lists it.
#[derive(Serialize)]
struct Covered<'a> {
    cloud_id: &'a str,
    name: &'a str,
    url: &'a str,
    scopes: &'a [String],
    current: bool,
}

fn list(ctx: &Ctx) -> Result {
    let cfg = ctx.told(ctx.session()?.valid_config(RENEWAL_MARGIN)?);
    let resources = ctx.accessible_resources(cfg.credential.secret().0)?;
    let current = &cfg.site.cloud_id;
    if resources.is_empty() {
        say!(
            ctx.ui,
            "the grant of profile '{}' covers no Jira site; run `jira-auth login` and pick a site on the consent page",
            cfg.profile
        );
    } else if !resources.iter().any(|r| &r.id == current) {
        say!(
            ctx.ui,
            "note: the profile's site {} ({}) is no longer covered by its grant: choose another with `jira-auth sites use SITE`, or consent again with `jira-auth login --site {}`",
            cfg.site.name,
            cfg.site.url,
            cfg.site.name
        );
    }
    if ctx.json {
        let report = Listed {
            profile: &cfg.profile,
            sites: resources
                .iter()
                .map(|r| Covered {
                    cloud_id: &r.id,
                    name: &r.name,
                    url: &r.url,
                    scopes: &r.scopes,
                    current: &r.id == current,
                })
                .collect(),
        };
        ctx.ui.print_json(&report);
        return Ok(());
    }
    if !resources.is_empty() {
        ctx.ui.print(&table(&resources, current))?;
    }
    Ok(())
}

#[derive(Serialize)]
struct Switched<'a> {
    profile: &'a str,
    site: &'a Site,
}

fn switch(ctx: &Ctx, wanted: &str) -> Result {
    atlassian::check_site_form(wanted)?;
    let cfg = ctx.told(ctx.session()?.valid_config(RENEWAL_MARGIN)?);
    let resources = ctx.accessible_resources(cfg.credential.secret().0)?;
    let target = pick(&resources, wanted, &cfg)?;
    // The same servers: `sites use` moves a grant between the sites it covers.
    let new_site = Site::cloud(
        target.id.clone(),
        target.url.clone(),
        target.name.clone(),
        crate::oauth::AuthServer::record(ctx.endpoints()),
    );
    let profile = cfg.profile.clone();
    // The token above may have been refreshed since: the profile layer rewrites the config
    // as it is under the lock, never this copy. The cached token gets the new site with it,
    // so `token` answered from the cache reports it at once.
    drop(cfg);
    let mut old_site = None;
    let cfg = ctx.profiles.update(&profile, |cfg| {
        old_site = Some(cfg.site.clone());
        let changed = cfg.site != new_site;
        cfg.site = new_site.clone();
        changed
    })?;
    let old_site = old_site.expect("update ran the change");

    let describe = |s: &Site| format!("{}  {}  (cloud id {})", s.name, s.url, s.cloud_id);
    if old_site != cfg.site {
        say!(ctx.ui, "Profile '{profile}' changed site:");
        say!(ctx.ui, "  from  {}", describe(&old_site));
        say!(ctx.ui, "  to    {}", describe(&cfg.site));
    } else {
        say!(
            ctx.ui,
            "Profile '{profile}' already uses {}; nothing changed",
            describe(&cfg.site)
        );
    }
    if ctx.json {
        ctx.ui.print_json(&Switched {
            profile: &profile,
            site: &cfg.site,
        });
    }
    Ok(())
}

/// The one covered site SITE names, matched as `--site` is in `init` and `login`.
fn pick<'a>(resources: &'a [Resource], wanted: &str, cfg: &AuthConfig) -> Result<&'a Resource> {
    if resources.is_empty() {
        return Err(CliError::new(
            Code::SiteNotInGrant,
            format!("the grant of profile '{}' covers no Jira site", cfg.profile),
        )
        .hint(format!(
            "run `jira-auth login --profile {} --site {wanted}` and pick the site on the consent page",
            cfg.profile
        )));
    }
    let found: Vec<&Resource> = resources
        .iter()
        .filter(|r| atlassian::matches(r, wanted))
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::new(
            Code::SiteNotFound,
            format!(
            "no site covered by the grant of profile '{}' matches '{wanted}'; it covers:\n{}",
            cfg.profile,
            site_lines(resources.iter(), &cfg.site.cloud_id)
        ))
        .hint(format!(
            "a site outside the grant needs a new consent: `jira-auth login --profile {} --site {wanted}` (with a resource-level grant, pick the site on the consent page)",
            cfg.profile
        ))),
        several => Err(CliError::new(
            Code::SiteAmbiguous,
            format!(
            "'{wanted}' matches {} sites covered by the grant of profile '{}':\n{}",
            several.len(),
            cfg.profile,
            site_lines(several.iter().copied(), &cfg.site.cloud_id)
        ))
        .hint("name the site by its URL or cloud id")),
    }
}

fn site_lines<'a>(sites: impl Iterator<Item = &'a Resource> + Clone, current: &str) -> String {
    sites
        .clone()
        .zip(atlassian::describe_all(sites))
        .map(|(r, line)| {
            let mark = if r.id == current { "  (current)" } else { "" };
            format!("  {line}{mark}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Aligned columns, `*` before the profile's site.
fn table(resources: &[Resource], current: &str) -> String {
    let rows: Vec<[String; 5]> = resources
        .iter()
        .map(|r| {
            [
                if r.id == current { "*" } else { " " }.to_string(),
                r.name.clone(),
                r.url.clone(),
                r.id.clone(),
                short_scopes(&r.scopes, SCOPES_WIDTH),
            ]
        })
        .collect();
    let header = [" ", "NAME", "URL", "CLOUD ID", "SCOPES"].map(String::from);
    let width = |i: usize| {
        rows.iter()
            .chain([&header])
            .map(|r| r[i].chars().count())
            .max()
            .unwrap_or(0)
    };
    let (w1, w2, w3) = (width(1), width(2), width(3));
    let line = |r: &[String; 5]| {
        format!(
            "{} {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0], r[1], r[2], r[3], r[4]
        )
        .trim_end()
        .to_string()
            + "\n"
    };
    std::iter::once(&header).chain(&rows).map(line).collect()
}

/// The scopes that fit in about `width` characters, then how many more there are.
fn short_scopes(scopes: &[String], width: usize) -> String {
    if scopes.is_empty() {
        return "-".into();
    }
    let mut out = String::new();
    for (i, s) in scopes.iter().enumerate() {
        let more = format!(" +{} more", scopes.len() - i);
        let sep = if out.is_empty() { "" } else { " " };
        let last = i + 1 == scopes.len();
        // The last name may use the room the "+N more" would have taken.
        let room = if last {
            width
        } else {
            width.saturating_sub(more.len())
        };
        if i > 0 && out.len() + sep.len() + s.len() > room {
            out.push_str(&more);
            return out;
        }
        out.push_str(sep);
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    fn res(id: &str, name: &str, scopes: &[&str]) -> Resource {
        Resource {
            id: id.into(),
            name: name.into(),
            url: format!("https://{name}.atlassian.net"),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            avatar_url: None,
        }
    }

    fn cfg_on(cloud_id: &str) -> AuthConfig {
        let mut cfg = crate::store::model::tests::sample("p");
        cfg.site.cloud_id = cloud_id.into();
        cfg
    }

    #[test]
    fn table_marks_the_current_site_and_aligns_columns() {
        let sites = [
            res("id-1", "acme", &["read:jira-work"]),
            res("id-22", "beta", &[]),
        ];
        let t = table(&sites, "id-22");
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines,
            [
                "  NAME  URL                         CLOUD ID  SCOPES",
                "  acme  https://acme.atlassian.net  id-1      read:jira-work",
                "* beta  https://beta.atlassian.net  id-22     -",
            ]
        );
    }

    #[test]
    fn long_scope_lists_are_cut_with_a_count() {
        let scopes: Vec<String> = [
            "read:jira-work",
            "read:jira-user",
            "write:jira-work",
            "manage:jira-project",
            "read:me",
        ]
        .map(String::from)
        .to_vec();
        let s = short_scopes(&scopes, 48);
        assert_eq!(s, "read:jira-work read:jira-user +3 more");
        assert!(s.len() <= 48);
        assert_eq!(
            short_scopes(&scopes[..3], 48),
            "read:jira-work read:jira-user write:jira-work"
        );
        // One name always shows, however long.
        assert_eq!(short_scopes(&scopes[..2], 5), "read:jira-work +1 more");
        assert_eq!(short_scopes(&[], 48), "-");
    }

    #[test]
    fn pick_matches_like_site_and_explains_misses() {
        let sites = [res("id-a", "acme", &[]), res("id-b", "beta", &[])];
        let cfg = cfg_on("id-a");
        assert_eq!(pick(&sites, "beta", &cfg).unwrap().id, "id-b");
        assert_eq!(
            pick(&sites, "https://beta.atlassian.net", &cfg).unwrap().id,
            "id-b"
        );
        assert_eq!(pick(&sites, "id-b", &cfg).unwrap().id, "id-b");

        let e = pick(&sites, "gamma", &cfg).unwrap_err();
        assert_eq!(e.exit(), Exit::Usage);
        assert!(
            e.message()
                .contains("acme  https://acme.atlassian.net  (cloud id id-a)  (current)"),
            "{}",
            e.message()
        );
        assert!(e.message().contains("beta  https://beta.atlassian.net"));
        assert!(
            e.hints()
                .iter()
                .any(|h| h.contains("jira-auth login --profile p --site gamma"))
        );

        // Two sites can share a name on different hosts; the URL tells them apart.
        let mut twins = sites.to_vec();
        twins[1].name = "acme".into();
        let e = pick(&twins, "acme", &cfg).unwrap_err();
        assert_eq!(e.exit(), Exit::Usage);
        assert!(e.message().contains("matches 2 sites"), "{}", e.message());

        assert_eq!(
            pick(&[], "acme", &cfg).unwrap_err().exit(),
            Exit::AuthNeeded
        );
    }
}
