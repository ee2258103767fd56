//! Scopes: parsing and validation of what the user asks for, presets, and the console checklist.
//!
//! The full catalog of Jira scopes is a later piece of work; what lives here is what `init`
//! needs: knowing which API and which console tab a scope is ticked under, so that the checklist
//! tells the user exactly what to tick.

pub mod check;

use std::fmt::Write as _;

use crate::error::CliError;

/// Never ticked in the console; requesting it is what makes Atlassian return a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The classic Jira platform scopes (Permissions → Jira API → Classic scopes).
pub const CLASSIC_JIRA: &[&str] = &[
    "read:jira-work",
    "write:jira-work",
    "read:jira-user",
    "manage:jira-project",
    "manage:jira-configuration",
    "manage:jira-webhook",
    "manage:jira-data-provider",
];

/// User Identity API scopes (a separate API to add in the console).
pub const USER_IDENTITY: &[&str] = &["read:me", "read:account"];

/// Atlassian advises fewer than this many scopes per app.
pub const ADVISED_MAX: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    Jira,
    UserIdentity,
    /// Not an API scope at all (offline_access).
    None,
}

impl Api {
    pub fn console_name(self) -> &'static str {
        match self {
            Api::Jira => "Jira API",
            Api::UserIdentity => "User Identity API",
            Api::None => "(none)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Classic,
    Granular,
}

/// Where a scope lives in the developer console.
pub fn classify(scope: &str) -> (Api, Kind) {
    if scope == OFFLINE_ACCESS {
        (Api::None, Kind::Classic)
    } else if USER_IDENTITY.contains(&scope) {
        (Api::UserIdentity, Kind::Classic)
    } else if CLASSIC_JIRA.contains(&scope) {
        (Api::Jira, Kind::Classic)
    } else {
        (Api::Jira, Kind::Granular)
    }
}

/// A named set of scopes for the common cases, so nobody has to know scope names to start.
pub struct Preset {
    pub name: &'static str,
    pub summary: &'static str,
    pub scopes: &'static [&'static str],
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "read-only",
        summary: "read issues, projects and users; who am I",
        scopes: &["read:jira-work", "read:jira-user", "read:me"],
    },
    Preset {
        name: "read-write",
        summary: "read-only, plus create and edit issues, comments and worklogs",
        scopes: &[
            "read:jira-work",
            "write:jira-work",
            "read:jira-user",
            "read:me",
        ],
    },
    Preset {
        name: "admin",
        summary: "read-write, plus manage projects, configuration and webhooks",
        scopes: &[
            "read:jira-work",
            "write:jira-work",
            "read:jira-user",
            "manage:jira-project",
            "manage:jira-configuration",
            "manage:jira-webhook",
            "read:me",
        ],
    },
];

pub fn preset(name: &str) -> Result<&'static Preset, CliError> {
    PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        CliError::usage(format!(
            "unknown preset '{name}': choose one of {}",
            names.join(", ")
        ))
    })
}

/// Splits a user's list (commas and/or whitespace), checks each name's shape, removes
/// duplicates keeping the first order, and adds offline_access (without it Atlassian sends no
/// refresh token and the profile dies after an hour).
pub fn parse_list(list: &str) -> Result<Vec<String>, CliError> {
    let mut out: Vec<String> = Vec::new();
    for raw in list.split(|c: char| c == ',' || c.is_whitespace()) {
        if raw.is_empty() {
            continue;
        }
        check_shape(raw)?;
        if !out.iter().any(|s| s == raw) {
            out.push(raw.to_string());
        }
    }
    if out.iter().all(|s| s == OFFLINE_ACCESS) {
        return Err(CliError::usage(
            "no scopes given: name at least one Jira scope (e.g. read:jira-work) or use --preset",
        ));
    }
    Ok(with_offline_access(out))
}

