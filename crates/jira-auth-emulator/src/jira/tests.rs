//! The rehearsal Jira over HTTP, as clients meet it: through the Cloud gateway with an OAuth
//! token, on a site's host with a classic API token, and on a Data Center instance with a
//! PAT.

use std::time::Duration;

use serde_json::{Value, json};

use crate::datacenter::DataCenter;
use crate::emulator::tests::{http, json_body};
use crate::emulator::{ApiToken, Emulator, TokenKind};

const CLOUD_ID: &str = "0f3c9a4e-7d1b-4c2a-9e58-ac3e00000001";

/// A Jira to call: its REST root and the `Authorization` header a credential of it makes.
struct Jira {
    root: String,
    authorization: String,
}

impl Jira {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = http()
            .request(method, format!("{}{path}", self.root))
            .header("Authorization", &self.authorization);
        if let Some(body) = body {
            rb = rb
                .header("Content-Type", "application/json")
                .body(body.to_string());
        }
        let response = rb.send().unwrap();
        let status = response.status().as_u16();
        let bytes = response.bytes().unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes)))
        };
        (status, body)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None)
    }

    fn keys(&self, path: &str) -> Vec<String> {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        keys_of(&body)
    }
}

fn keys_of(body: &Value) -> Vec<String> {
    body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect()
}

fn q(jql: &str) -> String {
    crate::http::percent_encode(jql)
}

/// The gateway with a user's OAuth token of `scopes`.
fn gateway(emu: &Emulator, scopes: &[&str]) -> Jira {
    let token = format!("at-{:032x}", rand::random::<u128>());
    let scopes: Vec<String> = scopes.iter().map(|s| s.to_string()).collect();
    emu.adopt_grant(
        "cid",
        &scopes,
        None,
        Some((&token, Duration::from_secs(600))),
    );
    Jira {
        root: format!("{}/ex/jira/{CLOUD_ID}", emu.api_url()),
        authorization: format!("Bearer {token}"),
    }
}

fn data_center(dc: &DataCenter) -> Jira {
    dc.add_pat("pat-rehearsal-0123456789");
    Jira {
        root: dc.base_url(),
        authorization: "Bearer pat-rehearsal-0123456789".into(),
    }
}

const WORK: [&str; 2] = ["read:jira-work", "write:jira-work"];

#[test]
fn search_answers_the_jql_subset_in_its_order() {
    let emu = Emulator::start();
    let jira = gateway(&emu, &WORK);
    let search = |jql: &str| {
        jira.keys(&format!(
            "/rest/api/3/search/jql?fields=summary&jql={}",
            q(jql)
        ))
    };
    assert_eq!(
        search("project = DEMO"),
        ["DEMO-4", "DEMO-3", "DEMO-2", "DEMO-1"],
        "newest first without ORDER BY"
    );
    assert_eq!(
        search("project = demo ORDER BY key ASC"),
        ["DEMO-1", "DEMO-2", "DEMO-3", "DEMO-4"]
    );
    assert_eq!(search("key = DEMO-2"), ["DEMO-2"]);
    assert_eq!(
        search("issuekey in (OPS-1, demo-1) ORDER BY created ASC"),
        ["DEMO-1", "OPS-1"]
    );
    assert_eq!(
        search("project = DEMO AND status = \"To Do\" ORDER BY key DESC"),
        ["DEMO-4", "DEMO-3"]
    );
    assert_eq!(
        search("(project = OPS OR labels = auth) AND assignee = currentUser() ORDER BY key"),
        ["DEMO-2", "OPS-1"]
    );
    assert_eq!(search("summary ~ \"token\" ORDER BY key"), ["DEMO-2"]);
    assert_eq!(search("project != DEMO AND assignee IS EMPTY"), ["OPS-2"]);
    assert_eq!(search("project = OPS AND NOT priority = High"), ["OPS-2"]);
    assert_eq!(
        search("project = DEMO AND labels NOT IN (docs, setup, auth) ORDER BY key"),
        ["DEMO-4"]
    );
    assert_eq!(search("project = DEMO AND type = Bug"), ["DEMO-2"]);
    // What agents write: open work, by category or resolution, and dates.
    assert_eq!(
        search("project = DEMO AND statusCategory != Done ORDER BY key"),
        ["DEMO-2", "DEMO-3", "DEMO-4"]
    );
    assert_eq!(
        search("resolution = Unresolved AND project = OPS"),
        ["OPS-1"]
    );
    assert_eq!(
        search("resolution IS NOT EMPTY ORDER BY key"),
        ["DEMO-1", "OPS-2"]
    );
    assert_eq!(
        search("created >= \"2026-01-08\" AND created < \"2026/01/10 08:59\" ORDER BY key"),
        ["DEMO-4", "OPS-1"]
    );
    assert_eq!(
        search("project = OPS AND updated <= -1d ORDER BY key"),
        ["OPS-1", "OPS-2"]
    );
    assert!(
        search("created >= startOfDay()").is_empty(),
        "nothing seeded today"
    );
    let (_, done) = jira.get("/rest/api/2/issue/DEMO-1?fields=resolution");
    assert_eq!(done["fields"]["resolution"]["name"], "Done");
    let (_, open) = jira.get("/rest/api/2/issue/DEMO-2?fields=resolution");
    assert_eq!(open["fields"]["resolution"], Value::Null);
}

