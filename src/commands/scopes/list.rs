//! `jira-auth scopes list`: the catalog as a table (stdout) or JSON, filtered by kind and a
//! search term. It reads nothing but the embedded catalog: no keychain, no network.
//!
//! No match is not an error (exit 0, an empty table or `[]`, and a note on stderr), as in
//! `gh`-style list commands: a search that finds nothing still answered the question.

use serde::Serialize;

use crate::cli::ScopesListArgs;
use crate::commands::{Ctx, Result};
use crate::scopes::{Api, CONSOLE_GROUPS, Kind, ScopeInfo, catalog};

pub(super) fn run(ctx: &Ctx, args: ScopesListArgs) -> Result {
    let term = args.search.as_deref().map(str::trim).unwrap_or("");
    let rows = select(&args, term);
    if rows.is_empty() {
        say!(ctx.ui, "no scopes match '{term}'");
    }
    if ctx.json {
        let scopes: Vec<Listed> = rows.iter().map(|s| Listed::of(s)).collect();
        ctx.ui.print_json(&Report { scopes });
        return Ok(());
    }
    if !rows.is_empty() {
        ctx.ui.print(&table(&rows))?;
    }
    Ok(())
}

/// The scopes to show, grouped as the console groups them (API, then tab; offline_access
/// last), each group in the catalog's order. `--classic` and `--granular` are console tabs,
/// so offline_access, which is on no tab, is only in the unfiltered list.
fn select(args: &ScopesListArgs, term: &str) -> Vec<&'static ScopeInfo> {
    let needle = term.to_lowercase();
    let wanted = |s: &ScopeInfo| {
        (!args.classic || (s.ticked() && s.kind == Kind::Classic))
            && (!args.granular || (s.ticked() && s.kind == Kind::Granular))
            && (needle.is_empty()
                || s.name.to_lowercase().contains(&needle)
                || s.description.to_lowercase().contains(&needle))
    };
    let groups = CONSOLE_GROUPS
        .iter()
        .copied()
        .chain([(Api::None, Kind::Classic)]);
    groups
        .flat_map(|(api, kind)| {
            catalog::all()
                .iter()
                .filter(move |s| s.api == api && s.kind == kind)
        })
        .filter(|s| wanted(s))
        .collect()
}

/// What the console calls the API, and the tab; `None` for offline_access, which has neither.
fn api_and_kind(s: &ScopeInfo) -> (Option<&'static str>, Option<&'static str>) {
    if s.ticked() {
        (Some(s.api.console_name()), Some(s.kind.as_str()))
    } else {
        (None, None)
    }
}

/// What `scopes list --json` prints.
#[derive(Serialize)]
struct Report {
    scopes: Vec<Listed>,
}

/// One scope as `scopes list --json` prints it.
#[derive(Serialize)]
struct Listed {
    name: &'static str,
    description: &'static str,
    api: Option<&'static str>,
    kind: Option<&'static str>,
}

impl Listed {
    fn of(s: &ScopeInfo) -> Listed {
        let (api, kind) = api_and_kind(s);
        Listed {
            name: s.name,
            description: s.description,
            api,
            kind,
        }
    }
}

/// Aligned columns NAME, KIND, API, DESCRIPTION, with a blank line between console groups.
fn table(rows: &[&ScopeInfo]) -> String {
    let cells: Vec<[&str; 4]> = rows
        .iter()
        .map(|s| {
            let (api, kind) = api_and_kind(s);
            [
                s.name,
                kind.unwrap_or("-"),
                api.unwrap_or("-"),
                s.description,
            ]
        })
        .collect();
    let header = ["NAME", "KIND", "API", "DESCRIPTION"];
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let (w0, w1, w2) = (width(0), width(1), width(2));
    let line = |c: [&str; 4]| format!("{:<w0$}  {:<w1$}  {:<w2$}  {}\n", c[0], c[1], c[2], c[3]);
    let mut out = line(header);
    let mut group = None;
    for (s, c) in rows.iter().zip(cells) {
        if group.is_some_and(|g| g != (s.api, s.kind)) {
            out.push('\n');
        }
        group = Some((s.api, s.kind));
        out.push_str(&line(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(classic: bool, granular: bool) -> ScopesListArgs {
        ScopesListArgs {
            classic,
            granular,
            search: None,
            output: Default::default(),
        }
    }

    #[test]
    fn filters_by_tab_and_term() {
        assert_eq!(select(&args(false, false), "").len(), catalog::all().len());
        let classic = select(&args(true, false), "");
        assert_eq!(classic.len(), 9);
        assert!(
            classic
                .iter()
                .all(|s| s.kind == Kind::Classic && s.ticked())
        );
        let granular = select(&args(false, true), "");
        assert_eq!(granular.len(), 202);
        let worklog = select(&args(false, false), "WorkLog");
        assert!(worklog.len() >= 6);
        assert!(worklog.iter().all(|s| {
            s.name.contains("worklog") || s.description.to_lowercase().contains("worklog")
        }));
        assert!(select(&args(false, false), "no-such-thing").is_empty());
    }

    #[test]
    fn table_is_aligned_and_grouped() {
        let rows = select(&args(false, false), "");
        let text = table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME "));
        let desc_col = lines[0].find("DESCRIPTION").unwrap();
        let read_work = lines
            .iter()
            .find(|l| l.starts_with("read:jira-work "))
            .unwrap();
        assert_eq!(
            &read_work[desc_col..],
            crate::scopes::lookup("read:jira-work").unwrap().description
        );
        // Four groups: Jira classic, Jira granular, User Identity, offline_access.
        assert_eq!(lines.iter().filter(|l| l.is_empty()).count(), 3);
        assert!(lines.last().unwrap().starts_with("offline_access "));
    }
}
