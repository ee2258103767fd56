//! Scopes: the catalog of every Jira OAuth scope, validation of what the user asks for,
//! presets, and the developer-console checklist built from the catalog.
//!
//! Everything a user types as a scope goes through `parse_list`, so an unknown name stops
//! here with suggestions instead of reaching Atlassian's silent "Something went wrong".

pub mod catalog;
mod suggest;

pub mod check;

use std::fmt::Write as _;

pub use catalog::{ScopeInfo, lookup};

use crate::error::CliError;

/// Never ticked in the console; requesting it is what makes Atlassian return a refresh token.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// The classic Jira platform scopes (Permissions → Jira API → Classic scopes), in the
/// catalog's order (a unit test keeps the two in step).
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

/// Atlassian recommends fewer than this many scopes per app (the count the console shows,
/// which leaves out offline_access).
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

impl Kind {
    /// The lower-case word used in `scopes list` and its JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Classic => "classic",
            Kind::Granular => "granular",
        }
    }

    /// The tab's title under an API in the developer console.
    pub fn tab_name(self) -> &'static str {
        match self {
            Kind::Classic => "Classic scopes",
            Kind::Granular => "Granular scopes",
        }
    }
}

/// The console groups in the order the console shows them: API, then tab.
pub const CONSOLE_GROUPS: [(Api, Kind); 3] = [
    (Api::Jira, Kind::Classic),
    (Api::Jira, Kind::Granular),
    (Api::UserIdentity, Kind::Classic),
];

/// Where a scope lives in the developer console: the catalog's answer, and for a name it
/// does not know (a scope newer than this build, seen in a granted list), a guess from its
/// shape: `verb:resource:product` is granular, `verb:resource` classic.
pub fn classify(scope: &str) -> (Api, Kind) {
    if let Some(s) = lookup(scope) {
        return (s.api, s.kind);
    }
    if scope.split(':').count() >= 3 {
        (Api::Jira, Kind::Granular)
    } else {
        (Api::Jira, Kind::Classic)
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

impl Preset {
    /// The preset's scopes as a request: offline_access added.
    pub fn request(&self) -> Vec<String> {
        with_offline_access(self.scopes.iter().map(|s| s.to_string()).collect())
    }
}

pub fn preset(name: &str) -> Result<&'static Preset, CliError> {
    PRESETS.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        CliError::usage(format!(
            "unknown preset '{name}': choose one of {}",
            names.join(", ")
        ))
    })
}

/// The presets as the wizard shows them before asking: name, summary, and the exact scopes.
pub fn presets_overview() -> String {
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

/// How a command treats a well-formed name the catalog does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// An error (`scopes check --require`: a name nobody can have been granted).
    Refuse,
    /// An error whose hint names `--allow-unknown-scopes` (`init`, `login`).
    RefuseWithHatch,
    /// Accepted with a warning (`init`, `login` with `--allow-unknown-scopes`): Atlassian adds
    /// scopes after a release, and a catalog that is out of date must not lock people out.
    Allow,
}

impl Unknown {
    /// The policy of a command that has the `--allow-unknown-scopes` flag.
    pub fn from_flag(allow: bool) -> Unknown {
        if allow {
            Unknown::Allow
        } else {
            Unknown::RefuseWithHatch
        }
    }
}

/// A checked request: the scopes in the user's order, offline_access added, and the names
/// among them that the catalog does not know (only ever non-empty under `Unknown::Allow`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub scopes: Vec<String>,
    pub unknown: Vec<String>,
}

impl Parsed {
    /// What to tell the user about the unknown names that are requested anyway.
    pub fn warning(&self) -> Option<String> {
        (!self.unknown.is_empty()).then(|| {
            // A typo is still the likelier cause: keep the suggestions.
            let each: Vec<String> = self
                .unknown
                .iter()
                .map(|u| match did_you_mean(u) {
                    Some(s) => format!("{u} ({s})"),
                    None => u.clone(),
                })
                .collect();
            format!(
                "warning: not in jira-auth's scope catalog, requested anyway (--allow-unknown-scopes): {}; if the consent page says \"Something went wrong\", check the spelling and that each is ticked in the developer console",
                each.join(", ")
            )
        })
    }
}

/// `parse_request` with unknown names refused: for lists that are compared, not requested.
pub fn parse_list(list: &str) -> Result<Vec<String>, CliError> {
    parse_request(list, Unknown::Refuse).map(|p| p.scopes)
}

