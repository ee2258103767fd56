//! `status` says of the selected profile what `token` would find, with `token`'s exit code,
//! remembers a renewal Atlassian refused, and with `--check` asks Atlassian itself.

use serde_json::Value;

use crate::support::env::{TestEnv, run};

fn file_profile() -> TestEnv {
    TestEnv::builder().profile_in_file_store().build()
}

/// `status --json`: its exit code, and the selected profile's entry.
fn status_json(env: &TestEnv, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["status", "--json"];
    args.extend_from_slice(extra);
    let out = env.jira(&args);
    env.assert_no_leaks(&out);
    let json = out.json();
    let entry = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == env.profile.as_str())
        .cloned()
        .expect("the test profile is listed");
    (out.code, entry)
}

#[cfg(unix)]
#[test]
fn status_finds_what_token_finds_in_the_store_and_exits_as_it_does() {
    use std::os::unix::fs::PermissionsExt;
    let env = file_profile();
    let path = env.credentials_path();
    let good = std::fs::read(&path).unwrap();
    let (code, entry) = status_json(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(entry["usable"]["ok"], true);

    let exposed =
        || std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let cut_short = || std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let removed = || std::fs::remove_file(&path).unwrap();
    let breakages: [(&str, &dyn Fn()); 3] = [
        ("readable by others", &exposed),
        ("cut short", &cut_short),
        ("missing", &removed),
    ];
    for (what, break_it) in breakages {
        break_it();
        let token = env.jira(&["token"]);
        assert_ne!(token.code, 0, "{what}: token works");
        let (code, entry) = status_json(&env, &[]);
        assert_eq!(code, token.code, "{what}: status exits as token does");
        assert_eq!(entry["usable"]["ok"], false, "{what}");
        assert_eq!(entry["usable"]["exit_code"], token.code, "{what}");
        let problem = entry["usable"]["problem"].as_str().unwrap();
        let said = token.stderr.lines().next().unwrap();
        assert!(
            said.contains(problem.split(": ").next().unwrap()),
            "{what}: status says {problem:?}, token {said:?}"
        );
        let human = env.jira(&["status"]);
        human.assert_code(token.code);
        assert!(
            !human.stderr.contains("token      valid"),
            "{what}:\n{}",
            human.stderr
        );
        assert!(
            human.stderr.contains("  problem    "),
            "{what}:\n{}",
            human.stderr
        );
        std::fs::write(&path, &good).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    assert_eq!(status_json(&env, &[]).0, 0);
}

#[test]
fn other_profiles_are_listed_from_the_index_alone() {
    let env = file_profile();
    let mut init = env.init();
    init.args(["--store", "file", "--profile", "other"]);
    run(init).assert_code(0);
    // The other profile's credentials are gone: listing it needs none of them.
    std::fs::remove_file(env.config_dir().join("credentials").join("other.json")).unwrap();
    let mut all = env.cmd();
    all.env_remove("JIRA_AUTH_PROFILE")
        .args(["status", "--json"]);
    let out = run(all);
    // The default (the first profile) is what `token` would use, and it is fine.
    out.assert_code(0);
    let json = out.json();
    let other = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "other")
        .unwrap();
    assert_eq!(other["usable"], Value::Null, "not read");
    assert_eq!(other["site"]["name"], "acme");
    env.jira(&["status", "--profile", "other"]).assert_code(3);
}

#[test]
fn a_renewal_atlassian_refused_is_remembered_for_status_and_doctor() {
    let env = TestEnv::builder()
        .profile_in_file_store()
        .due_for_refresh()
        .build();
    env.emu.revoke_all_refresh_tokens();
    env.jira(&["token"]).assert_code(3);

    let _snapshots = env.snapshots();
    let out = env.jira(&["status"]);
    out.assert_code(3);
    insta::assert_snapshot!("status_refused", env.screen(&out));
    let (code, entry) = status_json(&env, &[]);
    assert_eq!(code, 3);
    assert_eq!(entry["renewal_refused"]["what"], "refresh-token");
    assert!(entry["renewal_refused"]["at"].is_string());

    let mut doctor = env.cmd();
    doctor.args(["doctor", "--store", "file"]);
    let doctor = run(doctor);
    doctor.assert_code(3);
    let profile_line = doctor
        .stdout
        .lines()
        .find(|l| l.contains(" profile "))
        .unwrap();
    assert!(
        profile_line.contains("Atlassian refused its refresh token"),
        "{}",
        doctor.stdout
    );

    // A new consent ends it.
    env.jira(&["login", "--no-input"]).assert_code(0);
    let (code, entry) = status_json(&env, &[]);
    assert_eq!(code, 0);
    assert_eq!(entry["renewal_refused"], Value::Null);
}

#[test]
fn status_check_asks_atlassian() {
    let env = file_profile();
    let _snapshots = env.snapshots();
    let out = env.jira(&["status", "--check"]);
    out.assert_code(0);
    insta::assert_snapshot!("status_check", env.screen(&out));
    let (code, entry) = status_json(&env, &["--check"]);
    assert_eq!(code, 0);
    assert!(
        entry["usable"]["check"]
            .as_str()
            .unwrap()
            .contains("Atlassian accepts the token"),
        "{entry}"
    );

    // The user removed the app's access: the stored token still looks valid…
    env.emu.revoke_grant();
    assert_eq!(status_json(&env, &[]).0, 0);
    // …but Atlassian refuses it.
    let (code, entry) = status_json(&env, &["--check"]);
    assert_eq!(code, 3);
    assert_eq!(entry["usable"]["ok"], false);
    let out = env.jira(&["status", "--check"]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("Atlassian refused the access token"),
        "{}",
        out.stderr
    );
}
