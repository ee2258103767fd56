//! `init --method service-account` and the profile it makes: client credentials with no
//! browser, the cloud id from the site's tenant_info, a new token minted when the stored one
//! is stale, and the bad inputs (wrong secret, revoked credential, an OAuth app's id,
//! unknown site, flags that do nothing here).

use crate::support::emulator::Endpoint;
use crate::support::env::{
    CLIENT_ID, SA_CLIENT_ID, SA_SCOPES, SITE_ID, TestEnv, require_secret_service, run, run_with,
};

/// The file store: the tests can read what is stored, and need no keychain.
fn init_in_file(env: &TestEnv) -> crate::support::env::Run {
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file"]);
    run(cmd)
}

#[test]
fn init_mints_a_token_without_a_browser_and_stores_the_profile() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = init_in_file(&env);
    out.assert_code(0);
    insta::assert_snapshot!("init_service_account", env.screen(&out));
    // One tenant_info, one client-credentials request; no consent, no accessible-resources.
    assert_eq!(env.emu.hits(Endpoint::TenantInfo), 1);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
    assert_eq!(env.emu.hits(Endpoint::AccessibleResources), 0);
    assert!(env.browser_entries().is_empty(), "no browser");
    let stored = env.stored();
    let c = &stored["credential"];
    assert_eq!(c["method"], "service-account");
    assert_eq!(c["client_id"], SA_CLIENT_ID);
    assert_eq!(c["client_secret"], env.sa_secret.as_str());
    assert_eq!(c["scopes_granted"], serde_json::json!(SA_SCOPES));
    assert!(c.get("refresh_token").is_none());
    assert!(
        env.emu
            .issued_secrets()
            .iter()
            .any(|s| c["access_token"] == s.as_str())
    );
    assert_eq!(stored["site"]["cloud_id"], SITE_ID);
    assert_eq!(stored["site"]["url"], env.site_url.as_str());
    env.assert_no_leaks(&out);

    let status = env.jira(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("status_service_account", env.screen(&status));
    let json = env.jira(&["status", "--json"]);
    let p = &json.json()["profiles"][0];
    assert_eq!(p["method"], "service-account");
    assert_eq!(p["client_id"], SA_CLIENT_ID);
    assert_eq!(p["has_refresh_token"], false);
    assert_eq!(
        p["api_base_url"],
        format!("{}/ex/jira/{SITE_ID}", env.emu.api_url()).as_str()
    );
    env.assert_no_leaks(&status);
    env.assert_no_leaks(&json);
}

#[test]
fn token_header_and_exec_use_the_stored_token_then_mint_a_new_one_when_it_is_stale() {
    let env = TestEnv::new();
    init_in_file(&env).assert_code(0);
    let first = env.stored()["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let out = env.jira(&["token"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{first}\n"));
    let header = env.jira(&["header"]);
    assert_eq!(header.stdout, format!("Bearer {first}\n"));
    assert_eq!(env.emu.hits(Endpoint::Token), 1, "nothing minted yet");

    // A --min-ttl longer than the token lives: a new one is minted, stored, and given out.
    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 2);
    let second = env.stored()["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second, first);
    assert_eq!(out.stdout, format!("{second}\n"));
    assert!(env.stored()["credential"].get("refresh_token").is_none());

    let exec = env.jira(&[
        "exec",
        "--",
        "sh",
        "-c",
        r#"printf '%s\n%s\n%s\n%s' "$JIRA_AUTH_HEADER" "$JIRA_API_BASE_URL" "$JIRA_CLOUD_ID" "$JIRA_SITE_URL""#,
    ]);
    exec.assert_code(0);
    let expected = format!(
        "Bearer {second}\n{}/ex/jira/{SITE_ID}\n{SITE_ID}\n{}",
        env.emu.api_url(),
        env.site_url
    );
    assert_eq!(exec.stdout, expected);
    // The API answers the minted token for the site; accessible-resources was never asked.
    assert_eq!(env.emu.hits(Endpoint::AccessibleResources), 0);
}

