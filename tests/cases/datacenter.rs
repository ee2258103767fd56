//! Jira Data Center: detection (serverInfo, `*.atlassian.net`, `--deployment`, the context
//! path), personal access tokens (verified before they are stored), the instance's own
//! OAuth 2.0 with PKCE (codes that live 10 s, refresh tokens that rotate or not, a server
//! that wants `redirect_uri` on refresh), and what `token`, `header`, `exec`, `status`,
//! `doctor` and `logout` make of such profiles — against the emulated instance of
//! `jira_auth_emulator::datacenter`.

use std::time::Duration;

use jira_auth_emulator::datacenter::{DcEndpoint, Rotation, USER_DISPLAY_NAME};

use crate::support::env::{DC_SA_CLIENT_ID, DC_SA_NAME, TestEnv, free_port, run};
use crate::support::waiting::{Waiting, consent_redirect};

fn dc_world() -> TestEnv {
    TestEnv::builder().data_center("/jira").build()
}

/// `exec` gives its command `header` as JIRA_AUTH_HEADER, the base URL as both the site and
/// the REST base, and no JIRA_CLOUD_ID (an inherited one removed): a Data Center site has none.
#[track_caller]
fn assert_exec_hands_over(env: &TestEnv, header: &str) {
    let mut exec = env.cmd();
    exec.args([
        "exec",
        "--",
        "sh",
        "-c",
        r#"printf '%s\n%s\n%s\n%s' "$JIRA_AUTH_HEADER" "$JIRA_SITE_URL" "$JIRA_API_BASE_URL" "${JIRA_CLOUD_ID-unset}""#,
    ])
    .env("JIRA_CLOUD_ID", "inherited");
    let exec = run(exec);
    exec.assert_code(0);
    let base = env.dc().base_url();
    assert_eq!(exec.stdout, format!("{header}\n{base}\n{base}\nunset"));
    env.assert_no_secret_in("stderr", &exec.stderr);
}

#[test]
fn a_pat_is_verified_then_sent_as_bearer_to_the_base_url() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    let out = run(env.init_pat());
    out.assert_code(0);
    insta::assert_snapshot!("init_pat", env.screen(&out));
    assert_eq!(env.dc().hits(DcEndpoint::ServerInfo), 1);
    assert_eq!(env.dc().hits(DcEndpoint::Myself), 1);
    let stored = env.stored();
    assert_eq!(stored["credential"]["method"], "pat");
    assert_eq!(stored["credential"]["token"], env.dc_pat.as_str());
    assert_eq!(stored["site"]["deployment"], "data-center");
    assert_eq!(stored["site"]["url"], env.dc().base_url().as_str());
    assert_eq!(stored["site"]["cloud_id"], "");
    assert_eq!(stored["account"]["name"], USER_DISPLAY_NAME);
    env.assert_no_leaks(&out);

    let header = env.jira(&["header"]);
    header.assert_code(0);
    assert_eq!(header.stdout, format!("Bearer {}\n", env.dc_pat));
    assert_eq!(env.jira(&["token"]).stdout, format!("{}\n", env.dc_pat));
    let json = env.jira(&["token", "--json"]).json();
    assert_eq!(json["api_base_url"], env.dc().base_url().as_str());
    assert!(json["expires_at"].is_null());

    assert_exec_hands_over(&env, &format!("Bearer {}", env.dc_pat));
    let base = env.dc().base_url();

    let status = env.jira(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("status_pat", env.screen(&status));
    let json = env.jira(&["status", "--json"]).json();
    let p = &json["profiles"][0];
    assert_eq!(p["deployment"], "data-center");
    assert_eq!(p["method"], "pat");
    assert_eq!(p["api_base_url"], base.as_str());
    assert_eq!(p["site"]["url"], base.as_str());
    let check = env.jira(&["status", "--check"]);
    check.assert_code(0);
    check.assert_says("accepts the credential (GET /rest/api/2/myself answers as Ada Lovelace)");

    let doctor = env.jira(&["doctor"]);
    doctor.assert_code(0);
    insta::assert_snapshot!("doctor_pat", env.screen(&doctor));

    // Revoked in Jira: status --check and doctor say so, with what to do.
    env.dc().revoke_pat(&env.dc_pat);
    let check = env.jira(&["status", "--check"]);
    check.assert_code(3);
    check.assert_says("refused the personal access token (401 on /rest/api/2/myself)");
    check.assert_says("Profile → Personal Access Tokens");

    let logout = env.jira(&["logout"]);
    logout.assert_code(0);
    assert!(!env.credentials_path().exists());
    assert_eq!(env.jira(&["token"]).code, 3);
    env.assert_no_secret_in("stderr", &header.stderr);
    for run in [&status, &check, &doctor, &logout] {
        env.assert_no_leaks(run);
    }
}

