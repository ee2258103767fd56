//! The hand-off to Composio: the emulated Composio checked against Composio's own Python SDK
//! (tests/composio/sdk_check.py), and `jira-auth composio …` against the same emulator.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::emulator::{Client, Composio, Emulator};
use crate::support::env::{Run, TICKED, TestEnv, free_port, random_hex, run};
use crate::support::python;

const API_KEY: &str = "ak_sdkcheck0123456789";

/// Composio's SDK, pointed at the emulated Composio with `COMPOSIO_BASE_URL`, creates an auth
/// config, connects an account through the emulated Atlassian's consent page, and reads its
/// status; its strict models parse every answer, and its error envelope reads the failures.
#[test]
fn composios_own_sdk_connects_through_the_emulator() {
    let Some(venv) = python::env("composio") else {
        return;
    };
    let atlassian = Emulator::start();
    let composio = Composio::start(&atlassian, API_KEY);
    atlassian.register_client(Client::new(
        "sdk-client",
        "sdk-secret-0123456789",
        &composio.callback_url(),
        &["read:jira-work"],
    ));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/composio/sdk_check.py");
    let mut child = Command::new(venv.join("bin/python"))
        .arg(&script)
        .env("COMPOSIO_BASE_URL", composio.url())
        .env("COMPOSIO_API_KEY", API_KEY)
        // The SDK's telemetry and version checks would try the internet.
        .env("COMPOSIO_DISABLE_TELEMETRY", "true")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let given = json!({"client_id": "sdk-client", "client_secret": "sdk-secret-0123456789"});
    writeln!(child.stdin.take().unwrap(), "{given}").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ac = seen["auth_config_id"].as_str().unwrap();
    assert!(ac.starts_with("ac_"), "{seen}");
    assert_eq!(seen["auth_scheme"], "OAUTH2");
    assert_eq!(seen["status"], "ENABLED");
    assert_eq!(seen["type"], "custom");
    assert_eq!(seen["update_success"], true);
    assert_eq!(seen["disabled"], "DISABLED");
    assert_eq!(
        composio.auth_config_scopes(ac),
        Some(json!(["read:jira-work", "offline_access"]))
    );
    let ca = seen["connected_account_id"].as_str().unwrap();
    assert!(ca.starts_with("ca_"), "{seen}");
    assert_eq!(seen["initiated_status"], "INITIATED");
    assert_eq!(seen["redirect_url_is_link"], true);
    assert_eq!(seen["before_consent"], "INITIATED");
    assert_eq!(seen["callback_page_status"], 200);
    assert_eq!(seen["after_consent"], "ACTIVE");
    assert_eq!(seen["strict_status"], "ACTIVE");
    assert_eq!(seen["user_id"], "ada");
    assert_eq!(seen["listed"], json!([ca]));
    assert_eq!(seen["sdk_listed"], json!([ca]));
    assert_eq!(
        seen["second_initiate"],
        "ComposioMultipleConnectedAccountsError"
    );
    assert_eq!(seen["bad_key"]["status"], 401, "{seen}");
    assert_eq!(seen["bad_key"]["type"], "AuthenticationError");
    assert_eq!(seen["bad_key"]["details"]["slug"], "Auth_InvalidApiKey");
    assert_eq!(seen["no_subdomain"]["status"], 400);
    assert!(
        seen["no_subdomain"]["details"]["message"]
            .as_str()
            .unwrap()
            .contains("subdomain"),
        "{seen}"
    );
    assert_eq!(composio.issued_secrets().len(), 1);
}

/// The client id of the app handed to Composio: a second app, registered for Composio's
/// callback (one callback URL per app).
pub(crate) const COMPOSIO_CLIENT: &str = "ComposioHandOffClient0123456789a";

/// A test world with Composio beside its Atlassian: the app to hand over (ticked with
/// `ticked`), Composio's project API key and the app's secret, made up per test.
pub(crate) struct World {
    pub(crate) env: TestEnv,
    pub(crate) composio: Composio,
    pub(crate) key: String,
    pub(crate) secret: String,
}

