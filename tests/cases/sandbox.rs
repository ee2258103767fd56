//! The sandbox: `init --sandbox` on a machine with no browser and no terminal, a sandbox
//! profile answered offline after its emulator is gone (and never by the Atlassian the
//! environment names), and `jira-auth sandbox` serving other processes until it is stopped.

#[cfg(unix)]
use std::time::Duration;

use crate::support::emulator::Endpoint;
use crate::support::env::{Run, TestEnv, free_port};
use crate::support::spawned::Spawned;

/// `init --sandbox` as the README's first command runs it: no browser, no terminal.
fn try_it(env: &TestEnv) -> Run {
    let mut cmd = env.cmd();
    cmd.env_remove("BROWSER")
        .args(["init", "--sandbox", "--no-browser", "--store", "file"])
        .args(["--port", &env.port.to_string(), "--timeout", "20"]);
    crate::support::env::run(cmd)
}

#[test]
fn init_sandbox_needs_no_browser_no_terminal_and_no_atlassian() {
    let env = TestEnv::new();
    let run = try_it(&env);
    run.assert_code(0)
        .assert_says("jira-auth sandbox: an emulated Atlassian inside this command")
        .assert_says("the sandbox approves the consent by itself")
        .assert_says("Authorized as Ada Lovelace <ada@example.com> on sandbox.")
        .assert_says("  sandbox    an emulated site on this machine, not a real Jira site");
    env.assert_no_leaks(&run);
    let status = env.jira(&["status", "--json"]);
    status.assert_code(0);
    let p = &status.json()["profiles"][0];
    assert_eq!(p["sandbox"], true);
    assert_eq!(p["site"]["name"], "sandbox");
    assert_eq!(p["site"]["url"], "https://sandbox.jira-auth.invalid");
    assert_eq!(
        p["scopes_requested"],
        serde_json::json!([
            "read:jira-work",
            "read:jira-user",
            "read:me",
            "offline_access"
        ]),
        "the preset read-only, chosen for the user"
    );
    env.jira(&["status"])
        .assert_code(0)
        .assert_says(&format!("{} (default) (sandbox)", env.profile));
    // The Atlassian the environment names (the test's emulator) was never asked anything.
    for ep in [
        Endpoint::Authorize,
        Endpoint::Token,
        Endpoint::AccessibleResources,
    ] {
        assert_eq!(env.emu.hits(ep), 0, "{ep:?}");
    }
}

#[test]
fn a_sandbox_profile_keeps_working_after_its_emulator_is_gone() {
    let env = TestEnv::new();
    try_it(&env).assert_code(0);
    let first = env.jira(&["token"]);
    first.assert_code(0);
    // Renewed by a sandbox restored from the profile: the refresh token rotates.
    let stored_before = env.stored();
    let renewed = env.jira(&["token", "--min-ttl", "7200"]);
    renewed.assert_code(0);
    assert_ne!(renewed.stdout, first.stdout, "a new access token");
    let stored_after = env.stored();
    let rt = |v: &serde_json::Value| v["credential"]["refresh_token"].clone();
    assert_ne!(
        rt(&stored_before),
        rt(&stored_after),
        "the refresh token rotated"
    );
    let doctor = env.jira(&["doctor"]);
    doctor.assert_code(0);
    for line in [
        "✓ token",
        "✓ site      sandbox",
        "✓ myself",
        "✓ me",
        "✓ scopes",
    ] {
        assert!(doctor.stdout.contains(line), "{line}:\n{}", doctor.stdout);
    }
    env.jira(&["status", "--check"])
        .assert_code(0)
        .assert_says("check      ok: Atlassian accepts the token, and its grant covers sandbox");
    let sites = env.jira(&["sites"]);
    sites.assert_code(0);
    assert!(sites.stdout.contains("sandbox-team"), "{}", sites.stdout);
    for ep in [
        Endpoint::Token,
        Endpoint::AccessibleResources,
        Endpoint::Myself,
    ] {
        assert_eq!(
            env.emu.hits(ep),
            0,
            "{ep:?}: a sandbox profile went to Atlassian"
        );
    }
}

