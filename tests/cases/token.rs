//! `token`, `header` and `exec`: a valid token from the stored profile, refreshed at most once
//! even when many processes ask at the same moment.

use std::io::Read;
use std::process::Stdio;

use crate::support::emulator::Endpoint;
use crate::support::env::{SITE_ID, TestEnv, run, site};

fn stored(env: &TestEnv, field: &str) -> String {
    env.keychain_item().expect("the profile is in the keychain")["credential"][field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is a string"))
        .to_string()
}

/// A keychain profile whose stored access token is due for refresh (30 s left, under the
/// default --min-ttl of 60 s); later tokens live an hour.
fn expired_profile() -> TestEnv {
    TestEnv::builder().with_profile().due_for_refresh().build()
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn valid_token_is_printed_without_any_request() {
    let env = TestEnv::with_profile();
    let _snapshots = env.snapshots();
    let out = env.jira(&["token"]);
    out.assert_code(0);
    assert_eq!(out.stdout, format!("{}\n", stored(&env, "access_token")));
    assert_eq!(env.emu.hits(Endpoint::Token), 1, "only init's exchange");

    let json = env.jira(&["token", "--json"]);
    json.assert_code(0);
    insta::assert_snapshot!("token_json", env.screen(&json));
    let j = json.json();
    assert_eq!(j["access_token"], stored(&env, "access_token").as_str());
    assert_eq!(j["cloud_id"], SITE_ID);
    assert_eq!(j["site_url"], "https://acme.atlassian.net");
    assert_eq!(
        j["api_base_url"],
        format!("{}/ex/jira/{SITE_ID}", env.emu.api_url()).as_str()
    );
    assert!(j["expires_at"].as_str().is_some());
    assert!(out.stderr.is_empty(), "{}", out.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn expired_token_is_refreshed_once_and_stored() {
    let env = expired_profile();
    let (old_access, old_refresh) = (stored(&env, "access_token"), stored(&env, "refresh_token"));

    let out = env.jira(&["token"]);
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 2, "exactly one refresh");
    let new_access = stored(&env, "access_token");
    assert_ne!(new_access, old_access);
    assert_eq!(out.stdout, format!("{new_access}\n"));
    let item = env.keychain_item().unwrap();
    assert_ne!(
        item["credential"]["refresh_token"],
        old_refresh.as_str(),
        "rotated"
    );
    assert!(
        env.emu
            .issued_secrets()
            .iter()
            .any(|s| item["credential"]["refresh_token"] == s.as_str())
    );
    assert_eq!(
        item["credential"]["previous_refresh_token"],
        old_refresh.as_str()
    );

    let again = env.jira(&["token"]);
    again.assert_code(0);
    assert_eq!(again.stdout, out.stdout);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "the refreshed token is reused"
    );

    // The index follows, so `status` shows the new expiry.
    let status = env.jira(&["status", "--json"]);
    assert_eq!(status.json()["profiles"][0]["access_token_expired"], false);
    env.assert_no_leaks(&status);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn concurrent_processes_refresh_only_once() {
    // Strict: any reuse of a rotated refresh token would revoke the whole family.
    let env = TestEnv::builder()
        .reuse_interval(0)
        .with_profile()
        .due_for_refresh()
        .build();

    let children: Vec<_> = (0..32)
        .map(|_| {
            let mut cmd = env.cmd();
            cmd.arg("token")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            cmd.spawn().expect("jira-auth starts")
        })
        .collect();
    let mut outputs = Vec::new();
    for mut child in children {
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        let mut stderr = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut stderr)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status}: {stderr}");
        outputs.push(stdout);
    }
    let first = &outputs[0];
    assert!(outputs.iter().all(|o| o == first), "{outputs:?}");
    assert_eq!(*first, format!("{}\n", stored(&env, "access_token")));
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init + exactly one refresh"
    );
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn rejected_refresh_token_asks_for_consent_and_keeps_the_profile() {
    let env = expired_profile();
    env.emu.revoke_all_refresh_tokens();

    let out = env.jira(&["token"]);
    out.assert_code(3);
    assert!(out.stderr.contains("jira-auth login"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    assert!(env.keychain_item().is_some(), "the profile was kept");
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn exec_passes_token_and_site_and_exit_code() {
    let env = TestEnv::with_profile();
    let access = stored(&env, "access_token");
    let api = format!("{}/ex/jira/{SITE_ID}", env.emu.api_url());
    let script = format!(
        r#"test "$JIRA_CLOUD_ID" = "{SITE_ID}" && test "$JIRA_API_BASE_URL" = "{api}" && test "$JIRA_SITE_URL" = "https://acme.atlassian.net" && test "$JIRA_ACCESS_TOKEN" = "{access}" && exit 42; exit 1"#
    );
    let out = env.jira(&["exec", "--", "sh", "-c", &script]);
    out.assert_code(42);

    // Killed by a signal: jira-auth is killed by it too (a shell says 128 + its number:
    // cases::exec).
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        let mut cmd = env.cmd();
        cmd.args(["exec", "--", "sh", "-c", "kill -TERM $$"])
            .stdin(Stdio::null());
        assert_eq!(cmd.status().unwrap().signal(), Some(15));
    }

    // Not found, as a shell says it.
    let missing = env.jira(&["exec", "--", "jira-auth-no-such-command-xyz"]);
    missing.assert_code(127);
    assert!(missing.stderr.contains("not found"), "{}", missing.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn header_prints_a_bearer_value() {
    let env = TestEnv::with_profile();
    let out = env.jira(&["header"]);
    out.assert_code(0);
    assert_eq!(
        out.stdout,
        format!("Bearer {}\n", stored(&env, "access_token"))
    );
}

#[test]
fn no_profile_is_auth_needed() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let out = env.jira(&["token"]);
    out.assert_code(3);
    insta::assert_snapshot!("token_no_profile", env.screen(&out));
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
}

#[test]
fn rejected_newest_refresh_token_falls_back_to_the_previous_one_within_the_interval() {
    // The file store, so the test can plant a refresh token Atlassian does not know.
    let env = TestEnv::builder().profile_in_file_store().build();
    // A first refresh (forced: the token is fresh) records the spent token as previous.
    env.jira(&["token", "--min-ttl", "4000"]).assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 2);
    let after_first = env.stored();
    assert!(after_first["credential"]["previous_refresh_token"].is_string());

    // The newest token is lost (say, a failed write elsewhere); the previous one is still
    // inside Atlassian's reuse interval (10 minutes in the emulator by default).
    env.edit_stored(|cfg| cfg["credential"]["refresh_token"] = "rt-not-issued-by-anyone".into());

    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(0);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        4,
        "rejected, then the previous one"
    );
    let now = env.stored();
    assert_eq!(
        out.stdout,
        format!("{}\n", now["credential"]["access_token"].as_str().unwrap())
    );
    assert_ne!(
        now["credential"]["refresh_token"],
        "rt-not-issued-by-anyone"
    );
    assert_eq!(
        now["credential"]["previous_refresh_token"],
        after_first["credential"]["previous_refresh_token"]
    );
    // stdout holds the token by design; nothing else may.
    env.assert_no_secret_in("stderr", &out.stderr);
}

/// Sets the file store's `refresh_token_issued_at` to `days` ago, keeping the access token.
fn age_refresh_token(env: &TestEnv, days: i64) {
    let at = time::OffsetDateTime::now_utc() - time::Duration::days(days);
    env.edit_stored(|cfg| {
        cfg["credential"]["refresh_token_issued_at"] = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
            .into();
    });
}

#[test]
fn unused_refresh_token_warns_before_its_inactivity_expiry() {
    let env = TestEnv::builder().profile_in_file_store().build();

    age_refresh_token(&env, 85);
    let out = env.jira(&["token"]);
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 1, "no refresh");
    let warning = format!(
        "warning: the refresh token of profile '{}' has not been used for 85 days; it expires after 90 days without use",
        env.profile
    );
    assert_eq!(out.stderr.matches(&warning).count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("jira-auth login"), "{}", out.stderr);
    env.assert_no_secret_in("stderr", &out.stderr);

    // A refresh resets Atlassian's clock: no warning then.
    let refreshed = env.jira(&["token", "--min-ttl", "4000"]);
    refreshed.assert_code(0);
    assert!(
        !refreshed.stderr.contains("warning"),
        "{}",
        refreshed.stderr
    );

    age_refresh_token(&env, 10);
    let recent = env.jira(&["token"]);
    recent.assert_code(0);
    assert!(!recent.stderr.contains("warning"), "{}", recent.stderr);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn killed_during_refresh_leaves_a_working_profile() {
    // Every token lives 30 s, under the default --min-ttl of 60 s: each `token` refreshes.
    // The reuse interval stays at the emulator's default (600 s), so a rotated refresh token
    // whose successor died with the killed process still works, as at Atlassian.
    let env = TestEnv::builder()
        .access_token_ttl(30)
        .with_profile()
        .build();
    for round in 0..5 {
        let before = env.emu.hits(Endpoint::Token);
        let mut cmd = env.cmd();
        cmd.arg("token")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = cmd.spawn().expect("jira-auth starts");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while env.emu.hits(Endpoint::Token) == before {
            assert!(
                std::time::Instant::now() < deadline,
                "round {round}: no refresh request"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // At once: the new tokens may or may not have been stored yet; both must be fine.
        let killed = std::process::Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success() || child.try_wait().unwrap().is_some());
        let _ = child.wait();

        let out = env.jira(&["token"]);
        out.assert_code(0);
        assert_eq!(
            out.stdout,
            format!("{}\n", stored(&env, "access_token")),
            "round {round}"
        );
        env.assert_no_leaks(&env.jira(&["status"]));
    }
}

/// Starts `token` on a profile due for refresh, with the emulator holding back the refresh's
/// answer for `delay_ms`, and returns once the refresh has reached the emulator (the old
/// refresh token is spent, the new one not yet stored).
fn token_in_mid_refresh(env: &TestEnv, delay_ms: u64) -> std::process::Child {
    env.emu.set_refresh_delay_ms(delay_ms);
    let before = env.emu.hits(Endpoint::Token);
    let mut cmd = env.cmd();
    cmd.arg("token")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let child = cmd.spawn().expect("jira-auth starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while env.emu.hits(Endpoint::Token) == before {
        assert!(std::time::Instant::now() < deadline, "no refresh request");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn logout_during_a_refresh_is_not_undone_by_it() {
    let env = expired_profile();
    let mut refreshing = token_in_mid_refresh(&env, 1500);

    env.jira(&["logout"]).assert_code(0);
    let _ = refreshing.wait();
    assert!(
        env.keychain_item().is_none(),
        "the refresh saved the profile back after logout"
    );
    let index = std::fs::read_to_string(env.config_dir().join("profiles.json")).unwrap();
    assert!(!index.contains(&env.profile), "back in the index:\n{index}");
    env.jira(&["token"]).assert_code(3);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn init_force_during_a_refresh_keeps_the_new_grant() {
    let env = expired_profile();
    let mut refreshing = token_in_mid_refresh(&env, 1500);

    // The profile set up again, for another site, while the old grant is being refreshed.
    env.emu
        .set_sites(vec![site("globex", "9f1c0a44-0000-4000-8000-00000000beef")]);
    env.init_with(&["--force"]).assert_code(0);
    let _ = refreshing.wait();

    let item = env.keychain_item().expect("the profile is in the keychain");
    assert_eq!(
        item["site"]["cloud_id"], "9f1c0a44-0000-4000-8000-00000000beef",
        "the refresh of the old grant was saved over the new one"
    );
    let status = env.jira(&["status", "--json"]);
    assert_eq!(
        status.json()["profiles"][0]["site"]["name"],
        "globex",
        "index"
    );
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn a_process_that_waited_for_a_refresh_uses_it_even_under_a_long_min_ttl() {
    // Strict: a second refresh with the spent token would revoke the family.
    let env = TestEnv::builder().reuse_interval(0).with_profile().build();
    // --min-ttl longer than any token lives: every run wants a refresh.
    env.emu.set_refresh_delay_ms(1500);
    let before = env.emu.hits(Endpoint::Token);
    let spawn = || {
        let mut cmd = env.cmd();
        cmd.args(["token", "--min-ttl", "4000"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("jira-auth starts")
    };
    let first = spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while env.emu.hits(Endpoint::Token) == before {
        assert!(std::time::Instant::now() < deadline, "no refresh request");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Started while the first one refreshes: it read the old token and waits for the lock.
    let second = spawn();
    let a = first.wait_with_output().unwrap();
    let b = second.wait_with_output().unwrap();
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    assert_eq!(
        a.stdout, b.stdout,
        "the waiter printed the token just refreshed"
    );
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        before + 1,
        "the waiter refreshed again"
    );
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn a_refresh_answered_but_never_stored_is_recovered_by_the_next_token() {
    // Every token lives 30 s (< the 60 s --min-ttl): each `token` refreshes.
    let env = TestEnv::builder()
        .access_token_ttl(30)
        .with_profile()
        .build();
    for round in 0..3 {
        let stored_refresh = stored(&env, "refresh_token");
        // Dies exactly between the emulator's answer and the save: the kill test's window,
        // hit every time. (The debug build's fault point; a panic stores nothing, as SIGKILL.)
        let mut cmd = env.cmd();
        cmd.arg("token")
            .env("JIRA_AUTH_TEST_PANIC_AT", "after-refresh")
            .env("RUST_BACKTRACE", "0");
        // A panic is exit 1 ("unexpected"), from main's panic hook.
        run(cmd).assert_code(1);
        assert_eq!(
            stored(&env, "refresh_token"),
            stored_refresh,
            "round {round}: nothing stored"
        );

        // The stored refresh token was rotated out by that refresh, but is inside the reuse
        // interval: the next `token` works, and stores a fresh chain.
        let out = env.jira(&["token"]);
        out.assert_code(0);
        assert_eq!(out.stdout, format!("{}\n", stored(&env, "access_token")));
        assert_ne!(
            stored(&env, "refresh_token"),
            stored_refresh,
            "round {round}"
        );
    }
}

// /proc/locks and Unix modes: Linux, where the keychain tests run.
#[cfg(target_os = "linux")]
/// Holds the profile's refresh lock from the test process, as another `jira-auth` would.
fn hold_refresh_lock(env: &TestEnv) -> std::fs::File {
    let path = env
        .config_dir()
        .join("locks")
        .join(format!("{}.lock", env.profile));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    file.lock().unwrap();
    file
}

/// A `token` started while this test holds the profile's lock, once it waits for it.
#[cfg(target_os = "linux")]
fn token_waiting_for_the_lock(env: &TestEnv) -> (std::fs::File, std::process::Child) {
    let lock = hold_refresh_lock(env);
    let mut cmd = env.cmd();
    cmd.arg("token")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let waiting = cmd.spawn().expect("jira-auth starts");
    wait_for_a_waiter(&lock);
    (lock, waiting)
}

/// Removes the profile's keychain item behind jira-auth's back, with libsecret's tool.
#[cfg(target_os = "linux")]
fn clear_keychain_item(env: &TestEnv) {
    crate::support::env::secret_tool_clear(&env.keychain_account());
}

// /proc/locks and Unix modes: Linux, where the keychain tests run.
#[cfg(target_os = "linux")]
/// Waits until some process is blocked on `lock` (a `->` line for its inode in /proc/locks).
fn wait_for_a_waiter(lock: &std::fs::File) {
    use std::os::unix::fs::MetadataExt;
    let ino = format!(":{} ", lock.metadata().unwrap().ino());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let locks = std::fs::read_to_string("/proc/locks").unwrap();
        if locks.lines().any(|l| l.contains("->") && l.contains(&ino)) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "nobody waits:\n{locks}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

// /proc/locks and Unix modes: Linux, where the keychain tests run.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn a_profile_moved_to_the_file_store_while_token_waited_is_read_from_there() {
    let env = expired_profile();
    let (lock, waiting) = token_waiting_for_the_lock(&env);

    // Meanwhile, what `init --force --store file` does under the lock: the profile now lives
    // in the file store, and its keychain item is gone.
    let item = env.keychain_item().expect("the profile is in the keychain");
    let creds = env.config_dir().join("credentials");
    std::fs::create_dir_all(&creds).unwrap();
    let file = creds.join(format!("{}.json", env.profile));
    std::fs::write(&file, item.to_string()).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let index_path = env.config_dir().join("profiles.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).unwrap()).unwrap();
    index["profiles"][&env.profile]["store"] = "file".into();
    std::fs::write(&index_path, index.to_string()).unwrap();
    clear_keychain_item(&env);
    drop(lock);

    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let now: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("{}\n", now["credential"]["access_token"].as_str().unwrap()),
        "refreshed and stored in the file store"
    );
    assert_eq!(env.emu.hits(Endpoint::Token), 2, "one refresh");
    assert!(
        env.keychain_item().is_none(),
        "nothing written back to the keychain"
    );
}

// /proc/locks and Unix modes: Linux, where the keychain tests run.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn a_profile_logged_out_while_token_waited_is_reported_as_removed() {
    let env = expired_profile();
    let (lock, waiting) = token_waiting_for_the_lock(&env);
    // What `logout` does under the lock.
    clear_keychain_item(&env);
    let index_path = env.config_dir().join("profiles.json");
    let mut index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index_path).unwrap()).unwrap();
    index["profiles"]
        .as_object_mut()
        .unwrap()
        .remove(&env.profile);
    std::fs::write(&index_path, index.to_string()).unwrap();
    drop(lock);

    let out = waiting.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("was removed"), "{stderr}");
    assert_eq!(env.emu.hits(Endpoint::Token), 1, "no refresh");
}

/// An `expires_in` of thousands of years (~3·10^11 s would not even fit a date) is a broken
/// or hostile answer: refused as `bad_response` (exit 5), never a panic; and the refresh that
/// brought it spent the stored refresh token, so the new one that came with it is stored (the
/// emulator's reuse interval is 0 here: the spent one would end the grant).
#[test]
fn an_absurd_lifetime_is_refused_and_the_rotated_refresh_token_is_kept() {
    let env = TestEnv::builder()
        .profile_in_file_store()
        .due_for_refresh()
        .reuse_interval(0)
        .build();
    let spent = env.stored()["credential"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    for absurd in [300_000_000_000, 100_000_000_000_000_000, 0] {
        env.emu.set_access_token_ttl(absurd);
        let out = env.jira(&["token", "--json"]);
        out.assert_error(5, "bad_response");
        let message = out.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(
            message.contains("would live") || message.contains("expires at once"),
            "{message}"
        );
        env.assert_no_leaks(&out);
        let stored = env.stored();
        let kept = stored["credential"]["refresh_token"].as_str().unwrap();
        assert_ne!(kept, spent, "the rotated refresh token was stored");
        assert!(
            env.emu.issued_secrets().iter().any(|s| s == kept),
            "one the emulator issued"
        );
    }
    env.emu.set_access_token_ttl(3600);
    env.jira(&["token"]).assert_code(0);
}

/// An expiry no server gives (year 9999, in a damaged or planted item) is not believed: the
/// token is renewed as a stale one would be.
#[test]
fn a_stored_expiry_years_away_is_not_believed() {
    let env = TestEnv::builder().profile_in_file_store().build();
    env.edit_stored(|cfg| {
        cfg["credential"]["access_token_expires_at"] = "9999-12-31T00:00:00Z".into();
    });
    let before = env.emu.hits(Endpoint::Token);
    let out = env.jira(&["token"]);
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), before + 1, "renewed");
    let stored = env.stored();
    let at = stored["credential"]["access_token_expires_at"]
        .as_str()
        .unwrap();
    assert!(!at.starts_with("9999"), "{at}");
    assert_eq!(
        out.stdout,
        format!(
            "{}\n",
            stored["credential"]["access_token"].as_str().unwrap()
        )
    );
}
