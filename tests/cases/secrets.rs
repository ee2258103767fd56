//! Secrets never leak: every command at `-vv` with `RUST_BACKTRACE=1`, panics forced while
//! secrets are in memory, and the process list while `init` waits for the browser. The
//! secrets are the client secret and every code and token the emulator issued.

use std::process::Command;
// For the process-list test, which reads /proc.
#[cfg(target_os = "linux")]
use std::io::{BufRead, BufReader};
#[cfg(target_os = "linux")]
use std::process::Stdio;

use crate::support::env::{Run, TestEnv, require_secret_service, run};
#[cfg(target_os = "linux")]
use crate::support::waiting::Waiting;

/// `jira-auth ARGS… -vv` (or `VERBOSITY`) with backtraces on.
fn loud_at(env: &TestEnv, verbosity: &str, args: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.args(args).arg(verbosity).env("RUST_BACKTRACE", "1");
    cmd
}

fn loud(env: &TestEnv, args: &[&str]) -> Command {
    loud_at(env, "-vv", args)
}

/// For `token` and `header`: stdout is exactly one issued access token (their product) and
/// nothing else; stderr and files hold no secret.
#[track_caller]
fn assert_only_the_token_on_stdout(env: &TestEnv, out: &Run, prefix: &str) {
    let line = out
        .stdout
        .strip_prefix(prefix)
        .and_then(|s| s.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("unexpected stdout {:?}", out.stdout));
    // An access token of the Cloud emulator, of the Data Center instance, or its PAT.
    let issued = (line.starts_with("at-") && env.emu.issued_secrets().iter().any(|s| s == line))
        || (line.starts_with("dc-at-")
            && env
                .dc
                .as_ref()
                .is_some_and(|dc| dc.secrets().iter().any(|s| s == line)))
        || (env.dc.is_some() && line == env.dc_pat);
    assert!(issued, "stdout is not one issued access token: {line:?}");
    let rest = Run {
        command: out.command.clone(),
        code: out.code,
        stdout: String::new(),
        stderr: out.stderr.clone(),
    };
    env.assert_no_leaks(&rest);
}

/// init, status, token, header, exec, a forced refresh, login, token, logout: each at
/// `verbosity` (-vv is debug, -vvv trace: everything our crate logs).
fn whole_flow(store: &str, verbosity: &str) {
    let env = TestEnv::new();
    let loud = |env: &TestEnv, args: &[&str]| loud_at(env, verbosity, args);
    let mut init = env.init();
    init.args(["--store", store, verbosity, "--json"])
        .env("RUST_BACKTRACE", "1");
    let out = run(init);
    out.assert_code(0);
    env.assert_no_leaks(&out);
    // -vv really was in force: debug lines were written.
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);

    for args in [&["status"][..], &["status", "--json"]] {
        let out = run(loud(&env, args));
        out.assert_code(0);
        env.assert_no_leaks(&out);
    }

    let out = run(loud(&env, &["token"]));
    out.assert_code(0);
    assert_only_the_token_on_stdout(&env, &out, "");

    let out = run(loud(&env, &["header"]));
    out.assert_code(0);
    assert_only_the_token_on_stdout(&env, &out, "Bearer ");

    let out = run(loud(
        &env,
        &["exec", "--", "sh", "-c", r#"test -n "$JIRA_ACCESS_TOKEN""#],
    ));
    out.assert_code(0);
    env.assert_no_leaks(&out);

    // A refresh: a new access and refresh token, the old refresh token kept as previous.
    let before = env.emu.issued_secrets().len();
    let out = run(loud(&env, &["token", "--min-ttl", "4000"]));
    out.assert_code(0);
    assert!(env.emu.issued_secrets().len() > before, "it refreshed");
    assert_only_the_token_on_stdout(&env, &out, "");

    let out = run(loud(&env, &["login", "--no-input"]));
    out.assert_code(0);
    env.assert_no_leaks(&out);

    let out = run(loud(&env, &["token", "--json"]));
    out.assert_code(0);
    env.assert_no_secret_in("stderr", &out.stderr);

    // The diagnosis and site commands, human and JSON: they all handle the token.
    for args in [
        &["scopes", "list"][..],
        &["scopes", "check"],
        &["scopes", "check", "--json"],
        &["doctor"],
        &["doctor", "--json"],
        &["sites"],
        &["sites", "--json"],
        &["sites", "use", "acme"],
    ] {
        let out = run(loud(&env, args));
        out.assert_code(0);
        env.assert_no_leaks(&out);
    }

    let out = run(loud(&env, &["logout"]));
    out.assert_code(0);
    env.assert_no_leaks(&out);
    // After logout even the store holds nothing, so no file anywhere may hold a secret.
    let creds = env.config_dir().join("credentials");
    for entry in std::fs::read_dir(&creds).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        env.assert_no_secret_in(&entry.path().display().to_string(), &text);
    }
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn every_command_at_vv_keeps_secrets_out_of_output_and_files_keychain() {
    require_secret_service();
    whole_flow("keychain", "-vv");
}

