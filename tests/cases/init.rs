//! `init` end to end: the happy paths, sites, stores, and what ends up stored.

use crate::support::emulator::Endpoint;
use crate::support::env::{
    CLIENT_ID, SITE_ID, TestEnv, TestEnvBuilder, require_secret_service, run, run_with, site,
};
use std::time::Duration;

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn happy_path_stores_a_working_profile_in_the_secret_service() {
    require_secret_service();
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = run(env.init());
    out.assert_code(0);
    // Human output on stderr only: the profile saved, with its site and cloud id.
    insta::assert_snapshot!("init_summary", env.screen(&out));

    // What the real Secret Service holds, read back with libsecret's own tool.
    let item = env.keychain_item().expect("the profile is in the keychain");
    assert_eq!(item["credential"]["client_id"], CLIENT_ID);
    assert_eq!(item["credential"]["client_secret"], env.secret.as_str());
    assert_eq!(item["site"]["cloud_id"], SITE_ID);
    assert_eq!(item["site"]["url"], "https://acme.atlassian.net");
    let issued = env.emu.issued_secrets();
    assert!(
        issued
            .iter()
            .any(|s| item["credential"]["access_token"] == s.as_str())
    );
    assert!(
        issued
            .iter()
            .any(|s| item["credential"]["refresh_token"] == s.as_str())
    );
    assert_eq!(
        item["credential"]["scopes_requested"],
        serde_json::json!([
            "read:jira-work",
            "read:jira-user",
            "read:me",
            "offline_access"
        ])
    );

    // One of each request; the browser saw the success page.
    assert_eq!(env.emu.hits(Endpoint::Authorize), 1);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    assert_eq!(env.emu.hits(Endpoint::AccessibleResources), 1);
    let log = env.browser_entries();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["consent_status"], 302);
    assert_eq!(log[0]["callback_status"], 200);
    assert!(
        log[0]["callback_body"]
            .as_str()
            .unwrap()
            .contains("Signed in")
    );

    let status = env.jira(&["status", "--json"]);
    status.assert_code(0);
    let s = status.json();
    assert_eq!(s["profiles"][0]["name"], env.profile.as_str());
    assert_eq!(s["profiles"][0]["store"], "keychain");
    assert_eq!(s["profiles"][0]["site"]["cloud_id"], SITE_ID);
    assert_eq!(s["profiles"][0]["has_refresh_token"], true);
    insta::assert_snapshot!("status_json", env.screen(&status));
    let human = env.jira(&["status"]);
    human.assert_code(0);
    insta::assert_snapshot!("status", env.screen(&human));
    env.assert_no_leaks(&out);
    env.assert_no_leaks(&status);
    env.assert_no_leaks(&human);

    // logout removes the item; a second logout is a no-op that still succeeds.
    let logout = env.jira(&["logout"]);
    logout.assert_code(0);
    insta::assert_snapshot!("logout", env.screen(&logout));
    assert!(env.keychain_item().is_none());
    let again = env.jira(&["logout"]);
    again.assert_code(0);
    insta::assert_snapshot!("logout_again", env.screen(&again));
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn json_summary_on_stdout() {
    require_secret_service();
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = env.init_with(&["--json"]);
    out.assert_code(0);
    insta::assert_snapshot!("init_json", env.screen(&out));
    let j = out.json();
    assert_eq!(j["profile"], env.profile.as_str());
    assert_eq!(j["store"], "keychain");
    assert_eq!(j["site"]["cloud_id"], SITE_ID);
    assert_eq!(
        j["api_base_url"],
        format!("{}/ex/jira/{SITE_ID}", env.emu.api_url()).as_str()
    );
    assert!(
        j["scopes_granted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "read:jira-work")
    );
    assert_eq!(j["has_refresh_token"], true);
    env.assert_no_leaks(&out);
}

/// A grant that covers two sites, alpha and beta.
fn two_sites() -> TestEnvBuilder {
    TestEnv::builder().sites([
        site("alpha", "aaaaaaaa-0000-0000-0000-000000000001"),
        site("beta", "bbbbbbbb-0000-0000-0000-000000000002"),
    ])
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn several_sites_without_site_is_a_usage_error_listing_them() {
    require_secret_service();
    let env = two_sites().build();
    let out = run(env.init());
    out.assert_code(2);
    assert!(
        out.stderr.contains("alpha  https://alpha.atlassian.net"),
        "{}",
        out.stderr
    );
    // Names padded into a column.
    assert!(out.stderr.contains("beta   https://beta.atlassian.net "));
    assert!(out.stderr.contains("--site"));
    assert!(env.keychain_item().is_none(), "nothing is stored");
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn site_flag_picks_by_subdomain_url_or_cloud_id() {
    require_secret_service();
    for wanted in [
        "beta",
        "https://beta.atlassian.net",
        "bbbbbbbb-0000-0000-0000-000000000002",
    ] {
        let env = two_sites().build();
        let out = env.init_with(&["--site", wanted, "--json"]);
        out.assert_code(0);
        assert_eq!(out.json()["site"]["name"], "beta", "--site {wanted}");
        assert_eq!(env.keychain_item().unwrap()["site"]["name"], "beta");
    }
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn site_flag_that_matches_nothing_lists_the_sites() {
    require_secret_service();
    let env = TestEnv::new();
    let out = env.init_with(&["--site", "gamma"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("no accessible site matches 'gamma'"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("acme  https://acme.atlassian.net"));
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn file_store_writes_a_private_file_and_no_keychain_item() {
    require_secret_service();
    let env = TestEnv::new();
    let out = env.init_with(&["--store", "file"]);
    out.assert_code(0);
    let path = env.credentials_path();
    assert_eq!(
        env.stored()["credential"]["client_secret"],
        env.secret.as_str()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
    }
    assert!(env.keychain_item().is_none());
    env.assert_no_leaks(&out);
    let status = env.jira(&["status", "--json"]);
    assert_eq!(status.json()["profiles"][0]["store"], "file");
    env.jira(&["logout"]).assert_code(0);
    assert!(!path.exists());
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn token_endpoint_503_twice_then_ok_succeeds() {
    require_secret_service();
    let env = TestEnv::new();
    env.emu.fail_next(Endpoint::Token, 503, 2, None);
    let out = run(env.init());
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 3);
    assert!(env.keychain_item().is_some());
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn accessible_resources_429_with_retry_after_is_honoured() {
    require_secret_service();
    let env = TestEnv::new();
    env.emu
        .fail_next(Endpoint::AccessibleResources, 429, 1, Some(1));
    let started = std::time::Instant::now();
    let out = run(env.init());
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::AccessibleResources), 2);
    // Retry-After: 1 means the retry waited at least that second (a lower bound, which a
    // slow machine cannot break).
    assert!(started.elapsed() >= Duration::from_secs(1));
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn secret_from_stdin_works() {
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.init();
    cmd.env_remove("JIRA_AUTH_CLIENT_SECRET")
        .arg("--client-secret-stdin");
    let out = run_with(
        cmd,
        Some(&format!("  {}  \n", env.secret)),
        Duration::from_secs(60),
    );
    out.assert_code(0);
    assert_eq!(
        env.keychain_item().unwrap()["credential"]["client_secret"],
        env.secret.as_str()
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn favicon_requests_do_not_end_the_wait() {
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.init();
    cmd.env(crate::support::browser::MODE_ENV, "favicon-first");
    let out = run(cmd);
    out.assert_code(0);
    let log = env.browser_entries();
    assert_eq!(log[0]["favicon_status"], 404);
    assert_eq!(log[0]["callback_status"], 200);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn existing_profile_needs_force() {
    require_secret_service();
    let env = TestEnv::new();
    run(env.init()).assert_code(0);
    let first_token = env.keychain_item().unwrap()["credential"]["access_token"].clone();
    let again = run(env.init());
    again.assert_code(2);
    assert!(again.stderr.contains("already exists") && again.stderr.contains("--force"));
    assert_eq!(
        env.emu.hits(Endpoint::Authorize),
        1,
        "no second consent without --force"
    );
    env.init_with(&["--force"]).assert_code(0);
    assert_ne!(
        env.keychain_item().unwrap()["credential"]["access_token"],
        first_token
    );
}

/// After consent, who was authorized: from `/me` when read:me is granted, else from the
/// site's `/myself`; remembered for `status`.
#[test]
fn the_account_that_consented_is_named_and_remembered() {
    for (scopes, me, myself) in [("read:jira-work read:me", 1, 0), ("read:jira-work", 0, 1)] {
        let env = TestEnv::new();
        let mut init = env.init_scopes(scopes);
        init.args(["--store", "file"]);
        let out = run(init);
        out.assert_code(0);
        assert!(
            out.stderr
                .contains("Authorized as Ada Lovelace <ada@example.com> on acme."),
            "{scopes}: {}",
            out.stderr
        );
        assert_eq!(env.emu.hits(Endpoint::Me), me, "{scopes}");
        assert_eq!(env.emu.hits(Endpoint::Myself), myself, "{scopes}");
        let status = env.jira(&["status", "--json"]).assert_code(0).json();
        assert_eq!(
            status["profiles"][0]["authorized_as"]["email"], "ada@example.com",
            "{scopes}"
        );
        assert!(
            env.jira(&["status"])
                .stderr
                .contains("account    Ada Lovelace <ada@example.com>")
        );
        env.assert_no_leaks(&out);
    }
}
