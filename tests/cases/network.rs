//! Networks and servers that fail: every failure ends in bounded time with its exit code and
//! a message that names it, the authorization code is never sent twice once the server may
//! have used it, and no response body (which may hold tokens) is ever shown.

use std::time::{Duration, Instant};

use crate::support::broken::{self, Action, LosingProxy, NoConnect, PlainHttp, Scripted};
use crate::support::emulator::Endpoint;
use crate::support::env::{Run, TestEnv, run};
use crate::support::http::Response;

/// Per-attempt HTTP timeout for these tests (JIRA_AUTH_HTTP_TIMEOUT), in seconds.
const TIMEOUT: &str = "0.5";

/// A world with a working profile in the file store (these tests need no keychain).
fn file_profile() -> TestEnv {
    TestEnv::builder().profile_in_file_store().build()
}

/// `token` forced to refresh, with the token endpoint at `auth_url`.
fn refresh_via(env: &TestEnv, auth_url: &str) -> (Run, Duration) {
    refresh_with(env, auth_url, &[])
}

/// As [`refresh_via`], in JSON mode: the failure's error document on stdout.
fn refresh_via_json(env: &TestEnv, auth_url: &str) -> (Run, Duration) {
    refresh_with(env, auth_url, &["--json"])
}

fn refresh_with(env: &TestEnv, auth_url: &str, extra: &[&str]) -> (Run, Duration) {
    env.record_servers(&env.profile, auth_url, &env.emu.api_url());
    let mut cmd = env.cmd();
    cmd.args(["token", "--min-ttl", "4000"])
        .args(extra)
        .env("JIRA_AUTH_AUTH_URL", auth_url)
        .env("JIRA_AUTH_HTTP_TIMEOUT", TIMEOUT);
    let started = Instant::now();
    let out = run(cmd);
    let took = started.elapsed();
    // Atlassian back where the profile was made.
    env.record_servers(&env.profile, &env.emu.auth_url(), &env.emu.api_url());
    (out, took)
}

/// `init --store file --json` against the scripted server for both Atlassian hosts.
fn init_via(env: &TestEnv, server: &Scripted) -> (Run, Duration) {
    let mut cmd = env.init();
    cmd.args(["--store", "file", "--json"])
        .env("JIRA_AUTH_AUTH_URL", server.url())
        .env("JIRA_AUTH_API_URL", server.url())
        .env("JIRA_AUTH_HTTP_TIMEOUT", TIMEOUT);
    let started = Instant::now();
    let out = run(cmd);
    (out, started.elapsed())
}

#[track_caller]
fn assert_stderr_has(out: &Run, needle: &str) {
    assert!(
        out.stderr.contains(needle),
        "stderr lacks {needle:?}:\n{}",
        out.stderr
    );
}

#[track_caller]
fn assert_nothing_stored(env: &TestEnv) {
    let creds = env.config_dir().join("credentials");
    let files = std::fs::read_dir(&creds).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "nothing may be stored in {}", creds.display());
}

#[track_caller]
fn assert_absent(out: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !out.stdout.contains(s) && !out.stderr.contains(s),
            "{s} leaked:\n{}\n{}",
            out.stdout,
            out.stderr
        );
    }
}

