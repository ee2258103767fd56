//! The hand-off to Composio: the emulated Composio checked against Composio's own Python SDK
//! (tests/composio/sdk_check.py), and `jira-auth composio …` against the same emulator.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::support::emulator::{Client, Composio, Emulator};
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