#[test]
fn cloud_search_pages_with_a_token_and_wants_a_bounded_query() {
    let emu = Emulator::start();
    let jira = gateway(&emu, &WORK);
    let path = format!(
        "/rest/api/3/search/jql?jql={}&maxResults=4&fields=key",
        q("project in (DEMO, OPS) ORDER BY key ASC")
    );
    let (status, first) = jira.get(&path);
    assert_eq!(status, 200, "{first}");
    assert_eq!(keys_of(&first), ["DEMO-1", "DEMO-2", "DEMO-3", "DEMO-4"]);
    assert_eq!(first["isLast"], false);
    let token = first["nextPageToken"].as_str().unwrap();
    let (_, second) = jira.get(&format!("{path}&nextPageToken={token}"));
    assert_eq!(keys_of(&second), ["OPS-1", "OPS-2"]);
    assert_eq!(second["isLast"], true);
    assert!(
        second.get("nextPageToken").is_none(),
        "absent on the last page, as Cloud does"
    );
    assert!(second.get("total").is_none());
    // The POST form, fields as a list; no fields: the ids alone.
    let (status, posted) = jira.call(
        "POST",
        "/rest/api/2/search/jql",
        Some(json!({"jql": "key = OPS-2", "fields": ["summary", "status"]})),
    );
    assert_eq!(status, 200, "{posted}");
    let issue = &posted["issues"][0];
    assert_eq!(issue["fields"]["summary"], "Renew the TLS certificate");
    assert_eq!(issue["fields"]["status"]["name"], "Done");
    assert!(issue["fields"].get("priority").is_none());
    let (_, bare) = jira.get(&format!("/rest/api/3/search/jql?jql={}", q("key = OPS-2")));
    assert_eq!(bare["issues"], json!([{"id": issue["id"]}]));
    assert_eq!(
        jira.get(&format!("{path}&nextPageToken=forged")),
        (
            400,
            json!({"errorMessages": ["The provided next page token is invalid or expired."], "errors": {}})
        )
    );
    let (status, body) = jira.get(&format!("/rest/api/3/search/jql?jql={}", q("ORDER BY key")));
    assert_eq!(status, 400);
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .starts_with("Unbounded JQL")
    );
    let count = |jql: &str| {
        jira.call(
            "POST",
            "/rest/api/3/search/approximate-count",
            Some(json!({"jql": jql})),
        )
    };
    assert_eq!(count("project = DEMO"), (200, json!({"count": 4})));
    assert_eq!(count("").0, 400);
    // Cloud's old search is gone, as on Cloud.
    let (status, body) = jira.get(&format!("/rest/api/2/search?jql={}", q("project = DEMO")));
    assert_eq!(status, 410);
    assert!(
        body["errorMessages"][0]
            .as_str()
            .unwrap()
            .contains("/rest/api/3/search/jql")
    );
}

