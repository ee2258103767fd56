//! `scopes check`: required against granted scopes, the fix for each missing one, exit 4.

use crate::support::emulator::{Endpoint, Site};
use crate::support::env::{SITE_ID, TestEnv};

/// The table row of `scope`, with its cells split on whitespace.
#[track_caller]
fn row(stdout: &str, scope: &str) -> Vec<String> {
    stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(scope))
        .unwrap_or_else(|| panic!("no row for {scope} in:\n{stdout}"))
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn all_granted_exits_0_with_the_table() {
    let env = TestEnv::with_profile();
    let _snapshots = env.snapshots();
    let out = env.jira(&["scopes", "check"]);
    out.assert_code(0);
    insta::assert_snapshot!("scopes_check", env.screen(&out));
    let header: Vec<&str> = out
        .stdout
        .lines()
        .next()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["SCOPE", "REQUIRED", "GRANTED", "STATUS"]);
    for scope in [
        "read:jira-work",
        "read:jira-user",
        "read:me",
        "offline_access",
    ] {
        assert_eq!(row(&out.stdout, scope), ["yes", "yes", "ok"], "{scope}");
    }
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1,
        "no refresh for a fresh token"
    );
    assert_eq!(
        env.emu.hits(Endpoint::AccessibleResources),
        2,
        "init's and ours"
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn required_scope_not_granted_exits_4_with_the_console_fix() {
    let env = TestEnv::with_profile();
    let _snapshots = env.snapshots();
    let out = env.jira(&[
        "scopes",
        "check",
        "--require",
        "read:jira-work,write:jira-work",
    ]);
    out.assert_code(4);
    // The table, and on stderr the fix: the console tab to tick the scope on and, as the
    // profile did not request it, the login with the widened list.
    insta::assert_snapshot!("scopes_check_missing", env.screen(&out));
    assert_eq!(
        row(&out.stdout, "write:jira-work"),
        ["yes", "no", "MISSING"]
    );
    assert_eq!(row(&out.stdout, "read:jira-work"), ["yes", "yes", "ok"]);
    assert_eq!(row(&out.stdout, "read:me"), ["no", "yes", "extra"]);
    env.assert_no_leaks(&out);

    // A granular scope names the other tab; a bad name is a usage error.
    let granular = env.jira(&["scopes", "check", "--require", "read:issue:jira"]);
    granular.assert_code(4);
    assert!(
        granular.stderr.contains("under Jira API → Granular scopes"),
        "{}",
        granular.stderr
    );
    env.jira(&["scopes", "check", "--require", "read jira"])
        .assert_code(2);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn scope_withdrawn_after_consent_is_noted_then_missing_after_the_refresh() {
    let env = TestEnv::with_profile();
    env.emu.withdraw_scope("read:jira-user");

    // The current token still carries it: granted, with accessible-resources' disagreement.
    let out = env.jira(&["scopes", "check"]);
    out.assert_code(0);
    assert_eq!(
        row(&out.stdout, "read:jira-user"),
        ["yes", "yes", "ok", "(site", "disagrees)"]
    );
    assert!(
        out.stderr.contains(
            "note: read:jira-user: the token has it but accessible-resources no longer lists it for the site"
        ),
        "{}",
        out.stderr
    );

    // The next token comes without it.
    env.jira(&["token", "--min-ttl", "4000"]).assert_code(0);
    let out = env.jira(&["scopes", "check"]);
    out.assert_code(4);
    assert_eq!(row(&out.stdout, "read:jira-user"), ["yes", "no", "MISSING"]);
    assert!(
        out.stderr.contains(&format!(
            "then run `jira-auth login --profile {}` to consent again",
            env.profile
        )),
        "{}",
        out.stderr
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn json_has_required_granted_missing_extra_and_keeps_exit_4() {
    let env = TestEnv::with_profile();
    let _snapshots = env.snapshots();
    let out = env.jira(&[
        "scopes",
        "check",
        "--json",
        "--require",
        "read:jira-work write:jira-work",
    ]);
    out.assert_code(4);
    insta::assert_snapshot!("scopes_check_missing_json", env.screen(&out));
    let j = out.json();
    assert_eq!(
        j["required"],
        serde_json::json!(["read:jira-work", "write:jira-work"])
    );
    assert_eq!(
        j["granted"],
        serde_json::json!([
            "read:jira-work",
            "read:jira-user",
            "read:me",
            "offline_access"
        ])
    );
    assert_eq!(j["missing"], serde_json::json!(["write:jira-work"]));
    assert_eq!(
        j["extra"],
        serde_json::json!(["read:jira-user", "read:me", "offline_access"])
    );
    assert_eq!(j["ok"], false);
    assert_eq!(j["profile"], env.profile.as_str());
    assert_eq!(j["site"]["cloud_id"], SITE_ID);
    assert_eq!(j["site"]["in_accessible_resources"], true);
    assert!(
        j["fixes"][0]
            .as_str()
            .unwrap()
            .contains("Jira API → Classic scopes")
    );
    env.assert_no_leaks(&out);

    let ok = env.jira(&["scopes", "check", "--json"]);
    ok.assert_code(0);
    let j = ok.json();
    assert_eq!(j["ok"], true);
    assert_eq!(j["missing"], serde_json::json!([]));
    assert_eq!(j["login"], serde_json::Value::Null);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn expired_access_token_is_refreshed_first() {
    let env = TestEnv::builder().with_profile().due_for_refresh().build();

    let out = env.jira(&["scopes", "check"]);
    out.assert_code(0);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init + exactly one refresh"
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn revoked_refresh_token_exits_3() {
    let env = TestEnv::builder()
        .access_token_ttl(30)
        .with_profile()
        .build();
    env.emu.revoke_all_refresh_tokens();

    let out = env.jira(&["scopes", "check"]);
    out.assert_code(3);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(out.stderr.contains("jira-auth login"), "{}", out.stderr);
    env.assert_no_leaks(&out);
}

#[test]
fn no_profile_exits_3() {
    let env = TestEnv::new();
    let out = env.jira(&["scopes", "check"]);
    out.assert_code(3);
    assert!(out.stderr.contains("jira-auth init"), "{}", out.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn site_gone_from_accessible_resources_exits_3_with_login() {
    let env = TestEnv::with_profile();
    env.emu.set_sites(vec![Site::new(
        "22222222-bbbb-4000-8000-000000000002",
        "beta",
        "https://beta.atlassian.net",
    )]);
    let out = env.jira(&["scopes", "check"]);
    out.assert_code(3);
    // The token's view is still shown, with the reason it does not count.
    assert_eq!(row(&out.stdout, "read:jira-work"), ["yes", "yes", "ok"]);
    assert!(
        out.stderr.contains("acme (https://acme.atlassian.net), is no longer in accessible-resources: no scope is granted for it"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("run `jira-auth login --profile {}`", env.profile)),
        "{}",
        out.stderr
    );

    let out = env.jira(&["scopes", "check", "--json"]);
    out.assert_code(3);
    let j = out.json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["site"]["in_accessible_resources"], false);
    assert_eq!(j["missing"], serde_json::json!([]));
    env.assert_no_leaks(&out);
}

/// Atlassian refusing the token is an answer: nothing is granted, whatever the token lists.
#[test]
fn a_token_atlassian_refuses_exits_3_as_sites_does() {
    let env = TestEnv::builder().profile_in_file_store().build();
    // The user removed the app's access in their account: the stored token still looks
    // valid here, but Atlassian answers 401.
    env.emu.revoke_grant();
    for args in [&["scopes", "check", "--json"][..], &["scopes", "check"]] {
        let out = env.jira(args);
        if args.contains(&"--json") {
            out.assert_error(3, "access_token_rejected");
        } else {
            out.assert_code(3);
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        }
        assert!(
            out.stderr.contains("Atlassian refused the access token")
                && out.stderr.contains("jira-auth login"),
            "{args:?}: {}",
            out.stderr
        );
        env.assert_no_leaks(&out);
    }
    env.jira(&["sites"]).assert_code(3);
}