/// A PAT that cannot be one (too short, a space inside) is refused before anything is
/// asked of Jira, saying what is wrong and never showing it.
#[test]
fn a_malformed_pat_is_exit_2_before_jira_is_asked() {
    let env = dc_world();
    for (pat, said) in [
        (
            "short-pat",
            "error: personal access token from JIRA_AUTH_PAT: the personal access token should be 16 to 1024 characters long (got 9)",
        ),
        (
            "NjQ0MzE2NzY4 ODU2OuWrong",
            "error: personal access token from JIRA_AUTH_PAT: the personal access token contains spaces or control characters; copy it again",
        ),
    ] {
        let mut cmd = env.init_pat();
        cmd.env("JIRA_AUTH_PAT", pat).arg("--json");
        let out = run(cmd);
        out.assert_error(2, "usage").assert_says(said);
        assert!(
            !out.stderr.contains(pat) && !out.stdout.contains(pat),
            "{}",
            out.stderr
        );
        assert!(!env.credentials_path().exists());
    }
    assert_eq!(env.dc().hits(DcEndpoint::Myself), 0, "Jira was never asked");
}

#[test]
fn a_wrong_pat_is_exit_3_and_nothing_is_stored() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_PAT", "NjQwrong-token-0123456789");
    let out = run(cmd);
    out.assert_code(3);
    insta::assert_snapshot!("init_pat_rejected", env.screen(&out));
    assert!(!env.credentials_path().exists(), "nothing stored");
    assert_eq!(env.jira(&["status"]).code, 3, "and nothing in the index");
}

#[test]
fn a_pat_from_stdin_and_a_context_path_found_from_a_pasted_address() {
    let env = dc_world();
    let mut cmd = env.init_pat();
    cmd.env_remove("JIRA_AUTH_PAT").arg("--pat-stdin").env(
        "JIRA_AUTH_SITE",
        format!("{}/browse/PROJ-1?filter=1", env.dc().base_url()),
    );
    let out = crate::support::env::run_with(
        cmd,
        Some(&format!("{}\n", env.dc_pat)),
        Duration::from_secs(60),
    );
    out.assert_code(0);
    assert_eq!(env.stored()["site"]["url"], env.dc().base_url().as_str());
    // /jira/browse/PROJ-1 and /jira/browse are no endpoint at all; /jira answered.
    assert_eq!(env.dc().hits(DcEndpoint::ServerInfo), 1);
    env.assert_no_leaks(&out);
}

#[test]
fn pat_is_for_data_center_only() {
    let env = dc_world();
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_SITE", "acme");
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says(
        "--site acme names a Jira Cloud site, and --method pat is for Jira Data Center",
    );
    out.assert_says("--method api-token");
    // A Cloud site found out by its serverInfo.
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_SITE", &env.site_url);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("is Jira Cloud, and --method pat is for Jira Data Center");
    // And the Cloud-only methods say where to go on Data Center.
    let mut cmd = env.init_api_token(&env.classic_token);
    cmd.args(["--store", "file"])
        .env("JIRA_AUTH_SITE", env.dc().base_url());
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("is Jira Data Center, and --method api-token is for Jira Cloud only");
    out.assert_says("--method pat");
    assert!(!env.credentials_path().exists());
    env.assert_no_leaks(&out);
}

#[test]
fn detection_failures_say_what_was_asked() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    // Nothing listens there: the network is down as far as we can tell (5).
    let mut cmd = env.init_pat();
    cmd.env(
        "JIRA_AUTH_SITE",
        format!("http://127.0.0.1:{}/jira", free_port()),
    );
    let out = run(cmd);
    out.assert_code(5);
    out.assert_says("serverInfo");
    // A web server that is no Jira: every path tried, then a usage error.
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_SITE", format!("{}/nojira", env.dc().origin()));
    let out = run(cmd);
    out.assert_code(2);
    insta::assert_snapshot!("init_pat_not_jira", env.screen(&out));
    // serverInfo behind a login: --deployment data-center is the way through.
    env.dc().make_server_info_private();
    let out = run(env.init_pat());
    out.assert_code(2);
    out.assert_says("asks for credentials");
    out.assert_says("--deployment data-center");
    let hits = env.dc().hits(DcEndpoint::ServerInfo);
    let mut cmd = env.init_pat();
    cmd.args(["--deployment", "data-center"]);
    let out = run(cmd);
    out.assert_code(0);
    assert_eq!(
        env.dc().hits(DcEndpoint::ServerInfo),
        hits,
        "not asked again"
    );
    // *.atlassian.net is Cloud, whatever --deployment says.
    let mut cmd = env.init_pat();
    cmd.args(["--force", "--deployment", "data-center"])
        .env("JIRA_AUTH_SITE", "https://acme.atlassian.net");
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("https://acme.atlassian.net is a Jira Cloud site (every *.atlassian.net site is), not Data Center");
    env.assert_no_leaks(&out);
}