#[test]
fn bad_jql_is_a_400_in_jiras_shape() {
    let emu = Emulator::start();
    let jira = gateway(&emu, &WORK);
    for (jql, message) in [
        (
            "project = NOPE",
            "The value 'NOPE' does not exist for the field 'project'.",
        ),
        (
            "key = DEMO-99",
            "An issue with key 'DEMO-99' does not exist for field 'key'.",
        ),
        (
            "key = nonsense",
            "The issue key 'nonsense' for field 'key' is invalid.",
        ),
        (
            "status = Closed",
            "The value 'Closed' does not exist for the field 'status'.",
        ),
        (
            "cheese = yes",
            "Field 'cheese' does not exist or you do not have permission to view it.",
        ),
        (
            "project DEMO",
            "Error in the JQL Query: Expecting operator but got 'DEMO'. The query was: project DEMO",
        ),
    ] {
        let expected = (400, json!({"errorMessages": [message], "errors": {}}));
        assert_eq!(
            jira.get(&format!("/rest/api/3/search/jql?jql={}", q(jql))),
            expected,
            "{jql}"
        );
    }
}

#[test]
fn issues_are_read_created_edited_and_commented_in_v3_documents_and_v2_strings() {
    let emu = Emulator::start();
    let jira = gateway(&emu, &WORK);
    let (status, issue) = jira.get("/rest/api/3/issue/DEMO-1");
    assert_eq!(status, 200, "{issue}");
    assert_eq!(issue["key"], "DEMO-1");
    assert!(issue["self"].as_str().unwrap().ends_with(&format!(
        "/ex/jira/{CLOUD_ID}/rest/api/3/issue/{}",
        issue["id"].as_str().unwrap()
    )));
    let fields = &issue["fields"];
    assert_eq!(fields["description"]["type"], "doc");
    assert_eq!(
        fields["description"]["content"][1]["content"][0]["text"],
        "It is done."
    );
    assert_eq!(fields["project"]["key"], "DEMO");
    assert_eq!(
        fields["reporter"]["accountId"],
        "712020:5f1c1a8e-4b1e-4d4e-9a61-2c3f9e0b7d21"
    );
    assert_eq!(fields["created"], "2026-01-05T09:00:00.000+0000");
    assert_eq!(fields["comment"]["total"], 0);
    let (_, v2) = jira.get("/rest/api/2/issue/DEMO-1?fields=description,labels");
    assert_eq!(
        v2["fields"],
        json!({"description": "The first issue of the demo project.\nIt is done.", "labels": ["setup"]})
    );
    let (_, without) = jira.get("/rest/api/2/issue/DEMO-1?fields=*all,-comment,-description");
    let shown = without["fields"].as_object().unwrap();
    assert!(shown.contains_key("summary") && shown.contains_key("labels"));
    assert!(!shown.contains_key("comment") && !shown.contains_key("description"));

    // v3 wants documents.
    let (status, refused) = jira.call("POST", "/rest/api/3/issue", Some(json!({"fields": {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, "summary": "s", "description": "plain"}})));
    assert_eq!(status, 400);
    assert_eq!(
        refused["errors"]["description"],
        "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    );
    let doc = json!({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Made by a test."}]}]});
    let (status, created) = jira.call("POST", "/rest/api/3/issue", Some(json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"id": "10002"}, "summary": "Rehearse", "description": doc, "labels": ["new"]}})));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["key"], "OPS-3");
    let (_, got) = jira.get("/rest/api/2/issue/OPS-3");
    assert_eq!(got["fields"]["description"], "Made by a test.");
    assert_eq!(got["fields"]["issuetype"]["name"], "Bug");
    assert_eq!(got["fields"]["status"]["name"], "To Do");

    let (status, _) = jira.call("PUT", "/rest/api/2/issue/OPS-3", Some(json!({"fields": {"summary": "Rehearsed"}, "update": {"labels": [{"add": "edited"}, {"remove": "new"}]}})));
    assert_eq!(status, 204);
    let (status, comment) = jira.call(
        "POST",
        "/rest/api/2/issue/OPS-3/comment",
        Some(json!({"body": "A comment."})),
    );
    assert_eq!(status, 201, "{comment}");
    assert_eq!(comment["body"], "A comment.");
    assert_eq!(comment["author"]["displayName"], "Ada Lovelace");
    let (_, v3) = jira.get("/rest/api/3/issue/OPS-3?fields=summary,labels,comment");
    assert_eq!(v3["fields"]["summary"], "Rehearsed");
    assert_eq!(v3["fields"]["labels"], json!(["edited"]));
    assert_eq!(
        v3["fields"]["comment"]["comments"][0]["body"]["content"][0]["content"][0]["text"],
        "A comment."
    );
    // The search sees it, newest first.
    assert_eq!(
        jira.keys(&format!(
            "/rest/api/3/search/jql?fields=key&jql={}",
            q("project = OPS")
        ))[0],
        "OPS-3"
    );
}

