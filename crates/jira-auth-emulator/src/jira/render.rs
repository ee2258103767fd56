//! The rehearsal Jira's JSON, in Jira's shapes: `self` links under the host's REST root, users
//! as Cloud (`accountId`) or Data Center (`name`, `key`) shows them, rich text as a plain
//! string (v2) or an Atlassian Document (v3), dates as Jira writes them.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{
    Comment, Ctx, FIELDS, Fields, Flavor, Issue, IssueType, Jira, Person, Priority, Project,
    RESOLUTION, Status,
};

/// What a Cloud site says of itself (the site's host and the gateway alike); `base_url` is
/// the site's address when known.
pub(crate) fn server_info_cloud(base_url: Option<&str>) -> Value {
    json!({
        "baseUrl": base_url,
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100284,
        "serverTitle": "Jira",
        "defaultLocale": {"locale": "en_US"},
        "serverTimeZone": "Etc/UTC",
    })
}

/// `2026-01-05T09:00:00.000+0000`, as Jira writes dates.
fn date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

pub(crate) fn fields() -> Value {
    Value::Array(
        FIELDS
            .iter()
            .map(|(id, name, navigable, kind)| {
                json!({
                    "id": id,
                    "key": id,
                    "name": name,
                    "custom": false,
                    "orderable": *id != "comment",
                    "navigable": navigable,
                    "searchable": true,
                    "clauseNames": [id],
                    "schema": {"type": kind, "system": id},
                })
            })
            .collect(),
    )
}

pub(crate) fn issue_type(ctx: &Ctx<'_>, v: u8, t: &IssueType) -> Value {
    json!({
        "self": format!("{}/rest/api/{v}/issuetype/{}", ctx.base, t.id),
        "id": t.id,
        "name": t.name,
        "description": t.description,
        "subtask": false,
        "hierarchyLevel": if t.name == "Epic" { 1 } else { 0 },
    })
}

pub(crate) fn priority(ctx: &Ctx<'_>, v: u8, p: &Priority) -> Value {
    json!({
        "self": format!("{}/rest/api/{v}/priority/{}", ctx.base, p.id),
        "id": p.id,
        "name": p.name,
    })
}

pub(crate) fn status(ctx: &Ctx<'_>, v: u8, s: &Status) -> Value {
    let (id, key, name) = s.category;
    json!({
        "self": format!("{}/rest/api/{v}/status/{}", ctx.base, s.id),
        "id": s.id,
        "name": s.name,
        "statusCategory": {
            "self": format!("{}/rest/api/{v}/statuscategory/{id}", ctx.base),
            "id": id,
            "key": key,
            "name": name,
        },
    })
}

/// The scrum board of `project`, board `index + 1`.
pub(crate) fn board(ctx: &Ctx<'_>, index: usize, project: &Project) -> Value {
    let id = index + 1;
    json!({
        "id": id,
        "self": format!("{}/rest/agile/1.0/board/{id}", ctx.base),
        "name": format!("{} board", project.key),
        "type": "scrum",
        "location": {
            "projectId": project.id,
            "projectKey": project.key,
            "projectName": project.name,
            "displayName": format!("{} ({})", project.name, project.key),
            "projectTypeKey": "software",
        },
    })
}

/// A transition leading to `to`.
pub(crate) fn transition(ctx: &Ctx<'_>, v: u8, id: String, to: &Status) -> Value {
    json!({
        "id": id,
        "name": to.name,
        "to": status(ctx, v, to),
        "hasScreen": false,
        "isGlobal": true,
        "isInitial": false,
        "isAvailable": true,
        "isConditional": false,
    })
}

pub(crate) fn project(ctx: &Ctx<'_>, v: u8, p: &Project) -> Value {
    json!({
        "self": format!("{}/rest/api/{v}/project/{}", ctx.base, p.id),
        "id": p.id.to_string(),
        "key": p.key,
        "name": p.name,
        "projectTypeKey": "software",
        "simplified": false,
        "style": "classic",
        "isPrivate": false,
    })
}

/// A user as this flavor shows one.
pub(crate) fn person(ctx: &Ctx<'_>, v: u8, p: &Person) -> Value {
    match ctx.flavor {
        Flavor::Cloud => json!({
            "self": format!("{}/rest/api/{v}/user?accountId={}", ctx.base, p.id),
            "accountId": p.id,
            "emailAddress": p.email,
            "displayName": p.display_name,
            "active": true,
            "timeZone": "Europe/Paris",
            "accountType": if p.app { "app" } else { "atlassian" },
        }),
        Flavor::DataCenter => json!({
            "self": format!("{}/rest/api/2/user?username={}", ctx.base, p.name),
            "name": p.name,
            "key": p.id,
            "emailAddress": p.email,
            "displayName": p.display_name,
            "active": true,
            "timeZone": "Europe/Paris",
        }),
    }
}

