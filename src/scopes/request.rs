//! Checking the scopes a user asks for: every list typed as `--scopes`, in the wizard or as
//! `scopes check --require` goes through `parse_request`, so an unknown or malformed name
//! stops here with the closest catalog names, instead of reaching Atlassian's silent
//! "Something went wrong".

use super::{OFFLINE_ACCESS, lookup, suggest, with_offline_access};

/// How a command treats a well-formed name the catalog does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unknown {
    /// An error (`scopes check --require`: a name nobody can have been granted).
    Refuse,
    /// An error that says how to request it anyway (`init`, `login`).
    RefuseWithHatch,
    /// Accepted, and reported in `Parsed::unknown` (`init`, `login` with
    /// `--allow-unknown-scopes`): Atlassian adds scopes after a release, and a catalog that
    /// is out of date must not lock people out.
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
pub(crate) struct Parsed {
    pub scopes: Vec<String>,
    pub unknown: Vec<String>,
}

/// A scope list that cannot be requested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// Names the catalog does not know, in the user's order, with the policy that refused
    /// them.
    #[error("{}", unknown_message(.names))]
    Unknown { names: Vec<String>, policy: Unknown },
    /// Not shaped like a scope at all (a URL, a quoted list, upper case).
    #[error("'{0}' is not a scope name: scopes look like read:jira-work or read:issue:jira")]
    NotAScope(String),
    #[error("no scopes given: name at least one Jira scope (e.g. read:jira-work)")]
    Empty,
    /// A name that is not one of Data Center's scopes, for a Data Center site.
    #[error("{}", if .scope.is_empty() { format!("no scopes given: Jira Data Center's scopes are {valid}") } else { format!("'{scope}' is not a Jira Data Center scope: the scopes are {valid}") })]
    NotForDataCenter { scope: String, valid: String },
    /// One of Data Center's scopes, for a Cloud site.
    #[error(
        "'{0}' is a Jira Data Center scope; Jira Cloud's look like read:jira-work or read:issue:jira"
    )]
    DataCenterOnCloud(String),
    #[error("unknown preset '{name}': choose one of {}", .choices.join(", "))]
    UnknownPreset {
        name: String,
        choices: Vec<&'static str>,
    },
}

/// One sentence for all unknown names, each with its closest catalog names, so that a list
/// with two typos takes one round trip to fix.
fn unknown_message(names: &[String]) -> String {
    match names {
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
    }
}

/// `parse_request` with unknown names refused: for lists that are compared, not requested.
#[cfg(test)]
pub(crate) fn parse_list(list: &str) -> Result<Vec<String>, ScopeError> {
    parse_request(list, Unknown::Refuse).map(|p| p.scopes)
}

