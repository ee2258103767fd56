//! `sites` and `sites use`: the sites a grant covers, and moving a profile among them without
//! a new consent, with the keychain, the index and the token cache all following.

use std::io::Read;
use std::process::Stdio;

use serde_json::Value;

use crate::support::emulator::Endpoint;
use crate::support::env::{
    Run, SITE_ID, TestEnv, TestEnvBuilder, require_keyutils, require_secret_service, site,
};

const BETA_ID: &str = "bbbbbbbb-0000-4000-8000-000000000002";
const ACME_URL: &str = "https://acme.atlassian.net";
const BETA_URL: &str = "https://beta.atlassian.net";

/// A grant that covers `acme` and `beta`, the profile (still to be added) on `acme`.
fn two_sites() -> TestEnvBuilder {
    TestEnv::builder()
        .sites([site("acme", SITE_ID), site("beta", BETA_ID)])
        .init_args(&["--site", "acme"])
}

/// A keychain profile on `acme` whose grant also covers `beta`.
fn two_site_profile() -> TestEnv {
    two_sites().with_profile().build()
}

/// Every request to Atlassian so far, by endpoint.
fn hits(env: &TestEnv) -> [usize; 5] {
    [
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::AccessibleResources,
        Endpoint::Me,
        Endpoint::Myself,
    ]
    .map(|ep| env.emu.hits(ep))
}