#[test]
fn a_wrong_secret_is_exit_3_and_stores_nothing() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file"])
        .env("JIRA_AUTH_CLIENT_SECRET", "ATSA-not-the-right-secret-0000");
    let out = run(cmd);
    out.assert_code(3);
    insta::assert_snapshot!("init_service_account_wrong_secret", env.screen(&out));
    assert!(!env.credentials_path().exists(), "nothing stored");
    assert_eq!(
        env.jira(&["status"]).code,
        3,
        "no profile: the index has nothing either"
    );
}

#[test]
fn an_oauth_apps_client_id_is_told_apart_from_a_service_account() {
    let env = TestEnv::new();
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file", "--client-id", CLIENT_ID])
        .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let out = run(cmd);
    out.assert_code(3);
    out.assert_says("unauthorized_client");
    out.assert_says("--method oauth");
    assert!(!env.credentials_path().exists());
    env.assert_no_leaks(&out);
}

#[test]
fn a_revoked_credential_is_exit_3_with_the_way_back_and_the_profile_kept() {
    let env = TestEnv::new();
    init_in_file(&env).assert_code(0);
    env.emu.revoke_service_account(SA_CLIENT_ID);
    // The stored token still works until it expires: no request needed.
    env.jira(&["token"]).assert_code(0);
    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(3);
    out.assert_says("no longer accepts this profile's service-account credential");
    assert!(out.stderr.contains("init --force --method service-account"));
    assert!(
        !out.stderr.contains("10 minutes"),
        "nothing rotates: {}",
        out.stderr
    );
    assert!(env.credentials_path().exists(), "the profile was kept");
    env.assert_no_leaks(&out);
}

#[test]
fn an_unknown_site_is_exit_2_before_any_secret_is_sent() {
    let env = TestEnv::new();
    let unknown = env.emu.site_url("not-a-site");
    let _snapshots = env.snapshots();
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file", "--site", &unknown]);
    let out = run(cmd);
    out.assert_code(2);
    insta::assert_snapshot!("init_service_account_unknown_site", env.screen(&out));
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        0,
        "the secret was never sent"
    );
    assert!(!env.credentials_path().exists());
}

#[test]
fn the_cloud_id_flag_skips_tenant_info_and_a_site_may_be_named_by_its_cloud_id() {
    for args in [vec!["--cloud-id", SITE_ID], vec!["--site", SITE_ID]] {
        let env = TestEnv::new();
        let mut bare = env.init_service_account();
        bare.env_remove("JIRA_AUTH_SITE")
            .args(["--store", "file"])
            .args(&args);
        let out = run(bare);
        out.assert_code(0);
        assert_eq!(env.emu.hits(Endpoint::TenantInfo), 0, "{args:?}");
        let stored = env.stored();
        assert_eq!(stored["site"]["cloud_id"], SITE_ID);
        assert_eq!(stored["site"]["url"], "", "only the cloud id is known");
        // exec has no site address to give: no JIRA_SITE_URL at all.
        let mut exec = env.cmd();
        exec.args([
            "exec",
            "--",
            "sh",
            "-c",
            r#"printf %s "${JIRA_SITE_URL-unset}""#,
        ])
        .env("JIRA_SITE_URL", "https://stale.example.com");
        let exec = run(exec);
        exec.assert_code(0);
        assert_eq!(exec.stdout, "unset");
    }
}

#[test]
fn site_values_are_checked_before_anything_is_sent() {
    let env = TestEnv::new();
    for (site, says) in [
        (
            "http://acme.example.com",
            "plain http is only allowed for loopback hosts",
        ),
        ("acme corp", "not a subdomain"),
        ("ftp://acme.atlassian.net", "unsupported scheme 'ftp'"),
    ] {
        let mut cmd = env.init_service_account();
        cmd.args(["--store", "file", "--site", site]);
        let out = run(cmd);
        out.assert_code(2);
        assert!(
            out.stderr.contains(&format!("--site {site}: ")) && out.stderr.contains(says),
            "{site}: {}",
            out.stderr
        );
    }
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file", "--cloud-id", "not-a-cloud-id"]);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("--cloud-id not-a-cloud-id: not a cloud id");
    assert_eq!(
        env.emu.hits(Endpoint::TenantInfo) + env.emu.hits(Endpoint::Token),
        0
    );
}

