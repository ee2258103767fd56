//! Several profiles: the default, status for all, logout of one and of all.

use crate::support::env::{TestEnv, run};

fn init_file_profile(env: &TestEnv, name: &str) {
    let mut cmd = env.init();
    cmd.args(["--store", "file", "--profile", name]);
    run(cmd).assert_code(0);
}

#[test]
fn status_lists_profiles_and_logout_all_removes_them() {
    let env = TestEnv::new();
    init_file_profile(&env, "work");
    // The same app and port serve a second profile.
    init_file_profile(&env, "home");
    let mut status = env.cmd();
    status
        .env_remove("JIRA_AUTH_PROFILE")
        .args(["status", "--json"]);
    let s = run(status).assert_code(0).json();
    assert_eq!(
        s["default"], "work",
        "the first profile becomes the default"
    );
    let names: Vec<&str> = s["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["home", "work"]);
    assert_eq!(s["profiles"][1]["default"], true);

    let mut one = env.cmd();
    one.args(["status", "--profile", "nope"]);
    let out = run(one);
    out.assert_code(3);
    assert!(out.stderr.contains("no profile named 'nope'"));

    let mut logout = env.cmd();
    logout
        .env_remove("JIRA_AUTH_PROFILE")
        .args(["logout", "--all", "--json"]);
    let out = run(logout);
    out.assert_code(0);
    let mut removed: Vec<String> = serde_json::from_value(out.json()["removed"].clone()).unwrap();
    removed.sort();
    assert_eq!(removed, ["home", "work"]);
    let creds = env.config_dir().join("credentials");
    assert_eq!(
        std::fs::read_dir(&creds).unwrap().count(),
        0,
        "no credential file left"
    );
    let mut status = env.cmd();
    status.env_remove("JIRA_AUTH_PROFILE").arg("status");
    run(status).assert_code(3);
}
