//! Stateless mode: `JIRA_AUTH_METHOD=service-account` and the service account in the
//! environment, as a CI job has it. `token`, `header` and `exec` work with no profile and
//! write nothing to disk or keychain; a missing variable is exit 2 naming it; a profile is
//! never used instead, and naming one as well is refused.

use crate::support::emulator::Endpoint;
use crate::support::env::{SITE_ID, TestEnv, require_keyutils, run};

/// Stateless commands with the kernel cache off: each must then mint (the cache has tests of
/// its own, which need keyutils).
fn uncached(env: &TestEnv, args: &[&str]) -> crate::support::env::Run {
    let mut cmd = env.stateless(args);
    cmd.env("JIRA_AUTH_NO_CACHE", "1");
    run(cmd)
}

#[test]
fn token_header_and_exec_work_with_no_profile_and_write_nothing() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = uncached(&env, &["token", "--json"]);
    out.assert_code(0);
    insta::assert_snapshot!("stateless_token_json", env.screen(&out));
    let j = out.json();
    assert_eq!(j["cloud_id"], SITE_ID);
    assert_eq!(j["site_url"], env.site_url.as_str());
    assert_eq!(
        j["api_base_url"],
        format!("{}/ex/jira/{SITE_ID}", env.emu.api_url()).as_str()
    );
    assert!(
        env.emu
            .issued_secrets()
            .iter()
            .any(|s| j["access_token"] == s.as_str())
    );
    assert_eq!(env.emu.hits(Endpoint::TenantInfo), 1);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);

    let header = uncached(&env, &["header"]);
    header.assert_code(0);
    assert!(header.stdout.starts_with("Bearer at-"), "{}", header.stdout);
    let exec = uncached(
        &env,
        &[
            "exec",
            "--",
            "sh",
            "-c",
            r#"printf '%s|%s|%s' "${JIRA_AUTH_HEADER%% *}" "$JIRA_CLOUD_ID" "${JIRA_AUTH_CLIENT_SECRET-none}""#,
        ],
    );
    exec.assert_code(0);
    assert_eq!(
        exec.stdout,
        format!("Bearer|{SITE_ID}|none"),
        "the secret is not inherited"
    );
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        3,
        "a token per process without the cache"
    );
    assert_eq!(env.emu.hits(Endpoint::AccessibleResources), 0);
    assert!(
        !env.config_dir().exists(),
        "nothing written: no index, no lock, no file"
    );
    // stdout is the credential asked for; nothing else may hold a secret.
    env.assert_no_secret_in("stderr", &out.stderr);
    env.assert_no_secret_in("stderr", &header.stderr);
    env.assert_no_leaks(&exec);
}

#[test]
fn a_cloud_id_may_stand_for_the_site() {
    let env = TestEnv::new();
    let mut cmd = env.stateless(&["token", "--json"]);
    cmd.env_remove("JIRA_AUTH_SITE")
        .env("JIRA_AUTH_CLOUD_ID", SITE_ID)
        .env("JIRA_AUTH_NO_CACHE", "1");
    let out = run(cmd);
    out.assert_code(0);
    assert_eq!(out.json()["cloud_id"], SITE_ID);
    assert_eq!(out.json()["site_url"], "");
    assert_eq!(env.emu.hits(Endpoint::TenantInfo), 0);
}

#[test]
fn each_missing_variable_is_named_and_exit_2() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.cmd();
    cmd.env_remove("JIRA_AUTH_PROFILE")
        .env("JIRA_AUTH_METHOD", "service-account")
        .arg("token");
    let out = run(cmd);
    out.assert_code(2);
    insta::assert_snapshot!("stateless_missing_everything", env.screen(&out));
    for (unset, named) in [
        (
            "JIRA_AUTH_CLIENT_ID",
            "needs JIRA_AUTH_CLIENT_ID, which is not set",
        ),
        (
            "JIRA_AUTH_CLIENT_SECRET",
            "needs JIRA_AUTH_CLIENT_SECRET, which is not set",
        ),
        (
            "JIRA_AUTH_SITE",
            "needs JIRA_AUTH_SITE (or JIRA_AUTH_CLOUD_ID), which is not set",
        ),
    ] {
        for command in ["token", "header", "exec"] {
            let mut cmd = env.stateless(&[command]);
            if command == "exec" {
                cmd.args(["--", "true"]);
            }
            cmd.env_remove(unset);
            let out = run(cmd);
            out.assert_code(2);
            assert!(
                out.stderr.contains(named),
                "{command} without {unset}: {}",
                out.stderr
            );
            env.assert_no_leaks(&out);
        }
    }
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
}

