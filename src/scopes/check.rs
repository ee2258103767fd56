//! Required against granted scopes: the comparison `scopes check` prints and `doctor` reuses,
//! and the console fix for each missing scope.
//!
//! The token decides. Atlassian checks an API call against the scopes inside the access
//! token, so a scope counts as granted when the current token carries it (`offline_access`:
//! when a refresh token exists, since that is all it grants). accessible-resources is the
//! second witness: its per-site `scopes[]` reflects the grant as Atlassian holds it now, so
//! when it disagrees with the token the scope is still granted but gets a note (it will
//! likely be gone after the next refresh), and a site missing from the list is a note too.

use super::OFFLINE_ACCESS;

/// One scope's line in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Row {
    pub scope: String,
    pub required: bool,
    pub granted: bool,
    /// `Some(false)` when accessible-resources answered for the site and does not list the
    /// scope although the token has it (or the reverse); `None` when it says nothing.
    pub site_agrees: Option<bool>,
}

impl Row {
    pub(crate) fn status(&self) -> &'static str {
        match (self.required, self.granted) {
            (true, true) if self.site_agrees == Some(false) => "ok (site disagrees)",
            (true, true) => "ok",
            (true, false) => "MISSING",
            (false, true) => "extra",
            (false, false) => "-",
        }
    }
}

/// What accessible-resources said about the profile's site.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SiteScopes<'a> {
    /// The site is listed, with these scopes.
    Listed(&'a [String]),
    /// accessible-resources answered, and the site is not in it.
    Gone,
    /// Not asked, or no answer (network): nothing to compare with.
    Unknown,
}

#[derive(Debug, Clone)]
pub(crate) struct Comparison {
    pub rows: Vec<Row>,
    pub required: Vec<String>,
    pub granted: Vec<String>,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    /// Disagreements between the token and accessible-resources.
    pub notes: Vec<Note>,
}

/// Where the token and accessible-resources disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    /// The token has the scope, but accessible-resources no longer lists it for the site:
    /// it was likely un-ticked in the console, and will be gone after the next refresh.
    SiteDropped(String),
    /// accessible-resources lists the scope for the site, but the token lacks it: a new
    /// consent would bring it.
    TokenLacks(String),
    /// The site itself is no longer in accessible-resources: API calls to it will fail.
    SiteGone,
}

impl Comparison {
    pub(crate) fn ok(&self) -> bool {
        self.missing.is_empty()
    }
}

/// Compares `required` with what the token carries (`token_scopes`, plus offline_access
/// when `has_refresh_token`), noting where accessible-resources (`site`) disagrees.
pub(crate) fn compare(
    required: &[String],
    token_scopes: &[String],
    has_refresh_token: bool,
    site: SiteScopes<'_>,
) -> Comparison {
    let mut granted: Vec<String> = Vec::new();
    for s in token_scopes {
        // offline_access in the token's scope string means nothing without the refresh
        // token it is supposed to bring.
        if s != OFFLINE_ACCESS && !granted.contains(s) {
            granted.push(s.clone());
        }
    }
    if has_refresh_token {
        granted.push(OFFLINE_ACCESS.to_string());
    }

    let mut names: Vec<&String> = Vec::new();
    for s in required.iter().chain(granted.iter()) {
        if !names.contains(&s) {
            names.push(s);
        }
    }
    let mut notes = Vec::new();
    let rows: Vec<Row> = names
        .into_iter()
        .map(|s| {
            let is_granted = granted.contains(s);
            let site_agrees = match site {
                // offline_access is never listed for a site: nothing to compare.
                SiteScopes::Listed(listed) if s != OFFLINE_ACCESS => {
                    Some(listed.contains(s) == is_granted)
                }
                _ => None,
            };
            if site_agrees == Some(false) {
                notes.push(if is_granted {
                    Note::SiteDropped(s.clone())
                } else {
                    Note::TokenLacks(s.clone())
                });
            }
            Row {
                scope: s.clone(),
                required: required.contains(s),
                granted: is_granted,
                site_agrees,
            }
        })
        .collect();
    if matches!(site, SiteScopes::Gone) {
        notes.push(Note::SiteGone);
    }
    let missing = rows
        .iter()
        .filter(|r| r.required && !r.granted)
        .map(|r| r.scope.clone())
        .collect();
    let extra = rows
        .iter()
        .filter(|r| !r.required && r.granted)
        .map(|r| r.scope.clone())
        .collect();
    Comparison {
        rows,
        required: dedup(required),
        granted,
        missing,
        extra,
        notes,
    }
}

fn dedup(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_token_decides_and_offline_access_needs_a_refresh_token() {
        let req = v(&["read:jira-work", "write:jira-work", "offline_access"]);
        let c = compare(
            &req,
            &v(&["read:jira-work", "read:me", "offline_access"]),
            false,
            SiteScopes::Unknown,
        );
        assert_eq!(c.missing, ["write:jira-work", "offline_access"]);
        assert_eq!(c.extra, ["read:me"]);
        assert_eq!(c.granted, ["read:jira-work", "read:me"]);
        assert!(!c.ok());
        let c = compare(
            &req[..1],
            &v(&["read:jira-work"]),
            true,
            SiteScopes::Unknown,
        );
        assert!(c.ok());
        assert_eq!(c.extra, ["offline_access"]);
        assert_eq!(c.rows[0].status(), "ok");
    }

    #[test]
    fn accessible_resources_disagreement_is_noted_not_failed() {
        let req = v(&["read:jira-work", "read:jira-user"]);
        let listed = v(&["read:jira-work"]);
        let c = compare(&req, &req, true, SiteScopes::Listed(&listed));
        assert!(c.ok());
        assert_eq!(c.rows[1].site_agrees, Some(false));
        assert_eq!(c.rows[1].status(), "ok (site disagrees)");
        assert_eq!(c.notes, [Note::SiteDropped("read:jira-user".into())]);
        let c = compare(&req, &req, true, SiteScopes::Gone);
        assert!(c.ok());
        assert_eq!(c.notes, [Note::SiteGone]);
        let c = compare(&req, &req[..1], true, SiteScopes::Listed(&req));
        assert_eq!(c.notes, [Note::TokenLacks("read:jira-user".into())]);
        assert_eq!(c.missing, ["read:jira-user"]);
    }
}
