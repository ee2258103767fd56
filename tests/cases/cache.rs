//! The kernel-keyring access-token cache in front of the Secret Service, and the splitting of
//! large keychain items, both against the real keyrings of this machine.

use std::process::Command;

use crate::support::emulator::Endpoint;
use crate::support::env::{
    Run, TestEnv, require_keyutils, require_secret_service, run, secret_tool_lookup, site,
};

/// A session bus address where nothing listens: any Secret Service access fails at once.
const NO_BUS: &str = "unix:path=/nonexistent/jira-auth-test-bus";

/// `token -vv`, and the cache key it names when it answers from the cache.
fn token_from_cache(env: &TestEnv) -> (Run, String) {
    let out = env.jira(&["token", "-vv"]);
    out.assert_code(0);
    let marker = "access token from the kernel keyring cache (";
    let at = out
        .stderr
        .find(marker)
        .unwrap_or_else(|| panic!("not answered from the cache:\n{}", out.stderr));
    let rest = &out.stderr[at + marker.len()..];
    let desc = rest[..rest.find(')').unwrap()].to_string();
    (out, desc)
}

fn keyctl(args: &[&str]) -> (bool, String) {
    let out = Command::new("keyctl")
        .args(args)
        .output()
        .expect("keyctl runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
    )
}

fn key_id(desc: &str) -> Option<String> {
    let (ok, id) = keyctl(&["search", "@u", "user", desc]);
    ok.then_some(id)
}