/// A DC OAuth profile: `init` through the instance's own provider, in the file store.
fn dc_oauth_world() -> TestEnv {
    let env = dc_world();
    run(env.init_dc_oauth()).assert_code(0);
    env
}

#[test]
fn oauth_on_data_center_uses_pkce_and_the_base_url() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    let out = run(env.init_dc_oauth());
    out.assert_code(0);
    insta::assert_snapshot!("init_dc_oauth", env.screen(&out));
    assert_eq!(
        env.dc().pkce_verified(),
        1,
        "the verifier matched its challenge"
    );
    assert_eq!(env.dc().hits(DcEndpoint::Token), 1);
    let consent = &env.browser_entries()[0];
    let url = consent["consent_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/rest/oauth2/latest/authorize?",
            env.dc().base_url()
        )),
        "{url}"
    );
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(url.contains("scope=WRITE"), "{url}");
    let stored = env.stored();
    assert_eq!(stored["credential"]["method"], "oauth");
    assert_eq!(stored["credential"]["scopes_granted"][0], "WRITE");
    assert_eq!(stored["site"]["deployment"], "data-center");
    assert_eq!(stored["account"]["name"], USER_DISPLAY_NAME);
    env.assert_no_leaks(&out);

    let exec = env.jira(&[
        "exec",
        "--",
        "sh",
        "-c",
        r#"printf '%s\n%s' "$JIRA_API_BASE_URL" "$JIRA_SITE_URL""#,
    ]);
    exec.assert_code(0);
    let base = env.dc().base_url();
    assert_eq!(exec.stdout, format!("{base}\n{base}"));
    let status = env.jira(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("status_dc_oauth", env.screen(&status));
    let doctor = env.jira(&["doctor"]);
    doctor.assert_code(0);
    insta::assert_snapshot!("doctor_dc_oauth", env.screen(&doctor));
    let check = env.jira(&["status", "--check", "--json"]);
    check.assert_code(0);
    assert_eq!(check.json()["profiles"][0]["deployment"], "data-center");
    for run in [&exec, &status, &doctor, &check] {
        env.assert_no_leaks(run);
    }
}