#[test]
fn errors_for_unknown_issues_bad_bodies_and_missing_fields() {
    let emu = Emulator::start();
    let jira = gateway(&emu, &WORK);
    let not_found = (
        404,
        json!({"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}}),
    );
    assert_eq!(jira.get("/rest/api/3/issue/DEMO-99"), not_found);
    assert_eq!(
        jira.call(
            "PUT",
            "/rest/api/2/issue/DEMO-99",
            Some(json!({"fields": {}}))
        ),
        not_found
    );
    assert_eq!(
        jira.call(
            "POST",
            "/rest/api/2/issue/NOPE-1/comment",
            Some(json!({"body": "x"}))
        ),
        not_found
    );
    let (status, body) = jira.call(
        "POST",
        "/rest/api/2/issue",
        Some(json!({"fields": {"cheese": 1}})),
    );
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"errorMessages": [], "errors": {
            "project": "Specify a valid project ID or key",
            "issuetype": "Specify an issue type",
            "summary": "You must specify a summary of the issue.",
            "cheese": "Field 'cheese' cannot be set. It is not on the appropriate screen, or unknown.",
        }})
    );
    let (status, body) = jira.call("POST", "/rest/api/2/issue", Some(json!({"fields": {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, "summary": "x".repeat(256)}})));
    assert_eq!(
        (status, &body["errors"]["summary"]),
        (400, &json!("Summary must be less than 255 characters."))
    );
    let (status, body) = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-1/comment",
        Some(json!({"body": ""})),
    );
    assert_eq!(
        (status, &body["errors"]["comment"]),
        (400, &json!("Comment body can not be empty!"))
    );
    let too_long =
        json!("The entered text is too long. It exceeds the allowed limit of 32,767 characters.");
    let long = "x".repeat(32_768);
    let (status, body) = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-1/comment",
        Some(json!({"body": long})),
    );
    assert_eq!((status, &body["errors"]["comment"]), (400, &too_long));
    let (status, body) = jira.call(
        "PUT",
        "/rest/api/2/issue/DEMO-1",
        Some(json!({"fields": {"description": long}})),
    );
    assert_eq!((status, &body["errors"]["description"]), (400, &too_long));
    let (status, _) = jira.call(
        "PUT",
        "/rest/api/2/issue/DEMO-1",
        Some(json!({"fields": {"description": "x".repeat(32_767)}})),
    );
    assert_eq!(status, 204, "at the limit");
    let response = http()
        .post(format!("{}/rest/api/2/issue", jira.root))
        .header("Authorization", &jira.authorization)
        .body("not json")
        .send()
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(json_body(response)["errors"], json!({}));
    assert_eq!(jira.get("/rest/api/2/project/NOPE").0, 404);
    assert_eq!(jira.call("DELETE", "/rest/api/2/issue/DEMO-1", None).0, 405);
    assert_eq!(jira.get("/rest/api/2/nothing-here").0, 404);
}

