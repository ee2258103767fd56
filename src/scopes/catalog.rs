//! The scope catalog: `catalog.txt` embedded in the binary and parsed on first use.
//!
//! Parsing is lazy so that commands which never look a scope up (`token`, `header`, `exec`)
//! do not pay for it; the file is small, so a linear lookup is fast enough everywhere else.

use std::sync::LazyLock;

use super::{Api, Kind};

/// The data file, with its sources and format described in its own header.
const SOURCE: &str = include_str!("catalog.txt");

/// One scope as the developer console and `scopes list` show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScopeInfo {
    pub name: &'static str,
    /// One line in jira-auth's own words, ending with a full stop.
    pub description: &'static str,
    /// The API to add under Permissions; `Api::None` for offline_access.
    pub api: Api,
    /// The tab under that API. offline_access is never ticked; it reads as Classic here,
    /// as `classify` has always said, and callers check `api` first.
    pub kind: Kind,
}

impl ScopeInfo {
    /// True for a scope the user ticks in the console (everything but offline_access).
    pub(crate) fn ticked(&self) -> bool {
        self.api != Api::None
    }
}

static CATALOG: LazyLock<Vec<ScopeInfo>> = LazyLock::new(|| parse(SOURCE));

/// Every scope, in the file's order (Jira classic, Jira granular, User Identity, offline_access).
pub(crate) fn all() -> &'static [ScopeInfo] {
    &CATALOG
}

/// The catalog entry for an exact scope name.
pub(crate) fn lookup(name: &str) -> Option<&'static ScopeInfo> {
    all().iter().find(|s| s.name == name)
}

/// A malformed line is a bug in the embedded file, caught by the unit tests before any
/// release, so it panics with the line instead of returning an error nobody can act on.
fn parse(text: &'static str) -> Vec<ScopeInfo> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| -> ! { panic!("catalog.txt line {}: {why}: {line}", i + 1) };
        let mut rest = line;
        let mut field = || {
            let (f, r) = rest
                .split_once(char::is_whitespace)
                .unwrap_or_else(|| bad("expected NAME API KIND DESCRIPTION"));
            rest = r.trim_start();
            f
        };
        let (name, api, kind) = (field(), field(), field());
        let (api, kind) = match (api, kind) {
            ("jira", k) => (Api::Jira, k),
            ("identity", k) => (Api::UserIdentity, k),
            ("-", "-") => (Api::None, "classic"),
            _ => bad("unknown API"),
        };
        let kind = match kind {
            "classic" => Kind::Classic,
            "granular" => Kind::Granular,
            _ => bad("unknown kind"),
        };
        out.push(ScopeInfo {
            name,
            description: rest.trim_end(),
            api,
            kind,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::scopes::{CLASSIC_JIRA, OFFLINE_ACCESS, USER_IDENTITY};

    fn count(api: Api, kind: Kind) -> usize {
        all()
            .iter()
            .filter(|s| s.api == api && s.kind == kind)
            .count()
    }

    #[test]
    fn counts_per_api_and_kind() {
        // 7 classic; 180 granular platform + 22 Jira Software; 2 User Identity; offline_access.
        assert_eq!(count(Api::Jira, Kind::Classic), 7);
        assert_eq!(count(Api::Jira, Kind::Granular), 202);
        let software = all()
            .iter()
            .filter(|s| s.name.ends_with(":jira-software"))
            .count();
        assert_eq!(software, 22);
        assert_eq!(count(Api::UserIdentity, Kind::Classic), 2);
        assert_eq!(count(Api::UserIdentity, Kind::Granular), 0);
        assert_eq!(count(Api::None, Kind::Classic), 1);
        assert_eq!(all().len(), 212);
    }

    #[test]
    fn names_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for s in all() {
            assert!(seen.insert(s.name), "duplicate {}", s.name);
            assert!(
                crate::scopes::request::check_shape(s.name).is_ok(),
                "malformed {}",
                s.name
            );
            let parts: Vec<&str> = s.name.split(':').collect();
            match (s.api, s.kind) {
                (Api::Jira, Kind::Granular) => {
                    assert_eq!(parts.len(), 3, "{}", s.name);
                    assert!(matches!(parts[2], "jira" | "jira-software"), "{}", s.name);
                }
                (Api::Jira, Kind::Classic) => {
                    assert_eq!(parts.len(), 2, "{}", s.name);
                    assert!(parts[1].starts_with("jira-"), "{}", s.name);
                }
                (Api::UserIdentity, _) => assert_eq!(parts.len(), 2, "{}", s.name),
                (Api::None, _) => assert_eq!(s.name, OFFLINE_ACCESS),
            }
        }
    }

    #[test]
    fn the_named_sets_agree_with_the_file() {
        let classic: Vec<&str> = all()
            .iter()
            .filter(|s| s.api == Api::Jira && s.kind == Kind::Classic)
            .map(|s| s.name)
            .collect();
        assert_eq!(classic, CLASSIC_JIRA);
        let ident: Vec<&str> = all()
            .iter()
            .filter(|s| s.api == Api::UserIdentity)
            .map(|s| s.name)
            .collect();
        assert_eq!(ident, USER_IDENTITY);
    }

    #[test]
    fn descriptions_are_short_uniform_sentences() {
        for s in all() {
            let d = s.description;
            assert!(!d.is_empty(), "{} has no description", s.name);
            assert!(d.ends_with('.'), "{}: {d}", s.name);
            assert!(d.chars().count() <= 80, "{} is too long: {d}", s.name);
            assert!(d.starts_with(char::is_uppercase), "{}: {d}", s.name);
            assert!(!d.contains("  "), "{}: {d}", s.name);
        }
    }

    #[test]
    fn lookup_finds_exact_names_only() {
        let s = lookup("read:issue-worklog:jira").unwrap();
        assert_eq!((s.api, s.kind), (Api::Jira, Kind::Granular));
        assert!(s.ticked());
        assert!(!lookup(OFFLINE_ACCESS).unwrap().ticked());
        assert!(lookup("read:issue-worklog").is_none());
        assert!(lookup("READ:ME").is_none());
        // What the rest of the test suite requests must be known.
        for name in [
            "read:jira-work",
            "read:issue:jira",
            "read:sprint:jira-software",
        ] {
            assert!(lookup(name).is_some(), "{name}");
        }
    }

    #[test]
    #[should_panic(expected = "line 2: unknown kind")]
    fn a_bad_line_names_itself() {
        parse("# header\nread:x:jira jira sideways Read x.\n");
    }
}