#[test]
fn refresh_keeps_whatever_refresh_token_comes_back() {
    let env = dc_oauth_world();
    let rt = |env: &TestEnv| env.stored()["credential"]["refresh_token"].clone();
    let first = rt(&env);
    // --min-ttl longer than the token lives: a refresh now, under the lock, stored.
    let out = env.jira(&["token", "--min-ttl", "7200"]);
    out.assert_code(0);
    let second = rt(&env);
    assert_ne!(second, first, "rotated");
    assert_eq!(
        out.stdout.trim(),
        env.stored()["credential"]["access_token"].as_str().unwrap()
    );
    // An instance that does not rotate: the refresh token sent stays the one to use.
    env.dc().set_rotation(Rotation::Omitted);
    env.jira(&["token", "--min-ttl", "7200"]).assert_code(0);
    assert_eq!(rt(&env), second);
    env.dc().set_rotation(Rotation::Same);
    env.jira(&["token", "--min-ttl", "7200"]).assert_code(0);
    assert_eq!(rt(&env), second);
    // One that wants redirect_uri on a refresh gets it, at the cost of one refused request.
    env.dc().set_rotation(Rotation::New);
    env.dc().require_redirect_uri_on_refresh(true);
    let before = env.dc().hits(DcEndpoint::Token);
    let out = env.jira(&["-vv", "header", "--min-ttl", "7200"]);
    out.assert_code(0);
    assert_eq!(env.dc().hits(DcEndpoint::Token), before + 2);
    assert_ne!(rt(&env), second);
    assert!(out.stdout.starts_with("Bearer dc-at-"), "{}", out.stdout);
    env.assert_no_secret_in("stderr", &out.stderr);
    // A refresh whose answer is a 500 may have reached Jira: never sent again (a rotated-out
    // token resent could end the grant), and the hint says to run again now.
    let before = env.dc().hits(DcEndpoint::Token);
    env.dc().fail_next(DcEndpoint::Token, 500, 1);
    let out = env.jira(&["token", "--min-ttl", "7200"]);
    out.assert_code(5);
    out.assert_says("run the command again now");
    assert_eq!(env.dc().hits(DcEndpoint::Token), before + 1, "not retried");
    env.jira(&["token", "--min-ttl", "7200"]).assert_code(0);
    // A 503 is retried: the instance did not take the request.
    env.dc().fail_next(DcEndpoint::Token, 503, 1);
    env.jira(&["token", "--min-ttl", "7200"]).assert_code(0);
    // Revoked in Jira: exit 3, the refusal recorded for status.
    env.dc().revoke_grants();
    let out = env.jira(&["token", "--min-ttl", "7200"]);
    out.assert_code(3);
    out.assert_says("Jira no longer accepts this profile's refresh token (invalid_grant)");
    out.assert_says("jira-auth login");
    let status = env.jira(&["status", "--json"]).json();
    assert_eq!(
        status["profiles"][0]["renewal_refused"]["what"],
        "refresh-token"
    );
    // Said as Jira's refusal, with Data Center's fix, until a new consent.
    env.jira(&["status"])
        .assert_says("valid, but Jira refused its refresh token");
    let doctor = env.jira(&["doctor"]);
    assert!(
        doctor.stdout.contains("but Jira refused its refresh token"),
        "{}",
        doctor.stdout
    );
    // login consents again at the same instance.
    let out = env.jira(&["login", "--no-input"]);
    out.assert_code(0);
    assert_eq!(env.dc().pkce_verified(), 2);
    env.jira(&["token", "--min-ttl", "7200"]).assert_code(0);
    env.assert_no_leaks(&out);
}

#[test]
fn a_pkce_mismatch_and_an_expired_code_are_refused_and_nothing_is_stored() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    env.dc().corrupt_next_challenge();
    let out = run(env.init_dc_oauth());
    out.assert_code(3);
    insta::assert_snapshot!("init_dc_oauth_code_rejected", env.screen(&out));
    assert!(!env.credentials_path().exists());
    // The code came back 11 s before the exchange arrived, on the instance's clock.
    env.dc().delay_exchange_by(Duration::from_secs(11));
    let out = run(env.init_dc_oauth());
    out.assert_code(3);
    out.assert_says("Jira refused the authorization code (invalid_grant)");
    assert!(!env.credentials_path().exists());
    // 9 s is still in time.
    env.dc().delay_exchange_by(Duration::from_secs(9));
    run(env.init_dc_oauth()).assert_code(0);
    env.assert_no_leaks(&out);
}

#[test]
fn scopes_of_the_other_deployment_are_refused_by_name() {
    let env = dc_world();
    let with_scopes = |list: &str| {
        let mut cmd = env.cmd();
        cmd.args(["init", "--no-input", "--store", "file"])
            .args(["--client-id", crate::support::env::DC_CLIENT_ID])
            .args(["--scopes", list, "--port", &env.port.to_string()])
            .env("JIRA_AUTH_SITE", env.dc().base_url())
            .env("JIRA_AUTH_CLIENT_SECRET", &env.dc_secret);
        run(cmd)
    };
    let out = with_scopes("read:jira-work");
    out.assert_code(2);
    out.assert_says(
        "'read:jira-work' is not a Jira Data Center scope: the scopes are READ, WRITE, ADMIN, SYSTEM_ADMIN",
    );
    let mut cmd = env.init_scopes("READ");
    cmd.args(["--store", "file"]);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("'READ' is a Jira Data Center scope");
    // Beyond the link's permission: Jira says invalid_scope on the way back.
    let out = with_scopes("ADMIN");
    out.assert_code(3);
    out.assert_says("Jira returned an error (invalid_scope)");
    out.assert_says("the incoming application link's permission");
    assert!(!env.credentials_path().exists());
}

#[test]
fn a_declined_consent_at_jira_stores_nothing() {
    let env = dc_world();
    env.dc().set_deny(true);
    let out = run(env.init_dc_oauth());
    out.assert_code(3);
    out.assert_says("consent was declined; nothing was stored");
    out.assert_says("choose Allow on Jira's consent page");
    assert!(!env.credentials_path().exists());
}

