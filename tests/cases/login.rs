//! `login`: a new consent for an existing profile, with the client it already has.

use crate::support::emulator::Endpoint;
use crate::support::env::{CLIENT_ID, SITE_ID, TestEnv};

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn login_after_revocation_stores_a_new_grant_with_the_same_client() {
    let env = TestEnv::with_profile();
    let before = env.keychain_item().expect("the profile is in the keychain");
    env.emu.revoke_all_refresh_tokens();

    let out = env.jira(&["login", "--no-input"]);
    out.assert_code(0);
    assert!(
        out.stderr
            .contains(&format!("Saved profile '{}' (keychain)", env.profile)),
        "{}",
        out.stderr
    );
    let after = env.keychain_item().expect("the profile is in the keychain");
    assert_ne!(
        after["credential"]["refresh_token"], before["credential"]["refresh_token"],
        "a new grant"
    );
    assert!(
        env.emu
            .issued_secrets()
            .iter()
            .any(|s| after["credential"]["refresh_token"] == s.as_str())
    );
    assert_eq!(after["credential"]["client_id"], CLIENT_ID);
    assert_eq!(after["credential"]["client_secret"], env.secret.as_str());
    assert_eq!(after["site"]["cloud_id"], SITE_ID);
    assert_eq!(
        after["credential"]["scopes_requested"],
        before["credential"]["scopes_requested"]
    );
    assert_eq!(after["created_at"], before["created_at"]);
    env.assert_no_leaks(&out);

    // The new refresh token works: force a refresh with it.
    let hits = env.emu.hits(Endpoint::Token);
    env.jira(&["token", "--min-ttl", "999999"]).assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), hits + 1, "one refresh");
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn login_can_change_the_scopes() {
    let env = TestEnv::with_profile();

    let out = env.jira(&["login", "--no-input", "--scopes", "read:jira-work"]);
    out.assert_code(0);
    let item = env.keychain_item().expect("the profile is in the keychain");
    assert_eq!(
        item["credential"]["scopes_requested"],
        serde_json::json!(["read:jira-work", "offline_access"])
    );
    let status = env.jira(&["status", "--json"]);
    status.assert_code(0);
    env.assert_no_leaks(&status);
}

#[test]
fn login_without_a_profile_is_auth_needed() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = env.jira(&["login", "--no-input"]);
    out.assert_code(3);
    insta::assert_snapshot!("login_no_profile", env.screen(&out));
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
    assert!(env.browser_entries().is_empty(), "no consent was asked");
}