#[test]
fn server_that_never_answers_fails_in_bounded_time() {
    let env = file_profile();
    let server = Scripted::start(|_| Action::Silent);
    let (out, took) = refresh_via_json(&env, &server.url());
    out.assert_error(5, "server_unavailable");
    assert_stderr_has(&out, "did not answer within 0.5 s (timed out)");
    assert_stderr_has(&out, "(after 4 attempts)");
    assert_eq!(server.hits("/oauth/token"), 4, "a refresh may be retried");
    // 4 × (0.5 s + connect) plus backoff (at most 0.5 + 0.75 + 1.25 s): far below a minute.
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

#[test]
fn connect_timeout_is_bounded_and_retried() {
    let env = file_profile();
    let blocked = NoConnect::start();
    let (out, took) = refresh_via(&env, &format!("http://127.0.0.1:{}", blocked.port));
    out.assert_code(5);
    assert_stderr_has(
        &out,
        &format!(
            "cannot connect to 127.0.0.1:{}: no answer within 0.5 s",
            blocked.port
        ),
    );
    assert_stderr_has(&out, "(after 4 attempts)");
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

/// The three ways a code exchange can fail after the request went out: none is retried.
fn code_exchange_not_retried(action: fn() -> Action, detail: &str) {
    let env = TestEnv::new();
    let server = Scripted::start(move |req| match req.path.as_str() {
        "/oauth/token" => action(),
        _ => broken::one_site(),
    });
    let (out, took) = init_via(&env, &server);
    out.assert_error(5, "server_unavailable");
    assert_eq!(server.hits("/oauth/token"), 1, "the code was sent once");
    assert_stderr_has(&out, detail);
    assert_stderr_has(&out, "after the authorization code was sent");
    assert_stderr_has(&out, "a code works only once, so it was not sent again");
    assert_stderr_has(&out, "run `jira-auth init`");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert_absent(&out, &[&server.code, &env.secret]);
    assert_nothing_stored(&env);
}

#[test]
fn code_exchange_is_not_retried_after_a_timeout() {
    code_exchange_not_retried(|| Action::Silent, "did not answer within 0.5 s");
}

#[test]
fn code_exchange_is_not_retried_after_a_reset() {
    code_exchange_not_retried(|| Action::Reset, "request to 127.0.0.1:");
}

#[test]
fn code_exchange_is_not_retried_after_a_500() {
    code_exchange_not_retried(
        || {
            Action::Respond(Response::json(
                500,
                serde_json::json!({"error": "server_error"}),
            ))
        },
        "the server answered 500 Internal Server Error",
    );
}

#[test]
fn other_4xx_are_not_retried() {
    let env = file_profile();
    env.emu.fail_next(Endpoint::Token, 400, 5, None);
    let (out, _) = refresh_via_json(&env, &env.emu.auth_url());
    out.assert_error(5, "bad_response");
    assert_eq!(env.emu.hits(Endpoint::Token), 2, "init, then one refresh");
    assert_stderr_has(
        &out,
        "unexpected response from Atlassian (HTTP 400, JSON without the expected fields",
    );
}

#[test]
fn invalid_grant_on_the_code_says_codes_are_single_use() {
    let env = TestEnv::new();
    let server = Scripted::start(|req| match req.path.as_str() {
        "/oauth/token" => broken::token_error(403, "invalid_grant", "Invalid authorization code"),
        _ => broken::one_site(),
    });
    let (out, _) = init_via(&env, &server);
    out.assert_error(3, "code_rejected");
    assert_eq!(server.hits("/oauth/token"), 1);
    assert_stderr_has(
        &out,
        "Atlassian refused the authorization code (invalid_grant): Invalid authorization code",
    );
    assert_stderr_has(&out, "codes are single-use");
    assert_absent(&out, &[&server.code, &env.secret]);
    assert_nothing_stored(&env);
}

#[test]
fn unauthorized_client_at_the_token_endpoint_points_at_the_callback_url() {
    let env = TestEnv::new();
    let server = Scripted::start(|req| match req.path.as_str() {
        "/oauth/token" => broken::token_error(
            403,
            "unauthorized_client",
            "redirect_uri does not match the registered callback URL",
        ),
        _ => broken::one_site(),
    });
    let (out, _) = init_via(&env, &server);
    out.assert_error(3, "client_id_rejected");
    assert_eq!(server.hits("/oauth/token"), 1);
    assert_stderr_has(
        &out,
        "Atlassian rejected the client at the token endpoint (unauthorized_client)",
    );
    assert_stderr_has(&out, "callback URL in the developer console");
    assert_nothing_stored(&env);
}

#[test]
fn scope_mismatch_from_the_api_names_the_missing_scope_step() {
    let env = TestEnv::new();
    let server = Scripted::start(|req| match req.path.as_str() {
        "/oauth/token" => broken::token_ok("at-scripted-9f8e7d", "rt-scripted-1a2b3c"),
        _ => Action::Respond(Response::json(
            401,
            serde_json::json!({"code": 401, "message": "Unauthorized; scope does not match"}),
        )),
    });
    let (out, _) = init_via(&env, &server);
    // Exit 4 (scope check failed), as `doctor` and `scopes check` report it.
    out.assert_error(4, "scope_missing");
    assert_stderr_has(
        &out,
        "accessible-resources: Atlassian answered 401 \"scope does not match\"",
    );
    assert_stderr_has(&out, "developer console (Permissions)");
    assert_eq!(
        server.hits("/oauth/token/accessible-resources"),
        1,
        "a 401 is not retried"
    );
    assert_absent(
        &out,
        &[
            &server.code,
            &env.secret,
            "at-scripted-9f8e7d",
            "rt-scripted-1a2b3c",
        ],
    );
    assert_nothing_stored(&env);
}

#[test]
fn rate_limit_exhausted_mentions_the_limit_and_retry_after() {
    let env = file_profile();
    env.emu.fail_next(Endpoint::Token, 429, 10, Some(1));
    let (out, took) = refresh_via_json(&env, &env.emu.auth_url());
    out.assert_error(5, "rate_limited");
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1 + 4,
        "Retry-After honoured, bounded"
    );
    assert_stderr_has(
        &out,
        "rate limited by Atlassian (429 Too Many Requests, Retry-After: 1 s) after 4 attempts",
    );
    assert_stderr_has(&out, "wait 1 s");
    assert!(took >= Duration::from_secs(3), "slept as asked: {took:?}");
}

#[test]
fn a_retry_after_beyond_the_cap_is_not_waited_for() {
    let env = file_profile();
    env.emu.fail_next(Endpoint::Token, 429, 10, Some(3600));
    let (out, took) = refresh_via(&env, &env.emu.auth_url());
    out.assert_code(5);
    assert_eq!(env.emu.hits(Endpoint::Token), 2);
    assert_stderr_has(&out, "Retry-After: 3600 s) after 1 attempt");
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn tls_failure_names_the_host_and_is_not_retried() {
    let env = file_profile();
    // https:// to a server that speaks plain HTTP: the handshake fails.
    let port = PlainHttp::start().port;
    let (out, took) = refresh_via_json(&env, &format!("https://127.0.0.1:{port}"));
    out.assert_error(5, "tls_failed");
    assert_stderr_has(&out, &format!("TLS handshake with 127.0.0.1:{port} failed"));
    assert_stderr_has(&out, "intercepts HTTPS");
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1,
        "no token request got through"
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn dns_failure_names_the_host() {
    let env = file_profile();
    let (out, _) = refresh_via(&env, "https://nonexistent.invalid");
    out.assert_code(5);
    assert_stderr_has(
        &out,
        "cannot resolve nonexistent.invalid (DNS lookup failed",
    );
}

#[test]
fn malformed_token_response_is_described_never_shown() {
    let leaked = "at-never-show-me-4c1d";
    for content_type in ["application/json", "text/html"] {
        let env = TestEnv::new();
        let body = format!("{{\"access_token\": \"{leaked}\", \"refresh_tok");
        let server = Scripted::start(move |req| match req.path.as_str() {
            "/oauth/token" => Action::Respond(Response {
                status: 200,
                headers: vec![("Content-Type".into(), content_type.into())],
                body: body.clone().into_bytes(),
            }),
            _ => broken::one_site(),
        });
        let (out, _) = init_via(&env, &server);
        out.assert_error(5, "bad_response");
        assert_stderr_has(
            &out,
            "unexpected response from Atlassian (HTTP 200, not JSON)",
        );
        assert_absent(&out, &[leaked, &server.code, &env.secret]);
        assert_nothing_stored(&env);
    }
}

#[test]
fn malformed_sites_response_is_described_never_shown() {
    let env = TestEnv::new();
    let server = Scripted::start(|req| match req.path.as_str() {
        "/oauth/token" => broken::token_ok("at-scripted-5e6f", "rt-scripted-7a8b"),
        _ => Action::Respond(Response::html(200, "<html>at-scripted-5e6f</html>")),
    });
    let (out, _) = init_via(&env, &server);
    out.assert_error(5, "bad_response");
    assert_stderr_has(
        &out,
        "accessible-resources: unexpected response from Atlassian (HTTP 200, not JSON)",
    );
    assert_absent(&out, &["at-scripted-5e6f", "rt-scripted-7a8b"]);
}

#[test]
fn a_bad_timeout_setting_is_a_usage_error() {
    let env = file_profile();
    let mut cmd = env.cmd();
    cmd.args(["token", "--min-ttl", "4000"])
        .env("JIRA_AUTH_HTTP_TIMEOUT", "soon");
    let out = run(cmd);
    out.assert_code(2);
    assert_stderr_has(
        &out,
        "JIRA_AUTH_HTTP_TIMEOUT=soon is not a positive number of seconds",
    );
}

#[test]
fn a_failed_refresh_keeps_the_profile_and_prints_no_secret() {
    let leaked = "at-garbage-never-show-1f2e";
    type Answer = fn() -> Action;
    let answers: [(&str, Answer); 4] = [
        ("silence", || Action::Silent),
        ("a reset", || Action::Reset),
        ("500", || {
            Action::Respond(Response::json(
                500,
                serde_json::json!({"error": "server_error"}),
            ))
        }),
        ("garbage", || {
            Action::Respond(Response::html(
                200,
                "<html>at-garbage-never-show-1f2e refresh_token</html>",
            ))
        }),
    ];
    for (what, answer) in answers {
        let env = file_profile();
        let stored = std::fs::read(env.credentials_path()).unwrap();
        let server = Scripted::start(move |_| answer());
        let (out, took) = refresh_via(&env, &server.url());
        out.assert_code(5);
        assert!(took < Duration::from_secs(15), "{what}: took {took:?}");
        assert!(out.stdout.is_empty(), "{what}: {}", out.stdout);
        assert_absent(&out, &[leaked]);
        env.assert_no_leaks(&out);
        assert_eq!(
            std::fs::read(env.credentials_path()).unwrap(),
            stored,
            "{what}: the stored profile changed"
        );
        // Atlassian itself never saw a refresh: the next run against it just works.
        let again = env.jira(&["token", "--min-ttl", "4000"]);
        again.assert_code(0);
    }
}

#[test]
fn a_refresh_whose_answer_was_lost_after_rotation_is_recovered_by_the_next_run() {
    let env = file_profile();
    let stored = std::fs::read(env.credentials_path()).unwrap();
    let spent: serde_json::Value = serde_json::from_slice(&stored).unwrap();

    // Atlassian rotates the refresh token on every attempt, and every answer is lost.
    let proxy = LosingProxy::start(&env.emu.auth_url());
    let (out, _) = refresh_via(&env, &proxy.url());
    out.assert_code(5);
    assert_eq!(
        proxy.forwarded(),
        4,
        "a refresh is retried, and each reached Atlassian"
    );
    assert_eq!(env.emu.hits(Endpoint::Token), 1 + 4);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_stderr_has(&out, "run the command again within 10 minutes");
    env.assert_no_leaks(&out);
    assert_eq!(std::fs::read(env.credentials_path()).unwrap(), stored);

    // The stored refresh token was rotated away at Atlassian, but keeps working for its
    // reuse interval (10 minutes): the next run gets new tokens with it and stores them.
    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 1 + 4 + 1);
    let now: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.credentials_path()).unwrap()).unwrap();
    assert_eq!(
        out.stdout,
        format!("{}\n", now["credential"]["access_token"].as_str().unwrap())
    );
    assert_ne!(
        now["credential"]["refresh_token"],
        spent["credential"]["refresh_token"]
    );
    assert_eq!(
        now["credential"]["previous_refresh_token"],
        spent["credential"]["refresh_token"]
    );
    env.assert_no_secret_in("stderr", &out.stderr);
    // And the profile goes on refreshing with its new token.
    env.jira(&["token", "--min-ttl", "4000"]).assert_code(0);
}