/// Splits a user's list (commas and/or whitespace), checks each name's shape (always, even
/// under `Unknown::Allow`: a URL or a quoted list is never a scope), looks each up in the
/// catalog, removes duplicates keeping the first order, and adds offline_access (without it
/// Atlassian sends no refresh token and the profile dies after an hour).
pub fn parse_request(list: &str, policy: Unknown) -> Result<Parsed, CliError> {
    let mut out: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for raw in list.split(|c: char| c == ',' || c.is_whitespace()) {
        if raw.is_empty() {
            continue;
        }
        check_shape(raw)?;
        if lookup(raw).is_none() && !unknown.iter().any(|u| u == raw) {
            unknown.push(raw.to_string());
        }
        if !out.iter().any(|s| s == raw) {
            out.push(raw.to_string());
        }
    }
    if !unknown.is_empty() && policy != Unknown::Allow {
        return Err(unknown_scopes(&unknown, policy));
    }
    if out.iter().all(|s| s == OFFLINE_ACCESS) {
        return Err(CliError::usage(
            "no scopes given: name at least one Jira scope (e.g. read:jira-work)",
        ));
    }
    Ok(Parsed {
        scopes: with_offline_access(out),
        unknown,
    })
}

/// One error for all unknown names, each with its closest catalog names, so a list with
/// two typos takes one round trip to fix.
pub fn unknown_scopes(unknown: &[String], policy: Unknown) -> CliError {
    let message = match unknown {
        [one] => match did_you_mean(one) {
            Some(s) => format!("unknown scope '{one}': {s}"),
            None => format!("unknown scope '{one}'"),
        },
        many => {
            let each: Vec<String> = many
                .iter()
                .map(|u| match did_you_mean(u) {
                    Some(s) => format!("'{u}' ({s})"),
                    None => format!("'{u}'"),
                })
                .collect();
            format!("unknown scopes: {}", each.join(", "))
        }
    };
    let err = CliError::usage(message).hint(
        "`jira-auth scopes list --search WORD` shows every scope jira-auth knows, with its console tab",
    );
    if policy == Unknown::RefuseWithHatch {
        err.hint("for a scope Atlassian added after this jira-auth was built, check the name, then pass --allow-unknown-scopes (or JIRA_AUTH_ALLOW_UNKNOWN_SCOPES=1) to request it anyway")
    } else {
        err
    }
}

/// "did you mean a, b or c?" for the closest catalog names, if any are close.
fn did_you_mean(wanted: &str) -> Option<String> {
    let names = suggest::closest(wanted);
    let (last, rest) = names.split_last()?;
    Some(if rest.is_empty() {
        format!("did you mean {last}?")
    } else {
        format!("did you mean {} or {last}?", rest.join(", "))
    })
}

pub fn with_offline_access(mut scopes: Vec<String>) -> Vec<String> {
    if !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        scopes.push(OFFLINE_ACCESS.to_string());
    }
    scopes
}

/// The warning to print when a request has more scopes than Atlassian recommends: counted
/// as the console counts them, without offline_access.
pub fn too_many(scopes: &[String]) -> Option<String> {
    let n = scopes.iter().filter(|s| *s != OFFLINE_ACCESS).count();
    (n >= ADVISED_MAX).then(|| {
        format!(
            "warning: {n} scopes requested; Atlassian recommends fewer than {ADVISED_MAX} per app (prefer classic scopes, which each cover many granular ones)"
        )
    })
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
    let err = CliError::usage(format!(
        "'{scope}' is not a scope name: scopes look like read:jira-work or read:issue:jira"
    ));
    // Upper case is the one shape mistake with an obvious intent.
    match did_you_mean(&scope.to_ascii_lowercase()) {
        Some(s) => err.hint(s),
        None => err,
    }
    .hint("separate scopes with commas or spaces")
}

/// The APIs to add under Permissions in the console for these scopes.
pub fn apis_to_add(scopes: &[String]) -> &'static str {
    if scopes.iter().any(|s| classify(s).0 == Api::UserIdentity) {
        "Jira API and User Identity API"
    } else {
        "Jira API"
    }
}