#[test]
fn every_request_wants_a_credential_of_this_server_with_the_scope_it_needs() {
    let emu = Emulator::start();
    let reader = gateway(&emu, &["read:jira-work"]);
    assert_eq!(reader.get("/rest/api/3/issue/DEMO-1").0, 200);
    let mismatch = (
        401,
        json!({"code": 401, "message": "Unauthorized; scope does not match"}),
    );
    assert_eq!(
        reader.call(
            "POST",
            "/rest/api/3/issue/DEMO-1/comment",
            Some(json!({"body": "x"}))
        ),
        mismatch
    );
    // A search by POST is a read.
    assert_eq!(
        reader
            .call(
                "POST",
                "/rest/api/3/search/jql",
                Some(json!({"jql": "project = DEMO"}))
            )
            .0,
        200
    );
    let granular = gateway(&emu, &["read:issue:jira", "write:comment:jira"]);
    assert_eq!(granular.get("/rest/api/2/issue/DEMO-1").0, 200);
    assert_eq!(
        granular
            .call(
                "POST",
                "/rest/api/2/issue/DEMO-1/comment",
                Some(json!({"body": "x"}))
            )
            .0,
        201
    );
    let me_only = gateway(&emu, &["read:me"]);
    assert_eq!(me_only.get("/rest/api/3/field"), mismatch);
    let unauthorized = (401, json!({"code": 401, "message": "Unauthorized"}));
    let forged = Jira {
        authorization: "Bearer at-forged".into(),
        ..gateway(&emu, &WORK)
    };
    assert_eq!(forged.get("/rest/api/2/serverInfo"), unauthorized);
    let expired_token = "at-expired-0123456789";
    emu.adopt_grant(
        "cid",
        &["read:jira-work".to_string()],
        None,
        Some((expired_token, Duration::ZERO)),
    );
    let expired = Jira {
        authorization: format!("Bearer {expired_token}"),
        ..gateway(&emu, &WORK)
    };
    assert_eq!(
        expired.get("/rest/api/3/search/jql?jql=project%3DDEMO"),
        unauthorized
    );
    let elsewhere = Jira {
        root: format!("{}/ex/jira/not-a-site", emu.api_url()),
        ..gateway(&emu, &WORK)
    };
    assert_eq!(elsewhere.get("/rest/api/3/issue/DEMO-1").0, 404);

    // A site's own host: classic API tokens only, Jira's 401 otherwise.
    let classic = ApiToken {
        email: "ada@example.com".into(),
        token: "ATATT-classic-rehearsal".into(),
        kind: TokenKind::Classic,
    };
    emu.register_api_token(classic.clone());
    let site = Jira {
        root: emu.site_url(CLOUD_ID),
        authorization: format!("Basic {}", classic.basic()),
    };
    assert_eq!(site.get("/rest/api/2/issue/OPS-1").1["key"], "OPS-1");
    let (status, info) = site.get("/rest/api/3/serverInfo");
    assert_eq!((status, &info["deploymentType"]), (200, &json!("Cloud")));
    let bearer_on_site = Jira {
        authorization: reader.authorization.clone(),
        ..site
    };
    assert_eq!(
        bearer_on_site.get("/rest/api/2/issue/OPS-1"),
        (
            401,
            json!({"errorMessages": ["Client must be authenticated to access this resource."], "errors": {}})
        )
    );
    assert_eq!(emu.hits(crate::emulator::Endpoint::SiteJira), 2);
    // The classic token is refused by the gateway, as at Atlassian.
    let classic_on_gateway = Jira {
        authorization: format!("Basic {}", classic.basic()),
        ..gateway(&emu, &WORK)
    };
    assert_eq!(classic_on_gateway.get("/rest/api/2/field"), unauthorized);
}

