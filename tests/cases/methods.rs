//! What holds for every credential method alike: `exec` hands over the whole
//! `Authorization` header value in `JIRA_AUTH_HEADER` (so a script needs no branching on the
//! method), the same value `header` prints, with the REST base that credential answers on.

use crate::support::env::{Run, SITE_ID, TestEnv, run};

/// `JIRA_AUTH_HEADER` and `JIRA_API_BASE_URL` as `exec` sets them for the profile `name`.
fn exec_sees(env: &TestEnv, name: &str) -> Run {
    let out = env.jira(&[
        "exec",
        "--profile",
        name,
        "--",
        "sh",
        "-c",
        r#"printf '%s\n%s\n' "$JIRA_AUTH_HEADER" "$JIRA_API_BASE_URL""#,
    ]);
    out.assert_code(0);
    out
}

#[test]
fn exec_sets_the_header_of_every_method_as_header_prints_it() {
    // An OAuth profile (the builder's), a service account and a classic API token, side by
    // side in one config dir.
    let env = TestEnv::builder().profile_in_file_store().build();
    let mut sa = env.init_service_account();
    sa.args(["--store", "file", "--profile", "robot"]);
    run(sa).assert_code(0);
    let mut tok = env.init_api_token(&env.classic_token);
    tok.args(["--store", "file", "--profile", "mine"]);
    run(tok).assert_code(0);

    let gateway = format!("{}/ex/jira/{SITE_ID}", env.emu.api_url());
    for (name, scheme, base) in [
        (env.profile.as_str(), "Bearer ", gateway.as_str()),
        ("robot", "Bearer ", gateway.as_str()),
        ("mine", "Basic ", env.site_url.as_str()),
    ] {
        let header = env.jira(&["header", "--profile", name]);
        header.assert_code(0);
        assert!(
            header.stdout.starts_with(scheme),
            "{name}: {}",
            header.stdout
        );
        let out = exec_sees(&env, name);
        assert_eq!(out.stdout, format!("{}{base}\n", header.stdout), "{name}");
    }
}

#[test]
fn doctor_checks_a_service_account_and_an_api_token_where_their_api_answers() {
    let env = TestEnv::new();
    let mut sa = env.init_service_account();
    sa.args(["--store", "file", "--profile", "robot"]);
    run(sa).assert_code(0);
    let mut tok = env.init_api_token(&env.scoped_token);
    tok.args(["--store", "file", "--profile", "mine"]);
    run(tok).assert_code(0);
    for (name, who) in [("robot", "ci-bot"), ("mine", "Ada Lovelace")] {
        let out = env.jira(&["doctor", "--profile", name]);
        out.assert_code(0);
        // accessible-resources is for OAuth grants: skipped, not failed; /myself proves the
        // site, with the credential's own header and base.
        assert!(
            out.stdout
                .contains("accessible-resources lists the sites of OAuth grants"),
            "{name}: {}",
            out.stdout
        );
        assert!(
            out.stdout.contains(&format!("answers 200 (as {who})")),
            "{name}: {}",
            out.stdout
        );
        env.assert_no_leaks(&out);
    }
    assert_eq!(
        env.emu
            .hits(crate::support::emulator::Endpoint::AccessibleResources),
        0
    );
}

/// `status --check` and `scopes check` ask each method its own live question (a service
/// account and an API token: `/myself` where their credential is taken, as doctor does;
/// accessible-resources only for OAuth grants), and an API token is never sent as a Bearer
/// token anywhere: every request of every command, read from the emulator's request log.
#[test]
fn every_method_is_checked_where_its_credential_answers_and_an_api_token_is_never_bearer() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let mut sa = env.init_service_account();
    sa.args(["--store", "file", "--profile", "robot"]);
    run(sa).assert_code(0);
    for token in [&env.classic_token, &env.scoped_token] {
        let name = if token == &env.classic_token {
            "classic"
        } else {
            "scoped"
        };
        let mut tok = env.init_api_token(token);
        tok.args(["--store", "file", "--profile", name]);
        run(tok).assert_code(0);
    }
    for name in [env.profile.as_str(), "robot", "classic", "scoped"] {
        let check = env.jira(&["status", "--check", "--profile", name, "--json"]);
        check.assert_code(0);
        let doc = check.json();
        let said = doc["profiles"][0]["usable"]["check"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!said.is_empty(), "{name}: {doc}");
        env.jira(&["doctor", "--profile", name]).assert_code(0);
        env.jira(&["token", "--profile", name, "--min-ttl", "4000"]);
        env.jira(&["header", "--profile", name]).assert_code(0);
        env.jira(&["sites", "--profile", name]);
    }
    // A service account's scopes are those its token came with; an API token's are not
    // known, which is said, not an empty table with ok: true.
    let robot = env.jira(&["scopes", "check", "--profile", "robot", "--json"]);
    robot.assert_code(0);
    assert_eq!(robot.json()["ok"], true, "{}", robot.stdout);
    for name in ["classic", "scoped"] {
        let out = env.jira(&["scopes", "check", "--profile", name, "--json"]);
        out.assert_error(2, "usage");
        assert!(out.stdout.contains("does not apply"), "{}", out.stdout);
    }
    let requests = env.emu.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let Some(auth) = &r.authorization else {
            continue;
        };
        for token in [&env.classic_token, &env.scoped_token] {
            assert!(
                !(auth.starts_with("Bearer") && auth.contains(token.as_str())),
                "an API token sent as Bearer: {} {} {}",
                r.host,
                r.method,
                r.path
            );
        }
        if r.path.contains("accessible-resources") {
            assert!(auth.starts_with("Bearer "), "{} {}", r.method, r.path);
        }
    }
}
