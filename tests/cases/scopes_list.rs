//! `scopes list` (the catalog, as a table and as JSON) and the catalog's checks on every
//! scope a user enters.

use serde_json::Value;

use crate::support::emulator::Endpoint;
use crate::support::env::{CLIENT_ID, Run, TestEnv, require_secret_service, run};

fn names(run: &Run) -> Vec<String> {
    run.json()["scopes"]
        .as_array()
        .expect("a JSON array of scopes")
        .iter()
        .map(|s| s["name"].as_str().expect("a name").to_string())
        .collect()
}

#[test]
fn json_lists_every_scope_with_its_console_place() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "list", "--json"]);
    out.assert_code(0);
    let all = out.json();
    let all = all["scopes"].as_array().unwrap();
    assert_eq!(
        all.len(),
        212,
        "7 classic + 202 granular + 2 identity + offline_access"
    );
    for s in all {
        let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["api", "description", "kind", "name"], "{s}");
        assert!(s["description"].as_str().unwrap().ends_with('.'), "{s}");
    }
    let find = |n: &str| all.iter().find(|s| s["name"] == n).unwrap().clone();
    let work = find("read:jira-work");
    assert_eq!(
        (&work["api"], &work["kind"]),
        (&"Jira API".into(), &"classic".into())
    );
    let sprint = find("read:sprint:jira-software");
    assert_eq!(
        (&sprint["api"], &sprint["kind"]),
        (&"Jira API".into(), &"granular".into())
    );
    let me = find("read:me");
    assert_eq!(me["api"], "User Identity API");
    let offline = find("offline_access");
    assert_eq!(
        (&offline["api"], &offline["kind"]),
        (&Value::Null, &Value::Null)
    );
    // No keychain, no network: nothing was asked of Atlassian.
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
fn classic_means_the_classic_tabs() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "list", "--classic", "--json"]);
    out.assert_code(0);
    assert_eq!(
        names(&out),
        [
            "read:jira-work",
            "write:jira-work",
            "read:jira-user",
            "manage:jira-project",
            "manage:jira-configuration",
            "manage:jira-webhook",
            "manage:jira-data-provider",
            "read:me",
            "read:account",
        ],
        "offline_access is on no tab"
    );
}

#[test]
fn granular_has_no_classic_scope() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "list", "--granular", "--json"]);
    out.assert_code(0);
    let all = out.json();
    let all = all["scopes"].as_array().unwrap();
    assert_eq!(all.len(), 202);
    assert!(
        all.iter()
            .all(|s| s["kind"] == "granular" && s["api"] == "Jira API")
    );
    let n = names(&out);
    assert!(n.iter().all(|n| n.split(':').count() == 3), "{n:?}");
    assert_eq!(
        n.iter().filter(|n| n.ends_with(":jira-software")).count(),
        22
    );
    // The two filters exclude each other.
    let both = env.jira(&["scopes", "list", "--granular", "--classic"]);
    both.assert_code(2);
}

#[test]
fn search_matches_names_and_descriptions_case_insensitively() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "list", "--json", "--search", "WORKLOG"]);
    out.assert_code(0);
    let n = names(&out);
    for want in [
        "read:jira-work",
        "read:issue-worklog:jira",
        "write:issue-worklog:jira",
        "delete:issue-worklog:jira",
        "read:issue-worklog.property:jira",
    ] {
        assert!(n.iter().any(|s| s == want), "{want} missing from {n:?}");
    }
    for s in out.json()["scopes"].as_array().unwrap() {
        let text = format!("{} {}", s["name"], s["description"]).to_lowercase();
        assert!(text.contains("worklog"), "{s}");
    }
    let granular = env.jira(&[
        "scopes",
        "list",
        "--granular",
        "--json",
        "--search",
        "worklog",
    ]);
    assert_eq!(names(&granular).len(), 6);
}

#[test]
fn no_match_is_an_empty_list_exit_0_and_a_note() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "list", "--search", "frobnicate"]);
    out.assert_code(0);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("no scopes match 'frobnicate'"),
        "{}",
        out.stderr
    );
    let json = env.jira(&["scopes", "list", "--json", "--search", "frobnicate"]);
    json.assert_code(0);
    assert_eq!(
        json.json(),
        serde_json::json!({"schema_version": 1, "scopes": []})
    );
}

#[test]
fn table_is_aligned_and_grouped_by_api_then_tab() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "list"]);
    out.assert_code(0);
    assert!(out.stderr.is_empty(), "the list itself goes to stdout");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let header = lines[0];
    assert!(header.starts_with("NAME"), "{header}");
    let (kind_col, api_col, desc_col) = (
        header.find("KIND").unwrap(),
        header.find("API").unwrap(),
        header.find("DESCRIPTION").unwrap(),
    );
    let row = |name: &str| {
        *lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed"))
    };
    let sprint = row("read:sprint:jira-software");
    assert_eq!(&sprint[kind_col..kind_col + 8], "granular");
    assert!(sprint[api_col..].starts_with("Jira API"));
    assert!(sprint[desc_col..].ends_with('.'));
    let me = row("read:me");
    assert!(me[api_col..].starts_with("User Identity API"));
    // Groups in console order, separated by one blank line each.
    let pos = |name: &str| lines.iter().position(|l| *l == row(name)).unwrap();
    assert!(pos("manage:jira-data-provider") < pos("read:issue:jira"));
    assert!(pos("read:issue:jira") < pos("read:sprint:jira-software"));
    assert!(pos("read:sprint:jira-software") < pos("read:me"));
    assert!(pos("read:me") < pos("offline_access"));
    assert_eq!(lines.iter().filter(|l| l.is_empty()).count(), 3);
    assert_eq!(lines.len(), 1 + 212 + 3);
}