/// Rich text as version `v` carries it: v2 the string, v3 a document of one paragraph per
/// line.
fn rich(v: u8, text: &str) -> Value {
    if v == 2 {
        return json!(text);
    }
    let paragraphs: Vec<Value> = text
        .split('\n')
        .map(|line| {
            let content: Vec<Value> = if line.is_empty() {
                Vec::new()
            } else {
                vec![json!({"type": "text", "text": line})]
            };
            json!({"type": "paragraph", "content": content})
        })
        .collect();
    json!({"type": "doc", "version": 1, "content": paragraphs})
}

/// The text of an Atlassian Document: its text nodes, a line per block.
pub(crate) fn adf_text(doc: &Value) -> String {
    fn walk(node: &Value, out: &mut String) {
        if let Some(text) = node.get("text").and_then(Value::as_str) {
            out.push_str(text);
        }
        if node.get("type").and_then(Value::as_str) == Some("hardBreak") {
            out.push('\n');
        }
        let children = node.get("content").and_then(Value::as_array);
        for (i, child) in children.into_iter().flatten().enumerate() {
            let block = child
                .get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t != "text" && t != "hardBreak" && t != "mention");
            if block && i > 0 {
                out.push('\n');
            }
            walk(child, out);
        }
    }
    let mut out = String::new();
    walk(doc, &mut out);
    out
}

pub(crate) fn comment(ctx: &Ctx<'_>, v: u8, issue: &Issue, c: &Comment) -> Value {
    let author = person(ctx, v, &c.author);
    json!({
        "self": format!("{}/rest/api/{v}/issue/{}/comment/{}", ctx.base, issue.id, c.id),
        "id": c.id.to_string(),
        "author": author,
        "body": rich(v, &c.body),
        "updateAuthor": author,
        "created": date(c.created),
        "updated": date(c.updated),
        "jsdPublic": true,
    })
}

pub(crate) fn comments(ctx: &Ctx<'_>, v: u8, issue: &Issue) -> Value {
    let all: Vec<Value> = issue
        .comments
        .iter()
        .map(|c| comment(ctx, v, issue, c))
        .collect();
    json!({"startAt": 0, "maxResults": all.len(), "total": all.len(), "comments": all})
}

/// An issue with the `fields` asked for; with none (Cloud's search default), its id alone.
pub(crate) fn issue(jira: &Jira, ctx: &Ctx<'_>, v: u8, issue: &Issue, fields: &Fields) -> Value {
    if *fields == Fields::Only(Vec::new()) {
        return json!({"id": issue.id.to_string()});
    }
    let mut shown = Map::new();
    for (id, _, navigable, _) in FIELDS {
        if !fields.shows(id, navigable) {
            continue;
        }
        let value = match id {
            "summary" => json!(issue.summary),
            "description" => issue
                .description
                .as_deref()
                .map_or(Value::Null, |d| rich(v, d)),
            "issuetype" => issue_type(ctx, v, issue.issue_type),
            "project" => project(ctx, v, &jira.projects[issue.project]),
            "status" => status(ctx, v, issue.status),
            "resolution" if issue.resolved() => json!({
                "self": format!("{}/rest/api/{v}/resolution/{}", ctx.base, RESOLUTION.0),
                "id": RESOLUTION.0,
                "name": RESOLUTION.1,
                "description": "Work has been completed on this issue.",
            }),
            "resolution" => Value::Null,
            "priority" => priority(ctx, v, issue.priority),
            "labels" => json!(issue.labels),
            "reporter" | "creator" => person(ctx, v, &issue.reporter),
            "assignee" => issue
                .assignee
                .as_ref()
                .map_or(Value::Null, |p| person(ctx, v, p)),
            "created" => json!(date(issue.created)),
            "updated" => json!(date(issue.updated)),
            _ => comments(ctx, v, issue),
        };
        shown.insert(id.to_string(), value);
    }
    json!({
        "expand": "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
        "id": issue.id.to_string(),
        "self": format!("{}/rest/api/{v}/issue/{}", ctx.base, issue.id),
        "key": jira.key(issue),
        "fields": shown,
    })
}
