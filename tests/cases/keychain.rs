//! One keychain for every config dir of the user: each config dir's profiles are its own,
//! and an item an earlier build stored (one per profile name, shared by all config dirs) is
//! moved to the config dir it belongs to, and to no other.

use serde_json::Value;

use crate::support::env::{
    Run, SITE_ID, TestEnv, run, secret_tool_lookup, secret_tool_store, site,
};

const GLOBEX_ID: &str = "9b1d3c5e-0000-4000-8000-00000000beef";

/// `jira-auth ARGS…` with the kernel-keyring cache off: the keychain answers.
fn uncached(env: &TestEnv, args: &[&str]) -> Run {
    let mut cmd = env.cmd();
    cmd.env("JIRA_AUTH_NO_CACHE", "1").args(args);
    run(cmd)
}

/// A world of its own (emulator, config dir) whose grant covers globex, with `profile` as
/// its test profile's name.
fn globex_world_with_profile_named(profile: &str) -> TestEnv {
    let mut env = TestEnv::builder()
        .sites([site("globex", GLOBEX_ID)])
        .build();
    env.profile = profile.to_string();
    env
}

/// Sets the test profile up as a build before namespacing stored it: the config in the
/// keychain item of account PROFILE (shared by every config dir), the index saying
/// "keychain". Made with `init --store file` and libsecret's tool, not with the keychain
/// code under test. Returns the stored config.
fn store_the_old_way(env: &TestEnv) -> Value {
    let mut init = env.init();
    init.args(["--store", "file"]);
    run(init).assert_code(0);
    let cfg = env.stored();
    secret_tool_store(&env.profile, &cfg.to_string());
    std::fs::remove_file(env.credentials_path()).unwrap();
    let index_path = env.config_dir().join("profiles.json");
    let mut index: Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).unwrap()).unwrap();
    index["profiles"][&env.profile]["store"] = "keychain".into();
    std::fs::write(&index_path, index.to_string()).unwrap();
    cfg
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn config_dirs_never_share_the_credentials_of_a_profile_name() {
    let a = TestEnv::with_profile();
    let b = globex_world_with_profile_named(&a.profile);
    // B has no profile of that name: nothing asks for --force, and nothing of A's may change.
    run(b.init()).assert_code(0);

    let a_token = uncached(&a, &["token", "--json"]).assert_code(0).json();
    assert_eq!(a_token["cloud_id"], SITE_ID, "A reads its own profile");
    let b_token = uncached(&b, &["token", "--json"]).assert_code(0).json();
    assert_eq!(b_token["cloud_id"], GLOBEX_ID);
    assert_ne!(a_token["access_token"], b_token["access_token"]);
    assert_eq!(a.keychain_item().unwrap()["site"]["name"], "acme");

    b.jira(&["logout"]).assert_code(0);
    assert!(b.keychain_item().is_none());
    let after = uncached(&a, &["token", "--json"]);
    after.assert_code(0);
    assert_eq!(
        after.json()["access_token"],
        a_token["access_token"],
        "B's logout left A's credentials alone"
    );
    a.assert_no_secret_in("stderr", &after.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn an_item_stored_by_an_earlier_build_is_moved_to_its_config_dirs_own() {
    let env = TestEnv::new();
    let old = store_the_old_way(&env);

    let out = uncached(&env, &["token"]);
    out.assert_code(0);
    let access = old["credential"]["access_token"].as_str().unwrap();
    assert_eq!(out.stdout, format!("{access}\n"), "no consent lost");
    assert_eq!(
        env.keychain_item().expect("moved to PROFILE@NAMESPACE"),
        old,
        "moved as it was"
    );
    assert!(
        secret_tool_lookup(&env.profile).is_none(),
        "the shared item is gone"
    );
    env.assert_no_secret_in("stderr", &out.stderr);

    // From now on the config dir's own item is the profile: refreshed there, removed there.
    let refreshed = uncached(&env, &["token", "--min-ttl", "4000"]);
    refreshed.assert_code(0);
    assert_ne!(refreshed.stdout, out.stdout);
    assert_eq!(
        env.keychain_item().unwrap()["credential"]["access_token"],
        refreshed.stdout.trim()
    );
    env.jira(&["logout"]).assert_code(0);
    assert!(env.keychain_item().is_none());
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn a_shared_item_holding_another_config_dirs_profile_is_left_to_it() {
    let a = TestEnv::new();
    store_the_old_way(&a);
    // What earlier builds did: B's init of the same name replaced the one shared item.
    let b = globex_world_with_profile_named(&a.profile);
    let b_cfg = store_the_old_way(&b);

    let out = uncached(&a, &["token", "--json"]);
    out.assert_error(3, "profile_unusable");
    assert!(
        out.json().get("access_token").is_none(),
        "B's token given out as A's:\n{}",
        out.stdout
    );
    assert!(
        out.stderr.contains("another config directory's profile"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("jira-auth init --force --profile {}", a.profile)),
        "{}",
        out.stderr
    );
    assert!(a.keychain_item().is_none(), "nothing taken");
    assert_eq!(
        secret_tool_lookup(&a.profile).map(|t| serde_json::from_str::<Value>(&t).unwrap()),
        Some(b_cfg.clone()),
        "the shared item is left as it was"
    );

    // B, whose profile it holds, takes it.
    let b_token = uncached(&b, &["token", "--json"]);
    b_token.assert_code(0);
    assert_eq!(b_token.json()["cloud_id"], GLOBEX_ID);
    assert_eq!(b.keychain_item().unwrap(), b_cfg);
    assert!(secret_tool_lookup(&b.profile).is_none());
    a.assert_no_leaks(&out);
    b.assert_no_secret_in("stdout", &out.stdout);
    b.assert_no_secret_in("stderr", &out.stderr);
}