#[test]
fn every_command_at_vvv_keeps_secrets_out_of_output_and_files_file_store() {
    whole_flow("file", "-vvv");
}

/// What our panic hook prints: where, and that it is a bug, but not a message built at run
/// time (the forced panic's names its point: a stand-in for one that formats a value).
#[track_caller]
fn assert_secret_free_panic(out: &Run) {
    assert!(
        out.stderr
            .contains("error: internal error at src/fault.rs:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("(its message is not shown: it may hold a secret)"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("forced panic"), "{}", out.stderr);
    assert!(
        out.stderr.contains("this is a bug in jira-auth"),
        "{}",
        out.stderr
    );
}

/// The panic hook's message and backtrace, printed while codes and tokens are in memory.
#[test]
fn forced_panics_print_no_secret() {
    let env = TestEnv::new();
    let mut init = env.init();
    init.args(["--store", "file", "-vv"])
        .env("RUST_BACKTRACE", "1")
        .env("JIRA_AUTH_TEST_PANIC_AT", "after-exchange");
    let out = run(init);
    out.assert_code(1);
    assert_secret_free_panic(&out);
    assert!(out.stderr.contains("stack backtrace"), "{}", out.stderr);
    env.assert_no_leaks(&out);

    let mut init = env.init();
    init.args(["--store", "file"]);
    run(init).assert_code(0);
    for (point, args) in [
        ("after-refresh", &["token", "--min-ttl", "4000"][..]),
        ("before-print", &["token"]),
        ("before-print", &["header"]),
    ] {
        let mut cmd = loud(&env, args);
        cmd.env("JIRA_AUTH_TEST_PANIC_AT", point);
        let out = run(cmd);
        out.assert_code(1);
        assert_secret_free_panic(&out);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
        env.assert_no_leaks(&out);
    }
}

/// What any local user sees of a running `init` in `ps`: its command line.
#[cfg(target_os = "linux")]
fn cmdline(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/cmdline: {e}"));
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

/// The environment `ps e` shows.
#[cfg(target_os = "linux")]
fn environ(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/environ"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/environ: {e}"));
    assert!(!raw.is_empty(), "/proc/{pid}/environ is readable");
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

/// Starts `init --no-browser`, waits until it listens for the callback, and returns it.
#[cfg(target_os = "linux")]
fn waiting_init(mut cmd: Command, stdin: Option<&str>) -> Waiting {
    cmd.args(["--no-browser", "--store", "file"]);
    Waiting::start(cmd, stdin)
}

#[cfg(target_os = "linux")]
#[test]
fn the_process_list_shows_no_secret_while_init_waits() {
    let env = TestEnv::new();
    let ps = || {
        let out = Command::new("ps")
            .args(["-ww", "-eo", "pid,args"])
            .output()
            .expect("ps runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    // The secret from the environment: argv never carries it, and the value is wiped from
    // the process's original environment block, which /proc/PID/environ (`ps e`) shows.
    let waiting = waiting_init(env.init(), None);
    let pid = waiting.id();
    let args = cmdline(pid);
    assert!(
        args.contains("init") && args.contains("--client-id"),
        "{args}"
    );
    env.assert_no_secret_in("/proc/PID/cmdline", &args);
    env.assert_no_secret_in("ps -ww -eo pid,args", &ps());
    env.assert_no_secret_in("/proc/PID/environ", &environ(pid));
    stop(waiting);

    // The secret on stdin: neither argv nor the environment carries it.
    let mut cmd = env.init();
    cmd.env_remove("JIRA_AUTH_CLIENT_SECRET")
        .arg("--client-secret-stdin");
    let waiting = waiting_init(cmd, Some(&format!("{}\n", env.secret)));
    let pid = waiting.id();
    let args = cmdline(pid);
    assert!(args.contains("--client-secret-stdin"), "{args}");
    env.assert_no_secret_in("/proc/PID/cmdline", &args);
    env.assert_no_secret_in("/proc/PID/environ", &environ(pid));
    env.assert_no_secret_in("ps -ww -eo pid,args", &ps());
    stop(waiting);
}

#[cfg(target_os = "linux")]
fn stop(waiting: Waiting) {
    waiting.interrupt();
    waiting.finish();
}

/// `cmd` run under `sh` with another umask.
#[cfg(unix)]
fn with_umask(cmd: &Command, mask: &str) -> Command {
    let script = format!("umask {mask} && exec \"$0\" \"$@\"");
    crate::support::env::wrapped(&["sh", "-c", &script], cmd)
}

#[cfg(unix)]
#[test]
fn files_are_private_whatever_the_umask_and_exposed_ones_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    // A credentials directory someone made by hand, open to all.
    let creds = env.config_dir().join("credentials");
    std::fs::create_dir_all(&creds).unwrap();
    std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o777)).unwrap();
    // The config dir itself is left as found (it may be a shared place): make it private.
    std::fs::set_permissions(env.config_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();

    let mut init = env.init();
    init.args(["--store", "file"]);
    run(with_umask(&init, "000")).assert_code(0);
    // A refresh takes the profile's lock and rewrites the store and the index.
    let mut token = env.cmd();
    token.args(["token", "--min-ttl", "4000"]);
    run(with_umask(&token, "000")).assert_code(0);
    let mut seen = 0;
    let mut stack = vec![env.config_dir()];
    while let Some(dir) = stack.pop() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                seen += 1;
            }
        }
    }
    // profiles.json, the credentials, the profile's and the index's lock.
    assert!(seen >= 4, "{seen} files");

    // A store file others can read is refused, with what to do, and not silently fixed.
    let file = creds.join(format!("{}.json", env.profile));
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = env.jira(&["token"]);
    out.assert_code(6);
    assert!(
        out.stderr.contains("is readable by other users (mode 644)"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert_eq!(mode(&file), 0o644);
    env.assert_no_secret_in("stderr", &out.stderr);
}

/// `run` with its stdout set aside (it holds the credential asked for): stderr and files
/// must still hold no secret.
#[track_caller]
fn assert_no_leaks_beside_stdout(env: &TestEnv, out: &Run) {
    env.assert_no_leaks(&Run {
        command: out.command.clone(),
        code: out.code,
        stdout: String::new(),
        stderr: out.stderr.clone(),
    });
}

/// A service account and an API token profile, and stateless mode, at -vvv: init, status,
/// token, header, exec, a renewal. stdout holds what was asked for and nothing else.
#[test]
fn service_accounts_api_tokens_and_stateless_mode_at_vvv_keep_secrets_out() {
    let env = TestEnv::new();
    let v = "-vvv";
    let mut init = env.init_service_account();
    init.args(["--store", "file", v, "--json"])
        .env("RUST_BACKTRACE", "1");
    let out = run(init);
    out.assert_code(0);
    assert!(out.stderr.contains("DEBUG"), "{}", out.stderr);
    env.assert_no_leaks(&out);
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["exec", "--", "sh", "-c", r#"test -n "$JIRA_AUTH_HEADER""#],
    ] {
        let out = run(loud_at(&env, v, args));
        out.assert_code(0);
        env.assert_no_leaks(&out);
    }
    for (args, prefix) in [
        (&["token"][..], ""),
        (&["header"], "Bearer "),
        (&["token", "--min-ttl", "4000"], ""),
    ] {
        let out = run(loud_at(&env, v, args));
        out.assert_code(0);
        assert_only_the_token_on_stdout(&env, &out, prefix);
    }

    // An API token in a second profile: its header is Basic email:token.
    let mut init = env.init_api_token(&env.scoped_token);
    init.args(["--store", "file", "--profile", "tok", v]);
    let out = run(init);
    out.assert_code(0);
    env.assert_no_leaks(&out);
    for args in [
        &["header", "--profile", "tok"][..],
        &["token", "--profile", "tok"],
    ] {
        let out = run(loud_at(&env, v, args));
        out.assert_code(0);
        assert_eq!(out.stdout.lines().count(), 1, "{}", out.stdout);
        assert_no_leaks_beside_stdout(&env, &out);
    }
    for args in [&["status", "--profile", "tok"][..], &["status", "--json"]] {
        let out = run(loud_at(&env, v, args));
        out.assert_code(0);
        env.assert_no_leaks(&out);
    }

    // Stateless: the secret in the environment, nothing on disk for it.
    for (args, prefix) in [(&["token"][..], ""), (&["header"], "Bearer ")] {
        let mut cmd = env.stateless(args);
        cmd.arg(v).env("RUST_BACKTRACE", "1");
        let out = run(cmd);
        out.assert_code(0);
        assert_only_the_token_on_stdout(&env, &out, prefix);
    }
    // A failure says no more than a success.
    let mut cmd = env.stateless(&["token", v]);
    cmd.env("JIRA_AUTH_SITE", "acme corp");
    let out = run(cmd);
    out.assert_code(2);
    env.assert_no_leaks(&out);
}

/// While `exec`'s command runs, neither jira-auth's own initial environment block (what
/// `/proc/PID/environ` and `ps e` show) nor the command's environment holds the client
/// secret, the API token or the PAT of the environment: only the credential `exec` hands over.
#[cfg(target_os = "linux")]
#[test]
fn exec_scrubs_the_secret_variables_and_its_command_inherits_none() {
    let env = TestEnv::new();
    let mut cmd = env.stateless(&["exec", "--", "sh", "-c", "echo $$; read _; exit 0"]);
    // A PAT in the environment is taken out as the other two are, whatever the command.
    let pat = format!("NjQ{}", crate::support::env::random_hex(20));
    cmd.env("JIRA_AUTH_API_TOKEN", &env.classic_token)
        .env("JIRA_AUTH_PAT", &pat)
        .env("JIRA_AUTH_NO_CACHE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("jira-auth starts");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let sh_pid: u32 = line.trim().parse().unwrap_or_else(|_| panic!("{line:?}"));
    let ours = environ(child.id());
    let theirs = environ(sh_pid);
    for secret in [&env.sa_secret, &env.classic_token, &pat] {
        assert!(
            !ours.contains(secret.as_str()),
            "jira-auth's environ: {ours}"
        );
        assert!(
            !theirs.contains(secret.as_str()),
            "the command's environ: {theirs}"
        );
    }
    assert!(theirs.contains("JIRA_AUTH_HEADER=Bearer at-"), "{theirs}");
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

/// Data Center: `init` of the instance's OAuth (PKCE: the verifier is among the secrets, as
/// the code, the tokens and the link's secret are) and of a personal access token, a forced
/// refresh, `header`, `status --check`, `doctor` and `exec`, each at -vv: nothing secret in
/// stderr or in any file but the store, and stdout only the credential where that is the
/// product.
#[test]
fn data_center_flows_leak_nothing_at_debug_verbosity() {
    let env = TestEnv::builder().data_center("/jira").build();
    let mut init = env.init_dc_oauth();
    init.arg("-vv").env("RUST_BACKTRACE", "1");
    let out = run(init);
    out.assert_code(0);
    out.assert_says("the browser came back with a code; exchanging it");
    env.assert_no_leaks(&out);
    assert!(
        env.secrets().iter().any(|s| s.starts_with("dc-code-")),
        "the code is among the secrets checked"
    );
    assert!(
        env.dc().secrets().len() >= 5,
        "code, verifier, access and refresh token, link secret"
    );
    let out = run(loud(&env, &["token", "--min-ttl", "7200"]));
    out.assert_code(0);
    assert_only_the_token_on_stdout(&env, &out, "");
    let out = run(loud(&env, &["header"]));
    out.assert_code(0);
    assert_only_the_token_on_stdout(&env, &out, "Bearer ");
    for args in [
        &["status", "--check"][..],
        &["doctor"],
        &["exec", "--", "true"],
        &["logout"],
    ] {
        let out = run(loud(&env, args));
        out.assert_code(0);
        env.assert_no_leaks(&out);
    }
    let mut pat = env.init_pat();
    pat.arg("-vv").env("RUST_BACKTRACE", "1");
    let out = run(pat);
    out.assert_code(0);
    env.assert_no_leaks(&out);
    let out = run(loud(&env, &["header"]));
    assert_only_the_token_on_stdout(&env, &out, "Bearer ");
    // A refused PAT: the error names the site, never the token.
    let mut wrong = env.init_pat();
    wrong
        .args(["-vv", "--force"])
        .env("JIRA_AUTH_PAT", format!("{}x", env.dc_pat));
    let out = run(wrong);
    out.assert_code(3);
    assert!(!out.stderr.contains(&env.dc_pat), "{}", out.stderr);
    env.assert_no_leaks(&out);
    // A service account: its init (the mint at the instance, then /myself) and a re-mint.
    let mut sa = env.init_dc_service_account();
    sa.args(["-vv", "--force"]).env("RUST_BACKTRACE", "1");
    let out = run(sa);
    out.assert_code(0);
    env.assert_no_leaks(&out);
    let out = run(loud(&env, &["token", "--min-ttl", "7200"]));
    out.assert_code(0);
    assert_only_the_token_on_stdout(&env, &out, "");
    let mut wrong = env.init_dc_service_account();
    wrong
        .args(["-vv", "--force"])
        .env("JIRA_AUTH_CLIENT_SECRET", format!("{}x", env.dc_sa_secret));
    let out = run(wrong);
    out.assert_code(3);
    env.assert_no_leaks(&out);
}

/// The hand-off to Composio at -vv, its failures included: the Composio API key and the
/// app's client secret never in output, JSON, errors or files; and, while `composio connect`
/// waits, neither in its command line nor in its environment as `ps e` shows it.
#[test]
fn the_composio_hand_off_at_vv_keeps_the_api_key_and_client_secret_out() {
    let world = crate::cases::composio::World::new(crate::support::env::TICKED);
    let init = world.run(&[
        "init",
        "--no-input",
        "--preset",
        "read-only",
        "--json",
        "-vv",
    ]);
    init.assert_code(0);
    assert!(init.stderr.contains("DEBUG"), "{}", init.stderr);
    for args in [
        &["init", "--no-input", "--preset", "read-only", "-vv"][..],
        &[
            "connect",
            "--user-id",
            "ada",
            "--site",
            "acme",
            "--json",
            "-vv",
        ],
        &["status", "--json", "-vv"],
        &["scopes", "--preset", "read-write", "--json", "-vv"],
        &["status", "-vv"],
    ] {
        let out = world.run(args);
        assert!(out.code == 0 || out.code == 4, "{args:?}: {}", out.stderr);
    }
    // A refused key is not echoed, whatever it is.
    let wrong = "ak_wrong_key_0123456789";
    let mut cmd = world.cmd(&["status", "--json", "-vv"]);
    cmd.env("COMPOSIO_API_KEY", wrong);
    let out = run(cmd);
    out.assert_code(3);
    world.assert_no_leaks(&out);
    assert!(
        !out.stdout.contains(wrong) && !out.stderr.contains(wrong),
        "{}",
        out.stderr
    );

    #[cfg(target_os = "linux")]
    {
        let cmd = world.unopened_connect("bob", "30");
        let waiting = crate::support::spawned::Spawned::start(cmd, world.env.dir.path(), "connect");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let link = loop {
            let err = waiting.stderr();
            if let Some(line) = err.lines().find(|l| l.contains("/api/v3/s/")) {
                break line.trim().to_string();
            }
            assert!(std::time::Instant::now() < deadline, "no link:\n{err}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let pid = waiting.pid();
        for (what, text) in [
            ("/proc/PID/cmdline", cmdline(pid)),
            ("/proc/PID/environ", environ(pid)),
        ] {
            for secret in world.secrets() {
                assert!(
                    !text.contains(&secret),
                    "a Composio secret in {what}: {text}"
                );
            }
        }
        jira_auth_emulator::user::follow(&link);
        let out = waiting.finish(std::time::Duration::from_secs(30));
        out.assert_code(0);
        world.assert_no_leaks(&out);
    }
}
