//! The exit-code table (`Exit::TABLE`, in docs/reference.md) holds for every command and every
//! method: one test per exit code (0, 1, 2, 3, 4, 5, 6, 7, 126, 127, 130), each across the
//! commands and the methods it concerns, and in JSON mode each failure's document names its
//! error code. The last test checks that every error code (`Code::ALL`) is produced by some
//! test.

use std::path::PathBuf;
use std::process::Command;

use jira_auth::error::Code;
use serde_json::Value;

use crate::support::emulator::{Consent, Endpoint};
use crate::support::env::{Run, SITE_ID, TestEnv, assert_error_document, free_port, run, site};
use crate::support::waiting::Waiting;

/// Every command, as (its words, what follows its options): enough to reach its own work.
const COMMANDS: &[(&[&str], &[&str])] = &[
    (&["init"], &[]),
    (&["login"], &[]),
    (&["status"], &[]),
    (&["switch"], &["x"]),
    (&["logout"], &[]),
    (&["token"], &[]),
    (&["header"], &[]),
    (&["exec"], &["--", "true"]),
    (&["scopes", "list"], &[]),
    (&["scopes", "check"], &[]),
    (&["doctor"], &[]),
    (&["sites"], &[]),
    (&["sites", "use"], &["acme"]),
    (&["completions"], &["bash"]),
    (&["man"], &[]),
];

/// The commands with `--json` (the others refuse it).
fn has_json(words: &[&str]) -> bool {
    !matches!(words[0], "header" | "exec" | "completions" | "man")
}

fn line<'a>(words: &[&'a str], options: &[&'a str], rest: &[&'a str]) -> Vec<&'a str> {
    [words, options, rest].concat()
}