#[test]
fn data_center_answers_v2_under_its_context_path_with_total_and_start_at() {
    let dc = DataCenter::start("/jira");
    let jira = data_center(&dc);
    let (status, body) = jira.get(&format!(
        "/rest/api/2/search?jql={}&startAt=1&maxResults=2&fields=summary",
        q("project = DEMO ORDER BY key ASC")
    ));
    assert_eq!(status, 200, "{body}");
    assert_eq!(keys_of(&body), ["DEMO-2", "DEMO-3"]);
    assert_eq!(
        (
            body["total"].as_u64(),
            body["startAt"].as_u64(),
            body["maxResults"].as_u64()
        ),
        (Some(4), Some(1), Some(2))
    );
    let (_, posted) = jira.call(
        "POST",
        "/rest/api/2/search",
        Some(json!({"jql": "", "maxResults": 0})),
    );
    assert_eq!(
        (posted["total"].as_u64(), &posted["issues"]),
        (Some(6), &json!([])),
        "an unbounded query is fine on Data Center"
    );
    let (_, issue) = jira.get("/rest/api/2/issue/DEMO-2");
    assert_eq!(issue["fields"]["assignee"]["name"], "ada");
    assert!(
        issue["self"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/rest/api/2/issue/", dc.base_url()))
    );
    assert_eq!(
        jira.get("/rest/api/3/issue/DEMO-2").0,
        404,
        "no v3 on Data Center"
    );
    assert_eq!(jira.get("/rest/api/2/search/jql?jql=project%3DDEMO").0, 404);
    let (status, created) = jira.call("POST", "/rest/api/2/issue", Some(json!({"fields": {"project": {"id": "10000"}, "issuetype": {"name": "Story"}, "summary": "From a PAT", "description": "plain text"}})));
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["key"], "DEMO-5");
    let (_, comment) = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-5/comment",
        Some(json!({"body": "ok"})),
    );
    assert_eq!(comment["author"]["key"], "JIRAUSER10000");
    let unauthenticated = (
        401,
        json!({"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}}),
    );
    let stranger = Jira {
        authorization: "Bearer pat-of-another-instance".into(),
        root: dc.base_url(),
    };
    assert_eq!(stranger.get("/rest/api/2/issue/DEMO-1"), unauthenticated);
    assert_eq!(stranger.get("/rest/api/2/project"), unauthenticated);
    // Paths outside the surface (v3, search/jql) are not counted.
    assert_eq!(dc.hits(crate::datacenter::DcEndpoint::Jira), 7);
}

#[test]
fn fields_projects_and_the_gateways_server_info() {
    let emu = Emulator::start();
    let jira = gateway(&emu, &WORK);
    let (_, fields) = jira.get("/rest/api/2/field");
    let summary = fields
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "summary")
        .unwrap();
    assert_eq!(summary["name"], "Summary");
    let (_, projects) = jira.get("/rest/api/3/project");
    let keys: Vec<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["DEMO", "OPS"]);
    let (_, page) = jira.get("/rest/api/3/project/search?maxResults=1");
    assert_eq!(
        (page["total"].as_u64(), page["isLast"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(jira.get("/rest/api/2/project/ops").1["name"], "Operations");
    let (_, info) = jira.get("/rest/api/2/serverInfo");
    assert_eq!(info["deploymentType"], "Cloud");
}

#[test]
fn a_service_accounts_changes_are_its_own_on_cloud_and_data_center() {
    use crate::datacenter::ServiceAccount as DcServiceAccount;
    use crate::emulator::ServiceAccount;

    let emu = Emulator::start();
    emu.register_service_account(ServiceAccount::new(
        "sa-client",
        "sa-secret",
        &["read:jira-work", "write:jira-work"],
    ));
    let (status, minted) = crate::emulator::tests::post_token(
        &emu,
        json!({"grant_type": "client_credentials", "client_id": "sa-client",
               "client_secret": "sa-secret", "audience": "api.atlassian.com"}),
    );
    assert_eq!(status, 200, "{minted}");
    let jira = Jira {
        root: format!("{}/ex/jira/{CLOUD_ID}", emu.api_url()),
        authorization: format!("Bearer {}", minted["access_token"].as_str().unwrap()),
    };
    let (status, comment) = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-1/comment",
        Some(json!({"body": "from a bot"})),
    );
    assert_eq!(status, 201, "{comment}");
    assert_eq!(comment["author"]["accountType"], "app");
    assert_eq!(comment["author"]["displayName"], "ci-bot");
    let search = format!(
        "/rest/api/3/search/jql?fields=key&jql={}",
        q("reporter = currentUser()")
    );
    assert!(jira.keys(&search).is_empty(), "the seeded issues are Ada's");

    // Data Center: a READ service account reads and may not change; a WRITE one may.
    let dc = DataCenter::start("");
    dc.create_service_account(DcServiceAccount {
        client_id: "dc-sa".into(),
        client_secret: "dc-sa-secret".into(),
        name: "ci-bot".into(),
    });
    let mint = |scope: &str| {
        let response = http()
            .post(format!("{}/rest/oauth2/latest/token", dc.base_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(format!(
                "grant_type=client_credentials&client_id=dc-sa&client_secret=dc-sa-secret&scope={scope}"
            ))
            .send()
            .unwrap();
        let token = json_body(response)["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        Jira {
            root: dc.base_url(),
            authorization: format!("Bearer {token}"),
        }
    };
    let reader = mint("READ");
    assert_eq!(reader.get("/rest/api/2/issue/OPS-1").0, 200);
    let create = json!({"fields": {"project": {"key": "OPS"}, "issuetype": {"name": "Task"}, "summary": "bot work"}});
    let (status, body) = reader.call("POST", "/rest/api/2/issue", Some(create.clone()));
    assert_eq!(status, 403, "{body}");
    assert!(body["errorMessages"][0].as_str().unwrap().contains("WRITE"));
    let writer = mint("WRITE");
    let (status, created) = writer.call("POST", "/rest/api/2/issue", Some(create));
    assert_eq!(status, 201, "{created}");
    let (_, issue) = writer.get(&format!(
        "/rest/api/2/issue/{}",
        created["key"].as_str().unwrap()
    ));
    assert_eq!(issue["fields"]["reporter"]["name"], "ci-bot");
    dc.advance_clock(Duration::from_secs(3601));
    assert_eq!(writer.get("/rest/api/2/issue/OPS-1").0, 401, "expired");
}

fn ada() -> super::Person {
    super::Person {
        id: "712020:ada".into(),
        name: String::new(),
        display_name: "Ada Lovelace".into(),
        email: None,
        app: false,
    }
}

/// What `jira` answers a caller's `POST path` of `body`, without HTTP: the status and the
/// first of its error messages.
fn post_directly(jira: &mut super::Jira, path: &str, body: Value) -> (u16, String) {
    let user = ada();
    let route = super::Route::parse(path, super::Flavor::Cloud).unwrap();
    let ctx = super::Ctx {
        flavor: super::Flavor::Cloud,
        base: "http://127.0.0.1:1",
        caller: &user,
    };
    let req = crate::http::Request {
        method: "POST".into(),
        path: path.into(),
        query: Vec::new(),
        headers: Vec::new(),
        body: body.to_string().into_bytes(),
    };
    let response = jira.serve(&route, &ctx, &req);
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    let message = body["errorMessages"][0].as_str().unwrap_or_default();
    (response.status, message.to_string())
}

#[test]
fn one_emulator_holds_a_bounded_number_of_issues() {
    let mut jira = super::Jira::seeded(&ada());
    let template = jira.issues[0].clone();
    while jira.issues.len() < super::MAX_ISSUES {
        jira.add_issue(template.clone());
    }
    let create = json!({"fields": {"project": {"key": "DEMO"}, "issuetype": {"name": "Task"}, "summary": "one too many"}});
    let (status, message) = post_directly(&mut jira, "/rest/api/2/issue", create);
    assert_eq!(status, 400);
    assert!(message.contains("at most 5000 issues"), "{message}");
    assert_eq!(jira.issues.len(), super::MAX_ISSUES);

    // Text is bounded too, whatever the number of issues: a comment that would pass the
    // emulator's store is refused.
    jira.issues.truncate(6);
    let mut big = template;
    big.description = Some("x".repeat(super::MAX_STORED_BYTES / 2));
    jira.add_issue(big.clone());
    jira.add_issue(big);
    let comment = json!({"body": "one more"});
    let (status, message) = post_directly(&mut jira, "/rest/api/2/issue/DEMO-1/comment", comment);
    assert_eq!(status, 400);
    assert!(message.contains("at most 64 MB of text"), "{message}");
}

#[test]
fn issues_move_by_their_transitions() {
    let dc = DataCenter::start("/jira");
    let jira = data_center(&dc);
    let (status, body) = jira.get("/rest/api/2/issue/DEMO-3/transitions");
    assert_eq!(status, 200, "{body}");
    let offered: Vec<(&str, &str)> = body["transitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["id"].as_str().unwrap(), t["to"]["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        offered,
        [("21", "In Progress"), ("31", "Done")],
        "not to where it is"
    );
    let done = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-3/transitions",
        Some(json!({"transition": {"id": "31"}})),
    );
    assert_eq!(done, (204, Value::Null));
    let (_, issue) = jira.get("/rest/api/2/issue/DEMO-3?fields=status,resolution");
    assert_eq!(issue["fields"]["status"]["name"], "Done");
    assert_eq!(issue["fields"]["resolution"]["name"], "Done");
    let search = format!(
        "/rest/api/2/search?fields=key&jql={}",
        q("project = DEMO AND resolution = Unresolved ORDER BY key")
    );
    assert_eq!(jira.keys(&search), ["DEMO-2", "DEMO-4"]);
    let (status, body) = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-3/transitions",
        Some(json!({"transition": {"id": "31"}})),
    );
    assert_eq!(status, 400, "already Done: {body}");
    assert_eq!(
        body["errorMessages"][0],
        "Transition id '31' is not valid for this issue."
    );
    let (status, body) = jira.call(
        "POST",
        "/rest/api/2/issue/DEMO-3/transitions",
        Some(json!({})),
    );
    assert_eq!(
        (status, &body["errors"]["transition"]),
        (400, &json!("Missing 'transition' identifier"))
    );
    assert_eq!(jira.get("/rest/api/2/issue/DEMO-99/transitions").0, 404);
}

#[test]
fn boards_show_their_projects_issues_under_rest_agile() {
    let emu = Emulator::start();
    let jira = gateway(
        &emu,
        &["read:board-scope:jira-software", "read:issue-details:jira"],
    );
    let (status, boards) = jira.get("/rest/agile/1.0/board");
    assert_eq!(status, 200, "{boards}");
    assert_eq!(
        (boards["total"].as_u64(), boards["isLast"].as_bool()),
        (Some(2), Some(true))
    );
    assert_eq!(boards["values"][1]["location"]["projectKey"], "OPS");
    assert!(
        boards["values"][0]["self"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/ex/jira/{CLOUD_ID}/rest/agile/1.0/board/1"))
    );
    let (_, ops) = jira.get("/rest/agile/1.0/board?projectKeyOrId=OPS");
    assert_eq!(ops["values"].as_array().unwrap().len(), 1);
    assert_eq!(jira.get("/rest/agile/1.0/board/2").1["name"], "OPS board");
    let issues = format!(
        "/rest/agile/1.0/board/1/issue?jql={}&fields=summary",
        q("status != Done ORDER BY key")
    );
    assert_eq!(jira.keys(&issues), ["DEMO-2", "DEMO-3", "DEMO-4"]);
    assert_eq!(
        jira.get("/rest/agile/1.0/board/3"),
        (
            404,
            json!({"errorMessages": ["Board does not exist or you do not have permission to see it."], "errors": {}})
        )
    );
    assert_eq!(
        jira.get("/rest/agile/1.0/sprint/1").0,
        404,
        "no sprints here"
    );

    let dc = DataCenter::start("/jira");
    let jira = data_center(&dc);
    assert_eq!(
        jira.keys("/rest/agile/1.0/board/2/issue?maxResults=1"),
        ["OPS-2"]
    );
}