/// `token --json`, whose stdout holds the access token by design: only stderr is checked.
fn token_json(env: &TestEnv, extra: &[&str]) -> (Value, Run) {
    let mut args = vec!["token", "--json"];
    args.extend_from_slice(extra);
    let out = env.jira(&args);
    out.assert_code(0);
    env.assert_no_secret_in("stderr", &out.stderr);
    (out.json(), out)
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn sites_lists_the_covered_sites_and_marks_the_current_one() {
    let env = two_site_profile();
    let _snapshots = env.snapshots();
    let before = hits(&env);

    let out = env.jira(&["sites"]);
    out.assert_code(0);
    // A header and the two sites, sorted by name whatever order accessible-resources used,
    // `*` on the profile's; nothing on stderr.
    insta::assert_snapshot!("sites", env.screen(&out));
    env.assert_no_leaks(&out);

    let out = env.jira(&["sites", "--json"]);
    out.assert_code(0);
    insta::assert_snapshot!("sites_json", env.screen(&out));
    let j = out.json();
    assert_eq!(j["profile"], env.profile.as_str());
    let sites = j["sites"].as_array().expect("a JSON array of sites");
    assert_eq!(sites.len(), 2);
    assert_eq!(sites[0]["name"], "acme");
    assert_eq!(sites[0]["cloud_id"], SITE_ID);
    assert_eq!(sites[0]["url"], ACME_URL);
    assert_eq!(sites[0]["current"], true);
    assert_eq!(sites[1]["name"], "beta");
    assert_eq!(sites[1]["cloud_id"], BETA_ID);
    assert_eq!(sites[1]["current"], false);
    let scopes = sites[0]["scopes"].as_array().unwrap();
    assert!(scopes.iter().any(|s| s == "read:jira-work"), "{scopes:?}");
    env.assert_no_leaks(&out);

    // One accessible-resources call each; the stored token was fresh: no refresh.
    let after = hits(&env);
    assert_eq!(after[2], before[2] + 2);
    assert_eq!(
        (after[0], after[1], after[3], after[4]),
        (before[0], before[1], before[3], before[4])
    );
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn sites_use_switches_by_subdomain_url_and_cloud_id_without_a_new_consent() {
    require_secret_service();
    require_keyutils();
    let env = two_site_profile();
    let stored_before = env.keychain_item().expect("the profile is in the keychain");
    // The cache holds the token with its site from here on.
    assert_eq!(token_json(&env, &[]).0["cloud_id"], SITE_ID);

    for (wanted, id, name, url) in [
        ("beta", BETA_ID, "beta", BETA_URL),
        (ACME_URL, SITE_ID, "acme", ACME_URL),
        (BETA_ID, BETA_ID, "beta", BETA_URL),
    ] {
        let before = hits(&env);
        let out = env.jira(&["sites", "use", wanted, "--json"]);
        out.assert_code(0);
        let j = out.json();
        assert_eq!(j["profile"], env.profile.as_str());
        assert_eq!(
            j["site"],
            serde_json::json!({"cloud_id": id, "name": name, "url": url, "deployment": "cloud",
                "servers": {"auth": format!("{}/", env.emu.auth_url().trim_end_matches('/')),
                    "api": format!("{}/", env.emu.api_url().trim_end_matches('/'))}}),
            "sites use {wanted}"
        );
        assert!(out.stderr.contains("changed site"), "{}", out.stderr);
        assert!(out.stderr.contains(&format!("to    {name}  {url}")));
        env.assert_no_leaks(&out);

        // Only the accessible-resources call: no consent, no refresh.
        let after = hits(&env);
        assert_eq!(after[2], before[2] + 1, "sites use {wanted}");
        assert_eq!(
            (after[0], after[1], after[3], after[4]),
            (before[0], before[1], before[3], before[4]),
            "sites use {wanted}"
        );

        // The keychain item: the site changed, the grant did not.
        let item = env.keychain_item().unwrap();
        assert_eq!(item["site"]["cloud_id"], id);
        assert_eq!(item["site"]["url"], url);
        for kept in [
            "access_token",
            "refresh_token",
            "client_secret",
            "created_at",
        ] {
            assert_eq!(item[kept], stored_before[kept], "{kept}");
        }

        let status = env.jira(&["status", "--json"]);
        status.assert_code(0);
        assert_eq!(status.json()["profiles"][0]["site"]["cloud_id"], id);
        assert_eq!(status.json()["profiles"][0]["site"]["url"], url);
        env.assert_no_leaks(&status);

        // Answered from the kernel-keyring cache, which the save rewrote with the site.
        let (t, run) = token_json(&env, &["-vv"]);
        assert!(
            run.stderr
                .contains("access token from the kernel keyring cache"),
            "{}",
            run.stderr
        );
        assert_eq!(t["cloud_id"], id);
        assert_eq!(t["site_url"], url);
        assert_eq!(
            t["api_base_url"],
            format!("{}/ex/jira/{id}", env.emu.api_url()).as_str()
        );
        assert_eq!(
            t["access_token"],
            stored_before["credential"]["access_token"]
        );
        assert_eq!(env.emu.hits(Endpoint::Token), 1, "only init's exchange");
    }

    // The site it already uses: nothing to change, exit 0.
    let out = env.jira(&["sites", "use", "beta"]);
    out.assert_code(0);
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert_eq!(env.emu.hits(Endpoint::Authorize), 1);
    assert!(env.browser_entries().len() == 1, "only init's consent");
}

#[test]
fn sites_use_with_the_file_store() {
    let env = two_sites().profile_in_file_store().build();
    let before = env.stored();

    let out = env.jira(&["sites", "use", "beta"]);
    out.assert_code(0);
    assert!(out.stdout.is_empty(), "human output goes to stderr only");
    env.assert_no_leaks(&out);
    let after = env.stored();
    assert_eq!(after["site"]["cloud_id"], BETA_ID);
    assert_eq!(
        after["credential"]["refresh_token"],
        before["credential"]["refresh_token"]
    );
    assert_eq!(token_json(&env, &[]).0["cloud_id"], BETA_ID);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.credentials_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn sites_use_of_a_site_outside_the_grant_lists_the_covered_ones() {
    let env = two_site_profile();

    for wanted in ["gamma", "https://gamma.atlassian.net", "cccccccc-0000"] {
        let out = env.jira(&["sites", "use", wanted]);
        out.assert_code(2);
        assert!(
            out.stderr.contains(&format!(
                "no site covered by the grant of profile '{}' matches '{wanted}'",
                env.profile
            )),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!(
                "acme  {ACME_URL}  (cloud id {SITE_ID})  (current)"
            )),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr
                .contains(&format!("beta  {BETA_URL}  (cloud id {BETA_ID})"))
        );
        assert!(
            out.stderr.contains(&format!(
                "jira-auth login --profile {} --site {wanted}",
                env.profile
            )),
            "{}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
        env.assert_no_leaks(&out);
    }
    assert_eq!(env.keychain_item().unwrap()["site"]["cloud_id"], SITE_ID);
    let status = env.jira(&["status", "--json"]);
    assert_eq!(status.json()["profiles"][0]["site"]["cloud_id"], SITE_ID);
}

#[test]
fn sites_without_a_profile_is_auth_needed() {
    let env = TestEnv::new();
    for args in [
        &["sites"][..],
        &["sites", "--json"],
        &["sites", "use", "acme"],
    ] {
        let out = env.jira(args);
        if args.contains(&"--json") {
            out.assert_error(3, "profile_not_found");
        } else {
            out.assert_code(3);
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
        }
        assert!(out.stderr.contains("jira-auth init"), "{}", out.stderr);
    }
    assert_eq!(hits(&env), [0; 5]);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn sites_when_atlassian_is_down_is_unavailable() {
    let env = two_site_profile();
    // More 503s than the client retries.
    env.emu
        .fail_next(Endpoint::AccessibleResources, 503, 20, Some(0));
    for args in [&["sites"][..], &["sites", "use", "beta"]] {
        let out = env.jira(args);
        out.assert_code(5);
        env.assert_no_leaks(&out);
    }
    assert_eq!(env.keychain_item().unwrap()["site"]["cloud_id"], SITE_ID);
}

/// `sites use` while other processes refresh the same profile: the site change must not put
/// back a refresh token they rotated out (strict reuse interval: any reuse revokes the grant).
#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn sites_use_during_concurrent_refreshes_keeps_the_newest_refresh_token() {
    let env = two_sites().reuse_interval(0).with_profile().build();

    let spawn = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("jira-auth starts")
    };
    // --min-ttl beyond any token's life: each of these refreshes, one at a time.
    let mut children: Vec<_> = (0..6)
        .map(|_| spawn(&["token", "--min-ttl", "999999"]))
        .collect();
    children.insert(3, spawn(&["sites", "use", "beta"]));
    for mut child in children {
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}: {stderr}");
        env.assert_no_secret_in("stderr", &stderr);
    }

    let item = env.keychain_item().unwrap();
    assert_eq!(item["site"]["cloud_id"], BETA_ID);
    let newest = env
        .emu
        .issued_secrets()
        .into_iter()
        .rfind(|s| s.starts_with("rt-"))
        .unwrap();
    assert_eq!(item["credential"]["refresh_token"], newest.as_str());
    // The stored refresh token still works, and the site survives the refresh.
    let (t, _) = token_json(&env, &["--min-ttl", "999999"]);
    assert_eq!(t["cloud_id"], BETA_ID);
    let status = env.jira(&["status", "--json"]);
    assert_eq!(status.json()["profiles"][0]["site"]["cloud_id"], BETA_ID);
}