#[test]
fn init_sandbox_replaces_a_sandbox_profile_but_not_a_real_one() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let run = try_it(&env);
    run.assert_code(2)
        .assert_says("exists and is not a sandbox profile");
    // Its own profile, twice: the second replaces the first without asking.
    let mut again = env.cmd();
    again
        .env_remove("BROWSER")
        .args(["init", "--sandbox", "--no-browser", "--store", "file"])
        .args(["--port", &env.port.to_string(), "--profile", "sandbox"]);
    crate::support::env::run(again).assert_code(0);
    let status = env.jira(&["status", "--json", "--profile", "sandbox"]);
    assert_eq!(status.json()["profiles"][0]["sandbox"], true);
    // The real profile stays the default.
    let mut all = env.cmd();
    all.env_remove("JIRA_AUTH_PROFILE")
        .args(["status", "--json"]);
    let all = crate::support::env::run(all);
    assert_eq!(all.json()["default"], env.profile.as_str());
}

/// `jira-auth sandbox` started, and the variables it printed.
fn serve(env: &TestEnv, args: &[&str]) -> (Spawned, Vec<(String, String)>) {
    let mut cmd = env.cmd();
    cmd.arg("sandbox").args(args);
    let mut sandbox = Spawned::start(cmd, env.dir.path(), "sandbox");
    let out = sandbox.wait_for_stdout(|o| o.ends_with('\n') && o.contains("API_TOKEN="));
    let vars = out
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').expect("KEY=VALUE");
            (k.to_string(), v.to_string())
        })
        .collect();
    (sandbox, vars)
}

#[cfg(unix)]
fn var<'a>(vars: &'a [(String, String)], name: &str) -> &'a str {
    &vars.iter().find(|(k, _)| k == name).unwrap().1
}

