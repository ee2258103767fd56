//! The emulators' rehearsal Jira as clients no one here wrote meet it: pycontribs `jira` and
//! `atlassian-python-api` (the `libraries` environment of .ci/python) run
//! tests/python/jira_clients.py — server info, myself, a search, an issue, a new issue, a
//! comment, an edit — straight against the emulator: Cloud through the gateway (an OAuth
//! token, a scoped API token) and on the site's own host (a classic API token), and Data
//! Center under its context path (a PAT). The credential goes to the script in its
//! environment, as the emulator issued it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::emulator::{ApiToken, Emulator, Endpoint, TokenKind, USER_EMAIL};
use crate::support::env::random_hex;
use crate::support::python;
use jira_auth_emulator::datacenter::{DataCenter, DcEndpoint};

/// The default site of a fresh emulator.
const CLOUD_ID: &str = "0f3c9a4e-7d1b-4c2a-9e58-ac3e00000001";

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Client {
    Pycontribs,
    Atlassian,
}

impl Client {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Client::Pycontribs => "pycontribs",
            Client::Atlassian => "atlassian",
        }
    }

    /// What the client's round printed about the issue it made, edited and commented.
    fn maker(self) -> &'static str {
        match self {
            Client::Pycontribs => "pycontribs",
            Client::Atlassian => "atlassian-python-api",
        }
    }
}

/// Where the script goes and with what: the REST root and the credential.
pub(crate) struct Target {
    pub(crate) cloud: bool,
    pub(crate) url: String,
    pub(crate) token: String,
    pub(crate) email: Option<String>,
}

/// Runs the script's round with `client` against `target`: one JSON object per step.
pub(crate) fn round(dir: &Path, client: Client, target: &Target) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/jira_clients.py");
    let mut cmd = Command::new(dir.join("bin/python"));
    cmd.arg(&script)
        .env("JIRA_TEST_CLIENT", client.name())
        .env(
            "JIRA_TEST_DEPLOYMENT",
            if target.cloud { "cloud" } else { "dc" },
        )
        .env("JIRA_TEST_URL", &target.url)
        .env("JIRA_TEST_TOKEN", &target.token)
        .env_remove("JIRA_TEST_EMAIL")
        // requests must not go through a proxy of the machine's, nor read ~/.netrc.
        .env("NO_PROXY", "*")
        .env("NETRC", "/dev/null");
    if let Some(email) = &target.email {
        cmd.env("JIRA_TEST_EMAIL", email);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} against {}: {}\n{stdout}\n{}",
        client.name(),
        target.url,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// What every round prints, on Cloud or Data Center: the seeded issues, then `OPS-3` made,
/// commented and edited by the client.
pub(crate) fn expected(client: Client, cloud: bool) -> Vec<Value> {
    let maker = client.maker();
    let deployment = if cloud { "Cloud" } else { "DataCenter" };
    let mut server_info = json!({"step": "server_info", "deploymentType": deployment});
    if client == Client::Pycontribs {
        server_info["is_cloud"] = json!(cloud);
    }
    let mut search = json!({"step": "search", "keys": ["DEMO-1", "DEMO-2", "DEMO-3"]});
    if client == Client::Atlassian && !cloud {
        search["total"] = json!(4);
    }
    let description = match client {
        Client::Pycontribs => "Line one\nLine two",
        Client::Atlassian => "Line one",
    };
    let comment = format!("A comment from {maker}");
    vec![
        server_info,
        json!({"step": "myself", "displayName": "Ada Lovelace"}),
        search,
        json!({"step": "issue", "key": "DEMO-2", "summary": "Login fails when the access token has expired",
               "status": "In Progress", "assignee": "Ada Lovelace"}),
        json!({"step": "create", "key": "OPS-3", "description": description}),
        json!({"step": "comment", "body": comment, "author": "Ada Lovelace"}),
        json!({"step": "edit", "summary": format!("Edited by {maker}"), "comments": [comment]}),
        json!({"step": "search_new", "keys": ["OPS-3"]}),
    ]
}

pub(crate) const CLIENTS: [Client; 2] = [Client::Pycontribs, Client::Atlassian];

#[test]
fn python_clients_work_the_cloud_gateway_with_an_oauth_token() {
    let Some(dir) = python::env("libraries") else {
        return;
    };
    for client in CLIENTS {
        let emu = Emulator::start();
        let token = format!("at-{}", random_hex(16));
        let scopes = ["read:jira-work", "write:jira-work", "read:jira-user"].map(String::from);
        emu.adopt_grant(
            "client",
            &scopes,
            None,
            Some((&token, Duration::from_secs(600))),
        );
        let target = Target {
            cloud: true,
            url: format!("{}/ex/jira/{CLOUD_ID}", emu.api_url()),
            token,
            email: None,
        };
        assert_eq!(round(&dir, client, &target), expected(client, true));
        assert!(emu.hits(Endpoint::Jira) >= 8, "{}", client.name());
        assert_eq!(emu.hits(Endpoint::SiteJira), 0);
    }
}

#[test]
fn python_clients_work_a_cloud_site_with_a_classic_api_token_and_the_gateway_with_a_scoped_one() {
    let Some(dir) = python::env("libraries") else {
        return;
    };
    for client in CLIENTS {
        for classic in [true, false] {
            let emu = Emulator::start();
            let token = ApiToken {
                email: USER_EMAIL.into(),
                token: format!("ATATT{}", random_hex(16)),
                kind: if classic {
                    TokenKind::Classic
                } else {
                    TokenKind::Scoped(vec!["read:jira-work".into(), "write:jira-work".into()])
                },
            };
            emu.register_api_token(token.clone());
            let url = if classic {
                emu.site_url(CLOUD_ID)
            } else {
                format!("{}/ex/jira/{CLOUD_ID}", emu.api_url())
            };
            let target = Target {
                cloud: true,
                url,
                token: token.token,
                email: Some(token.email),
            };
            assert_eq!(round(&dir, client, &target), expected(client, true));
            let (site, gateway) = (emu.hits(Endpoint::SiteJira), emu.hits(Endpoint::Jira));
            assert!(
                if classic {
                    site >= 8 && gateway == 0
                } else {
                    gateway >= 8 && site == 0
                },
                "{}: site {site}, gateway {gateway}",
                client.name()
            );
        }
    }
}

#[test]
fn python_clients_work_data_center_under_its_context_path_with_a_pat() {
    let Some(dir) = python::env("libraries") else {
        return;
    };
    for client in CLIENTS {
        let dc = DataCenter::start("/jira");
        let pat = random_hex(22);
        dc.add_pat(&pat);
        let target = Target {
            cloud: false,
            url: dc.base_url(),
            token: pat,
            email: None,
        };
        assert_eq!(round(&dir, client, &target), expected(client, false));
        assert!(dc.hits(DcEndpoint::Jira) >= 8, "{}", client.name());
    }
}