impl World {
    pub(crate) fn new(ticked: &[&str]) -> World {
        let env = TestEnv::new();
        let key = format!("ak_{}", random_hex(12));
        let composio = Composio::start(&env.emu, &key);
        let secret = format!("ATOA{}", random_hex(24));
        env.emu.register_client(Client::new(
            COMPOSIO_CLIENT,
            &secret,
            &composio.callback_url(),
            ticked,
        ));
        World {
            env,
            composio,
            key,
            secret,
        }
    }

    /// `jira-auth composio ARGS…` with Composio's variables and the app's secret in the
    /// environment, the file store, and the fake browser.
    pub(crate) fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.env.cmd();
        cmd.arg("composio")
            .args(args)
            .args(["--store", "file"])
            .env("COMPOSIO_BASE_URL", self.composio.url())
            .env("COMPOSIO_API_KEY", &self.key)
            .env("JIRA_AUTH_CLIENT_SECRET", &self.secret)
            .env("JIRA_AUTH_CLIENT_ID", COMPOSIO_CLIENT);
        cmd
    }

    /// Runs it, and checks no secret of this world is in its output or files.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let out = run(self.cmd(args));
        self.assert_no_leaks(&out);
        out
    }

    /// `composio connect` of `user` with nobody to open the link (no browser, --no-browser),
    /// waiting at most `timeout` seconds.
    pub(crate) fn unopened_connect(&self, user: &str, timeout: &str) -> Command {
        let mut cmd = self.cmd(&["connect", "--user-id", user, "--site", "acme"]);
        cmd.args(["--no-browser", "--timeout", timeout])
            .env_remove("BROWSER");
        cmd
    }

    fn init(&self, extra: &[&str]) -> Run {
        let mut args = vec!["init", "--no-input", "--preset", "read-only"];
        args.extend_from_slice(extra);
        self.run(&args)
    }

    #[track_caller]
    pub(crate) fn assert_no_leaks(&self, out: &Run) {
        self.env.assert_no_leaks(out);
        for secret in self.secrets() {
            for (what, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !text.contains(&secret),
                    "a Composio secret leaked into {what}:\n{text}"
                );
            }
        }
    }

    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut all = self.composio.issued_secrets();
        all.push(self.key.clone());
        all.push(self.secret.clone());
        all
    }

    /// The screen of `out`, this world's secrets and volatile ids replaced.
    fn screen(&self, out: &Run) -> String {
        let mut screen = self.env.screen(out);
        for (secret, label) in [
            (&self.key, "[composio-api-key]"),
            (&self.secret, "[client-secret]"),
        ] {
            screen = screen.replace(secret.as_str(), label);
        }
        screen = screen.replace(&self.composio.url(), "[composio]");
        for (prefix, label) in [
            ("ac_", "[auth-config-id]"),
            ("ca_", "[connected-account-id]"),
            ("/api/v3/s/", "/api/v3/s/[link]"),
        ] {
            screen = replace_ids(&screen, prefix, label);
        }
        for secret in self.secrets() {
            assert!(
                !screen.contains(&secret),
                "a secret in the screen:\n{screen}"
            );
        }
        screen
    }
}

/// A command that failed after its report (`status`): its exit code and error code.
#[track_caller]
fn failed(out: &Run, exit: i32, code: &str) {
    out.assert_code(exit);
    assert_eq!(out.json()["error"]["code"], code, "{}", out.stdout);
}

