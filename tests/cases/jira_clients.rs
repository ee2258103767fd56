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

/// Runs tests/python/mcp_tools.py: mcp-atlassian over stdio, with `JIRA_URL` and the
/// credential in its environment. The tool list, then one `{call, isError, result}` per call.
fn mcp_round(dir: &Path, url: &str, credential: &[(&str, &str)]) -> (Vec<String>, Vec<Value>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/mcp_tools.py");
    let mut cmd = Command::new(dir.join("bin/python"));
    cmd.arg(&script)
        .env("JIRA_URL", url)
        .env("NO_PROXY", "*")
        .env_remove("JIRA_PERSONAL_TOKEN")
        .env_remove("JIRA_USERNAME")
        .env_remove("JIRA_API_TOKEN");
    for (name, value) in credential {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "mcp-atlassian against {url}: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut lines = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap());
    let tools = lines.next().unwrap()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect();
    (tools, lines.collect())
}

/// The paths a client called, without their queries.
fn paths(requests: Vec<String>) -> Vec<String> {
    requests
        .into_iter()
        .map(|r| r.split('?').next().unwrap().to_string())
        .collect()
}

#[test]
fn mcp_atlassians_tools_work_data_center_with_a_pat() {
    let Some(dir) = python::env("mcp") else {
        return;
    };
    let dc = DataCenter::start("/jira");
    let pat = random_hex(22);
    dc.add_pat(&pat);
    let (tools, calls) = mcp_round(&dir, &dc.base_url(), &[("JIRA_PERSONAL_TOKEN", &pat)]);
    for tool in [
        "jira_get_issue",
        "jira_search",
        "jira_create_issue",
        "jira_add_comment",
    ] {
        assert!(tools.iter().any(|t| t == tool), "{tool} in {tools:?}");
    }
    let failed: Vec<&Value> = calls.iter().filter(|c| c["isError"] != false).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let result = |i: usize| &calls[i]["result"];
    assert_eq!(result(0)["key"], "DEMO-2");
    assert_eq!(result(0)["assignee"]["name"], "ada");
    let keys: Vec<&Value> = result(1)["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["key"])
        .collect();
    assert_eq!(keys, ["DEMO-1", "DEMO-2", "DEMO-3"]);
    assert_eq!(result(1)["total"], 4);
    assert_eq!(result(2)["issue"]["key"], "OPS-3");
    assert_eq!(result(3)["body"], "A comment from mcp-atlassian");
    assert_eq!(result(4)["issue"]["summary"], "Edited by mcp-atlassian");
    assert_eq!(
        result(5),
        // atlassian-python-api's reading of them: ids as numbers, no target status.
        &json!([{"id": 21, "name": "In Progress"}, {"id": 31, "name": "Done"}])
    );
    assert_eq!(
        result(6)["issue"]["status"]["name"],
        "Done",
        "{}",
        result(6)
    );
    let boards = result(7).to_string();
    assert!(
        boards.contains("OPS board") && !boards.contains("DEMO board"),
        "{boards}"
    );
    // What its get-issue and search tools call (issue, comments, fields; DC's search).
    let called = paths(dc.jira_requests());
    for path in [
        "GET /jira/rest/api/2/issue/DEMO-2",
        "GET /jira/rest/api/2/issue/DEMO-2/comment",
        "GET /jira/rest/api/2/field",
        "GET /jira/rest/api/2/search",
        "POST /jira/rest/api/2/issue",
        "POST /jira/rest/api/2/issue/OPS-1/comment",
        "PUT /jira/rest/api/2/issue/OPS-1",
        "GET /jira/rest/api/2/issue/DEMO-3/transitions",
        "POST /jira/rest/api/2/issue/DEMO-3/transitions",
        "GET /jira/rest/agile/1.0/board",
    ] {
        assert!(called.iter().any(|c| c == path), "{path} in {called:#?}");
    }
}

/// mcp-atlassian takes a loopback `JIRA_URL` for Server/Data Center whatever is behind it, so
/// on a Cloud site (as behind a local proxy) it speaks v2 and searches with Data Center's
/// `/rest/api/2/search`, which Cloud removed: its search tool gets Cloud's 410, while reading,
/// creating, commenting and editing work.
#[test]
fn mcp_atlassian_on_a_cloud_site_by_a_loopback_url_reads_and_writes_but_its_search_meets_clouds_410()
 {
    let Some(dir) = python::env("mcp") else {
        return;
    };
    let emu = Emulator::start();
    let token = ApiToken {
        email: USER_EMAIL.into(),
        token: format!("ATATT{}", random_hex(16)),
        kind: TokenKind::Classic,
    };
    emu.register_api_token(token.clone());
    let (_, calls) = mcp_round(
        &dir,
        &emu.site_url(CLOUD_ID),
        &[
            ("JIRA_USERNAME", &token.email),
            ("JIRA_API_TOKEN", &token.token),
        ],
    );
    let by_name = |name: &str| calls.iter().find(|c| c["call"] == name).unwrap();
    let search = by_name("jira_search");
    assert_eq!(search["isError"], true);
    assert!(
        search["result"]
            .as_str()
            .unwrap()
            .contains("Please migrate to the /rest/api/3/search/jql API"),
        "{search}"
    );
    for name in [
        "jira_get_issue",
        "jira_create_issue",
        "jira_add_comment",
        "jira_update_issue",
    ] {
        assert_eq!(by_name(name)["isError"], false, "{:#}", by_name(name));
    }
    let called = paths(emu.jira_requests());
    assert!(
        called.iter().any(|c| c == "GET /rest/api/2/search"),
        "{called:#?}"
    );
    assert!(
        !called.iter().any(|c| c.contains("search/jql")),
        "{called:#?}"
    );
}