#[test]
fn doctor_reads_the_instances_clock() {
    let env = dc_oauth_world();
    env.dc().set_date_skew(-400);
    let out = env.jira(&["doctor", "--json"]);
    let checks = out.json()["checks"].clone();
    let clock = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "clock")
        .unwrap()
        .clone();
    assert_eq!(clock["status"], "fail", "{clock}");
    assert!(
        clock["detail"].as_str().unwrap().contains("ahead of"),
        "{clock}"
    );
    assert_eq!(out.code, 1);
}

#[test]
fn sites_and_scope_checks_know_a_data_center_profile() {
    let env = dc_oauth_world();
    let out = env.jira(&["sites"]);
    out.assert_code(2);
    out.assert_says("a Data Center site is its base URL");
    let out = env.jira(&["login", "--no-input", "--site", "acme"]);
    out.assert_code(2);
    out.assert_says("--site cannot move it elsewhere");
    env.assert_no_leaks(&out);
}

#[test]
fn scopes_check_compares_data_center_scopes() {
    let env = dc_oauth_world();
    let _snapshots = env.snapshots();
    let out = env.jira(&["scopes", "check"]);
    out.assert_code(0);
    // WRITE reads too.
    env.jira(&["scopes", "check", "--require", "READ"])
        .assert_code(0);
    let out = env.jira(&["scopes", "check", "--require", "ADMIN"]);
    out.assert_code(4);
    insta::assert_snapshot!("scopes_check_dc_missing", env.screen(&out));
    let out = env.jira(&["scopes", "check", "--require", "read:jira-work"]);
    out.assert_code(2);
    out.assert_says("is not a Jira Data Center scope");
}

/// In JSON mode, Data Center's failures have their own error codes.
#[test]
fn data_center_failures_have_their_error_codes() {
    let env = dc_world();
    let json = |mut cmd: std::process::Command| {
        cmd.arg("--json");
        run(cmd)
    };
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_PAT", "NjQwrong-token-0123456789");
    json(cmd).assert_error(3, "pat_rejected");
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_SITE", "acme");
    json(cmd).assert_error(2, "deployment_mismatch");
    let mut cmd = env.init_pat();
    cmd.env("JIRA_AUTH_SITE", format!("{}/nojira", env.dc().origin()));
    json(cmd).assert_error(2, "deployment_unknown");
    let mut cmd = env.cmd();
    cmd.args(["init", "--no-input", "--store", "file", "--json"])
        .args(["--scopes", "read:jira-work"])
        .env("JIRA_AUTH_SITE", env.dc().base_url());
    run(cmd).assert_error(2, "scope_wrong_deployment");
    env.dc().corrupt_next_challenge();
    json(env.init_dc_oauth()).assert_error(3, "code_rejected");
    let mut cmd = env.init_dc_oauth();
    cmd.env("JIRA_AUTH_CLIENT_SECRET", "not-the-links-secret-0123456789");
    json(cmd).assert_error(3, "client_secret_rejected");
    assert!(!env.credentials_path().exists());
}

/// A browser elsewhere (SSH, a container) consents on the instance's own page and ends on
/// the callback address, which cannot reach this machine: pasted back (`--paste`), it is
/// judged as a callback would be, and its code is exchanged at once with the PKCE verifier.
#[test]
fn a_pasted_address_finishes_a_data_center_consent() {
    let env = dc_world();
    let mut cmd = env.init_dc_oauth();
    cmd.env_remove("BROWSER").args(["--paste", "--json"]);
    let mut waiting = Waiting::start(cmd, None);
    waiting.wait_for("Reading the address your browser ended on from stdin (--paste)");
    let authorize = format!("{}/rest/oauth2/latest/authorize?", env.dc().base_url());
    assert!(waiting.url.starts_with(&authorize), "{}", waiting.url);
    let address = consent_redirect(&waiting.url);
    waiting.write(&format!("{address}\n"));
    let out = waiting.finish();
    out.assert_code(0);
    assert_eq!(out.json()["site"]["deployment"], "data-center");
    assert_eq!(env.dc().pkce_verified(), 1, "the verifier matched");
    assert_eq!(env.dc().hits(DcEndpoint::Token), 1);
    // The address held the code: it is never shown.
    assert!(!out.stderr.contains(&address), "{}", out.stderr);
    env.assert_no_leaks(&out);
    env.jira(&["token"]).assert_code(0);
}

