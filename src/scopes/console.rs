//! The developer console in words: the checklist for exactly the scopes requested, where
//! each scope is ticked, the presets as the wizard shows them. Text about Atlassian's
//! console, never about jira-auth's own commands (the command line says those).

use std::fmt::Write as _;

use super::presets::PRESETS;
use super::{ADVISED_MAX, Api, CONSOLE_GROUPS, Kind, OFFLINE_ACCESS, classify, lookup};

/// The presets as the wizard shows them before asking: name, summary, and the exact scopes.
pub(crate) fn presets_overview() -> String {
    let mut out = String::from("Scope presets (each also gets offline_access):\n");
    for p in PRESETS {
        let _ = writeln!(out, "  {:<11} {}", p.name, p.summary);
        // Wrapped to fit 80 columns beside the 14-column indent.
        let mut line = String::new();
        for s in p.scopes {
            if !line.is_empty() && line.len() + 1 + s.len() > 66 {
                let _ = writeln!(out, "  {:<11} {line}", "");
                line.clear();
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(s);
        }
        let _ = writeln!(out, "  {:<11} {line}", "");
    }
    out
}

/// The APIs to add under Permissions in the console for these scopes.
pub(crate) fn apis_to_add(scopes: &[String]) -> &'static str {
    if scopes.iter().any(|s| classify(s).0 == Api::UserIdentity) {
        "Jira API and User Identity API"
    } else {
        "Jira API"
    }
}

/// The boxes to tick for these scopes, grouped by API and tab as in the console, each with
/// its description so it can be told apart from its neighbours there. offline_access is
/// left out: it is never ticked.
pub(crate) fn tick_list(scopes: &[String], indent: &str) -> String {
    let ticked: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| *s != OFFLINE_ACCESS)
        .collect();
    let width = ticked.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (api, kind) in CONSOLE_GROUPS {
        let group: Vec<&str> = ticked
            .iter()
            .copied()
            .filter(|s| classify(s) == (api, kind))
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{indent}{} → {}:", api.console_name(), kind.tab_name());
        for s in group {
            match lookup(s) {
                Some(info) => {
                    let _ = writeln!(out, "{indent}  [ ] {s:<width$}  {}", info.description);
                }
                None => {
                    let _ = writeln!(out, "{indent}  [ ] {s}");
                }
            }
        }
    }
    out
}

/// The developer-console steps for exactly these scopes and this callback URL.
pub(crate) fn console_checklist(scopes: &[String], redirect_uri: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "In the Atlassian developer console (https://developer.atlassian.com/console/myapps/):"
    );
    let _ = writeln!(
        out,
        "  1. Create → \"OAuth 2.0 integration\" (or open your existing app)."
    );
    let _ = writeln!(
        out,
        "  2. Authorization → OAuth 2.0 (3LO) → set the Callback URL to exactly:"
    );
    let _ = writeln!(out, "       {redirect_uri}");
    let _ = writeln!(
        out,
        "  3. Permissions → add {}, then under each API → Configure → Edit Scopes, tick:",
        apis_to_add(scopes)
    );
    out.push_str(&tick_list(scopes, "       "));
    let _ = writeln!(
        out,
        "     (offline_access is not ticked: jira-auth requests it so you get a refresh token)"
    );
    let _ = writeln!(out, "  4. Settings → copy the Client ID and the Secret.");
    out
}

/// The developer-console tab a scope is ticked under, e.g. `Jira API → Classic scopes`.
pub(crate) fn console_place(scope: &str) -> String {
    let (api, kind) = classify(scope);
    let tab = match kind {
        Kind::Classic => "Classic scopes",
        Kind::Granular => "Granular scopes",
    };
    format!("{} → {tab}", api.console_name())
}

/// The warning for a request with more scopes than Atlassian recommends (`too_many`).
pub(crate) fn too_many_warning(n: usize) -> String {
    format!(
        "warning: {n} scopes requested; Atlassian recommends fewer than {ADVISED_MAX} per app (prefer classic scopes, which each cover many granular ones)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::parse_list;

    #[test]
    fn checklist_groups_by_api_and_tab() {
        let scopes = parse_list("read:jira-work read:issue:jira read:me").unwrap();
        let text = console_checklist(&scopes, "http://127.0.0.1:8976/callback");
        let jira_classic = text.find("Jira API → Classic scopes").unwrap();
        let jira_granular = text.find("Jira API → Granular scopes").unwrap();
        let ident = text.find("User Identity API → Classic scopes").unwrap();
        assert!(jira_classic < jira_granular && jira_granular < ident);
        assert!(text.contains("add Jira API and User Identity API"));
        assert!(text.contains("       http://127.0.0.1:8976/callback\n"));
        assert!(!text.contains("[ ] offline_access"));
    }

    #[test]
    fn tick_list_shows_descriptions_aligned() {
        let scopes = parse_list("read:issue-worklog:jira read:jira-work").unwrap();
        let text = tick_list(&scopes, "  ");
        let work = lookup("read:jira-work").unwrap().description;
        assert!(
            text.contains(&format!("    [ ] read:jira-work           {work}\n")),
            "{text}"
        );
        assert!(text.contains("    [ ] read:issue-worklog:jira  Read worklogs on issues.\n"));
        assert!(!text.contains("offline_access"));
    }

    #[test]
    fn the_overview_shows_every_preset_scope_within_80_columns() {
        let text = presets_overview();
        assert!(text.contains("read:jira-work write:jira-work read:jira-user read:me"));
        for line in text.lines() {
            assert!(line.chars().count() <= 80, "{line}");
        }
        for p in PRESETS {
            for s in p.scopes {
                assert!(text.contains(s), "{s} of {} not shown", p.name);
            }
        }
    }

    #[test]
    fn console_places_name_api_and_tab() {
        assert_eq!(
            console_place("write:jira-work"),
            "Jira API → Classic scopes"
        );
        assert_eq!(
            console_place("read:issue:jira"),
            "Jira API → Granular scopes"
        );
        assert_eq!(
            console_place("read:me"),
            "User Identity API → Classic scopes"
        );
    }
}