/// A world with a profile of each method in the file store: OAuth (the world's own), a
/// service account and a classic API token, as (method, profile name).
fn every_method() -> (TestEnv, Vec<(&'static str, String)>) {
    let env = TestEnv::builder().profile_in_file_store().build();
    let sa = format!("sa-{}", env.profile);
    let mut init = env.init_service_account();
    init.args(["--store", "file", "--profile", &sa]);
    run(init).assert_code(0);
    let api = format!("api-{}", env.profile);
    let mut init = env.init_api_token(&env.classic_token);
    init.args(["--store", "file", "--profile", &api]);
    run(init).assert_code(0);
    let profiles = vec![
        ("oauth", env.profile.clone()),
        ("service-account", sa),
        ("api-token", api),
    ];
    (env, profiles)
}

/// `jira-auth ARGS…` for profile `name`.
fn as_profile(env: &TestEnv, name: &str, args: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.args(args).args(["--profile", name]);
    cmd
}

fn credentials(env: &TestEnv, name: &str) -> PathBuf {
    env.config_dir()
        .join("credentials")
        .join(format!("{name}.json"))
}

/// A success's document: version 1 first, no error.
#[track_caller]
fn assert_document(out: &Run) -> Value {
    out.assert_code(0);
    assert!(
        out.stdout.starts_with("{\n  \"schema_version\": 1,\n"),
        "{}",
        out.stdout
    );
    let doc = out.json();
    assert!(doc.get("error").is_none(), "{doc}");
    doc
}

/// A failure's document with a report: version 1, and `error` of `code`.
#[track_caller]
fn assert_report_error(out: &Run, exit: i32, code: &str) -> Value {
    out.assert_code(exit);
    let doc = out.json();
    assert_error_document(&doc, code);
    assert!(doc.as_object().unwrap().len() > 2, "a report too: {doc}");
    doc
}

#[test]
fn exit_0_every_command_of_every_method() {
    let (env, profiles) = every_method();
    for (method, name) in &profiles {
        for args in [
            &["token"][..],
            &["token", "--json"],
            &["header"],
            &["exec", "--", "true"],
            &["status"],
            &["status", "--json"],
            &["doctor", "--json"],
        ] {
            let out = run(as_profile(&env, name, args));
            if args.contains(&"--json") {
                let doc = assert_document(&out);
                if args[0] == "status" {
                    assert_eq!(doc["profiles"][0]["method"], *method);
                }
            } else {
                out.assert_code(0);
            }
            // What token, header and exec are for is a secret on stdout; nothing else is.
            if !["token", "header"].contains(&args[0]) {
                env.assert_no_leaks(&out);
            }
        }
    }
    // What OAuth alone has: sites, scopes, consent again.
    for args in [
        &["sites", "--json"][..],
        &["sites", "use", "acme", "--json"],
        &["scopes", "check", "--json"],
        &["login", "--no-input", "--json"],
        &["scopes", "list", "--json", "--search", "read:me"],
    ] {
        let out = env.jira(args);
        assert_document(&out);
    }
    for args in [
        &["completions", "bash"][..],
        &["man"],
        &["--help"],
        &["--version"],
    ] {
        env.jira(args).assert_code(0);
    }
    let (_, sa) = &profiles[1];
    assert_document(&env.jira(&["switch", sa, "--json"]));
    for (_, name) in &profiles {
        assert_document(&run(as_profile(&env, name, &["logout", "--json"])));
    }
}

#[test]
fn exit_1_a_bug_in_every_method_and_a_clock_far_off() {
    let (env, profiles) = every_method();
    for (_, name) in &profiles {
        for args in [&["token", "--json"][..], &["header"]] {
            let mut cmd = as_profile(&env, name, args);
            cmd.env("JIRA_AUTH_TEST_PANIC_AT", "before-print");
            let out = run(cmd);
            if args.contains(&"--json") {
                out.assert_error(1, "internal");
            } else {
                out.assert_code(1);
            }
            out.assert_says("error: internal error");
            env.assert_no_leaks(&out);
        }
    }
    env.emu.set_api_clock_skew(-600);
    let out = env.jira(&["doctor", "--json"]);
    let doc = assert_report_error(&out, 1, "clock_skew");
    let clock = doc["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "clock")
        .unwrap();
    assert_eq!(clock["code"], "clock_skew");
}

#[test]
fn exit_2_an_unknown_option_or_a_bad_setting_for_every_command() {
    let env = TestEnv::new();
    for (words, rest) in COMMANDS {
        let out = env.jira(&line(words, &["--bogus"], rest));
        out.assert_code(2).assert_says("--bogus");
        if has_json(words) {
            let out = env.jira(&line(words, &["--bogus", "--json"], rest));
            out.assert_error(2, "usage");
        } else {
            // Their --json is refused the same way, said why.
            let out = env.jira(&line(words, &["--json"], rest));
            out.assert_error(2, "usage").assert_says("has no --json");
        }
        // A setting that makes no sense, for every command that reads the settings.
        if matches!(words[0], "completions" | "man") {
            continue;
        }
        let options: &[&str] = if has_json(words) { &["--json"] } else { &[] };
        let mut cmd = env.cmd();
        cmd.args(line(words, options, rest))
            .env("JIRA_AUTH_HTTP_TIMEOUT", "soon");
        let out = run(cmd);
        out.assert_says("JIRA_AUTH_HTTP_TIMEOUT=soon is not a positive number of seconds");
        if has_json(words) {
            out.assert_error(2, "usage");
        } else {
            out.assert_code(2);
        }
    }
    // --json before the command belongs to none, and says where it goes.
    env.jira(&["--json", "status"])
        .assert_error(2, "usage")
        .assert_says("put it after the command's name, as in `jira-auth status --json`");
}

#[test]
fn exit_2_inputs_that_are_missing_or_make_no_sense() {
    let env = TestEnv::builder()
        .sites([
            site("acme", SITE_ID),
            site("beta", "bbbbbbbb-0000-4000-8000-000000000002"),
        ])
        .build();
    let init = |extra: &[&str]| {
        let mut cmd = env.init();
        cmd.args(["--store", "file", "--json"]).args(extra);
        run(cmd)
    };
    let mut cmd = env.init();
    cmd.env_remove("JIRA_AUTH_CLIENT_SECRET").args(["--json"]);
    run(cmd)
        .assert_error(2, "missing_input")
        .assert_says("JIRA_AUTH_CLIENT_SECRET");
    let mut cmd = env.init_scopes("read:jira-wrok");
    cmd.args(["--json"]);
    run(cmd)
        .assert_error(2, "scope_unknown")
        .assert_says("did you mean read:jira-work?");
    init(&["--site", "acme corp"]).assert_error(2, "site_invalid");
    init(&["--method", "service-account"]).assert_error(2, "usage");
    // A PAT's instance is a Data Center base URL, which must be given.
    env.jira(&["init", "--no-input", "--method", "pat", "--json"])
        .assert_error(2, "missing_input")
        .assert_says("JIRA_AUTH_SITE");
    // Two sites covered and none named: after the consent, nothing is stored.
    init(&[]).assert_error(2, "site_ambiguous");
    let taken = std::net::TcpListener::bind(("127.0.0.1", env.port)).unwrap();
    init(&["--site", "acme"]).assert_error(2, "port_unavailable");
    drop(taken);
    init(&["--site", "acme"]);
    init(&["--site", "acme"]).assert_error(2, "profile_exists");
    env.jira(&["sites", "use", "gamma", "--json"])
        .assert_error(2, "site_not_found");
    let mut sa = env.init_service_account();
    sa.args(["--store", "file", "--profile", "sa", "--json"])
        .env("JIRA_AUTH_SITE", env.emu.site_url("not-a-site"));
    run(sa).assert_error(2, "site_unknown");

    // What a profile's method does not have.
    let mut api = env.init_api_token(&env.classic_token);
    api.args(["--store", "file", "--profile", "api"]);
    run(api).assert_code(0);
    for args in [&["login", "--json"][..], &["sites", "--json"]] {
        run(as_profile(&env, "api", args)).assert_error(2, "method_mismatch");
    }
    // A profile index that is no index.
    std::fs::write(env.config_dir().join("profiles.json"), "[]").unwrap();
    env.jira(&["status", "--json"])
        .assert_error(2, "index_invalid");
}

#[test]
fn exit_3_no_profile_for_every_command_that_needs_one() {
    let env = TestEnv::new();
    for args in [
        &["token", "--json"][..],
        &["header"],
        &["exec", "--", "true"],
        &["login", "--json"],
        &["sites", "--json"],
        &["sites", "use", "acme", "--json"],
        &["scopes", "check", "--json"],
        &["switch", "nobody", "--json"],
    ] {
        let out = env.jira(args);
        if args.contains(&"--json") {
            out.assert_error(3, "profile_not_found");
        } else {
            out.assert_code(3);
        }
    }
    env.jira(&["status", "--json"])
        .assert_error(3, "profile_not_found");
    // Those with a report say it in their report too, when no profile is named.
    let unnamed = |args: &[&str]| {
        let mut cmd = env.cmd();
        cmd.env_remove("JIRA_AUTH_PROFILE").args(args);
        run(cmd)
    };
    let doc = assert_report_error(&unnamed(&["status", "--json"]), 3, "profile_not_found");
    assert_eq!(doc["profiles"], serde_json::json!([]));
    let doctor = unnamed(&["doctor", "--store", "file", "--json"]);
    let doc = assert_report_error(&doctor, 3, "profile_not_found");
    assert!(
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "profile_not_found"),
        "{doc}"
    );
}

#[test]
fn exit_3_credentials_refused_or_gone_for_every_method() {
    let (env, profiles) = every_method();
    // Each method's init with a credential Atlassian refuses.
    let mut oauth = env.init();
    oauth
        .args(["--store", "file", "--profile", "o2", "--json"])
        .env("JIRA_AUTH_CLIENT_SECRET", "ATOA-not-the-secret-of-this-app");
    run(oauth).assert_error(3, "client_secret_rejected");
    let mut sa = env.init_service_account();
    sa.args(["--store", "file", "--profile", "sa2", "--json"])
        .env("JIRA_AUTH_CLIENT_SECRET", "ATSA-not-the-secret-of-this-one");
    run(sa).assert_error(3, "service_account_rejected");
    let mut api = env.init_api_token("ATATT-a-token-nobody-issued-0123");
    api.args(["--store", "file", "--profile", "api2", "--json"]);
    run(api).assert_error(3, "api_token_rejected");

    // A profile whose stored credentials are gone, for each method.
    for (_, name) in &profiles {
        std::fs::remove_file(credentials(&env, name)).unwrap();
        every_credential_command_fails(&env, name, 3, "profile_unusable");
    }
}

#[test]
fn exit_3_what_atlassian_refuses_of_an_oauth_grant() {
    // A refresh token revoked (a password change), then none at all.
    let env = TestEnv::builder()
        .profile_in_file_store()
        .due_for_refresh()
        .build();
    env.emu.revoke_all_refresh_tokens();
    env.jira(&["token", "--json"])
        .assert_error(3, "refresh_token_rejected");
    env.edit_stored(|cfg| cfg["credential"]["refresh_token"] = Value::Null);
    env.jira(&["token", "--json"])
        .assert_error(3, "no_refresh_token");

    // A refresh token unused for longer than Atlassian keeps one: doctor says so.
    let env = TestEnv::builder().profile_in_file_store().build();
    env.edit_stored(|cfg| {
        let at = time::OffsetDateTime::now_utc() - time::Duration::days(95);
        cfg["credential"]["refresh_token_issued_at"] = at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
            .into();
    });
    assert_report_error(&env.jira(&["doctor", "--json"]), 3, "refresh_token_expired");

    // The profile's site gone from the grant, then the grant itself.
    env.emu
        .set_sites(vec![site("beta", "bbbbbbbb-0000-4000-8000-000000000002")]);
    assert_report_error(
        &env.jira(&["scopes", "check", "--json"]),
        3,
        "site_not_in_grant",
    );
    let doc = assert_report_error(
        &env.jira(&["status", "--check", "--json"]),
        3,
        "site_not_in_grant",
    );
    assert_eq!(doc["profiles"][0]["usable"]["code"], "site_not_in_grant");
    env.emu.revoke_grant();
    env.jira(&["sites", "--json"])
        .assert_error(3, "access_token_rejected");
}

#[test]
fn exit_3_a_consent_that_does_not_grant() {
    let env = TestEnv::builder().profile_in_file_store().build();
    env.emu.set_consent(Consent::Deny);
    let mut init = env.init();
    init.args(["--store", "file", "--profile", "other", "--json"]);
    run(init).assert_error(3, "consent_denied");
    env.jira(&["login", "--no-input", "--json"])
        .assert_error(3, "consent_denied");
    env.emu.set_consent(Consent::Approve);

    // Pasted back: an error Atlassian put in the callback, and a code it never issued.
    let paste = |line: &dyn Fn(&str) -> String| {
        let mut cmd = env.init();
        cmd.env_remove("BROWSER").args([
            "--paste",
            "--store",
            "file",
            "--profile",
            "pasted",
            "--json",
        ]);
        let mut waiting = Waiting::start(cmd, None);
        let state = url::Url::parse(&waiting.url)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        waiting.write(&format!("{}\n", line(&state)));
        waiting.finish()
    };
    let port = env.port;
    paste(&|state| format!("http://127.0.0.1:{port}/callback?error=server_error&state={state}"))
        .assert_error(3, "authorization_failed")
        .assert_says("Atlassian returned an error (server_error)");
    paste(&|state| format!("http://127.0.0.1:{port}/callback?code=code-forged&state={state}"))
        .assert_error(3, "code_rejected");
    assert!(!credentials(&env, "pasted").exists());
}

#[test]
fn exit_4_a_scope_that_is_not_granted() {
    let env = TestEnv::builder().profile_in_file_store().build();
    assert_report_error(
        &env.jira(&["scopes", "check", "--require", "write:jira-work", "--json"]),
        4,
        "scope_missing",
    );
    env.jira(&["scopes", "check", "--require", "write:jira-work"])
        .assert_code(4);
    env.emu.withdraw_scope("read:jira-user");
    // The scope is withdrawn for the next token: make doctor get one.
    env.edit_stored(|cfg| {
        cfg["credential"]["access_token_expires_at"] = "2000-01-01T00:00:00Z".into();
    });
    let doc = assert_report_error(&env.jira(&["doctor", "--json"]), 4, "scope_missing");
    assert!(
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["code"] == "scope_missing"),
        "{doc}"
    );
}

