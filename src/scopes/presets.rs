//! Named sets of scopes for the common cases, so that nobody has to know scope names to
//! start. The names are a contract with scripts (`--preset`).

use super::request::ScopeError;
use super::with_offline_access;

/// A named set of scopes for the common cases, so nobody has to know scope names to start.
pub(crate) struct Preset {
    pub name: &'static str,
    pub summary: &'static str,
    pub scopes: &'static [&'static str],
}

pub(crate) const PRESETS: &[Preset] = &[
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
    pub(crate) fn request(&self) -> Vec<String> {
        with_offline_access(self.scopes.iter().map(|s| s.to_string()).collect())
    }
}

pub(crate) fn preset(name: &str) -> Result<&'static Preset, ScopeError> {
    PRESETS
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| ScopeError::UnknownPreset {
            name: name.to_string(),
            choices: names(),
        })
}

pub(crate) fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|p| p.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::{OFFLINE_ACCESS, lookup};

    #[test]
    fn every_preset_scope_is_in_the_catalog() {
        for p in PRESETS {
            for s in p.scopes {
                assert!(lookup(s).is_some(), "preset {} has unknown {s}", p.name);
            }
            assert_eq!(p.request().last().unwrap(), OFFLINE_ACCESS);
        }
        assert_eq!(names(), ["read-only", "read-write", "admin"], "a contract");
    }

    #[test]
    fn presets_resolve_and_unknown_lists_names() {
        assert_eq!(preset("read-only").unwrap().scopes[0], "read:jira-work");
        let e = preset("nope").err().unwrap();
        assert_eq!(
            e.to_string(),
            "unknown preset 'nope': choose one of read-only, read-write, admin"
        );
    }
}