/// `text` with every id the emulated Composio makes (`PREFIX` and 12 lower-case letters or
/// digits) replaced by `label`.
fn replace_ids(text: &str, prefix: &str, label: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(prefix) {
        let after = &rest[at + prefix.len()..];
        let id_len = after
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            .count();
        out.push_str(&rest[..at]);
        if id_len == 12 {
            out.push_str(label);
            rest = &after[12..];
        } else {
            out.push_str(prefix);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// The whole journey through the real binary: the app handed over, the same profile again
/// (its auth config reused), an account connected through the consent page, the check that
/// it works, and its scopes narrowed from the Composio end.
#[test]
fn the_app_is_handed_over_connected_checked_and_narrowed() {
    let world = World::new(TICKED);
    let _snapshots = world.env.snapshots();
    let out = world.init(&["--json"]);
    out.assert_code(0);
    insta::assert_snapshot!("composio_init_json", world.screen(&out));
    let doc = out.json();
    let ac = doc["auth_config_id"].as_str().unwrap().to_string();
    assert!(ac.starts_with("ac_"), "{doc}");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["reused"], false);
    assert_eq!(
        doc["sdk_env"],
        json!(["COMPOSIO_API_KEY", "COMPOSIO_BASE_URL"])
    );
    assert_eq!(doc["composio_base_url"], world.composio.url());
    assert_eq!(doc["client_id"], COMPOSIO_CLIENT);
    let requested = json!([
        "read:jira-work",
        "read:jira-user",
        "read:me",
        "offline_access"
    ]);
    assert_eq!(doc["scopes"], requested);
    assert_eq!(world.composio.auth_config_scopes(&ac), Some(requested));
    // The profile keeps the app's secret in its store, never the API key.
    let stored = world.env.stored();
    assert_eq!(stored["credential"]["method"], "composio", "{stored}");
    assert_eq!(stored["credential"]["auth_config_id"], ac.as_str());
    assert!(!stored.to_string().contains(&world.key));

    let again = world.init(&["--json"]);
    again.assert_code(0);
    assert_eq!(again.json()["reused"], true);
    assert_eq!(again.json()["auth_config_id"], ac.as_str());
    assert_eq!(
        world.composio.auth_config_count(),
        1,
        "reused, not made twice"
    );

    let connected = world.run(&[
        "connect",
        "--user-id",
        "ada",
        "--site",
        "https://acme.atlassian.net/jira/your-work",
    ]);
    connected.assert_code(0);
    insta::assert_snapshot!("composio_connect", world.screen(&connected));
    let status = world.run(&["status"]);
    status.assert_code(0);
    insta::assert_snapshot!("composio_status_healthy", world.screen(&status));
    let status = world.run(&["status", "--json"]);
    insta::assert_snapshot!("composio_status_json", world.screen(&status));
    let doc = status.json();
    assert_eq!(doc["connected_accounts"][0]["status"], "ACTIVE", "{doc}");
    assert_eq!(doc["connected_accounts"][0]["user_id"], "ada");
    assert!(
        doc["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true),
        "{doc}"
    );

    let narrowed = world.run(&["scopes", "--scopes", "read:jira-work", "--json"]);
    narrowed.assert_code(0);
    assert_eq!(
        narrowed.json()["removed"],
        json!(["read:jira-user", "read:me"])
    );
    assert_eq!(
        world.composio.auth_config_scopes(&ac),
        Some(json!(["read:jira-work", "offline_access"]))
    );
    world.run(&["status"]).assert_code(0);

    let forced = world.init(&["--force", "--json"]);
    forced.assert_code(0);
    assert_ne!(forced.json()["auth_config_id"], ac.as_str());
    assert_eq!(
        world.composio.auth_config_count(),
        2,
        "--force makes a new one"
    );
    // A profile of Composio's holds no token for jira-auth to give out.
    world
        .env
        .jira(&["token", "--json"])
        .assert_error(2, "method_mismatch")
        .assert_says("Composio holds its grant");
    world
        .env
        .jira(&["doctor", "--json"])
        .assert_error(2, "method_mismatch")
        .assert_says("jira-auth composio status");
    let status = world.env.jira(&["status"]);
    status
        .assert_code(2)
        .assert_says("an app handed to Composio, which holds its grant");
    assert!(!status.stderr.contains("refresh "), "{}", status.stderr);
}

/// A scope the auth config asks for and the app has not ticked: Atlassian's bare "Something
/// went wrong", Composio's FAILED, and jira-auth's explanation with the boxes to tick.
#[test]
fn an_unticked_scope_fails_the_connection_with_the_scopes_to_tick() {
    let world = World::new(&["read:jira-work"]);
    world.init(&[]).assert_code(0);
    let _snapshots = world.env.snapshots();
    let out = world.run(&["connect", "--user-id", "ada", "--site", "acme"]);
    out.assert_code(3)
        .assert_says("read:jira-user")
        .assert_says("Something went wrong");
    insta::assert_snapshot!("composio_connect_unticked_scope", world.screen(&out));
    let status = world.run(&["status", "--json"]);
    failed(&status, 3, "composio_connection_failed");
}

#[test]
fn an_expired_link_and_a_stuck_consent_say_what_to_do() {
    let world = World::new(TICKED);
    world.init(&[]).assert_code(0);
    world.composio.set_link_ttl(Duration::ZERO);
    world
        .run(&["connect", "--user-id", "ada", "--site", "acme", "--json"])
        .assert_error(3, "composio_connection_failed")
        .assert_says("EXPIRED")
        .assert_says("open the new link soon");
    // Nobody opens the link: the wait ends at the timeout with the same explanation.
    world.composio.set_link_ttl(Duration::from_secs(600));
    let mut cmd = world.unopened_connect("bob", "2");
    cmd.arg("--json");
    let out = run(cmd);
    world.assert_no_leaks(&out);
    out.assert_error(7, "callback_timeout")
        .assert_says("still INITIATED")
        .assert_says("Something went wrong");
    failed(
        &world.run(&["status", "--user-id", "bob", "--json"]),
        3,
        "composio_not_connected",
    );
}

#[test]
fn composios_refusals_have_their_exit_codes() {
    let world = World::new(TICKED);
    // A rejected API key: 3, and nothing stored.
    let mut cmd = world.cmd(&["init", "--no-input", "--preset", "read-only", "--json"]);
    cmd.env("COMPOSIO_API_KEY", "ak_not_the_key");
    let out = run(cmd);
    world.assert_no_leaks(&out);
    out.assert_error(3, "composio_key_rejected");
    assert!(!world.env.credentials_path().exists());
    assert_eq!(world.composio.auth_config_count(), 0);
    // No key and nothing to ask it with: 2, naming the variable.
    let mut cmd = world.cmd(&["init", "--no-input", "--preset", "read-only", "--json"]);
    cmd.env_remove("COMPOSIO_API_KEY");
    run(cmd)
        .assert_error(2, "missing_input")
        .assert_says("COMPOSIO_API_KEY");
    // A validation error in Composio's words: 2.
    let ac = world.init(&["--json"]).json()["auth_config_id"]
        .as_str()
        .unwrap()
        .to_string();
    world.composio.disable(&ac);
    world
        .run(&["connect", "--user-id", "ada", "--site", "acme", "--json"])
        .assert_error(2, "composio_invalid")
        .assert_says("is disabled");
    failed(
        &world.run(&["status", "--json"]),
        3,
        "composio_auth_config_unusable",
    );
    // A site that is no Cloud site: 2, before anything is made.
    world
        .run(&[
            "connect",
            "--user-id",
            "ada",
            "--site",
            "https://jira.example.com",
            "--json",
        ])
        .assert_error(2, "site_invalid");
    // Composio down: 5 after the retries.
    let mut cmd = world.cmd(&["status", "--json"]);
    cmd.env(
        "COMPOSIO_BASE_URL",
        format!("http://127.0.0.1:{}", free_port()),
    );
    run(cmd)
        .assert_error(5, "server_unavailable")
        .assert_says("status.composio.dev");
}

/// `composio init --sandbox` with nobody at it: everything chosen, the consent approved by
/// the sandbox itself, the account ACTIVE, offline.
#[test]
fn the_sandbox_rehearses_the_whole_hand_off_with_nothing_to_type() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.args([
        "composio",
        "init",
        "--sandbox",
        "--user-id",
        "ada",
        "--site",
        "sandbox",
    ])
    .args(["--store", "file", "--json"])
    .env_remove("BROWSER");
    let out = run(cmd);
    out.assert_code(0);
    env.assert_no_leaks(&out);
    let doc = out.json();
    assert_eq!(doc["sandbox"], true, "{doc}");
    assert_eq!(doc["connected_account"]["status"], "ACTIVE");
    assert!(
        doc["connected_account_id"]
            .as_str()
            .unwrap()
            .starts_with("ca_")
    );
    assert!(
        out.stderr
            .contains("the sandbox approves the consent by itself"),
        "{}",
        out.stderr
    );
}
