//! Scopes: the model (which API and console tab each scope is ticked under), the catalog of
//! every Jira OAuth scope (catalog.rs), checking what the user asks for (request.rs),
//! presets (presets.rs), required against granted (check.rs), and the developer-console
//! text built from the catalog (console.rs); Data Center's four scopes are datacenter.rs.

pub(crate) mod catalog;
pub(crate) mod check;
pub(crate) mod console;
pub(crate) mod datacenter;
pub(crate) mod presets;
pub(crate) mod request;
mod suggest;

pub(crate) use catalog::{ScopeInfo, lookup};
pub(crate) use presets::{PRESETS, preset};
#[cfg(test)]
pub(crate) use request::parse_list;
pub(crate) use request::{Parsed, ScopeError, Unknown, did_you_mean, parse_request};

/// Never ticked in the console; requesting it is what makes Atlassian return a refresh token.
pub(crate) const OFFLINE_ACCESS: &str = "offline_access";

/// The classic Jira platform scopes (Permissions → Jira API → Classic scopes), in the
/// catalog's order (a unit test keeps the two in step).
pub(crate) const CLASSIC_JIRA: &[&str] = &[
    "read:jira-work",
    "write:jira-work",
    "read:jira-user",
    "manage:jira-project",
    "manage:jira-configuration",
    "manage:jira-webhook",
    "manage:jira-data-provider",
];

/// User Identity API scopes (a separate API to add in the console).
pub(crate) const USER_IDENTITY: &[&str] = &["read:me", "read:account"];

/// Atlassian recommends fewer than this many scopes per app (the count the console shows,
/// which leaves out offline_access).
pub(crate) const ADVISED_MAX: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Api {
    Jira,
    UserIdentity,
    /// Not an API scope at all (offline_access).
    None,
}

impl Api {
    pub(crate) fn console_name(self) -> &'static str {
        match self {
            Api::Jira => "Jira API",
            Api::UserIdentity => "User Identity API",
            Api::None => "(none)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    Classic,
    Granular,
}

impl Kind {
    /// The lower-case word used in `scopes list` and its JSON.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Classic => "classic",
            Kind::Granular => "granular",
        }
    }

    /// The tab's title under an API in the developer console.
    pub(crate) fn tab_name(self) -> &'static str {
        match self {
            Kind::Classic => "Classic scopes",
            Kind::Granular => "Granular scopes",
        }
    }
}

/// The console groups in the order the console shows them: API, then tab.
pub(crate) const CONSOLE_GROUPS: [(Api, Kind); 3] = [
    (Api::Jira, Kind::Classic),
    (Api::Jira, Kind::Granular),
    (Api::UserIdentity, Kind::Classic),
];

/// Where a scope lives in the developer console: the catalog's answer, and for a name it
/// does not know (a scope newer than this build, seen in a granted list), a guess from its
/// shape: `verb:resource:product` is granular, `verb:resource` classic.
pub(crate) fn classify(scope: &str) -> (Api, Kind) {
    if let Some(s) = lookup(scope) {
        return (s.api, s.kind);
    }
    if scope.split(':').count() >= 3 {
        (Api::Jira, Kind::Granular)
    } else {
        (Api::Jira, Kind::Classic)
    }
}

pub(crate) fn with_offline_access(mut scopes: Vec<String>) -> Vec<String> {
    if !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
        scopes.push(OFFLINE_ACCESS.to_string());
    }
    scopes
}

/// How many scopes a request has, as the console counts them (without offline_access), when
/// that is as many as Atlassian advises against.
pub(crate) fn too_many(scopes: &[String]) -> Option<usize> {
    let n = scopes.iter().filter(|s| *s != OFFLINE_ACCESS).count();
    (n >= ADVISED_MAX).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn unknown_names_are_classified_by_shape() {
        assert_eq!(classify("read:brand-new:jira"), (Api::Jira, Kind::Granular));
        assert_eq!(classify("read:jira-future"), (Api::Jira, Kind::Classic));
        assert_eq!(classify("offline_access"), (Api::None, Kind::Classic));
    }
}
