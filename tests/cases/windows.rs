//! The Windows build, run under Wine (scripts/test-windows.sh; CONTRIBUTING.md says what Wine
//! can and cannot show): the offline quick start; a profile larger than a Credential Manager
//! entry, split, read back by a new process, renewed and removed whole; renewal, forced and
//! concurrent; the file store; `exec`'s child; the callback listener on Windows sockets,
//! answered by a scripted browser in this process. Windows' Credential Manager is read with
//! `credlist.exe` (CredEnumerateW), not with jira-auth's code. The emulator runs here, on
//! Linux, and counts what the Windows build asks of it.

use std::process::Stdio;

use crate::cases::listener::{assert_page, exchange, get, without_state};
use crate::support::emulator::Endpoint;
use crate::support::env::{SITE_ID, TICKED, TestEnv, free_port};
use crate::support::waiting::{Waiting, consent_redirect};
use crate::support::wine::Wine;

/// CRED_MAX_CREDENTIAL_BLOB_SIZE, Windows' limit per credential, written out here rather
/// than taken from jira-auth: the split must hold to Windows' number, not to its own.
const WINDOWS_ENTRY_LIMIT: usize = 2560;

/// `init` of the Windows build in `env`'s world (`--scopes list`, or the `read-only`
/// preset), its consent answered by a scripted browser: this process approves at the
/// emulator's consent page and follows the redirect to the listener the Windows build opened
/// on 127.0.0.1, as a browser would. Returns init's run once it has ended.
fn init_by_consent(
    wine: &Wine,
    env: &TestEnv,
    scopes: Option<&str>,
    extra: &[&str],
) -> crate::support::env::Run {
    let mut linux = match scopes {
        Some(list) => env.init_scopes(list),
        None => env.init(),
    };
    linux.arg("--no-browser").args(extra);
    let waiting = Waiting::start(wine.command(&linux), None);
    let callback = consent_redirect(&waiting.url);
    assert!(
        callback.starts_with(&format!("http://127.0.0.1:{}/callback?", env.port)),
        "{callback}"
    );
    let page = reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(&callback)
        .send()
        .expect("the Windows build's listener answers");
    assert_eq!(page.status(), 200, "the callback page");
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.starts_with("default-src 'none';"), "{csp}");
    let body = page.text().unwrap();
    assert!(
        body.contains("jira-auth received the authorization"),
        "{body}"
    );
    waiting.finish()
}

/// The stored access token as the Windows build reads it back, in a new process.
fn token(wine: &Wine, env: &TestEnv, args: &[&str]) -> String {
    let out = wine.jira(env, &[&["token"], args].concat());
    out.assert_code(0);
    env.assert_no_secret_in("stderr", &out.stderr);
    out.stdout.trim_end().to_string()
}

/// The generations of chunks among `entries`, as the chunks' targets name them:
/// `.chunk.ACCOUNT.GEN.I.jira-auth` (the account, then the service).
fn generations(entries: &[(String, usize)]) -> Vec<String> {
    let mut gens: Vec<String> = entries
        .iter()
        .filter_map(|(name, _)| {
            let rest = name.strip_prefix(".chunk.")?.strip_suffix(".jira-auth")?;
            let mut parts = rest.rsplitn(3, '.');
            let (_index, generation) = (parts.next()?, parts.next()?);
            Some(generation.to_string())
        })
        .collect();
    gens.dedup();
    gens
}

#[test]
#[ignore = "needs the Windows build under Wine: run scripts/test-windows.sh"]
fn the_offline_quick_start_runs_on_windows() {
    let wine = Wine::get();
    let env = TestEnv::new();
    let port = free_port().to_string();
    let init = wine.jira(
        &env,
        &[
            "init",
            "--sandbox",
            "--no-browser",
            "--no-input",
            "--port",
            &port,
        ],
    );
    init.assert_code(0)
        .assert_says("the sandbox approves the consent by itself")
        .assert_says("Authorized as Ada Lovelace <ada@example.com> on sandbox.")
        .assert_says(&format!("Saved profile '{}' (keychain).", env.profile));
    let stored = wine.credentials_of(&env.profile);
    assert_eq!(stored.len(), 1, "one Credential Manager entry: {stored:?}");
    assert!(stored[0].0.ends_with(".jira-auth"), "{stored:?}");

    let status = wine.jira(&env, &["status", "--json"]);
    status.assert_code(0);
    let p = &status.json()["profiles"][0];
    assert_eq!(p["name"], env.profile.as_str());
    assert_eq!(p["sandbox"], true);
    assert_eq!(p["store"], "keychain");
    wine.jira(&env, &["status"])
        .assert_code(0)
        .assert_says(&format!("{} (default) (sandbox)", env.profile));

    let access = token(&wine, &env, &[]);
    assert!(!access.is_empty());
    let header = wine.jira(&env, &["header"]);
    header.assert_code(0);
    assert_eq!(header.stdout, format!("Bearer {access}\n"));
    let doctor = wine.jira(&env, &["doctor"]);
    doctor.assert_code(0);
    for line in [
        "✓ store     Windows Credential Manager reachable (write, read back, delete)",
        "- files     owners and permissions are not checked on Windows",
        "✓ token     access token valid until",
    ] {
        assert!(
            doctor.stdout.contains(line),
            "{line:?} not in:\n{}",
            doctor.stdout
        );
    }

    wine.jira(&env, &["logout"]).assert_code(0);
    assert_eq!(
        wine.credentials_of(&env.profile),
        [],
        "logout removed the entry"
    );
    wine.jira(&env, &["token"]).assert_code(3);
}