#[test]
fn exit_5_atlassian_out_of_reach_for_every_method() {
    let (env, profiles) = every_method();
    let dead = format!("http://127.0.0.1:{}", free_port());
    // Renewals: OAuth refreshes, a service account mints (forced with --min-ttl).
    for (_, name) in &profiles[..2] {
        env.record_servers(name, &dead, &env.emu.api_url());
        let mut cmd = as_profile(&env, name, &["token", "--min-ttl", "4000", "--json"]);
        cmd.env("JIRA_AUTH_AUTH_URL", &dead)
            .env("JIRA_AUTH_HTTP_TIMEOUT", "0.5");
        run(cmd).assert_error(5, "server_unavailable");
        env.record_servers(name, &env.emu.auth_url(), &env.emu.api_url());
    }
    // An API token is verified at its site.
    let mut cmd = env.init_api_token(&env.classic_token);
    cmd.args(["--store", "file", "--profile", "api3", "--json"])
        .env("JIRA_AUTH_SITE", &dead)
        .env("JIRA_AUTH_HTTP_TIMEOUT", "0.5");
    run(cmd).assert_error(5, "server_unavailable");
    // Atlassian's rate limit, past the retries.
    env.emu
        .fail_next(Endpoint::AccessibleResources, 429, 4, Some(0));
    env.jira(&["sites", "--json"])
        .assert_error(5, "rate_limited");
}