#[cfg(unix)]
#[test]
fn jira_auth_sandbox_serves_init_token_and_a_service_account_until_stopped() {
    let env = TestEnv::new();
    let port = free_port();
    let (sandbox, vars) = serve(&env, &["--auto-approve", "--port", &port.to_string()]);
    assert_eq!(vars.len(), 21);
    assert!(var(&vars, "JIRA_AUTH_AUTH_URL").starts_with("http://127.0.0.1:"));
    assert_eq!(
        var(&vars, "JIRA_AUTH_SANDBOX_REDIRECT_URI"),
        format!("http://127.0.0.1:{port}/callback")
    );
    sandbox_stderr_says(&sandbox, "open only this sandbox");
    let with_vars = |args: &[&str]| {
        let mut cmd = env.cmd();
        for (k, v) in &vars {
            cmd.env(k, v);
        }
        cmd.env_remove("BROWSER").args(args);
        cmd
    };
    let mut init = with_vars(&["init", "--no-input", "--preset", "read-only"]);
    init.args(["--site", "sandbox", "--store", "file", "--no-browser"])
        .args(["--port", &port.to_string(), "--timeout", "20"]);
    // No browser and no --auto-approve would wait; the sandbox approves at once here, and
    // someone must open the URL: the test plays that part.
    let waiting = Spawned::start(init, env.dir.path(), "init");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let url = loop {
        let err = waiting.stderr();
        if let Some(line) = err.lines().find(|l| l.contains("/authorize?")) {
            break line.trim().to_string();
        }
        assert!(std::time::Instant::now() < deadline, "no URL:\n{err}");
        std::thread::sleep(Duration::from_millis(20));
    };
    jira_auth_emulator::user::follow(&url);
    let run = waiting.finish(Duration::from_secs(30));
    run.assert_code(0).assert_says("on sandbox.");
    crate::support::env::run(with_vars(&["token"])).assert_code(0);
    // A service account of the same sandbox.
    let mut sa = with_vars(&["init", "--method", "service-account", "--profile", "ci"]);
    sa.args(["--store", "file", "--no-input"])
        .env(
            "JIRA_AUTH_CLIENT_ID",
            var(&vars, "JIRA_AUTH_SANDBOX_SERVICE_ACCOUNT_ID"),
        )
        .env(
            "JIRA_AUTH_CLIENT_SECRET",
            var(&vars, "JIRA_AUTH_SANDBOX_SERVICE_ACCOUNT_SECRET"),
        )
        .env("JIRA_AUTH_SITE", var(&vars, "JIRA_AUTH_SITE"));
    crate::support::env::run(sa).assert_code(0);
    // Its Data Center instance: a personal access token, then the instance's own OAuth.
    let dc_site = var(&vars, "JIRA_AUTH_SANDBOX_DC_SITE");
    assert!(dc_site.ends_with("/jira"), "{dc_site}");
    let mut pat = with_vars(&["init", "--method", "pat", "--profile", "dc"]);
    // The Cloud app's client id (and secret) of the sourced lines are no PAT's business.
    pat.args(["--store", "file", "--no-input"])
        .env_remove("JIRA_AUTH_CLIENT_ID")
        .env_remove("JIRA_AUTH_CLIENT_SECRET")
        .env("JIRA_AUTH_SITE", dc_site)
        .env("JIRA_AUTH_PAT", var(&vars, "JIRA_AUTH_SANDBOX_DC_PAT"));
    crate::support::env::run(pat)
        .assert_code(0)
        .assert_says("deployment Jira Data Center");
    let header = crate::support::env::run(with_vars(&["header", "--profile", "dc"]));
    assert_eq!(
        header.stdout,
        format!("Bearer {}\n", var(&vars, "JIRA_AUTH_SANDBOX_DC_PAT"))
    );
    let mut dc_oauth = with_vars(&["init", "--profile", "dc-oauth", "--preset", "admin"]);
    dc_oauth
        .args(["--store", "file", "--no-input", "--port", &port.to_string()])
        .env("JIRA_AUTH_SITE", dc_site)
        .env(
            "JIRA_AUTH_CLIENT_ID",
            var(&vars, "JIRA_AUTH_SANDBOX_DC_CLIENT_ID"),
        )
        .env(
            "JIRA_AUTH_CLIENT_SECRET",
            var(&vars, "JIRA_AUTH_SANDBOX_DC_CLIENT_SECRET"),
        )
        .env("BROWSER", crate::support::browser::browser_env_value());
    crate::support::env::run(dc_oauth)
        .assert_code(0)
        .assert_says("scopes     ADMIN");
    // And its service account: client credentials at the instance, READ.
    let mut dc_sa = with_vars(&["init", "--method", "service-account", "--profile", "dc-sa"]);
    dc_sa
        .args(["--store", "file", "--no-input", "--scopes", "READ"])
        .env("JIRA_AUTH_SITE", dc_site)
        .env(
            "JIRA_AUTH_CLIENT_ID",
            var(&vars, "JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_ID"),
        )
        .env(
            "JIRA_AUTH_CLIENT_SECRET",
            var(&vars, "JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_SECRET"),
        );
    crate::support::env::run(dc_sa)
        .assert_code(0)
        .assert_says("Authorized as sandbox-bot");
    // Its Composio: the second app handed over, an account connected through the consent
    // page (the fake browser follows Composio's link), and the check that it works.
    let mut composio = with_vars(&["composio", "init", "--profile", "agent", "--json"]);
    composio
        .args(["--preset", "read-only", "--store", "file", "--no-input"])
        .args(["--user-id", "ada", "--site", "sandbox"])
        .args([
            "--callback-url",
            var(&vars, "JIRA_AUTH_SANDBOX_COMPOSIO_CALLBACK_URL"),
        ])
        .env(
            "JIRA_AUTH_CLIENT_ID",
            var(&vars, "JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_ID"),
        )
        .env(
            "JIRA_AUTH_CLIENT_SECRET",
            var(&vars, "JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_SECRET"),
        )
        .env("BROWSER", crate::support::browser::browser_env_value());
    let handed = crate::support::env::run(composio);
    handed.assert_code(0);
    let doc = handed.json();
    assert_eq!(doc["connected_account"]["status"], "ACTIVE", "{doc}");
    assert_eq!(doc["composio_base_url"], var(&vars, "COMPOSIO_BASE_URL"));
    crate::support::env::run(with_vars(&["composio", "status", "--profile", "agent"]))
        .assert_code(0)
        .assert_says("is ACTIVE");
    // SIGTERM is how a supervisor stops it: exit 0.
    stop(sandbox, libc::SIGTERM);
}

