//! `init --method api-token`: a classic token is verified on the site, a scoped one through
//! the gateway, and the base that took it is what `exec` gives; a token neither takes is
//! exit 3 with nothing stored. `header` is Basic, `status` says when the token expires at
//! the latest, and the static token never goes to the kernel cache.

use base64::Engine as _;

use crate::support::emulator::{ApiToken, Endpoint, TokenKind, USER_EMAIL, USER_NAME};
use crate::support::env::{SITE_ID, TestEnv, require_secret_service, run, run_with};

fn init_in_file(env: &TestEnv, token: &str) -> crate::support::env::Run {
    let mut cmd = env.init_api_token(token);
    cmd.args(["--store", "file"]);
    run(cmd)
}

fn basic(token: &str) -> String {
    let pair = format!("{USER_EMAIL}:{token}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[test]
fn a_classic_token_is_verified_on_the_site_and_used_there() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = init_in_file(&env, &env.classic_token);
    out.assert_code(0);
    insta::assert_snapshot!("init_api_token_classic", env.screen(&out));
    assert_eq!(env.emu.hits(Endpoint::SiteMyself), 1);
    assert_eq!(
        env.emu.hits(Endpoint::Myself),
        0,
        "the gateway was not needed"
    );
    let c = &env.stored()["credential"];
    assert_eq!(c["method"], "api-token");
    assert_eq!(c["email"], USER_EMAIL);
    assert_eq!(c["token"], env.classic_token.as_str());
    assert_eq!(c["api_base_url"], env.site_url.as_str());
    env.assert_no_leaks(&out);

    let header = env.jira(&["header"]);
    header.assert_code(0);
    assert_eq!(header.stdout, format!("{}\n", basic(&env.classic_token)));
    // `token` gives the API token itself, for tools that take email and token apart.
    assert_eq!(
        env.jira(&["token"]).stdout,
        format!("{}\n", env.classic_token)
    );
    let exec = env.jira(&[
        "exec",
        "--",
        "sh",
        "-c",
        r#"printf '%s\n%s\n%s' "$JIRA_AUTH_HEADER" "$JIRA_API_BASE_URL" "$JIRA_CLOUD_ID""#,
    ]);
    exec.assert_code(0);
    assert_eq!(
        exec.stdout,
        format!("{}\n{}\n{SITE_ID}", basic(&env.classic_token), env.site_url)
    );

    let status = env.jira(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("status_api_token", env.screen(&status));
    let json = env.jira(&["status", "--json"]);
    let p = &json.json()["profiles"][0];
    assert_eq!(p["method"], "api-token");
    assert_eq!(p["api_base_url"], env.site_url.as_str());
    assert_eq!(p["api_token"]["kind"], "classic");
    assert_eq!(p["api_token"]["email"], USER_EMAIL);
    assert!(p["api_token"]["expires_by"].as_str().is_some());
    assert!(p["access_token_expires_at"].is_null());
    env.assert_no_leaks(&status);
    env.assert_no_leaks(&json);
}

#[test]
fn a_scoped_token_is_refused_by_the_site_and_verified_through_the_gateway() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.init_api_token(&env.scoped_token);
    cmd.args(["--store", "file", "--json"]);
    let out = run(cmd);
    out.assert_code(0);
    insta::assert_snapshot!("init_api_token_scoped_json", env.screen(&out));
    assert_eq!(
        env.emu.hits(Endpoint::SiteMyself),
        1,
        "tried the site first"
    );
    assert_eq!(env.emu.hits(Endpoint::Myself), 1);
    let gateway = format!("{}/ex/jira/{SITE_ID}", env.emu.api_url());
    let j = out.json();
    assert_eq!(j["api_token"]["kind"], "scoped");
    assert_eq!(j["api_base_url"], gateway.as_str());
    assert_eq!(j["authorized_as"]["name"], USER_NAME);
    assert_eq!(env.stored()["credential"]["api_base_url"], gateway.as_str());
    let exec = env.jira(&[
        "exec",
        "--",
        "sh",
        "-c",
        r#"printf %s "$JIRA_API_BASE_URL""#,
    ]);
    assert_eq!(exec.stdout, gateway);
    env.assert_no_leaks(&out);
}

#[test]
fn a_scoped_token_without_the_scope_of_myself_is_kept_with_a_warning() {
    let env = TestEnv::new();
    let narrow = "ATATTnarrow0123456789abcdef";
    env.emu.register_api_token(ApiToken {
        email: USER_EMAIL.into(),
        token: narrow.into(),
        kind: TokenKind::Scoped(vec!["write:comment:jira".into()]),
    });
    let out = init_in_file(&env, narrow);
    out.assert_code(0);
    out.assert_says("lacks a scope /rest/api/3/myself needs");
    assert_eq!(env.stored()["credential"]["token"], narrow);
    env.assert_no_leaks(&out);
}

#[test]
fn a_token_neither_takes_is_exit_3_and_nothing_is_stored() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = init_in_file(&env, "ATATTnot-a-real-token-0000");
    out.assert_code(3);
    insta::assert_snapshot!("init_api_token_rejected", env.screen(&out));
    assert_eq!(env.emu.hits(Endpoint::SiteMyself), 1);
    assert_eq!(env.emu.hits(Endpoint::Myself), 1);
    assert!(!env.credentials_path().exists(), "nothing stored");
    assert_eq!(env.jira(&["status"]).code, 3, "and nothing in the index");

    // The right token for another account's email is no better.
    let mut cmd = env.init_api_token(&env.classic_token);
    cmd.args(["--store", "file", "--email", "eve@example.com"]);
    let out = run(cmd);
    out.assert_code(3);
    out.assert_says("not accepted for eve@example.com");
    assert!(!env.credentials_path().exists());
    env.assert_no_leaks(&out);
}

