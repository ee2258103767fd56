//! `exec` behaves like the command it runs: every signal sent to jira-auth reaches the
//! command, nothing outlives a jira-auth that was stopped, the command's status is jira-auth's,
//! and a command that cannot start exits as a shell says (127, 126). Real processes, looked
//! for in the process table.

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::env::{TestEnv, random_hex};

/// A profile in the file store: no keychain needed.
fn env() -> TestEnv {
    TestEnv::builder().profile_in_file_store().build()
}

/// `WRAPPER… jira-auth ARGS…` in this world: jira-auth run by another command (timeout, a
/// shell).
fn wrapped(env: &TestEnv, wrapper: &[&str], args: &[&str]) -> Command {
    let mut inner = env.cmd();
    inner.args(args);
    crate::support::env::wrapped(wrapper, &inner)
}

/// The process ids whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<u32> {
    let out = Command::new("ps")
        .args(["-eo", "pid=,args="])
        .output()
        .expect("ps runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(marker))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

fn wait_for_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(text) = std::fs::read_to_string(path)
            && text.ends_with('\n')
        {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_command_run_by_exec_does_not_outlive_jira_auth_stopped_by_timeout() {
    let env = env();
    // Plain, timeout signals its whole process group; with --foreground, jira-auth's process
    // alone, as a supervisor or a `kill PID` does.
    for wrapper in [&["timeout", "2"][..], &["timeout", "--foreground", "2"]] {
        // A duration no other process has on its command line.
        let secs = format!("27.{}", u32::from_str_radix(&random_hex(3), 16).unwrap());
        let started = Instant::now();
        let status = wrapped(&env, wrapper, &["exec", "--", "sleep", &secs])
            .stdin(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(124), "{wrapper:?}: timeout stopped it");
        assert!(started.elapsed() < Duration::from_secs(15));
        // Give a process that was left behind the moment a reparenting takes.
        std::thread::sleep(Duration::from_millis(200));
        let left = processes_with(&format!("sleep {secs}"));
        for pid in &left {
            let _ = Command::new("kill").arg(pid.to_string()).status();
        }
        assert!(left.is_empty(), "{wrapper:?}: left running: {left:?}");
    }
}

#[test]
fn every_signal_sent_to_jira_auth_reaches_the_command_and_its_status_is_jira_auths() {
    let env = env();
    for (signal, number) in [
        ("INT", 2),
        ("TERM", 15),
        ("HUP", 1),
        ("QUIT", 3),
        ("USR1", 10),
        ("USR2", 12),
        ("WINCH", 28),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (ready, got) = (dir.path().join("ready"), dir.path().join("got"));
        // The command says it is ready, then records the signal it receives and exits 40+N.
        let script = format!(
            "trap 'echo {signal} > {got}; exit {code}' {signal}; echo ready > {ready}; while :; do sleep 0.05; done",
            got = got.display(),
            ready = ready.display(),
            code = 40 + number
        );
        let mut cmd = env.cmd();
        cmd.args(["exec", "--", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        wait_for_file(&ready);
        // To jira-auth's process id alone, as `kill` or a supervisor sends it (not to the
        // process group, as a terminal would).
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("SIG{signal} never reached the command");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(
            std::fs::read_to_string(&got).ok().as_deref(),
            Some(format!("{signal}\n").as_str()),
            "SIG{signal} reached the command"
        );
        assert_eq!(status.code(), Some(40 + number), "SIG{signal}: its status");
    }
}

#[test]
fn a_command_killed_by_a_signal_is_reported_as_a_shell_reports_it() {
    let env = env();
    let mut cmd = env.cmd();
    cmd.args(["exec", "--", "sh", "-c", "kill -TERM $$"])
        .stdin(Stdio::null());
    let status = cmd.status().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    // Through a shell: 128 + the signal number.
    let out = wrapped(
        &env,
        &["sh", "-c", "\"$@\"; echo \"status $?\"", "sh"],
        &["exec", "--", "sh", "-c", "kill -TERM $$"],
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "status 143\n");
}

#[test]
fn a_command_that_cannot_start_exits_127_or_126_as_a_shell_says() {
    let env = env();
    let missing = env.jira(&["exec", "--", "jira-auth-no-such-command-xyz"]);
    missing.assert_code(127);
    assert!(
        missing.stderr.contains("command not found"),
        "{}",
        missing.stderr
    );

    let dir = env.dir.path().to_str().unwrap().to_string();
    let directory = env.jira(&["exec", "--", &dir]);
    directory.assert_code(126);
    assert!(
        directory.stderr.contains("is a directory"),
        "{}",
        directory.stderr
    );

    let script = env.dir.path().join("not-executable.sh");
    std::fs::write(&script, "#!/bin/sh\nexit 0\n").unwrap();
    let not_executable = env.jira(&["exec", "--", script.to_str().unwrap()]);
    not_executable.assert_code(126);
    assert!(
        not_executable.stderr.contains("permission denied"),
        "{}",
        not_executable.stderr
    );
    env.assert_no_leaks(&not_executable);
}

#[test]
fn exec_names_the_profile_the_expiry_and_an_api_tokens_email() {
    let env = env();
    let script = r#"printf '%s\n%s\n%s' "$JIRA_AUTH_PROFILE" "$JIRA_ACCESS_TOKEN_EXPIRES_AT" "${JIRA_EMAIL-unset}""#;
    // Inherited values of another credential are replaced or removed, never passed on.
    let mut cmd = env.cmd();
    cmd.args(["exec", "--", "sh", "-c", script])
        .env("JIRA_EMAIL", "someone@elsewhere.example")
        .env("JIRA_ACCESS_TOKEN_EXPIRES_AT", "1999-01-01T00:00:00Z");
    let out = crate::support::env::run(cmd);
    out.assert_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], env.profile);
    let stored = env.stored()["credential"]["access_token_expires_at"]
        .as_str()
        .unwrap()
        .to_string();
    let at = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    };
    assert_eq!(at(lines[1]), at(&stored));
    assert_eq!(lines[2], "unset");

    // An API token: its email for clients' Basic options, and no expiry.
    let api = TestEnv::new();
    let mut init = api.init_api_token(&api.classic_token);
    init.args(["--store", "file"]);
    crate::support::env::run(init).assert_code(0);
    let mut cmd = api.cmd();
    cmd.args(["exec", "--", "sh", "-c", script])
        .env("JIRA_ACCESS_TOKEN_EXPIRES_AT", "1999-01-01T00:00:00Z");
    let out = crate::support::env::run(cmd);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        format!(
            "{}\n\n{}",
            api.profile,
            crate::support::emulator::USER_EMAIL
        )
    );
}