/// Both Data Center methods in a real Secret Service, as on a desktop: the OAuth grant is
/// renewed in its keychain item, the PAT is read from its own, and `logout` removes each.
#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn data_center_profiles_live_in_the_keychain_and_are_renewed_there() {
    crate::support::env::require_secret_service();
    let env = dc_world();
    let mut init = env.cmd();
    init.args(["init", "--no-input", "--preset", "read-write"])
        .args(["--client-id", crate::support::env::DC_CLIENT_ID])
        .args(["--port", &env.port.to_string()])
        .env("JIRA_AUTH_SITE", env.dc().base_url())
        .env("JIRA_AUTH_CLIENT_SECRET", &env.dc_secret);
    run(init).assert_code(0);
    let item = env.keychain_item().expect("the profile is in the keychain");
    assert_eq!(item["site"]["deployment"], "data-center");
    assert_eq!(item["credential"]["method"], "oauth");
    let first = item["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let renewed = env.jira(&["token", "--min-ttl", "4000"]);
    renewed.assert_code(0);
    assert_eq!(
        env.dc().hits(DcEndpoint::Token),
        2,
        "the code, then one refresh"
    );
    let item = env.keychain_item().expect("still in the keychain");
    let now = item["credential"]["access_token"].as_str().unwrap();
    assert_ne!(now, first, "the renewed token was saved");
    assert_eq!(renewed.stdout, format!("{now}\n"));
    env.assert_no_secret_in("stderr", &renewed.stderr);
    env.jira(&["logout"]).assert_code(0);
    assert!(env.keychain_item().is_none());

    let mut pat = env.cmd();
    pat.args(["init", "--no-input", "--method", "pat"])
        .env("JIRA_AUTH_SITE", env.dc().base_url())
        .env("JIRA_AUTH_PAT", &env.dc_pat);
    run(pat).assert_code(0);
    let item = env
        .keychain_item()
        .expect("the PAT profile is in the keychain");
    assert_eq!(item["credential"]["method"], "pat");
    let header = env.jira(&["header"]);
    header.assert_code(0);
    assert_eq!(header.stdout, format!("Bearer {}\n", env.dc_pat));
    env.jira(&["logout"]).assert_code(0);
    assert!(env.keychain_item().is_none());
}