#[cfg(unix)]
#[test]
fn exit_6_credentials_that_cannot_be_trusted_or_read_for_every_method() {
    use std::os::unix::fs::PermissionsExt;
    let (env, profiles) = every_method();
    for (_, name) in &profiles {
        let path = credentials(&env, name);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        every_credential_command_fails(&env, name, 6, "store_untrusted");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&path, "{\"version\": ").unwrap();
        run(as_profile(&env, name, &["token", "--json"])).assert_error(6, "store_corrupt");
    }
    // No Secret Service to reach: said before any consent.
    let mut cmd = env.init();
    cmd.args(["--profile", "in-keychain", "--json"]).env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/jira-auth-test-bus",
    );
    run(cmd).assert_error(6, "store_unavailable");
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn exit_6_a_locked_keychain() {
    let env = TestEnv::with_profile();
    let out = super::cache::in_a_locked_keychain(&env, &["status", "--json"]);
    let doc = assert_report_error(&out, 6, "store_locked");
    assert_eq!(doc["profiles"][0]["usable"]["code"], "store_locked");
}

#[test]
fn exit_7_no_callback_in_time_for_init_and_login() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let mut init = env.init();
    init.args([
        "--store",
        "file",
        "--profile",
        "other",
        "--timeout",
        "1",
        "--json",
    ])
    .env(crate::support::browser::MODE_ENV, "record-only");
    run(init).assert_error(7, "callback_timeout");
    let mut login = env.cmd();
    login
        .args(["login", "--no-input", "--timeout", "1", "--json"])
        .env(crate::support::browser::MODE_ENV, "record-only");
    run(login).assert_error(7, "callback_timeout");
}