/// Makes the cache key `desc` one we may neither read nor replace: what a container's seccomp
/// policy or a foreign session keyring amounts to. (It expires on its own: no litter in @u.)
fn refuse_us(desc: &str) {
    let id = key_id(desc).expect("the key exists");
    assert!(keyctl(&["timeout", &id, "120"]).0);
    assert!(keyctl(&["setperm", &id, "0x01000000"]).0);
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn token_header_and_exec_are_answered_without_the_secret_service() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::with_profile();
    let (first, desc) = token_from_cache(&env);
    assert!(desc.ends_with(&format!(":{}", env.profile)), "{desc}");
    env.assert_no_secret_in("stderr", &first.stderr);

    // With the Secret Service out of reach, the cache still answers…
    let mut cmd = env.cmd();
    cmd.args(["token"]).env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
    let cached = run(cmd);
    cached.assert_code(0);
    assert_eq!(cached.stdout, first.stdout);

    let mut cmd = env.cmd();
    cmd.args(["header"]).env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
    run(cmd).assert_code(0);

    let mut cmd = env.cmd();
    cmd.args([
        "exec",
        "--",
        "sh",
        "-c",
        "test -n \"$JIRA_ACCESS_TOKEN\" && printf %s \"$JIRA_CLOUD_ID\"",
    ])
    .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
    let exec = run(cmd);
    exec.assert_code(0);
    assert_eq!(exec.stdout, crate::support::env::SITE_ID);

    // …and without the cache it is the Secret Service that answers: here, nobody.
    let mut cmd = env.cmd();
    cmd.args(["token"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS)
        .env("JIRA_AUTH_NO_CACHE", "1");
    let refused = run(cmd);
    refused.assert_code(6);
    assert!(refused.stdout.is_empty());
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1,
        "no request: only init's exchange"
    );
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_token_that_would_expire_within_min_ttl_is_not_taken_from_the_cache() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::with_profile();
    let (cached, _) = token_from_cache(&env);

    // The stored token has an hour; asking for more than that means a refresh.
    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(0);
    assert_ne!(out.stdout, cached.stdout);
    assert_eq!(env.emu.hits(Endpoint::Token), 2, "one refresh");
    // The refreshed token replaced the cached one.
    let (after, _) = token_from_cache(&env);
    assert_eq!(after.stdout, out.stdout);
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_replaced_profile_replaces_its_cached_token_and_logout_removes_it() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::with_profile();
    let (_, desc) = token_from_cache(&env);
    assert!(key_id(&desc).is_some());

    // The same profile set up again for another site: the cache must follow.
    env.emu
        .set_sites(vec![site("globex", "9f1c0a44-0000-4000-8000-00000000beef")]);
    env.init_with(&["--force"]).assert_code(0);
    let out = env.jira(&["token", "--json", "-vv"]);
    out.assert_code(0);
    assert!(
        out.stderr.contains("from the kernel keyring cache"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.json()["cloud_id"],
        "9f1c0a44-0000-4000-8000-00000000beef"
    );

    env.jira(&["logout"]).assert_code(0);
    assert!(key_id(&desc).is_none(), "the cached token outlived logout");
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_profile_moved_to_the_file_store_leaves_no_cached_token() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::with_profile();
    let (_, desc) = token_from_cache(&env);
    assert!(key_id(&desc).is_some());

    // Set up again in the file store while the keychain cannot be reached (so its copy, and
    // the cache with it, cannot be deleted through the keychain backend).
    let mut init = env.init();
    init.args(["--force", "--store", "file"])
        .env("DBUS_SESSION_BUS_ADDRESS", NO_BUS);
    run(init).assert_code(0);
    assert!(
        key_id(&desc).is_none(),
        "the keychain-era token is still cached"
    );
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_kernel_keyring_that_refuses_us_falls_back_to_the_secret_service() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::builder().with_profile().due_for_refresh().build();
    let out = env.jira(&["token", "-vv", "--min-ttl", "0"]);
    let desc = {
        let marker = "kernel keyring cache (";
        let s = &out.stderr[out.stderr.find(marker).expect("cache named") + marker.len()..];
        s[..s.find(')').unwrap()].to_string()
    };
    refuse_us(&desc);
    assert!(key_id(&desc).is_none(), "still readable");

    // Due for refresh (30 s < 60 s): refreshed, stored in the Secret Service, printed.
    let refreshed = env.jira(&["token", "-vv"]);
    refreshed.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 2);
    assert!(
        refreshed
            .stderr
            .contains("kernel keyring cache not written"),
        "{}",
        refreshed.stderr
    );
    env.assert_no_secret_in("stderr", &refreshed.stderr);
    // And answered by the Secret Service from now on, without a request.
    let again = env.jira(&["token"]);
    again.assert_code(0);
    assert_eq!(again.stdout, refreshed.stdout);
    assert_eq!(env.emu.hits(Endpoint::Token), 2);
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn doctor_reports_whether_the_cache_works() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::with_profile();
    let cache_check = |out: &Run| {
        out.assert_code(0);
        let doc = out.json();
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == "cache")
            .cloned()
            .unwrap_or_else(|| panic!("no cache check: {doc}"))
    };
    let ok = cache_check(&env.jira(&["doctor", "--json"]));
    assert_eq!(ok["status"], "pass", "{ok}");

    let mut cmd = env.cmd();
    cmd.args(["doctor", "--json"])
        .env("JIRA_AUTH_NO_CACHE", "1");
    let off = cache_check(&run(cmd));
    assert_eq!(off["status"], "skip", "{off}");

    // A kernel keyring that refuses us: a warning with the fix, and doctor still exits 0.
    let (_, desc) = token_from_cache(&env);
    refuse_us(&desc);
    let out = env.jira(&["doctor", "--json"]);
    let refused = cache_check(&out);
    assert_eq!(refused["status"], "warn", "{refused}");
    assert!(
        refused["fix"]
            .as_str()
            .unwrap()
            .contains("keyctl link @u @s"),
        "{refused}"
    );
    env.assert_no_leaks(&out);
}

