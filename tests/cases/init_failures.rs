//! `init` when something goes wrong: every failure has its exit code, its explanation, and
//! leaves nothing stored.

use std::time::{Duration, Instant};

use crate::support::emulator::{Consent, Endpoint};
use crate::support::env::{TestEnv, free_port, require_secret_service, run, run_with};

#[track_caller]
fn assert_nothing_stored(env: &TestEnv) {
    assert!(env.keychain_item().is_none(), "nothing may be stored");
    let status = env.jira(&["status"]);
    status.assert_code(3);
}

/// A scope's description as `scopes list --json` (the catalog) gives it.
fn catalog_description(env: &TestEnv, name: &str) -> String {
    let list = env.jira(&["scopes", "list", "--json", "--search", name]);
    list.assert_code(0);
    let all = list.json();
    let entry = all["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .expect("in the catalog");
    entry["description"].as_str().unwrap().to_string()
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn consent_denied_exits_3_and_stores_nothing() {
    require_secret_service();
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    env.emu.set_consent(Consent::Deny);
    let out = run(env.init());
    out.assert_code(3);
    insta::assert_snapshot!("init_consent_denied", env.screen(&out));
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
    let log = env.browser_entries();
    assert!(
        log[0]["callback_body"]
            .as_str()
            .unwrap()
            .contains("Authorization not granted")
    );
    assert_nothing_stored(&env);
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn wrong_state_is_ignored_then_times_out_with_7() {
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.init();
    cmd.env(crate::support::browser::MODE_ENV, "tamper-state")
        .args(["--timeout", "3"]);
    let out = run(cmd);
    out.assert_code(7);
    let log = env.browser_entries();
    assert_eq!(
        log[0]["callback_status"], 400,
        "the forged callback is refused"
    );
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        0,
        "its code is never exchanged"
    );
    assert!(
        out.stderr.contains("no valid answer from the browser within 3 s: a request for the callback came but was refused (its state did not match this run"),
        "{}",
        out.stderr
    );
    assert_nothing_stored(&env);
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn unconfigured_scope_times_out_with_the_explanation() {
    require_secret_service();
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.init_scopes("read:jira-work,manage:jira-project,read:issue:jira");
    cmd.args(["--timeout", "3"]);
    let out = run(cmd);
    out.assert_code(7);
    insta::assert_snapshot!("init_timeout_with_the_console_checklist", env.screen(&out));
    let log = env.browser_entries();
    assert_eq!(
        log[0]["consent_status"], 200,
        "Atlassian shows a page, no redirect"
    );
    assert!(
        log[0]["consent_body_excerpt"]
            .as_str()
            .unwrap()
            .contains("Something went wrong")
    );
    assert!(
        out.stderr.contains("Something went wrong"),
        "{}",
        out.stderr
    );
    // The scopes to tick, from the catalog, grouped by API and tab as in the console, each
    // with its description; offline_access is never among them.
    let classic = out
        .stderr
        .find("Jira API → Classic scopes:")
        .expect(&out.stderr);
    let granular = out
        .stderr
        .find("Jira API → Granular scopes:")
        .expect(&out.stderr);
    let work = out.stderr.find("[ ] read:jira-work ").expect(&out.stderr);
    let project = out.stderr.find("[ ] manage:jira-project ").unwrap();
    let issue = out.stderr.find("[ ] read:issue:jira ").unwrap();
    assert!(classic < work && work < project && project < granular && granular < issue);
    assert!(out.stderr.contains(&format!(
        "[ ] read:issue:jira      {}",
        catalog_description(&env, "read:issue:jira")
    )));
    assert!(!out.stderr.contains("[ ] offline_access"));
    assert!(!out.stderr.contains("User Identity API"), "not requested");
    assert!(out.stderr.contains(&env.redirect_uri()));
    assert_nothing_stored(&env);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn unregistered_callback_url_times_out_and_names_the_url() {
    require_secret_service();
    let env = TestEnv::new();
    let other = free_port();
    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--no-input",
        "--client-id",
        crate::support::env::CLIENT_ID,
    ])
    .args([
        "--preset",
        "read-only",
        "--port",
        &other.to_string(),
        "--timeout",
        "3",
    ])
    .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let out = run(cmd);
    out.assert_code(7);
    assert_eq!(env.browser_entries()[0]["consent_status"], 400);
    assert!(
        out.stderr.contains(&format!(
            "must be exactly http://127.0.0.1:{other}/callback"
        )),
        "{}",
        out.stderr
    );
    assert_nothing_stored(&env);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn wrong_client_secret_exits_3_with_a_secret_specific_message() {
    require_secret_service();
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.init();
    cmd.env("JIRA_AUTH_CLIENT_SECRET", "ATOAnot-the-right-secret-at-all");
    let out = run(cmd);
    out.assert_code(3);
    insta::assert_snapshot!("init_wrong_client_secret", env.screen(&out));
    assert!(!out.stderr.contains("ATOAnot-the-right-secret-at-all"));
    assert_eq!(env.emu.hits(Endpoint::Token), 1, "a 401 is not retried");
    assert_nothing_stored(&env);
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn token_endpoint_down_exits_5_after_bounded_retries() {
    require_secret_service();
    let env = TestEnv::new();
    env.emu.fail_next(Endpoint::Token, 503, 100, None);
    let out = run(env.init());
    out.assert_code(5);
    let hits = env.emu.hits(Endpoint::Token);
    assert!((2..=5).contains(&hits), "bounded retries, got {hits}");
    assert!(out.stderr.contains("503"), "{}", out.stderr);
    assert_nothing_stored(&env);
}

#[test]
fn unavailable_keychain_exits_6_before_any_browser() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.init();
    cmd.env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/jira-auth-test-bus",
    );
    let started = Instant::now();
    let out = run(cmd);
    out.assert_code(6);
    assert!(started.elapsed() < Duration::from_secs(20));
    // The fix, --store file, with the error.
    insta::assert_snapshot!("init_keychain_unavailable", env.screen(&out));
    assert_eq!(
        env.emu.hits(Endpoint::Authorize),
        0,
        "no consent was asked for"
    );
    assert!(
        crate::support::browser::wait_for_browser_log(
            env.browser_log(),
            1,
            Duration::from_millis(500)
        )
        .is_empty(),
        "no browser was opened"
    );
}

#[test]
fn missing_values_name_their_flag_and_env_var() {
    let env = TestEnv::new();
    let cases: [(&[&str], &str, &str); 3] = [
        (
            &["init", "--no-input", "--preset", "read-only"],
            "--client-id",
            "JIRA_AUTH_CLIENT_ID",
        ),
        (
            &["init", "--no-input", "--client-id", "abcdefgh12345678"],
            "--preset",
            "JIRA_AUTH_SCOPES",
        ),
        (
            &[
                "init",
                "--no-input",
                "--client-id",
                "abcdefgh12345678",
                "--preset",
                "read-only",
            ],
            "--client-secret-stdin",
            "JIRA_AUTH_CLIENT_SECRET",
        ),
    ];
    for (args, flag, var) in cases {
        let mut cmd = env.cmd();
        cmd.args(args);
        let out = run(cmd);
        out.assert_code(2);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains(var),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
}

#[test]
fn no_terminal_means_no_prompt_even_without_no_input() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.arg("init");
    // stdin is /dev/null: prompting must be off, and the command must fail fast, not hang.
    let out = run_with(cmd, None, Duration::from_secs(20));
    out.assert_code(2);
    assert!(out.stderr.contains("--preset"), "{}", out.stderr);
}

#[test]
fn bad_inputs_are_usage_errors() {
    let env = TestEnv::new();
    let bad: [(&[&str], &str); 8] = [
        (&["--scopes", "read jira"], "is not a scope name"),
        (
            &["--scopes", "read:jira-work,read:issues:jira"],
            "unknown scope 'read:issues:jira': did you mean read:issue:jira",
        ),
        (&["--preset", "everything"], "unknown preset 'everything'"),
        (
            &["--redirect-uri", "https://example.com/cb"],
            "must be http://127.0.0.1",
        ),
        (&["--client-id", "has spaces in it"], "client id contains"),
        (&["--profile", "../etc"], "invalid profile name"),
        (&["--port", "0"], "--port"),
        (
            &["--redirect-uri", "http://127.0.0.1:0/callback"],
            "port 0 cannot be registered",
        ),
    ];
    for (extra, msg) in bad {
        let mut cmd = env.cmd();
        cmd.args(["init", "--no-input"]).args(extra);
        if !extra.contains(&"--client-id") {
            cmd.args(["--client-id", "abcdefgh12345678"]);
        }
        if !extra.contains(&"--scopes") && !extra.contains(&"--preset") {
            cmd.args(["--preset", "read-only"]);
        }
        cmd.env("JIRA_AUTH_CLIENT_SECRET", "ATOA-a-valid-looking-secret");
        let out = run(cmd);
        out.assert_code(2);
        assert!(out.stderr.contains(msg), "{extra:?}: {}", out.stderr);
    }
    let mut cmd = env.init();
    cmd.env("JIRA_AUTH_AUTH_URL", "http://auth.example.com");
    let out = run(cmd);
    out.assert_code(2);
    assert!(
        out.stderr.contains("only allowed for loopback"),
        "{}",
        out.stderr
    );
    let mut cmd = env.init();
    cmd.env("JIRA_AUTH_CLIENT_SECRET", "short");
    let out = run(cmd);
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("client secret from JIRA_AUTH_CLIENT_SECRET")
    );
    assert!(!out.stderr.contains("short\n"));
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn port_in_use_fails_fast_with_the_fix() {
    require_secret_service();
    let env = TestEnv::new();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", env.port)).unwrap();
    let started = Instant::now();
    let out = run(env.init());
    out.assert_code(2);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        out.stderr
            .contains(&format!("port {} is already in use", env.port)),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--port"));
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn no_browser_prints_the_url_and_opens_nothing() {
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.init();
    cmd.args(["--no-browser", "--timeout", "2"]);
    let out = run(cmd);
    out.assert_code(7);
    assert!(
        out.stderr
            .contains(&format!("{}/authorize?", env.emu.auth_url())),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("no browser opened"));
    assert!(
        crate::support::browser::wait_for_browser_log(
            env.browser_log(),
            1,
            Duration::from_millis(300)
        )
        .is_empty()
    );
}

#[cfg(unix)]
#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn interrupt_while_waiting_exits_130_and_stores_nothing() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.init();
    cmd.args(["--no-browser"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    // Wait until it is listening (the URL is printed after the bind), then interrupt.
    let mut line = String::new();
    while !line.contains("/authorize?") {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "jira-auth ended early"
        );
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "no exit after SIGINT");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert!(rest.contains("interrupted"), "{rest}");
    assert_nothing_stored(&env);
}

/// `init --store file`, nothing asked, with a short wait: no keychain needed.
fn scripted_init(env: &TestEnv, extra: &[&str]) -> std::process::Command {
    let mut cmd = env.init();
    cmd.args(["--store", "file", "--timeout", "3"]).args(extra);
    cmd
}

#[test]
fn a_refused_callback_is_said_while_waiting_and_when_the_wait_ends() {
    let env = TestEnv::new();
    let mut cmd = scripted_init(&env, &[]);
    cmd.env(crate::support::browser::MODE_ENV, "tamper-state");
    let out = run(cmd);
    out.assert_code(7);
    let said = "refused a request for the callback: its state did not match this run";
    assert!(
        out.stderr.contains(&format!("note: {said}")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "error: no valid answer from the browser within 3 s: a request for the callback came but was refused (its state did not match this run"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("use the consent URL this run printed"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("Something went wrong"),
        "{}",
        out.stderr
    );
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
    assert!(!env.credentials_path().exists());
    env.assert_no_leaks(&out);
}

#[test]
fn a_browser_that_cannot_start_is_said_not_waited_for_in_silence() {
    // One that starts and fails is said as it happens (it may have opened the page); with
    // nobody to ask and nothing read from stdin, the wait could only time out, so it ends at
    // once, as for no browser at all (exit 2 browser_unavailable, not 7 after the timeout).
    let env = TestEnv::new();
    let mut cmd = env.init();
    cmd.args(["--store", "file", "--timeout", "30"])
        .env("BROWSER", "false");
    let out = run(cmd);
    out.assert_code(2)
        .assert_says("warning: the browser command `false` (from $BROWSER) failed")
        .assert_says("the browser did not open the consent URL")
        .assert_says("would wait 30 s for nothing");
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
    env.assert_no_leaks(&out);

    // One that cannot even be found is known before the consent: with nobody to ask and no
    // --paste or --no-browser, a wait could only time out, so it ends at once.
    let mut cmd = scripted_init(&env, &[]);
    cmd.env("BROWSER", "jira-auth-no-such-browser");
    let out = run(cmd);
    out.assert_code(2).assert_says(
        "no browser can be opened here (the browser command `jira-auth-no-such-browser` (from $BROWSER) is not found)",
    );
    env.assert_no_leaks(&out);
}

#[test]
fn a_site_that_is_no_site_is_refused_before_consent() {
    let env = TestEnv::new();
    for bad in ["acme corp", "https://acme.atlassian.net/jira/software"] {
        let out = run(scripted_init(&env, &["--site", bad]));
        out.assert_code(2);
        assert!(
            out.stderr.contains(&format!("'{bad}' is not a site")),
            "{bad}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("subdomain (acme)"), "{}", out.stderr);
    }
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0, "no consent was asked");
    assert!(env.browser_entries().is_empty());
}