#[cfg(unix)]
#[test]
fn exit_126_and_127_a_command_exec_cannot_run_for_every_method() {
    let (env, profiles) = every_method();
    let dir = env.dir.path().to_str().unwrap().to_string();
    for (_, name) in &profiles {
        run(as_profile(
            &env,
            name,
            &["exec", "--", "jira-auth-no-such-command"],
        ))
        .assert_code(127)
        .assert_says("command not found");
        run(as_profile(&env, name, &["exec", "--", &dir]))
            .assert_code(126)
            .assert_says("it is a directory");
    }
}

#[cfg(unix)]
#[test]
fn exit_130_interrupted_while_init_and_login_wait() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let mut init = env.init();
    init.args(["--store", "file", "--profile", "other", "--json"])
        .env(crate::support::browser::MODE_ENV, "record-only");
    let mut login = env.cmd();
    login
        .args(["login", "--no-input", "--json"])
        .env(crate::support::browser::MODE_ENV, "record-only");
    for cmd in [init, login] {
        // Started and waiting: it has shown the consent URL.
        let waiting = Waiting::start(cmd, None);
        waiting.interrupt();
        waiting
            .finish()
            .assert_error(130, "interrupted")
            .assert_says("interrupted; nothing was stored");
    }
}

/// Every error code there is (`Code::ALL`, the table docs/reference.md and the man page are
/// generated from) is produced somewhere in the tests: it appears, quoted, in a test that
/// asserts it.
#[test]
fn every_error_code_is_produced_by_a_test() {
    let root = env!("CARGO_MANIFEST_DIR");
    let defined: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    assert!(defined.len() > 40, "{defined:?}");
    let mut tests = String::new();
    for dir in ["tests/cases", "src"] {
        for path in rust_files(&PathBuf::from(root).join(dir)) {
            let text = std::fs::read_to_string(&path).unwrap();
            // Only test code counts: all of tests/, and what follows #[cfg(test)] in src/.
            let test_part = match dir {
                "src" => text
                    .split("#[cfg(test)]")
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join("\n"),
                _ => text,
            };
            tests.push_str(&test_part);
        }
    }
    let unproduced: Vec<&&str> = defined
        .iter()
        .filter(|code| !tests.contains(&format!("\"{code}\"")))
        .collect();
    assert!(unproduced.is_empty(), "no test produces {unproduced:?}");
}

fn rust_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// `token --json`, `header`, `exec` and `status --json` of profile `name` all end in exit
/// code `exit`, the documents saying `code`.
fn every_credential_command_fails(env: &TestEnv, name: &str, exit: i32, code: &str) {
    for args in [
        &["token", "--json"][..],
        &["header"],
        &["exec", "--", "true"],
    ] {
        let out = run(as_profile(env, name, args));
        if args.contains(&"--json") {
            out.assert_error(exit, code);
        } else {
            out.assert_code(exit);
        }
    }
    assert_report_error(
        &run(as_profile(env, name, &["status", "--json"])),
        exit,
        code,
    );
}