#[test]
fn a_secret_regenerated_since_init_is_named_on_refresh() {
    let env = file_profile();
    // The developer regenerates the app's secret in the console.
    env.emu
        .register_client(crate::support::emulator::Client::new(
            crate::support::env::CLIENT_ID,
            "ATOA-the-regenerated-secret-0123",
            &env.redirect_uri(),
            crate::support::env::TICKED,
        ));
    let mut cmd = env.cmd();
    cmd.args(["token", "--min-ttl", "4000"]);
    let out = run(cmd);
    out.assert_code(3);
    assert_eq!(env.emu.hits(Endpoint::Token), 2, "a 401 is not retried");
    assert_stderr_has(
        &out,
        "Atlassian no longer accepts this profile's client secret (401 access_denied on refresh)",
    );
    assert_stderr_has(&out, "regenerated in the developer console");
    assert_stderr_has(&out, "jira-auth init --force");
    assert!(!out.stderr.contains("consent succeeded"), "{}", out.stderr);
    env.assert_no_leaks(&out);
}

#[test]
fn a_503_asking_for_a_long_pause_is_not_waited_for() {
    let env = file_profile();
    env.emu.fail_next(Endpoint::Token, 503, 10, Some(3600));
    let (out, took) = refresh_via(&env, &env.emu.auth_url());
    out.assert_code(5);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init, then one refresh attempt"
    );
    assert_stderr_has(
        &out,
        "the server answered 503 Service Unavailable and asked to wait 3600 s (Retry-After) (after 1 attempt)",
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}