#[test]
fn missing_values_name_their_flag_and_variable() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--no-input",
        "--method",
        "service-account",
        "--store",
        "file",
    ]);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("missing site: pass --site SITE (or --cloud-id ID) or set JIRA_AUTH_SITE (or JIRA_AUTH_CLOUD_ID)");
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file"])
        .env_remove("JIRA_AUTH_CLIENT_SECRET");
    let out = run(cmd);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "missing client secret: pass --client-secret-stdin or set JIRA_AUTH_CLIENT_SECRET"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn the_secret_may_come_on_stdin() {
    let env = TestEnv::new();
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file", "--client-secret-stdin"])
        .env_remove("JIRA_AUTH_CLIENT_SECRET");
    let out = run_with(
        cmd,
        Some(&format!("{}\n", env.sa_secret)),
        std::time::Duration::from_secs(60),
    );
    out.assert_code(0);
    assert_eq!(
        env.stored()["credential"]["client_secret"],
        env.sa_secret.as_str()
    );
    env.assert_no_leaks(&out);
}

#[test]
fn options_a_service_account_cannot_use_are_refused() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file", "--preset", "read-only"]);
    let out = run(cmd);
    out.assert_code(2);
    insta::assert_snapshot!("init_service_account_refuses_scopes", env.screen(&out));
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
}

#[test]
fn sites_refuses_a_service_account_profile_with_the_way_to_another_site() {
    let env = TestEnv::new();
    init_in_file(&env).assert_code(0);
    let out = env.jira(&["sites"]);
    out.assert_code(2);
    out.assert_says("uses service-account");
    out.assert_says("init --force --profile");
    assert_eq!(env.emu.hits(Endpoint::AccessibleResources), 0);
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_keychain_profile_is_answered_from_the_kernel_cache() {
    require_secret_service();
    crate::support::env::require_keyutils();
    let env = TestEnv::new();
    run(env.init_service_account()).assert_code(0);
    let item = env.keychain_item().expect("the profile is in the keychain");
    assert_eq!(item["credential"]["method"], "service-account");
    let out = env.jira(&["token", "-vv"]);
    out.assert_code(0);
    out.assert_says("access token from the kernel keyring cache");
    assert_eq!(
        out.stdout,
        format!("{}\n", item["credential"]["access_token"].as_str().unwrap())
    );
    env.assert_no_secret_in("stderr", &out.stderr);
    // Renewal replaces the cached token too.
    let renewed = env.jira(&["token", "--min-ttl", "4000"]);
    renewed.assert_code(0);
    let again = env.jira(&["token", "-vv"]);
    assert!(again.stderr.contains("from the kernel keyring cache"));
    assert_eq!(again.stdout, renewed.stdout);
    env.jira(&["logout"]).assert_code(0);
    assert!(env.keychain_item().is_none());
}

#[test]
fn many_processes_finding_the_token_stale_mint_once_under_the_profile_lock() {
    let env = TestEnv::new();
    // 30 s left, under the default --min-ttl of 60 s; the next token lives an hour.
    env.emu.set_access_token_ttl(30);
    init_in_file(&env).assert_code(0);
    env.emu.set_access_token_ttl(3600);
    let children: Vec<_> = (0..16)
        .map(|_| {
            let mut cmd = env.cmd();
            cmd.arg("token")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().expect("jira-auth starts")
        })
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        })
        .collect();
    assert!(outputs.iter().all(|o| *o == outputs[0]), "{outputs:?}");
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init's token and one mint"
    );
    let stored = env.stored()["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(outputs[0], format!("{stored}\n"));
}