fn chunk_accounts(env: &TestEnv, head: &str) -> Vec<String> {
    // jira-auth-chunks:v1:GEN:COUNT:LEN
    let parts: Vec<&str> = head.trim().split(':').collect();
    assert_eq!(parts[..2], ["jira-auth-chunks", "v1"], "{head}");
    let count: usize = parts[3].parse().unwrap();
    (0..count)
        .map(|i| format!(".chunk.{}.{}.{i}", env.keychain_account(), parts[2]))
        .collect()
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn configs_larger_than_an_entry_are_split_and_joined_on_a_real_keychain() {
    require_secret_service();
    let env = TestEnv::new();
    // Windows' 2,560 bytes, scaled down so that an emulator-sized config needs several.
    let small = |mut cmd: Command| {
        cmd.env("JIRA_AUTH_KEYCHAIN_ENTRY_BYTES", "300")
            .env("JIRA_AUTH_NO_CACHE", "1");
        cmd
    };
    env.emu.set_access_token_ttl(30);
    run(small(env.init())).assert_code(0);
    env.emu.set_access_token_ttl(3600);

    let head = secret_tool_lookup(&env.keychain_account()).expect("the head item");
    let first = chunk_accounts(&env, &head);
    assert!(first.len() >= 3, "{head}");
    let mut json = String::new();
    for account in &first {
        let part = secret_tool_lookup(account).expect("every chunk is stored");
        assert!(part.len() <= 300, "{account}: {} bytes", part.len());
        json.push_str(&part);
    }
    let cfg: serde_json::Value =
        serde_json::from_str(&json).expect("the chunks join to the config");
    assert_eq!(cfg["profile"], env.profile.as_str());

    // A refresh rewrites the whole config under a new generation; the old chunks go.
    let mut cmd = small(env.cmd());
    cmd.arg("token");
    let out = run(cmd);
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 2);
    let head2 = secret_tool_lookup(&env.keychain_account()).expect("the head item");
    assert_ne!(head2, head);
    for account in &first {
        assert!(
            secret_tool_lookup(account).is_none(),
            "{account} left behind"
        );
    }
    let second = chunk_accounts(&env, &head2);
    let mut cmd = small(env.cmd());
    cmd.args(["token", "--json"]);
    let again = run(cmd);
    again.assert_code(0);
    assert_eq!(
        format!("{}\n", again.json()["access_token"].as_str().unwrap()),
        out.stdout
    );
    env.assert_no_secret_in("stderr", &again.stderr);

    // A reader without the limit (another platform's build, or the variable unset) still
    // reads the split item.
    env.jira(&["token"]).assert_code(0);

    let mut cmd = small(env.cmd());
    cmd.arg("logout");
    run(cmd).assert_code(0);
    assert!(secret_tool_lookup(&env.keychain_account()).is_none());
    for account in &second {
        assert!(
            secret_tool_lookup(account).is_none(),
            "{account} left behind"
        );
    }
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn a_nonsensical_entry_limit_is_a_usage_error_before_anything_happens() {
    require_secret_service();
    let env = TestEnv::new();
    for bad in ["lots", "0", "-5"] {
        let mut init = env.init();
        init.env("JIRA_AUTH_KEYCHAIN_ENTRY_BYTES", bad);
        let out = run(init);
        out.assert_code(2);
        assert!(
            out.stderr.contains(&format!(
                "JIRA_AUTH_KEYCHAIN_ENTRY_BYTES={bad} is not a positive number"
            )),
            "{}",
            out.stderr
        );
        env.assert_no_leaks(&out);
    }
    assert_eq!(
        env.emu.hits(Endpoint::Authorize),
        0,
        "no consent was started"
    );
    assert!(secret_tool_lookup(&env.keychain_account()).is_none());
}

/// `jira-auth ARGS…` on a private session bus of its own, whose Secret Service keyring holds
/// the profile's item and is locked (as after a screen lock, or gnome-keyring locking on
/// idle); the kernel keyring is the user's, shared with the rest of the suite.
pub(super) fn in_a_locked_keychain(env: &TestEnv, args: &[&str]) -> Run {
    let scratch = tempfile::tempdir().unwrap();
    let (data, runtime) = (scratch.path().join("data"), scratch.path().join("runtime"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    let item = scratch.path().join("item");
    // Under the account this build uses (builds before namespacing: the profile name).
    let account = [env.keychain_account(), env.profile.clone()]
        .into_iter()
        .find(|a| secret_tool_lookup(a).is_some())
        .expect("the profile is in the keychain");
    std::fs::write(&item, secret_tool_lookup(&account).unwrap()).unwrap();
    let script = r#"printf locked | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
secret-tool store --label=jira-auth service jira-auth username "$TEST_ACCOUNT" <"$TEST_ITEM" || exit 99
dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
    org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null || exit 99
exec "$@""#;
    let mut inner = env.cmd();
    inner.args(args);
    let mut cmd = crate::support::env::wrapped(
        &["dbus-run-session", "--", "sh", "-c", script, "sh"],
        &inner,
    );
    cmd.env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("TEST_ACCOUNT", &account)
        .env("TEST_ITEM", &item)
        .env_remove("GNOME_KEYRING_CONTROL");
    let out = run(cmd);
    assert_ne!(
        out.code, 99,
        "the test keyring could not be filled and locked"
    );
    out
}

#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_locked_keychain_ends_the_cached_token_once_a_command_meets_it() {
    require_secret_service();
    require_keyutils();
    let env = TestEnv::with_profile();
    token_from_cache(&env);
    let desc = env.cache_description();
    assert!(key_id(&desc).is_some(), "cached as {desc}");

    // Locked meanwhile: the cache alone still answers `token` (documented: until the token
    // expires, or until a command that reads the keychain finds it locked)…
    let cached = in_a_locked_keychain(&env, &["token"]);
    cached.assert_code(0);
    // …and the first that does, drops it.
    let status = in_a_locked_keychain(&env, &["status"]);
    status.assert_code(6);
    assert!(status.stderr.contains("locked"), "{}", status.stderr);
    assert!(
        key_id(&desc).is_none(),
        "the cached token outlived the lock"
    );
    let after = in_a_locked_keychain(&env, &["token"]);
    after.assert_code(6);
    assert!(after.stdout.is_empty(), "a token after the lock");

    // doctor says which is the case.
    env.jira(&["token"]).assert_code(0);
    assert!(key_id(&desc).is_some(), "cached again once unlocked");
    let doctor = in_a_locked_keychain(&env, &["doctor"]);
    doctor.assert_code(6);
    let line = doctor
        .stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("cache"))
        .unwrap();
    assert!(
        line.contains(
            "the keychain is locked: the access token cached in the kernel keyring was dropped"
        ),
        "{}",
        doctor.stdout
    );
    assert!(key_id(&desc).is_none());
    env.assert_no_leaks(&doctor);
}

/// One truth: a keychain item found missing or unreadable ends the cached token, so `token`
/// then says what `status` says, instead of answering from the cache for up to an hour.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "needs a Secret Service and keyutils in the user keyring: run scripts/test.sh"]
fn a_missing_or_damaged_keychain_item_ends_the_cached_token() {
    use crate::support::env::{secret_tool_clear, secret_tool_store};
    require_secret_service();
    require_keyutils();
    for (damage, exit) in [("deleted", 3), ("damaged", 6)] {
        let env = TestEnv::with_profile();
        token_from_cache(&env);
        let desc = env.cache_description();
        assert!(key_id(&desc).is_some(), "cached as {desc}");
        match damage {
            "deleted" => secret_tool_clear(&env.keychain_account()),
            _ => secret_tool_store(&env.keychain_account(), "{not a profile"),
        }
        let status = env.jira(&["status"]);
        status.assert_code(exit);
        assert!(
            key_id(&desc).is_none(),
            "{damage}: the cached token outlived the item"
        );
        let token = env.jira(&["token"]);
        token.assert_code(exit);
        assert!(token.stdout.is_empty(), "{damage}: a token from the cache");
    }
}