/// The boxes to tick for these scopes, grouped by API and tab as in the console, each with
/// its description so it can be told apart from its neighbours there. offline_access is
/// left out: it is never ticked.
pub fn tick_list(scopes: &[String], indent: &str) -> String {
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
        assert_eq!(
            classify("manage:jira-data-provider"),
            (Api::Jira, Kind::Classic)
        );
        assert_eq!(classify("read:account"), (Api::UserIdentity, Kind::Classic));
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
    fn unknown_scopes_are_usage_errors_with_suggestions() {
        let e = parse_list("read:jira-wrok").unwrap_err();
        assert_eq!(e.exit, crate::error::Exit::Usage);
        assert_eq!(
            e.message,
            "unknown scope 'read:jira-wrok': did you mean read:jira-work?"
        );
        assert!(e.hints[0].contains("scopes list --search"));

        let e = parse_list("read:issues:jira").unwrap_err();
        assert!(
            e.message
                .starts_with("unknown scope 'read:issues:jira': did you mean read:issue:jira"),
            "{}",
            e.message
        );

        // Every unknown name in one error; the known ones are not mentioned.
        let e = parse_list("read:jira-work read:jira-wrok zzz:qqq read:jira-wrok").unwrap_err();
        assert_eq!(
            e.message,
            "unknown scopes: 'read:jira-wrok' (did you mean read:jira-work?), 'zzz:qqq'"
        );

        let e = parse_list("Read:Jira-Work").unwrap_err();
        assert!(e.message.contains("is not a scope name"));
        assert_eq!(e.hints[0], "did you mean read:jira-work?");
    }

    #[test]
    fn unknown_names_are_allowed_only_when_asked_and_never_malformed_ones() {
        // Without the flag: an error whose hint offers the flag (init, login) or not (check).
        let e = parse_request("read:brand-new:jira", Unknown::RefuseWithHatch).unwrap_err();
        assert_eq!(e.exit, crate::error::Exit::Usage);
        assert!(
            e.hints.iter().any(|h| h.contains("--allow-unknown-scopes")
                && h.contains("JIRA_AUTH_ALLOW_UNKNOWN_SCOPES=1")),
            "{:?}",
            e.hints
        );
        let e = parse_list("read:brand-new:jira").unwrap_err();
        assert!(!e.hints.iter().any(|h| h.contains("--allow-unknown-scopes")));

        // With it: requested in order, deduplicated, named in one warning.
        let p = parse_request(
            "read:jira-work read:brand-new:jira,read:brand-new:jira",
            Unknown::Allow,
        )
        .unwrap();
        assert_eq!(
            p.scopes,
            ["read:jira-work", "read:brand-new:jira", "offline_access"]
        );
        assert_eq!(p.unknown, ["read:brand-new:jira"]);
        let w = p.warning().unwrap();
        assert!(
            w.starts_with("warning: not in jira-auth's scope catalog"),
            "{w}"
        );
        assert!(w.contains("read:brand-new:jira;"), "{w}");
        let typo = parse_request("read:jira-wrok", Unknown::Allow).unwrap();
        assert!(
            typo.warning()
                .unwrap()
                .contains("read:jira-wrok (did you mean read:jira-work?)"),
            "{:?}",
            typo.warning()
        );
        assert!(
            parse_request("read:jira-work", Unknown::Allow)
                .unwrap()
                .warning()
                .is_none()
        );

        // The shape check stays.
        for bad in [
            "read jira",
            "https://x",
            "Read:New:Jira",
            "read::jira",
            "a:b:c:d",
        ] {
            let e = parse_request(bad, Unknown::Allow).unwrap_err();
            assert!(
                e.message.contains("is not a scope name"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn suggestions_are_at_most_three() {
        let e = parse_list("read:issue").unwrap_err();
        let list = e.message.split("did you mean ").nth(1).unwrap();
        assert_eq!(list, "read:issue:jira or read:issue:jira-software?");
        for typo in ["read:issue.vot:jira", "write:isue:jira", "read:fild:jira"] {
            assert!(suggest::closest(typo).len() <= suggest::MAX_SUGGESTIONS);
        }
    }

    #[test]
    fn fifty_scopes_or_more_warn_offline_access_not_counted() {
        let granular: Vec<String> = catalog::all()
            .iter()
            .filter(|s| s.kind == Kind::Granular)
            .map(|s| s.name.to_string())
            .collect();
        let ask = |n: usize| parse_list(&granular[..n].join(",")).unwrap();
        assert_eq!(ask(49).len(), 50, "49 + offline_access");
        assert!(too_many(&ask(49)).is_none());
        let w = too_many(&ask(51)).unwrap();
        assert!(w.starts_with("warning: 51 scopes requested"), "{w}");
        assert!(w.contains("fewer than 50"), "{w}");
        assert!(too_many(&ask(50)).is_some(), "50 is not fewer than 50");
    }

    #[test]
    fn every_preset_scope_is_in_the_catalog() {
        for p in PRESETS {
            for s in p.scopes {
                assert!(lookup(s).is_some(), "preset {} has unknown {s}", p.name);
            }
            assert_eq!(p.request().last().unwrap(), OFFLINE_ACCESS);
        }
        let names: Vec<&str> = PRESETS.iter().map(|p| p.name).collect();
        assert_eq!(names, ["read-only", "read-write", "admin"], "a contract");
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
    fn unknown_names_are_classified_by_shape() {
        assert_eq!(classify("read:brand-new:jira"), (Api::Jira, Kind::Granular));
        assert_eq!(classify("read:jira-future"), (Api::Jira, Kind::Classic));
        assert_eq!(classify("offline_access"), (Api::None, Kind::Classic));
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
    fn presets_resolve_and_unknown_lists_names() {
        assert_eq!(preset("read-only").unwrap().scopes[0], "read:jira-work");
        let e = preset("nope").err().unwrap();
        assert!(e.message.contains("read-only, read-write, admin"));
    }
}