/// What `sandbox` writes for sourcing holds client secrets: `--env-file` creates it 0600
/// (never readable by others, not for a moment), whole, and removes it when the sandbox
/// stops; stderr gives the subshell form and the `unset` line for a shell that sourced it.
#[cfg(unix)]
#[test]
fn the_env_file_is_private_whole_and_gone_when_the_sandbox_stops() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let path = env.dir.path().join("sandbox.env");
    let mut cmd = env.cmd();
    cmd.args(["sandbox", "--port", &free_port().to_string(), "--env-file"])
        .arg(&path);
    let sandbox = Spawned::start(cmd, env.dir.path(), "sandbox");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "no env file:\n{}",
            sandbox.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 21, "{text}");
    assert!(text.contains("\nJIRA_AUTH_CLIENT_SECRET=ATOA"), "{text}");
    assert_eq!(sandbox.stdout(), "", "the lines went to the file alone");
    sandbox_stderr_says(&sandbox, "( set -a; . ./sandbox.env; set +a;");
    sandbox_stderr_says(
        &sandbox,
        "unset JIRA_AUTH_AUTH_URL JIRA_AUTH_API_URL JIRA_AUTH_CLIENT_ID JIRA_AUTH_CLIENT_SECRET JIRA_AUTH_SITE",
    );
    stop(sandbox, libc::SIGTERM);
    assert!(!path.exists(), "removed when the sandbox stopped");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_sandbox_with_exit_code_0() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.args(["sandbox", "--json", "--port", &free_port().to_string()]);
    let mut sandbox = Spawned::start(cmd, env.dir.path(), "sandbox");
    let out = sandbox.wait_for_stdout(|o| o.ends_with("}\n"));
    let served: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        served["JIRA_AUTH_CLIENT_SECRET"]
            .as_str()
            .unwrap()
            .starts_with("ATOA")
    );
    assert!(
        served["JIRA_AUTH_SITE"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    stop(sandbox, libc::SIGINT);
}

#[cfg(unix)]
fn stop(sandbox: Spawned, signal: i32) {
    // SAFETY: a plain kill(2) of the child we started.
    assert_eq!(unsafe { libc::kill(sandbox.pid() as i32, signal) }, 0);
    let run = sandbox.finish(Duration::from_secs(10));
    run.assert_code(0)
        .assert_says("jira-auth sandbox: stopped.");
}

#[cfg(unix)]
fn sandbox_stderr_says(sandbox: &Spawned, text: &str) {
    assert!(sandbox.stderr().contains(text), "{}", sandbox.stderr());
}

#[test]
fn the_unticked_scope_scenario_ends_in_the_timeout_that_explains_it() {
    let env = TestEnv::new();
    let port = free_port();
    let (_sandbox, vars) = serve(
        &env,
        &[
            "--scenario",
            "unticked-scope",
            "--auto-approve",
            "--port",
            &port.to_string(),
        ],
    );
    let mut cmd = env.cmd();
    for (k, v) in &vars {
        cmd.env(k, v);
    }
    // The fake browser follows the consent URL: the page says "Something went wrong".
    cmd.args([
        "init",
        "--no-input",
        "--preset",
        "read-only",
        "--store",
        "file",
    ])
    .args(["--port", &port.to_string(), "--timeout", "3"]);
    let run = crate::support::env::run(cmd);
    run.assert_code(7).assert_says(
        "if the consent page said \"Something went wrong\", a requested scope is not ticked",
    );
    let seen = env.browser_entries();
    let excerpt = seen[0]["consent_body_excerpt"].as_str().unwrap_or_default();
    assert!(excerpt.contains("Something went wrong"), "{seen:?}");
}

/// docs/sandbox.md's curl lines, run as a newcomer would once `jira-auth sandbox`'s lines are
/// sourced: Data Center with the PAT, a Cloud site with the classic API token, both answering
/// the rehearsal Jira's seeded issues.
#[cfg(unix)]
#[test]
fn the_documented_curl_lines_reach_the_rehearsal_jira_with_the_printed_credentials() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/sandbox.md"),
    )
    .unwrap();
    let block = doc
        .split("<!-- rehearsal-curl -->\n```sh\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("docs/sandbox.md's rehearsal-curl block");
    let env = TestEnv::new();
    let (sandbox, vars) = serve(&env, &[]);
    let mut sh = std::process::Command::new("sh");
    sh.args(["-e", "-c", block]).env("NO_PROXY", "*");
    for (k, v) in &vars {
        sh.env(k, v);
    }
    let out = sh.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(answers.len(), 2, "{stdout}");
    let keys = |answer: &serde_json::Value| -> Vec<String> {
        answer["issues"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
            .iter()
            .map(|i| i["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(answers[0]["total"], 4);
    assert_eq!(keys(&answers[0]), ["DEMO-4", "DEMO-3", "DEMO-2", "DEMO-1"]);
    assert_eq!(keys(&answers[1]), ["OPS-1"]);
    let fields = &answers[1]["issues"][0]["fields"];
    assert_eq!(fields["summary"], "Rotate the service account's secret");
    assert_eq!(fields["status"]["name"], "To Do");
    stop(sandbox, libc::SIGTERM);
}