#[test]
#[ignore = "needs the Windows build under Wine: run scripts/test-windows.sh"]
fn a_profile_larger_than_an_entry_is_split_read_renewed_and_removed_whole() {
    let wine = Wine::get();
    // Every granular Jira scope of the catalog: a document of several entries.
    let catalog = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/scopes/catalog.txt"),
    )
    .unwrap();
    let granular: Vec<&str> = catalog
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            (cols.len() > 3 && cols[1] == "jira" && cols[2] == "granular").then_some(cols[0])
        })
        .take(70)
        .collect();
    assert_eq!(granular.len(), 70);
    let env = TestEnv::builder().also_ticked(&granular).build();
    let scopes = [TICKED, &granular, &["offline_access"]].concat().join(" ");
    init_by_consent(&wine, &env, Some(&scopes), &[]).assert_code(0);

    let first = wine.credentials_of(&env.profile);
    let (chunks, head): (Vec<_>, Vec<_>) = first
        .iter()
        .cloned()
        .partition(|(name, _)| name.starts_with(".chunk."));
    assert_eq!(head.len(), 1, "one head entry: {first:?}");
    assert!(
        chunks.len() >= 2,
        "the document took several chunks: {first:?}"
    );
    for (name, size) in &first {
        assert!(
            *size <= WINDOWS_ENTRY_LIMIT,
            "{name} holds {size} bytes, over Windows' {WINDOWS_ENTRY_LIMIT}"
        );
    }
    let total: usize = chunks.iter().map(|(_, size)| size).sum();
    assert!(total > WINDOWS_ENTRY_LIMIT, "{total} bytes in all");
    assert_eq!(generations(&first).len(), 1, "{first:?}");

    // A new process reads it back whole: the token the emulator issued, and every scope.
    let access = token(&wine, &env, &[]);
    assert!(env.emu.issued_secrets().contains(&access), "{access:?}");
    let status = wine.jira(&env, &["status", "--json"]);
    status.assert_code(0);
    let requested = status.json()["profiles"][0]["scopes_requested"].clone();
    assert_eq!(
        requested.as_array().unwrap().len(),
        scopes.split(' ').count()
    );

    // Renewed: a new generation of chunks, the old one gone, still within the limit.
    let renewed = token(&wine, &env, &["--min-ttl", "7200"]);
    assert_ne!(renewed, access);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init's exchange and one refresh"
    );
    let second = wine.credentials_of(&env.profile);
    assert_eq!(second.len(), first.len(), "{second:?}");
    assert!(
        second.iter().all(|(_, size)| *size <= WINDOWS_ENTRY_LIMIT),
        "{second:?}"
    );
    let (old, new) = (generations(&first), generations(&second));
    assert_eq!(new.len(), 1, "{second:?}");
    assert_ne!(
        old, new,
        "the renewed document was written as a new generation"
    );
    assert_eq!(
        token(&wine, &env, &[]),
        renewed,
        "a new process reads the renewal"
    );

    wine.jira(&env, &["logout"]).assert_code(0);
    assert_eq!(
        wine.credentials_of(&env.profile),
        [],
        "logout left entries behind"
    );
}

#[test]
#[ignore = "needs the Windows build under Wine: run scripts/test-windows.sh"]
fn renewal_is_forced_by_min_ttl_and_done_once_for_concurrent_processes() {
    let wine = Wine::get();
    // Strict: a second refresh with the spent token would revoke the whole family.
    let env = TestEnv::builder().reuse_interval(0).build();
    // Init's token is due for refresh (30 s left, under the default --min-ttl of 60 s).
    env.emu.set_access_token_ttl(30);
    init_by_consent(&wine, &env, None, &[]).assert_code(0);
    env.emu.set_access_token_ttl(3600);
    let stale = token(&wine, &env, &["--min-ttl", "0"]);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1,
        "a valid token, no refresh"
    );

    // Two processes at once on the expired token; the refresh is held back so that both are
    // running while it is under way.
    env.emu.set_refresh_delay_ms(1500);
    let spawn = || {
        let mut linux = env.cmd();
        linux.arg("token");
        let mut cmd = wine.command(&linux);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd.spawn().expect("Wine starts")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(a.stdout, b.stdout, "both printed the one refreshed token");
    assert_ne!(String::from_utf8_lossy(&a.stdout).trim_end(), stale);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init's exchange and one refresh"
    );
    env.emu.set_refresh_delay_ms(0);

    // --min-ttl longer than the token lives: renewed although it is valid.
    let fresh = String::from_utf8(a.stdout).unwrap();
    let forced = token(&wine, &env, &["--min-ttl", "7200"]);
    assert_ne!(forced, fresh.trim_end());
    assert_eq!(env.emu.hits(Endpoint::Token), 3, "the forced refresh");
    assert_eq!(token(&wine, &env, &[]), forced, "and stored");
    wine.jira(&env, &["logout"]).assert_code(0);
}