#[test]
fn a_mistyped_scope_is_exit_2_with_suggestions_before_any_browser() {
    let env = TestEnv::new();
    let mut cmd = env.init_scopes("read:jira-wrok");
    cmd.args(["--timeout", "5"]);
    let out = run(cmd);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("unknown scope 'read:jira-wrok': did you mean read:jira-work?"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("scopes list --search"),
        "{}",
        out.stderr
    );
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
    assert!(env.browser_entries().is_empty());

    // The same check for the env var.
    let mut cmd = env.cmd();
    cmd.args(["init", "--no-input", "--client-id", CLIENT_ID])
        .env("JIRA_AUTH_SCOPES", "read:me read:issues:jira")
        .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let out = run(cmd);
    out.assert_code(2);
    assert!(
        out.stderr.contains("did you mean read:issue:jira"),
        "{}",
        out.stderr
    );
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
}

#[test]
fn duplicates_are_dropped_and_offline_access_added() {
    let env = TestEnv::new();
    let mut cmd = env.init_scopes("read:jira-work read:me,read:jira-work read:me");
    cmd.args(["--json", "--store", "file"]);
    let out = run(cmd);
    out.assert_code(0);
    assert_eq!(
        out.json()["scopes_requested"],
        serde_json::json!(["read:jira-work", "read:me", "offline_access"])
    );
}

/// A scope newer than the catalog (tests tick it for the app as Atlassian would let them).
pub const NEW_SCOPE: &str = "read:hologram:jira";

#[test]
fn allow_unknown_scopes_requests_a_name_newer_than_the_catalog_on_init_and_login() {
    let env = TestEnv::builder().also_ticked(&[NEW_SCOPE]).build();
    let list = format!("read:jira-work {NEW_SCOPE}");
    let init = |extra: &[&str], env_var: Option<&str>| {
        let mut cmd = env.init_scopes(&list);
        cmd.args(["--json", "--store", "file", "--force"])
            .args(extra);
        if let Some(v) = env_var {
            cmd.env("JIRA_AUTH_ALLOW_UNKNOWN_SCOPES", v);
        }
        run(cmd)
    };

    // Without the escape hatch: exit 2, and the hint names it.
    let out = init(&[], None);
    out.assert_code(2);
    assert!(
        out.stderr.contains(&format!("unknown scope '{NEW_SCOPE}'")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("--allow-unknown-scopes (or JIRA_AUTH_ALLOW_UNKNOWN_SCOPES=1)"),
        "{}",
        out.stderr
    );
    // A false value of the env var is no permission.
    init(&[], Some("0")).assert_code(2);
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);

    // With it: a warning, and the name goes to Atlassian and into the profile.
    let out = init(&["--allow-unknown-scopes"], None);
    out.assert_code(0);
    assert!(
        out.stderr.contains(&format!(
            "warning: not in jira-auth's scope catalog, requested anyway (--allow-unknown-scopes): {NEW_SCOPE}"
        )),
        "{}",
        out.stderr
    );
    let j = out.json();
    assert_eq!(
        j["scopes_requested"],
        serde_json::json!(["read:jira-work", NEW_SCOPE, "offline_access"])
    );
    assert!(
        j["scopes_granted"]
            .as_array()
            .unwrap()
            .contains(&NEW_SCOPE.into()),
        "{j}"
    );
    // `scopes check` of that profile compares it like any other scope, and --require may
    // name it; an unknown name the profile does not have is still a usage error.
    env.jira(&["scopes", "check"]).assert_code(0);
    env.jira(&["scopes", "check", "--require", NEW_SCOPE])
        .assert_code(0);
    let out = env.jira(&["scopes", "check", "--require", "read:other-new:jira"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("unknown scope 'read:other-new:jira'"),
        "{}",
        out.stderr
    );

    // The shape check stays, flag or not.
    let mut cmd = env.cmd();
    cmd.args(["init", "--no-input", "--force", "--allow-unknown-scopes"])
        .args(["--client-id", CLIENT_ID])
        .args(["--scopes", "read:jira-work https://example.com/scope"])
        .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let out = run(cmd);
    out.assert_code(2);
    assert!(out.stderr.contains("is not a scope name"), "{}", out.stderr);

    // login: the same refusal, and the env var as the escape hatch.
    let out = env.jira(&["login", "--no-input", "--scopes", NEW_SCOPE]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("--allow-unknown-scopes"),
        "{}",
        out.stderr
    );
    let mut cmd = env.cmd();
    cmd.args(["login", "--no-input", "--json", "--scopes", NEW_SCOPE])
        .env("JIRA_AUTH_ALLOW_UNKNOWN_SCOPES", "1");
    let out = run(cmd);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains("warning: not in jira-auth's scope catalog"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.json()["scopes_requested"],
        serde_json::json!([NEW_SCOPE, "offline_access"])
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn an_allowed_unknown_scope_that_is_not_ticked_times_out_listed_under_its_tab() {
    // The keychain: init checks it before the browser step.
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.init_scopes(&format!("read:jira-work {NEW_SCOPE}"));
    cmd.args(["--allow-unknown-scopes", "--timeout", "3"]);
    let out = run(cmd);
    out.assert_code(7);
    let granular = out
        .stderr
        .find("Jira API → Granular scopes:")
        .expect(&out.stderr);
    let new = out
        .stderr
        .find(&format!("[ ] {NEW_SCOPE}"))
        .expect(&out.stderr);
    assert!(granular < new, "{}", out.stderr);
}
