//! Jira Data Center's OAuth 2.0 scopes: four words (`READ`, `WRITE`, `ADMIN`,
//! `SYSTEM_ADMIN`), each capped by what the user may do anyway, none of them Cloud's; the
//! presets as Data Center spells them; and the checklist for the admin who creates the
//! incoming application link (docs/protocol.md, "Jira Data Center").

use super::request::ScopeError;

/// The scopes, in increasing reach, with what each lets the token do.
pub(crate) const SCOPES: [(&str, &str); 4] = [
    ("READ", "view what the user can see"),
    ("WRITE", "view and change what the user can change"),
    ("ADMIN", "also administer projects the user administers"),
    (
        "SYSTEM_ADMIN",
        "also administer the instance, for a system administrator",
    ),
];

/// `read-only` → READ, `read-write` → WRITE, `admin` → ADMIN: the Cloud presets' names, so
/// a script says the same thing for either deployment.
pub(crate) const PRESETS: [(&str, &str); 3] = [
    ("read-only", "READ"),
    ("read-write", "WRITE"),
    ("admin", "ADMIN"),
];

/// Whether `name` is one of Data Center's scopes (exactly: Jira spells them in capitals).
pub(crate) fn is_scope(name: &str) -> bool {
    SCOPES.iter().any(|(s, _)| *s == name)
}

/// "READ, WRITE, ADMIN, SYSTEM_ADMIN".
pub(crate) fn names() -> String {
    SCOPES
        .iter()
        .map(|(s, _)| *s)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What `granted` lets a token do: each scope includes those before it (WRITE reads too).
pub(crate) fn implied(granted: &[String]) -> Vec<String> {
    let widest = granted
        .iter()
        .filter_map(|g| SCOPES.iter().position(|(s, _)| s == g))
        .max();
    match widest {
        Some(i) => SCOPES[..=i].iter().map(|(s, _)| s.to_string()).collect(),
        None => Vec::new(),
    }
}

/// A `--scopes` list for a Data Center site: comma or space separated, duplicates dropped;
/// a Cloud scope (or anything else) is refused with the valid names. Lower case is taken as
/// meant (`read` is READ): nothing else could be meant by it.
pub(crate) fn parse_request(list: &str) -> Result<Vec<String>, ScopeError> {
    let mut out: Vec<String> = Vec::new();
    for raw in list.split(|c: char| c == ',' || c.is_whitespace()) {
        if raw.is_empty() {
            continue;
        }
        let upper = raw.to_ascii_uppercase();
        if !is_scope(&upper) {
            return Err(ScopeError::NotForDataCenter {
                scope: raw.to_string(),
                valid: names(),
            });
        }
        if !out.contains(&upper) {
            out.push(upper);
        }
    }
    if out.is_empty() {
        return Err(ScopeError::NotForDataCenter {
            scope: String::new(),
            valid: names(),
        });
    }
    Ok(out)
}

/// The scope a preset means on Data Center.
pub(crate) fn preset(name: &str) -> Result<Vec<String>, ScopeError> {
    PRESETS
        .iter()
        .find(|(p, _)| *p == name)
        .map(|(_, scope)| vec![scope.to_string()])
        .ok_or_else(|| ScopeError::UnknownPreset {
            name: name.to_string(),
            choices: PRESETS.iter().map(|(p, _)| *p).collect(),
        })
}

/// What the Jira administrator sets up before `init` can go on: an incoming application
/// link whose redirect URL is exactly the callback jira-auth listens on, with the scope
/// asked for. A loopback callback is plain http, which Jira refuses unless told not to.
pub(crate) fn checklist(base: &str, redirect: &str, scopes: &[String]) -> String {
    let https = if redirect.starts_with("http://") {
        "\n  4. The redirect URL is plain http on this machine, which Jira refuses by default: a Jira\n     system administrator must start Jira with the system property\n     -Datlassian.oauth2.provider.skip.redirect.url.https.requirement=true\n     (in setenv.sh, JVM_SUPPORT_RECOMMENDED_ARGS, then a restart): jira-auth's callback is\n     always plain http on this machine."
            .to_string()
    } else {
        String::new()
    };
    format!(
        "Jira Data Center: create an incoming application link (a Jira administrator does this)\n  1. {base}: Administration (cog) → Applications → Application links → Create link\n     → External application → Direction: Incoming.\n  2. Name it (e.g. jira-auth); Redirect URL: {redirect} (exactly)\n     Permission: {} (the scopes jira-auth asks for: {}).\n  3. Save: Jira shows the Client ID and the Client secret; copy both.{https}\n",
        scopes.last().map(String::as_str).unwrap_or("READ"),
        scopes.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_data_center_scopes_are_taken() {
        assert_eq!(
            parse_request("READ, write WRITE").unwrap(),
            ["READ", "WRITE"]
        );
        let e = parse_request("READ read:jira-work").unwrap_err();
        assert_eq!(
            e.to_string(),
            "'read:jira-work' is not a Jira Data Center scope: the scopes are READ, WRITE, ADMIN, SYSTEM_ADMIN"
        );
        assert!(parse_request(" , ").is_err());
    }

    #[test]
    fn a_scope_includes_those_before_it() {
        assert_eq!(implied(&["WRITE".into()]), ["READ", "WRITE"]);
        assert_eq!(
            implied(&["READ".into(), "ADMIN".into()]),
            ["READ", "WRITE", "ADMIN"]
        );
        assert!(implied(&[]).is_empty());
    }

    #[test]
    fn presets_map_to_one_scope_each() {
        assert_eq!(preset("read-only").unwrap(), ["READ"]);
        assert_eq!(preset("read-write").unwrap(), ["WRITE"]);
        assert_eq!(preset("admin").unwrap(), ["ADMIN"]);
        assert!(preset("everything").is_err());
    }

    #[test]
    fn the_checklist_says_when_http_needs_the_property() {
        let text = checklist(
            "https://jira.example.com",
            "http://127.0.0.1:8976/callback",
            &["READ".into()],
        );
        assert!(
            text.contains("skip.redirect.url.https.requirement"),
            "{text}"
        );
        assert!(text.contains("Direction: Incoming"), "{text}");
        let text = checklist(
            "https://jira.example.com",
            "https://cb.example.com/callback",
            &["READ".into()],
        );
        assert!(!text.contains("skip.redirect"), "{text}");
    }
}