/// Splits a user's list (commas and/or whitespace), checks each name's shape (always, even
/// under `Unknown::Allow`: a URL or a quoted list is never a scope), looks each up in the
/// catalog, removes duplicates keeping the first order, and adds offline_access (without it
/// Atlassian sends no refresh token and the profile dies after an hour).
pub(crate) fn parse_request(list: &str, policy: Unknown) -> Result<Parsed, ScopeError> {
    let mut out: Vec<String> = Vec::new();
    let mut unknown: Vec<String> = Vec::new();
    for raw in list.split(|c: char| c == ',' || c.is_whitespace()) {
        if raw.is_empty() {
            continue;
        }
        if super::datacenter::is_scope(&raw.to_ascii_uppercase())
            && raw.contains(char::is_uppercase)
        {
            return Err(ScopeError::DataCenterOnCloud(raw.to_string()));
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
        return Err(ScopeError::Unknown {
            names: unknown,
            policy,
        });
    }
    if out.iter().all(|s| s == OFFLINE_ACCESS) {
        return Err(ScopeError::Empty);
    }
    Ok(Parsed {
        scopes: with_offline_access(out),
        unknown,
    })
}

/// "did you mean a, b or c?" for the closest catalog names, if any are close.
pub(crate) fn did_you_mean(wanted: &str) -> Option<String> {
    let names = suggest::closest(wanted);
    let (last, rest) = names.split_last()?;
    Some(if rest.is_empty() {
        format!("did you mean {last}?")
    } else {
        format!("did you mean {} or {last}?", rest.join(", "))
    })
}

/// Scope names are `verb:resource` or `verb:resource:product`, lower case. Anything else
/// (a URL, a quoted list, a typo with spaces) is refused here, before it can reach the
/// console-dependent silence of the consent page.
pub(crate) fn check_shape(scope: &str) -> Result<(), ScopeError> {
    let ok_chars = scope.chars().all(|c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ':' | '-' | '_' | '.')
    });
    let parts = scope.split(':').count();
    let shaped = ok_chars
        && (2..=3).contains(&parts)
        && !scope.contains("::")
        && !scope.starts_with(':')
        && !scope.ends_with(':');
    if scope == OFFLINE_ACCESS || shaped {
        Ok(())
    } else {
        Err(ScopeError::NotAScope(scope.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scopes::{Kind, catalog};

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
        assert_eq!(parse_list(" , "), Err(ScopeError::Empty));
        assert_eq!(parse_list("offline_access"), Err(ScopeError::Empty));
        assert!(parse_list("read::jira").is_err());
    }

    #[test]
    fn unknown_scopes_are_named_with_suggestions() {
        let e = parse_list("read:jira-wrok").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown scope 'read:jira-wrok': did you mean read:jira-work?"
        );
        let e = parse_list("read:issues:jira").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("unknown scope 'read:issues:jira': did you mean read:issue:jira"),
            "{e}"
        );
        // Every unknown name in one error; the known ones are not mentioned.
        let e = parse_list("read:jira-work read:jira-wrok zzz:qqq read:jira-wrok").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown scopes: 'read:jira-wrok' (did you mean read:jira-work?), 'zzz:qqq'"
        );
        let e = parse_list("Read:Jira-Work").unwrap_err();
        assert_eq!(e, ScopeError::NotAScope("Read:Jira-Work".into()));
        assert!(e.to_string().contains("is not a scope name"));
    }

    #[test]
    fn unknown_names_are_allowed_only_when_asked_and_never_malformed_ones() {
        let e = parse_request("read:brand-new:jira", Unknown::RefuseWithHatch).unwrap_err();
        assert_eq!(
            e,
            ScopeError::Unknown {
                names: vec!["read:brand-new:jira".into()],
                policy: Unknown::RefuseWithHatch
            }
        );
        // With it: requested in order, deduplicated, reported.
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
        assert!(
            parse_request("read:jira-work", Unknown::Allow)
                .unwrap()
                .unknown
                .is_empty()
        );
        // The shape check stays.
        for bad in [
            "read jira",
            "https://x",
            "Read:New:Jira",
            "read::jira",
            "a:b:c:d",
            ":read:jira",
            "read:jira:",
        ] {
            let e = parse_request(bad, Unknown::Allow).unwrap_err();
            assert!(matches!(e, ScopeError::NotAScope(_)), "{bad}: {e}");
        }
    }

    #[test]
    fn suggestions_are_at_most_three() {
        let e = parse_list("read:issue").unwrap_err();
        let text = e.to_string();
        let list = text.split("did you mean ").nth(1).unwrap();
        assert_eq!(list, "read:issue:jira or read:issue:jira-software?");
        for typo in ["read:issue.vot:jira", "write:isue:jira", "read:fild:jira"] {
            assert!(suggest::closest(typo).len() <= suggest::MAX_SUGGESTIONS);
        }
    }

    #[test]
    fn fifty_scopes_or_more_are_counted_without_offline_access() {
        let granular: Vec<String> = catalog::all()
            .iter()
            .filter(|s| s.kind == Kind::Granular)
            .map(|s| s.name.to_string())
            .collect();
        let ask = |n: usize| parse_list(&granular[..n].join(",")).unwrap();
        assert_eq!(ask(49).len(), 50, "49 + offline_access");
        assert!(crate::scopes::too_many(&ask(49)).is_none());
        assert_eq!(crate::scopes::too_many(&ask(51)), Some(51));
        assert_eq!(
            crate::scopes::too_many(&ask(50)),
            Some(50),
            "50 is not fewer than 50"
        );
    }
}