#[test]
fn bad_values_are_named_with_their_variable() {
    let env = TestEnv::new();
    for (var, value, says) in [
        (
            "JIRA_AUTH_SITE",
            "http://example.com",
            "JIRA_AUTH_SITE=http://example.com: plain http",
        ),
        (
            "JIRA_AUTH_CLOUD_ID",
            "nope",
            "JIRA_AUTH_CLOUD_ID=nope: not a cloud id",
        ),
        ("JIRA_AUTH_CLIENT_ID", "bad id!", "JIRA_AUTH_CLIENT_ID: "),
        (
            "JIRA_AUTH_CLIENT_SECRET",
            "short",
            "JIRA_AUTH_CLIENT_SECRET: the client secret should be",
        ),
        (
            "JIRA_AUTH_METHOD",
            "service_account",
            "JIRA_AUTH_METHOD=service_account is not a method",
        ),
    ] {
        let mut cmd = env.stateless(&["token"]);
        cmd.env(var, value);
        let out = run(cmd);
        out.assert_code(2);
        assert!(out.stderr.contains(says), "{var}={value}: {}", out.stderr);
    }
}

#[test]
fn a_wrong_secret_is_exit_3_and_an_unknown_site_exit_2() {
    let env = TestEnv::new();
    let mut cmd = env.stateless(&["token"]);
    cmd.env("JIRA_AUTH_CLIENT_SECRET", "ATSA-not-the-right-secret-000");
    let out = run(cmd);
    out.assert_code(3);
    out.assert_says("refused the service account's client id or secret");
    out.assert_says("JIRA_AUTH_CLIENT_SECRET");
    env.assert_no_leaks(&out);

    let unknown = env.emu.site_url("not-a-site");
    let mut cmd = env.stateless(&["header"]);
    cmd.env("JIRA_AUTH_SITE", &unknown);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("is not a Jira Cloud site");
    assert!(!env.config_dir().exists());
}

#[test]
fn a_stored_profile_is_never_used_instead_and_naming_one_is_refused() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let stored = env.stored()["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let before = std::fs::read(env.credentials_path()).unwrap();
    let out = uncached(&env, &["token"]);
    out.assert_code(0);
    assert_ne!(
        out.stdout,
        format!("{stored}\n"),
        "the environment's service account, not the profile"
    );
    assert_eq!(
        std::fs::read(env.credentials_path()).unwrap(),
        before,
        "the profile is untouched"
    );

    let _snapshots = env.snapshots();
    let mut cmd = env.stateless(&["token"]);
    cmd.args(["--profile", &env.profile]);
    let out = run(cmd);
    out.assert_code(2);
    insta::assert_snapshot!("stateless_with_a_profile", env.screen(&out));

    // Another method in JIRA_AUTH_METHOD is init's default only: the profile answers.
    let mut cmd = env.cmd();
    cmd.args(["token"]).env("JIRA_AUTH_METHOD", "api-token");
    let out = run(cmd);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{stored}\n"));
}

#[test]
#[ignore = "needs keyutils in the user keyring: run scripts/test.sh"]
fn the_kernel_cache_holds_the_token_never_the_secret_and_one_per_credential() {
    require_keyutils();
    let env = TestEnv::new();
    let first = run(env.stateless(&["token", "-vv"]));
    first.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    let again = run(env.stateless(&["token", "-vv"]));
    again.assert_code(0);
    assert_eq!(again.stdout, first.stdout);
    assert_eq!(env.emu.hits(Endpoint::Token), 1, "answered from the cache");
    assert_eq!(env.emu.hits(Endpoint::TenantInfo), 1, "the site too");
    again.assert_says("from the kernel keyring cache (jira-auth:v1:");
    // The cached key holds the token and the site, never the secret.
    let marker = "access token from the kernel keyring cache (";
    let at = again.stderr.find(marker).unwrap() + marker.len();
    let desc = &again.stderr[at..at + again.stderr[at..].find(')').unwrap()];
    assert!(desc.contains(":@sa:"), "{desc}");
    assert!(!desc.contains(&env.sa_secret));
    let id = std::process::Command::new("keyctl")
        .args(["search", "@u", "user", desc])
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&id.stdout).trim().to_string();
    let payload = std::process::Command::new("keyctl")
        .args(["print", &id])
        .output()
        .unwrap();
    let payload = String::from_utf8_lossy(&payload.stdout);
    assert!(payload.contains(first.stdout.trim()), "the token is cached");
    assert!(
        !payload.contains(&env.sa_secret),
        "never the secret: {payload}"
    );
    env.assert_no_secret_in("stderr", &again.stderr);
    // Another secret for the same client id does not get that token.
    let mut cmd = env.stateless(&["token"]);
    cmd.env("JIRA_AUTH_CLIENT_SECRET", "ATSA-not-the-right-secret-000");
    run(cmd).assert_code(3);
    // Done with it: no litter in @u.
    let _ = std::process::Command::new("keyctl")
        .args(["invalidate", &id])
        .status();
}
