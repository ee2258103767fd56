//! The smaller defects of issue 13, each through the real binary: messages that name what was
//! given, a warning that only fits a refresh that left the machine, empty variables, lock
//! files, a secret pasted as the client id, site lists, `--store` for an existing profile.

use crate::support::env::{CLIENT_ID, TestEnv, free_port, run, site};

/// `init --no-input` with a valid client and secret and `extra`: how it refuses them.
fn init_refusing(env: &TestEnv, extra: &[&str]) -> crate::support::env::Run {
    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--no-input",
        "--preset",
        "read-only",
        "--store",
        "file",
    ])
    .args(extra)
    .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    if !extra.contains(&"--client-id") {
        cmd.args(["--client-id", CLIENT_ID]);
    }
    let out = run(cmd);
    out.assert_code(2);
    out
}

#[test]
fn ports_and_callback_urls_are_refused_for_what_was_given() {
    let env = TestEnv::new();
    let out = init_refusing(&env, &["--port", "80"]);
    assert!(
        out.stderr
            .contains("error: --port 80: port 80 is http's default")
            && !out.stderr.contains("--redirect-uri"),
        "{}",
        out.stderr
    );
    // One message for every port out of range, from the flag or the variable.
    for port in ["0", "70000"] {
        let out = init_refusing(&env, &["--port", port]);
        assert!(
            out.stderr.contains(&format!(
                "invalid value '{port}' for '--port <N>': {port} is not in 1..=65535"
            )),
            "{port}: {}",
            out.stderr
        );
    }
    let out = init_refusing(
        &env,
        &[
            "--redirect-uri",
            &format!("http://user:hunter2@127.0.0.1:{}/callback", free_port()),
        ],
    );
    assert!(
        out.stderr.contains("cannot have a user name or password"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2"), "{}", out.stderr);
}

#[test]
fn a_client_secret_given_as_the_client_id_is_refused_and_never_shown() {
    let env = TestEnv::new();
    // Another app's secret, say, pasted where the client id goes.
    let pasted = format!("ATOA{}", crate::support::env::random_hex(20));
    let out = init_refusing(&env, &["--client-id", &pasted]);
    assert!(!out.stderr.contains(&pasted), "{}", out.stderr);
    assert!(
        out.stderr.contains("looks like the client secret"),
        "{}",
        out.stderr
    );
    env.assert_no_leaks(&out);
    assert_eq!(
        env.emu.hits(crate::support::emulator::Endpoint::Authorize),
        0
    );
}

#[test]
fn an_empty_variable_is_unset_and_a_bad_one_is_named() {
    let env = TestEnv::builder().profile_in_file_store().build();
    // The first profile is the default: an empty JIRA_AUTH_PROFILE selects it, as unset does.
    let mut cmd = env.cmd();
    cmd.env("JIRA_AUTH_PROFILE", "").args(["status"]);
    run(cmd).assert_code(0);
    let mut cmd = env.cmd();
    cmd.env("JIRA_AUTH_MIN_TTL", "soon").arg("token");
    let out = run(cmd);
    out.assert_code(2);
    assert!(
        out.stderr.contains(
            "invalid value 'soon' in JIRA_AUTH_MIN_TTL (the environment variable of --min-ttl)"
        ),
        "{}",
        out.stderr
    );
    // Given as the flag, the flag is named.
    let out = env.jira(&["token", "--min-ttl", "soon"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("for '--min-ttl <SECS>'"),
        "{}",
        out.stderr
    );
}

#[test]
fn lock_files_go_with_their_profile() {
    let env = TestEnv::builder()
        .profile_in_file_store()
        .due_for_refresh()
        .build();
    let locks = env.config_dir().join("locks");
    env.jira(&["token"]).assert_code(0);
    let lock = locks.join(format!("{}.lock", env.profile));
    assert!(lock.exists(), "the refresh took the profile's lock");
    env.jira(&["logout", "--profile", "never-existed"])
        .assert_code(0);
    assert!(!locks.join("never-existed.lock").exists());
    env.jira(&["logout"]).assert_code(0);
    assert!(!lock.exists(), "left behind by logout");
}

#[test]
fn a_refresh_that_never_left_the_machine_does_not_warn_about_rotation() {
    let env = TestEnv::builder().profile_in_file_store().build();
    // Nothing listens there: every connection is refused.
    let refused = format!("http://127.0.0.1:{}", free_port());
    env.record_servers(&env.profile, &refused, &env.emu.api_url());
    let mut cmd = env.cmd();
    cmd.env("JIRA_AUTH_AUTH_URL", &refused)
        .args(["token", "--min-ttl", "4000"]);
    let out = run(cmd);
    out.assert_code(5);
    assert!(out.stderr.contains("cannot connect"), "{}", out.stderr);
    assert!(!out.stderr.contains("within 10 minutes"), "{}", out.stderr);
}

#[test]
fn status_never_says_in_0_s_and_site_lists_are_aligned() {
    let env = TestEnv::builder()
        .sites([
            site("a", "aaaaaaaa-0000-0000-0000-000000000001"),
            site("globex", "bbbbbbbb-0000-0000-0000-000000000002"),
        ])
        .build();
    let mut init = env.init();
    init.args(["--store", "file"]);
    let out = run(init);
    out.assert_code(2);
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("(cloud id"))
        .collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    let at = |l: &str| l.find("(cloud id").unwrap();
    assert_eq!(at(lines[0]), at(lines[1]), "{}", out.stderr);

    let mut init = env.init();
    init.args(["--store", "file", "--site", "globex"]);
    run(init).assert_code(0);
    let status = env.jira(&["status"]);
    status.assert_code(0);
    assert!(!status.stderr.contains("in 0 s"), "{}", status.stderr);
}

#[test]
fn store_flag_for_an_existing_profile_of_the_other_store_is_said() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let out = env.jira(&["token", "--store", "keychain"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains(&format!(
            "note: profile '{}' is in the file store, not the keychain store",
            env.profile
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("jira-auth init --force --store keychain")
    );
    env.assert_no_secret_in("stderr", &out.stderr);
}
