//! Several profiles: the default, status for all, logout of one and of all.

use crate::support::env::{TestEnv, run};

fn init_file_profile(env: &TestEnv, name: &str) {
    env.init_with(&["--store", "file", "--profile", name])
        .assert_code(0);
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

    // Idempotent: nothing left is not an error, in JSON too.
    let mut again = env.cmd();
    again
        .env_remove("JIRA_AUTH_PROFILE")
        .args(["logout", "--all", "--json"]);
    let out = run(again);
    out.assert_code(0);
    assert_eq!(
        out.json(),
        serde_json::json!({ "schema_version": 1, "removed": [] })
    );
}

#[test]
fn logout_all_never_turns_a_hand_edited_index_name_into_a_path() {
    let env = TestEnv::new();
    init_file_profile(&env, "work");
    // A file beside the config dir that a name like "../../victim" would reach.
    let victim = env.dir.path().join("victim.json");
    std::fs::write(&victim, "{}").unwrap();
    let index_path = env.config_dir().join("profiles.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).unwrap()).unwrap();
    let entry = index["profiles"]["work"].clone();
    index["profiles"]["../../victim"] = entry;
    std::fs::write(&index_path, serde_json::to_string(&index).unwrap()).unwrap();

    let mut logout = env.cmd();
    logout
        .env_remove("JIRA_AUTH_PROFILE")
        .args(["logout", "--all", "--json"]);
    let out = run(logout);
    out.assert_code(0);
    assert_eq!(
        out.json(),
        serde_json::json!({ "schema_version": 1, "removed": ["work"] })
    );
    assert!(victim.exists(), "a file outside the config dir was deleted");
    assert!(
        out.stderr.contains("not a valid profile name"),
        "{}",
        out.stderr
    );
    let left = std::fs::read_to_string(&index_path).unwrap();
    assert!(!left.contains("victim"), "{left}");
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn status_shows_refresh_token_expiry_and_scopes_lost_since_consent() {
    let env = TestEnv::builder().with_profile().due_for_refresh().build();
    // The app's admin un-ticks a scope; the next refreshed token comes without it.
    env.emu.withdraw_scope("read:jira-user");
    env.jira(&["token"]).assert_code(0);

    let out = env.jira(&["status", "--json"]);
    out.assert_code(0);
    let p = &out.json()["profiles"][0];
    assert_eq!(p["scopes_missing"], serde_json::json!(["read:jira-user"]));
    assert_eq!(
        p["api_base_url"],
        format!(
            "{}/ex/jira/{}",
            env.emu.api_url(),
            crate::support::env::SITE_ID
        )
        .as_str()
    );
    let issued = p["refresh_token_issued_at"].as_str().expect("issued_at");
    let dies = p["refresh_token_expires_if_unused_at"]
        .as_str()
        .expect("expiry");
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    };
    assert_eq!(parse(dies) - parse(issued), time::Duration::days(90));
    env.assert_no_leaks(&out);

    let human = env.jira(&["status"]);
    human.assert_code(0);
    assert!(
        human.stderr.contains("missing    read:jira-user"),
        "{}",
        human.stderr
    );
    assert!(
        human.stderr.contains("expires if unused by"),
        "{}",
        human.stderr
    );
    env.assert_no_leaks(&human);
}

/// A profile stored by jira-auth 0.1 (format 1: the OAuth fields at the top level, method
/// "oauth2" in the index) keeps working: read, refreshed, and written back in format 2.
#[test]
fn a_profile_stored_by_the_first_release_is_read_refreshed_and_upgraded() {
    let env = TestEnv::new();
    let mut init = env.init();
    init.args(["--store", "file"]);
    run(init).assert_code(0);
    let path = env
        .config_dir()
        .join("credentials")
        .join(format!("{}.json", env.profile));
    let read = || -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    };
    // Rewrite it as the first release wrote it.
    let now = read();
    let mut old = now["credential"].clone();
    let fields = old.as_object_mut().unwrap();
    fields.remove("method");
    for key in ["profile", "site", "created_at", "updated_at"] {
        fields.insert(key.into(), now[key].clone());
    }
    fields.insert("version".into(), 1.into());
    fields.insert("method".into(), "oauth2".into());
    fields.insert("grant".into(), "authorization_code".into());
    std::fs::write(&path, serde_json::to_string(&old).unwrap()).unwrap();
    let index_path = env.config_dir().join("profiles.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).unwrap()).unwrap();
    index["profiles"][&env.profile]["method"] = "oauth2".into();
    std::fs::write(&index_path, index.to_string()).unwrap();

    let status = env.jira(&["status", "--json"]).assert_code(0).json();
    assert_eq!(status["profiles"][0]["method"], "oauth");
    let out = env.jira(&["token"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        format!("{}\n", old["access_token"].as_str().unwrap())
    );

    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(0);
    let upgraded = read();
    assert_eq!(upgraded["version"], 2);
    assert_eq!(upgraded["credential"]["method"], "oauth");
    assert_eq!(
        out.stdout,
        format!(
            "{}\n",
            upgraded["credential"]["access_token"].as_str().unwrap()
        )
    );
    assert_eq!(
        upgraded["credential"]["previous_refresh_token"], old["refresh_token"],
        "refreshed with the refresh token format 1 held"
    );
    assert_eq!(upgraded["created_at"], old["created_at"]);
    env.assert_no_secret_in("stderr", &out.stderr);
}

#[test]
fn switch_changes_the_default_profile() {
    let env = TestEnv::new();
    init_file_profile(&env, "work");
    init_file_profile(&env, "home");
    let unset = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.env_remove("JIRA_AUTH_PROFILE").args(args);
        run(cmd)
    };
    let token_of = |name: &str| {
        let stored: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                env.config_dir()
                    .join("credentials")
                    .join(format!("{name}.json")),
            )
            .unwrap(),
        )
        .unwrap();
        format!(
            "{}\n",
            stored["credential"]["access_token"].as_str().unwrap()
        )
    };
    assert_eq!(
        unset(&["token"]).stdout,
        token_of("work"),
        "the first is the default"
    );

    let out = unset(&["switch", "home", "--json"]);
    out.assert_code(0);
    assert_eq!(
        out.json(),
        serde_json::json!({"schema_version": 1, "default": "home", "previous": "work"})
    );
    assert!(
        out.stderr
            .contains("The default profile is now 'home' (was 'work')."),
        "{}",
        out.stderr
    );
    assert_eq!(unset(&["token"]).stdout, token_of("home"));
    assert_eq!(unset(&["status", "--json"]).json()["default"], "home");
    let again = unset(&["switch", "home"]);
    again.assert_code(0);
    assert!(
        again.stderr.contains("already the default"),
        "{}",
        again.stderr
    );

    let out = unset(&["switch", "nope"]);
    out.assert_code(3);
    assert!(
        out.stderr.contains("no profile named 'nope'"),
        "{}",
        out.stderr
    );
    let out = unset(&["switch"]);
    out.assert_code(2);
    assert!(out.stderr.contains("home, work"), "{}", out.stderr);
    assert_eq!(unset(&["status", "--json"]).json()["default"], "home");
}