/// What the file store does on Windows: jira-auth has no Windows ACL code (store::trust
/// checks owners and modes on Unix only), so the file's protection is the ACL it inherits
/// from %APPDATA% (the user's alone on Windows). Wine maps every Windows user to the one
/// Unix user and enforces no ACL, so that cannot be shown here (CONTRIBUTING.md). What runs:
/// the file written atomically (a temporary file renamed over the old one, which on Windows
/// is MoveFileEx with replace), read back, rewritten by a renewal, and removed by logout.
#[test]
#[ignore = "needs the Windows build under Wine: run scripts/test-windows.sh"]
fn the_file_store_writes_reads_renews_and_removes_a_profile() {
    let wine = Wine::get();
    let env = TestEnv::new();
    init_by_consent(&wine, &env, None, &["--store", "file"]).assert_code(0);
    assert_eq!(
        wine.credentials_of(&env.profile),
        [],
        "nothing in Credential Manager"
    );
    let stored = env.stored();
    assert_eq!(stored["site"]["cloud_id"], SITE_ID, "{stored}");

    let access = token(&wine, &env, &[]);
    assert_eq!(stored["credential"]["access_token"], access.as_str());
    let renewed = token(&wine, &env, &["--min-ttl", "7200"]);
    assert_ne!(renewed, access);
    assert_eq!(env.stored()["credential"]["access_token"], renewed.as_str());
    let credentials = env.config_dir().join("credentials");
    let names: Vec<String> = std::fs::read_dir(&credentials)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [format!("{}.json", env.profile)],
        "no temporary file left"
    );

    wine.jira(&env, &["logout"]).assert_code(0);
    assert!(!env.credentials_path().exists());
}

#[test]
#[ignore = "needs the Windows build under Wine: run scripts/test-windows.sh"]
fn exec_runs_a_child_with_the_token_and_passes_its_exit_code_on() {
    let wine = Wine::get();
    let env = TestEnv::new();
    init_by_consent(&wine, &env, None, &["--store", "file"]).assert_code(0);
    let access = token(&wine, &env, &[]);

    // cmd.exe's `set PREFIX` prints the variables whose names start with it.
    let out = wine.jira(&env, &["exec", "--", "cmd.exe", "/c", "set", "JIRA_"]);
    out.assert_code(0);
    let vars: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .collect();
    let api = format!("{}/ex/jira/{SITE_ID}", env.emu.api_url());
    for expected in [
        format!("JIRA_ACCESS_TOKEN={access}"),
        format!("JIRA_AUTH_HEADER=Bearer {access}"),
        format!("JIRA_CLOUD_ID={SITE_ID}"),
        format!("JIRA_API_BASE_URL={api}"),
        "JIRA_SITE_URL=https://acme.atlassian.net".to_string(),
    ] {
        assert!(
            vars.contains(&expected.as_str()),
            "{expected} not in {vars:?}"
        );
    }

    wine.jira(&env, &["exec", "--", "cmd.exe", "/c", "exit", "42"])
        .assert_code(42);
    let missing = wine.jira(&env, &["exec", "--", "jira-auth-no-such-command-xyz"]);
    missing.assert_code(127);
    assert!(
        missing.stderr.contains("command not found"),
        "{}",
        missing.stderr
    );
}

/// The listener bound on Windows sockets refuses what is not the callback (a wrong Host, a
/// wrong state) and keeps waiting; the scripted browser's real callback then completes init.
#[test]
#[ignore = "needs the Windows build under Wine: run scripts/test-windows.sh"]
fn the_listener_on_windows_sockets_refuses_strangers_and_takes_the_callback() {
    let wine = Wine::get();
    let env = TestEnv::new();
    let mut linux = env.init();
    linux.args(["--no-browser", "--store", "file"]);
    let waiting = Waiting::start(wine.command(&linux), None);
    let addr = ([127, 0, 0, 1], env.port).into();
    let host = format!("127.0.0.1:{}", env.port);
    let callback = url::Url::parse(&consent_redirect(&waiting.url)).unwrap();
    let real = format!("{}?{}", callback.path(), callback.query().unwrap());

    assert_page(
        &exchange(addr, &get(&real, Some("evil.example"))),
        400,
        "a wrong Host",
    );
    let (path, code_only) = without_state(&real);
    let wrong_state = format!("{path}?{code_only}&state=wrong");
    assert_page(
        &exchange(addr, &get(&wrong_state, Some(&host))),
        400,
        "a wrong state",
    );
    assert_eq!(env.emu.hits(Endpoint::Token), 0, "nothing exchanged yet");

    assert_page(
        &exchange(addr, &get(&real, Some(&host))),
        200,
        "the callback",
    );
    let init = waiting.finish();
    init.assert_code(0);
    env.assert_no_leaks(&init);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    assert!(env.credentials_path().exists());
}