pub fn with_offline_access(mut scopes: Vec<String>) -> Vec<String> {
    if !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        scopes.push(OFFLINE_ACCESS.to_string());
    }
    scopes
}

/// Scope names are `verb:resource` or `verb:resource:product`, lower case. Anything else
/// (a URL, a quoted list, a typo with spaces) is refused here, before it can reach the
/// console-dependent silence of the consent page.
fn check_shape(scope: &str) -> Result<(), CliError> {
    let ok_chars = scope.chars().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '-' | '_' | '.')
    });
    let parts = scope.split(':').count();
    if scope == OFFLINE_ACCESS || (ok_chars && (2..=3).contains(&parts) && !scope.contains("::")) {
        if scope.starts_with(':') || scope.ends_with(':') {
            return Err(bad_scope(scope));
        }
        Ok(())
    } else {
        Err(bad_scope(scope))
    }
}

fn bad_scope(scope: &str) -> CliError {
    CliError::usage(format!(
        "'{scope}' is not a scope name: scopes look like read:jira-work or read:issue:jira"
    ))
    .hint("separate scopes with commas or spaces")
}

/// True when the User Identity API must be added to the app in the console.
pub fn needs_user_identity_api(scopes: &[String]) -> bool {
    scopes.iter().any(|s| classify(s).0 == Api::UserIdentity)
}

/// The developer-console steps for exactly these scopes and this callback URL.
pub fn console_checklist(scopes: &[String], redirect_uri: &str) -> String {
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
    let apis = if needs_user_identity_api(scopes) {
        "Jira API and User Identity API"
    } else {
        "Jira API"
    };
    let _ = writeln!(
        out,
        "  3. Permissions → add {apis}, then under each API → Configure → Edit Scopes, tick:"
    );
    for api in [Api::Jira, Api::UserIdentity] {
        for kind in [Kind::Classic, Kind::Granular] {
            let group: Vec<&str> = scopes
                .iter()
                .map(String::as_str)
                .filter(|s| classify(s) == (api, kind))
                .collect();
            if group.is_empty() {
                continue;
            }
            let tab = match kind {
                Kind::Classic => "Classic scopes",
                Kind::Granular => "Granular scopes",
            };
            let _ = writeln!(out, "       {} → {tab}:", api.console_name());
            for s in group {
                let _ = writeln!(out, "         [ ] {s}");
            }
        }
    }
    let _ = writeln!(
        out,
        "     (offline_access is not ticked: jira-auth requests it so you get a refresh token)"
    );
    let _ = writeln!(out, "  4. Settings → copy the Client ID and the Secret.");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_list_splits_dedups_and_adds_offline_access() {
        let s = parse_list("read:jira-work, read:jira-user read:jira-work,,").unwrap();
        assert_eq!(s, ["read:jira-work", "read:jira-user", "offline_access"]);
    }

    #[test]
    fn parse_list_rejects_garbage_and_empty() {
        assert!(parse_list("read jira").is_err());
        assert!(parse_list("https://x").is_err());
        assert!(parse_list("Read:Jira-Work").is_err());
        assert!(parse_list(" , ").is_err());
        assert!(parse_list("offline_access").is_err());
        assert!(parse_list("read::jira").is_err());
    }

    #[test]
    fn classify_knows_the_console_tabs() {
        assert_eq!(classify("read:jira-work"), (Api::Jira, Kind::Classic));
        assert_eq!(classify("read:issue:jira"), (Api::Jira, Kind::Granular));
        assert_eq!(
            classify("read:sprint:jira-software"),
            (Api::Jira, Kind::Granular)
        );
        assert_eq!(classify("read:me"), (Api::UserIdentity, Kind::Classic));
    }

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
    fn presets_resolve_and_unknown_lists_names() {
        assert_eq!(preset("read-only").unwrap().scopes[0], "read:jira-work");
        let e = preset("nope").err().unwrap();
        assert!(e.message.contains("read-only, read-write, admin"));
    }
}