#[test]
fn a_service_account_mints_at_the_instance_and_is_reminted_near_expiry() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    env.dc().set_access_token_ttl(3600);
    let out = run(env.init_dc_service_account());
    out.assert_code(0);
    insta::assert_snapshot!("init_dc_service_account", env.screen(&out));
    let stored = env.stored();
    assert_eq!(stored["credential"]["method"], "service-account");
    assert_eq!(stored["credential"]["client_id"], DC_SA_CLIENT_ID);
    assert_eq!(stored["credential"]["scopes_requested"][0], "READ");
    assert_eq!(stored["credential"]["scopes_granted"][0], "READ");
    assert_eq!(stored["site"]["deployment"], "data-center");
    assert_eq!(stored["site"]["url"], env.dc().base_url().as_str());
    assert_eq!(stored["site"]["cloud_id"], "");
    assert_eq!(stored["account"]["name"], DC_SA_NAME);
    let first = stored["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(env.dc().hits(DcEndpoint::Token), 1);
    env.assert_no_leaks(&out);

    // Fresh: the stored token, no request.
    let token = env.jira(&["token"]);
    token.assert_code(0);
    assert_eq!(token.stdout, format!("{first}\n"));
    assert_eq!(env.dc().hits(DcEndpoint::Token), 1);
    // Within --min-ttl: minted again at the instance, with the stored scope, and stored.
    let again = env.jira(&["token", "--min-ttl", "7200"]);
    again.assert_code(0);
    assert_eq!(env.dc().hits(DcEndpoint::Token), 2);
    let second = env.stored()["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(second, first);
    assert_eq!(again.stdout, format!("{second}\n"));
    assert_eq!(env.stored()["credential"]["scopes_granted"][0], "READ");

    let header = env.jira(&["header"]);
    header.assert_code(0);
    assert_eq!(header.stdout, format!("Bearer {second}\n"));
    assert_exec_hands_over(&env, &format!("Bearer {second}"));

    let status = env.jira(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("status_dc_service_account", env.screen(&status));
    let check = env.jira(&["status", "--check"]);
    check.assert_code(0);
    let doctor = env.jira(&["doctor"]);
    doctor.assert_code(0);
    insta::assert_snapshot!("doctor_dc_service_account", env.screen(&doctor));

    // At -vv the mint logs its request, never the secret or the tokens.
    let verbose = env.jira(&["-vv", "token", "--min-ttl", "7200"]);
    verbose.assert_code(0);
    env.assert_no_secret_in("stderr", &verbose.stderr);

    let logout = env.jira(&["logout"]);
    logout.assert_code(0);
    assert!(!env.credentials_path().exists());
    env.assert_no_secret_in("stderr", &token.stderr);
    env.assert_no_secret_in("stderr", &again.stderr);
    for run in [&status, &check, &doctor, &logout] {
        env.assert_no_leaks(run);
    }
}

#[test]
fn a_service_accounts_wrong_secret_admin_scope_and_missing_scopes() {
    let env = dc_world();
    let _snapshots = env.snapshots();
    let mut cmd = env.init_dc_service_account();
    cmd.env(
        "JIRA_AUTH_CLIENT_SECRET",
        "0123456789abcdef0123456789abcdef-wrong",
    );
    let rejected = run(cmd);
    rejected.assert_code(3);
    insta::assert_snapshot!("init_dc_service_account_rejected", env.screen(&rejected));
    env.assert_no_leaks(&rejected);
    assert!(!env.credentials_path().exists(), "nothing stored");
    assert_eq!(env.jira(&["status"]).code, 3, "and nothing in the index");

    for admin in [
        ["--scopes", "ADMIN"],
        ["--preset", "admin"],
        ["--scopes", "SYSTEM_ADMIN"],
    ] {
        let mut cmd = env.init_dc_service_account();
        cmd.env_remove("JIRA_AUTH_SCOPES").args(admin);
        let out = run(cmd);
        out.assert_code(2);
        out.assert_says("Jira gives service accounts READ or WRITE only");
        out.assert_says("--scopes READ or --scopes WRITE");
    }
    let mut cmd = env.init_dc_service_account();
    cmd.env_remove("JIRA_AUTH_SCOPES");
    let out = run(cmd);
    out.assert_code(2);
    insta::assert_snapshot!("init_dc_service_account_no_scopes", env.screen(&out));
    assert_eq!(
        env.dc().hits(DcEndpoint::Token),
        1,
        "only the wrong secret was sent"
    );
    assert!(!env.credentials_path().exists());

    // Scopes stay refused for a Cloud service account.
    let mut cmd = env.init_service_account();
    cmd.args(["--store", "file", "--scopes", "read:jira-work"]);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says(
        "--method service-account on Jira Cloud does not use --scopes (JIRA_AUTH_SCOPES)",
    );
    env.assert_no_leaks(&out);
}

#[test]
fn stateless_mode_says_a_data_center_service_account_needs_a_profile() {
    let env = dc_world();
    let mut cmd = env.stateless(&["token"]);
    cmd.env("JIRA_AUTH_CLIENT_ID", DC_SA_CLIENT_ID)
        .env("JIRA_AUTH_CLIENT_SECRET", &env.dc_sa_secret)
        .env("JIRA_AUTH_SITE", env.dc().base_url());
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("is Jira Data Center, and stateless mode (JIRA_AUTH_METHOD=service-account) is for Jira Cloud service accounts only");
    out.assert_says("jira-auth init --method service-account --scopes READ");
    assert_eq!(env.dc().hits(DcEndpoint::Token), 0);
    env.assert_no_leaks(&out);
}

#[test]
fn a_service_account_whose_token_ran_out_is_reminted_by_doctor_and_status() {
    let env = dc_world();
    env.dc().set_access_token_ttl(60);
    run(env.init_dc_service_account()).assert_code(0);
    env.dc().advance_clock(Duration::from_secs(120));
    let status = env.jira(&["status"]);
    status.assert_code(0);
    status.assert_says("renewable");
    let doctor = env.jira(&["doctor"]);
    doctor.assert_code(0);
    assert!(doctor.stdout.contains("✓ myself"), "{}", doctor.stdout);
    assert_eq!(env.dc().hits(DcEndpoint::Token), 2, "doctor minted once");
    // Revoked in Jira since: exit 3, the profile kept, and what to do.
    env.dc().advance_clock(Duration::from_secs(120));
    env.dc()
        .create_service_account(jira_auth_emulator::datacenter::ServiceAccount {
            client_id: DC_SA_CLIENT_ID.into(),
            client_secret: "regenerated-secret-0123456789abcdef".into(),
            name: DC_SA_NAME.into(),
        });
    let out = env.jira(&["token"]);
    out.assert_code(3);
    out.assert_says("Jira no longer accepts this profile's service-account client id or secret");
    out.assert_says("jira-auth init --force --method service-account");
    assert!(env.credentials_path().exists(), "the profile was kept");
    for run in [&status, &doctor, &out] {
        env.assert_no_leaks(run);
    }
}

/// In the keychain, a Data Center service account's token is answered from the kernel cache
/// as a Cloud one's is (no D-Bus), and one within --min-ttl is minted again and saved there.
#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_data_center_service_account_in_the_keychain_uses_the_kernel_cache() {
    crate::support::env::require_secret_service();
    crate::support::env::require_keyutils();
    let env = dc_world();
    let mut init = env.cmd();
    init.args([
        "init",
        "--no-input",
        "--method",
        "service-account",
        "--scopes",
        "READ",
    ])
    .args(["--client-id", DC_SA_CLIENT_ID])
    .env("JIRA_AUTH_SITE", env.dc().base_url())
    .env("JIRA_AUTH_CLIENT_SECRET", &env.dc_sa_secret);
    run(init).assert_code(0);
    let item = env.keychain_item().expect("the profile is in the keychain");
    assert_eq!(item["credential"]["method"], "service-account");
    let first = item["credential"]["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // No Secret Service to ask: the cache answers.
    let mut cmd = env.cmd();
    cmd.args(["token"])
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let cached = run(cmd);
    cached.assert_code(0);
    assert_eq!(cached.stdout, format!("{first}\n"));
    // Within --min-ttl: minted at the instance, saved in the keychain item.
    let renewed = env.jira(&["token", "--min-ttl", "7200"]);
    renewed.assert_code(0);
    assert_eq!(env.dc().hits(DcEndpoint::Token), 2);
    let item = env.keychain_item().expect("still in the keychain");
    let now = item["credential"]["access_token"].as_str().unwrap();
    assert_ne!(now, first);
    assert_eq!(renewed.stdout, format!("{now}\n"));
    env.assert_no_secret_in("stderr", &renewed.stderr);
    env.jira(&["logout"]).assert_code(0);
    assert!(env.keychain_item().is_none());
}

#[test]
fn deployment_cloud_keeps_a_service_account_off_the_data_center_path() {
    let env = dc_world();
    let mut cmd = env.init_dc_service_account();
    cmd.args(["--deployment", "cloud"]);
    let out = run(cmd);
    out.assert_code(2);
    out.assert_says("not a Jira Cloud site");
    assert_eq!(env.dc().hits(DcEndpoint::Token), 0);
    assert!(!env.credentials_path().exists());
    env.assert_no_leaks(&out);
}

/// A Data Center profile whose stored site URL does not parse gets one answer from every
/// command that must use it (once it was treated as Cloud by `login`, exit 5 by `token` and
/// exit 3 by `status --check` and `doctor`): the stored profile cannot be read, exit 6
/// `store_corrupt`, naming the URL, the file and the fix. `logout` still removes it.
#[test]
fn a_damaged_stored_site_gets_the_same_answer_from_every_command() {
    let env = dc_world();
    run(env.init_dc_oauth()).assert_code(0);
    env.edit_stored(|cfg| cfg["site"]["url"] = serde_json::json!("jira example com"));
    let file = env.credentials_path().display().to_string();
    let mut answers = Vec::new();
    for args in [
        &["login", "--no-browser"][..],
        &["token"],
        &["status", "--check"],
        &["doctor"],
    ] {
        let out = env.jira(&[args, &["--json"]].concat());
        out.assert_code(6);
        let doc = out.json();
        // doctor says it in its failed check; the others in their error.
        let (code, message, fix) = match doc["checks"].as_array() {
            Some(checks) => {
                let failed = checks.iter().find(|c| c["status"] == "fail").unwrap();
                (
                    &failed["code"],
                    &failed["detail"],
                    failed["fix"].to_string(),
                )
            }
            None => (
                &doc["error"]["code"],
                &doc["error"]["message"],
                doc["error"]["hints"].to_string(),
            ),
        };
        assert_eq!(code, "store_corrupt", "{args:?}: {doc}");
        let message = message.as_str().unwrap();
        assert!(
            message.contains(r#"its Data Center site URL "jira example com" is not a URL"#)
                && message.contains(&file),
            "{args:?}: {message}"
        );
        assert!(
            fix.contains("jira-auth logout --profile"),
            "{args:?}: {fix}"
        );
        answers.push(message.to_string());
    }
    answers.dedup();
    assert_eq!(answers.len(), 1, "one answer everywhere: {answers:#?}");
    env.jira(&["logout"]).assert_code(0);
    assert!(!env.credentials_path().exists());
}