#[test]
fn an_unknown_site_is_exit_2_before_the_token_is_sent() {
    let env = TestEnv::new();
    let unknown = env.emu.site_url("not-a-site");
    let mut cmd = env.init_api_token(&env.classic_token);
    cmd.args(["--store", "file", "--site", &unknown]);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("is not a Jira Cloud site");
    out.assert_says("--cloud-id");
    assert_eq!(
        env.emu.hits(Endpoint::SiteMyself) + env.emu.hits(Endpoint::Myself),
        0
    );
}

#[test]
fn missing_and_bad_values_name_their_flag_and_variable() {
    let env = TestEnv::new();
    let token = env.classic_token.as_str();
    // (token, variables unset, arguments, what stderr says)
    let cases: [(&str, &[&str], &[&str], &str); 6] = [
        (
            token,
            &["JIRA_AUTH_API_TOKEN"],
            &[],
            "missing API token: pass --api-token-stdin or set JIRA_AUTH_API_TOKEN",
        ),
        (
            token,
            &["JIRA_AUTH_EMAIL"],
            &[],
            "missing email of the token's account: pass --email or set JIRA_AUTH_EMAIL",
        ),
        (
            token,
            &[],
            &["--email", "ada"],
            "--email ada: it is not an email address",
        ),
        (
            "ATATT with a space in it",
            &[],
            &[],
            "API token from JIRA_AUTH_API_TOKEN: ",
        ),
        // A client id is the OAuth methods'.
        (
            token,
            &[],
            &["--client-id", "JiraAuthTestClient0123"],
            "does not use --client-id",
        ),
        // A cloud id alone cannot check a classic token.
        (
            token,
            &["JIRA_AUTH_SITE"],
            &["--cloud-id", SITE_ID],
            "needs the site's address",
        ),
    ];
    for (token, unset, args, says) in cases {
        let mut cmd = env.init_api_token(token);
        cmd.args(["--store", "file"]).args(args);
        for var in unset {
            cmd.env_remove(var);
        }
        let out = run(cmd);
        out.assert_code(2).assert_says(says);
        assert!(
            !out.stderr.contains("with a space"),
            "never echoed: {}",
            out.stderr
        );
    }
    assert!(!env.credentials_path().exists());
}

#[test]
fn the_token_may_come_on_stdin() {
    let env = TestEnv::new();
    let mut cmd = env.init_api_token(&env.classic_token);
    cmd.args(["--store", "file", "--api-token-stdin"])
        .env_remove("JIRA_AUTH_API_TOKEN");
    let out = run_with(
        cmd,
        Some(&format!("{}\n", env.classic_token)),
        std::time::Duration::from_secs(60),
    );
    out.assert_code(0);
    assert_eq!(
        env.stored()["credential"]["token"],
        env.classic_token.as_str()
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_keychain_api_token_is_read_from_the_keychain_and_never_cached() {
    require_secret_service();
    crate::support::env::require_keyutils();
    let env = TestEnv::new();
    run(env.init_api_token(&env.classic_token)).assert_code(0);
    assert_eq!(
        env.keychain_item().unwrap()["credential"]["token"],
        env.classic_token.as_str()
    );
    for _ in 0..2 {
        let out = env.jira(&["header", "-vv"]);
        out.assert_code(0);
        assert_eq!(out.stdout, format!("{}\n", basic(&env.classic_token)));
        assert!(
            !out.stderr.contains("from the kernel keyring cache"),
            "a static secret is not cached: {}",
            out.stderr
        );
        env.assert_no_secret_in("stderr", &out.stderr);
    }
}
