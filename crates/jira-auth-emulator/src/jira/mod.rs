//! The rehearsal Jira: the small part of Jira's REST API that real clients (pycontribs
//! `jira`, `atlassian-python-api`, mcp-atlassian, curl) need to be tried against the emulators,
//! not a Jira clone. Both the Cloud emulator (through the gateway `/ex/jira/{cloudid}` and on
//! a site's own host) and the Data Center instance (under its context path) serve it, each
//! after checking the request's credential as it does for `/myself`; this module never sees a
//! credential, only who it belongs to ([`Person`]) and whether it may write.
//!
//! What it answers, in Jira's shapes (v3 with Atlassian Document Format bodies on Cloud, v2
//! with plain strings): `serverInfo` (the gateway's; the hosts answer it without credentials
//! themselves), `field`, `issuetype`, `priority`, `status`, `project` (a list, `project/search`
//! on Cloud, one by key or id), `issue` (get, create, edit), `issue/{key}/comment` (list, add),
//! `issue/{key}/transitions` (list, move), Jira Software's `/rest/agile/1.0/board` (one per
//! project, with its issues), and search: Cloud's `search/jql` (`nextPageToken`, a
//! bounded query) and `search/approximate-count`, and Data Center's
//! `search` (`startAt`, `total`), with `GET` and `POST` forms and `fields` selection, over the
//! JQL subset of jql.rs. Cloud's removed `search` answers 410 as Cloud does. Errors are Jira's
//! `{"errorMessages": [...], "errors": {...}}` with Jira's status. The issues live as long as the
//! emulator, at most [`MAX_ISSUES`] of them and [`MAX_STORED_BYTES`] of text.

mod jql;
mod render;

pub(crate) use render::server_info_cloud;

use base64::Engine as _;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::http::Request;
use crate::http::Response;
use jql::{Condition, Field, Query};

/// Issues one emulator holds at most: creating more is refused (a rehearsal, not a store).
pub(crate) const MAX_ISSUES: usize = 5000;
/// Requests [`Jira::served`] remembers.
const SERVED_KEPT: usize = 256;
/// Comments one issue holds at most.
const MAX_COMMENTS: usize = 1000;
/// Jira's limit on a text field (a description, a comment), in characters.
const MAX_TEXT_CHARS: usize = 32_767;
/// Text one emulator stores at most, all issues and comments together: what bounds its
/// memory, whatever the requests.
const MAX_STORED_BYTES: usize = 64 << 20;
/// Jira's limit on a summary's length.
const MAX_SUMMARY_CHARS: usize = 255;

/// Which Jira is answering: the shapes, versions and search endpoints differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    Cloud,
    DataCenter,
}

/// Whom a request's credential belongs to, as the host that checked it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Person {
    /// Cloud's `accountId`, Data Center's user key.
    pub(crate) id: String,
    /// Data Center's user name (Cloud has none).
    pub(crate) name: String,
    pub(crate) display_name: String,
    pub(crate) email: Option<String>,
    /// A service account (Cloud's `accountType` "app").
    pub(crate) app: bool,
}

/// What one request is answered with: its host's REST root (`self` links start there), the
/// caller, and the flavor.
pub(crate) struct Ctx<'a> {
    pub(crate) flavor: Flavor,
    /// `http://127.0.0.1:PORT/ex/jira/CLOUD_ID`, a site's host, or the instance's base URL.
    pub(crate) base: &'a str,
    pub(crate) caller: &'a Person,
}

/// A path of the rehearsal surface, below the REST root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// 2 or 3 (`latest` is 2).
    version: u8,
    resource: Resource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    ServerInfo,
    Fields,
    IssueTypes,
    Priorities,
    Statuses,
    Projects,
    ProjectSearch,
    Project(String),
    Issues,
    Issue(String),
    Comments(String),
    Transitions(String),
    /// `search`: Data Center's; removed on Cloud.
    Search,
    /// `search/jql`: Cloud's.
    SearchJql,
    /// `search/approximate-count`: Cloud's count of what a bounded query finds.
    ApproximateCount,
    /// `/rest/agile/1.0/board`: a board per project.
    Boards,
    Board(String),
    BoardIssues(String),
}

impl Route {
    /// The route of `path` (below the host's REST root, e.g. `/rest/api/3/issue/DEMO-1`), if
    /// it is one of the surface's. `myself` is not: its hosts answer it.
    pub(crate) fn parse(path: &str, flavor: Flavor) -> Option<Route> {
        if let Some(agile) = path.strip_prefix("/rest/agile/1.0/") {
            let parts: Vec<&str> = agile.trim_end_matches('/').split('/').collect();
            let resource = match parts.as_slice() {
                ["board"] => Resource::Boards,
                ["board", id] if !id.is_empty() => Resource::Board((*id).to_string()),
                ["board", id, "issue"] if !id.is_empty() => {
                    Resource::BoardIssues((*id).to_string())
                }
                _ => return None,
            };
            // Jira Software's API shows issues as v2 does.
            return Some(Route {
                version: 2,
                resource,
            });
        }
        let rest = path.strip_prefix("/rest/api/")?;
        let (version, tail) = rest.split_once('/')?;
        let version = match (version, flavor) {
            ("2" | "latest", _) => 2,
            ("3", Flavor::Cloud) => 3,
            _ => return None,
        };
        let parts: Vec<&str> = tail.trim_end_matches('/').split('/').collect();
        let resource = match parts.as_slice() {
            ["serverInfo"] => Resource::ServerInfo,
            ["field"] => Resource::Fields,
            ["issuetype"] => Resource::IssueTypes,
            ["priority"] => Resource::Priorities,
            ["status"] => Resource::Statuses,
            ["project"] => Resource::Projects,
            ["project", "search"] if flavor == Flavor::Cloud => Resource::ProjectSearch,
            ["project", key] if !key.is_empty() => Resource::Project((*key).to_string()),
            ["issue"] => Resource::Issues,
            ["issue", key] if !key.is_empty() => Resource::Issue((*key).to_string()),
            ["issue", key, "comment"] if !key.is_empty() => Resource::Comments((*key).to_string()),
            ["issue", key, "transitions"] if !key.is_empty() => {
                Resource::Transitions((*key).to_string())
            }
            ["search"] => Resource::Search,
            ["search", "jql"] if flavor == Flavor::Cloud => Resource::SearchJql,
            ["search", "approximate-count"] if flavor == Flavor::Cloud => {
                Resource::ApproximateCount
            }
            _ => return None,
        };
        Some(Route { version, resource })
    }

    /// Whether `method` on this route changes something (a search by `POST` does not): what a
    /// read-only credential may not do.
    pub(crate) fn writes(&self, method: &str) -> bool {
        !matches!(method, "GET" | "HEAD")
            && !matches!(
                self.resource,
                Resource::Search | Resource::SearchJql | Resource::ApproximateCount
            )
    }
}

#[derive(Debug, Clone)]
struct Project {
    id: u64,
    key: String,
    name: String,
    /// The next issue number in this project.
    next_number: u64,
}

#[derive(Debug, Clone)]
struct Comment {
    id: u64,
    body: String,
    author: Person,
    created: OffsetDateTime,
    updated: OffsetDateTime,
}

#[derive(Debug, Clone)]
struct Issue {
    id: u64,
    /// An index into `Jira::projects`.
    project: usize,
    number: u64,
    summary: String,
    /// Plain text; v3 shows it as a document of one paragraph per line.
    description: Option<String>,
    issue_type: &'static IssueType,
    status: &'static Status,
    priority: &'static Priority,
    labels: Vec<String>,
    reporter: Person,
    assignee: Option<Person>,
    created: OffsetDateTime,
    updated: OffsetDateTime,
    comments: Vec<Comment>,
}

impl Issue {
    /// The bytes of text it holds, comments included.
    fn text_bytes(&self) -> usize {
        self.summary.len()
            + self.description.as_ref().map_or(0, String::len)
            + self.labels.iter().map(String::len).sum::<usize>()
            + self.comments.iter().map(|c| c.body.len()).sum::<usize>()
    }

    /// Done is the one resolved status.
    fn resolved(&self) -> bool {
        self.status.category.1 == "done"
    }
}

/// The transitions open to an issue, `(id, status it leads to)`: one to every other status
/// (the workflow of a team-managed project, where any status goes to any other). A
/// transition's id is its status's place: "11", "21", "31".
fn transitions(issue: &Issue) -> impl Iterator<Item = (String, &'static Status)> + '_ {
    STATUSES
        .iter()
        .enumerate()
        .filter(|(_, status)| status.id != issue.status.id)
        .map(|(i, status)| (format!("{}1", i + 1), status))
}

/// The one resolution, `(id, name)`, of issues whose status is Done.
const RESOLUTION: (&str, &str) = ("10000", "Done");

#[derive(Debug)]
struct IssueType {
    id: &'static str,
    name: &'static str,
    description: &'static str,
}

#[derive(Debug)]
struct Status {
    id: &'static str,
    name: &'static str,
    /// `(id, key, name)` of its category.
    category: (u64, &'static str, &'static str),
}

#[derive(Debug)]
struct Priority {
    id: &'static str,
    name: &'static str,
}

const ISSUE_TYPES: [IssueType; 4] = [
    IssueType {
        id: "10001",
        name: "Task",
        description: "A small, distinct piece of work.",
    },
    IssueType {
        id: "10002",
        name: "Bug",
        description: "A problem or error.",
    },
    IssueType {
        id: "10003",
        name: "Story",
        description: "A user story.",
    },
    // No issue is one, but clients look for it (mcp-atlassian searches `issuetype = Epic` to
    // find the epic fields), as Jira Software has it.
    IssueType {
        id: "10000",
        name: "Epic",
        description: "A big user story that needs to be broken down.",
    },
];

const STATUSES: [Status; 3] = [
    Status {
        id: "10000",
        name: "To Do",
        category: (2, "new", "To Do"),
    },
    Status {
        id: "3",
        name: "In Progress",
        category: (4, "indeterminate", "In Progress"),
    },
    Status {
        id: "10001",
        name: "Done",
        category: (3, "done", "Done"),
    },
];

const PRIORITIES: [Priority; 5] = [
    Priority {
        id: "1",
        name: "Highest",
    },
    Priority {
        id: "2",
        name: "High",
    },
    Priority {
        id: "3",
        name: "Medium",
    },
    Priority {
        id: "4",
        name: "Low",
    },
    Priority {
        id: "5",
        name: "Lowest",
    },
];

/// When the first seeded issue was created (2026-01-05 09:00 UTC); the others follow a day
/// apart.
const SEEDED_FROM: i64 = 1_767_603_600;

/// The seeded projects: `(key, name)`.
const PROJECTS: [(&str, &str); 2] = [("DEMO", "Demo"), ("OPS", "Operations")];

/// The seeded issues: project, summary, type, status, priority, labels, assigned to the user,
/// description.
type Seed = (
    &'static str,
    &'static str,
    usize,
    usize,
    usize,
    &'static [&'static str],
    bool,
    &'static str,
);
const ISSUES: [Seed; 6] = [
    (
        "DEMO",
        "Set up the rehearsal project",
        0,
        2,
        2,
        &["setup"],
        false,
        "The first issue of the demo project.\nIt is done.",
    ),
    (
        "DEMO",
        "Login fails when the access token has expired",
        1,
        1,
        1,
        &["auth", "tokens"],
        true,
        "Steps: wait an hour, call the API.",
    ),
    (
        "DEMO",
        "Document the proxy for agents",
        2,
        0,
        2,
        &["docs"],
        false,
        "",
    ),
    (
        "DEMO",
        "Search returns the newest issues first",
        0,
        0,
        3,
        &[],
        false,
        "",
    ),
    (
        "OPS",
        "Rotate the service account's secret",
        0,
        0,
        1,
        &["security"],
        true,
        "Every 90 days.",
    ),
    ("OPS", "Renew the TLS certificate", 0, 2, 2, &[], false, ""),
];

/// One emulator's Jira: its projects and issues, behind the emulator's lock.
#[derive(Debug)]
pub(crate) struct Jira {
    projects: Vec<Project>,
    issues: Vec<Issue>,
    next_issue_id: u64,
    next_comment_id: u64,
    /// `METHOD /path` of the latest requests served, for tests to see what a client called.
    served: std::collections::VecDeque<String>,
}

impl Jira {
    /// Two projects, DEMO and OPS, with a handful of issues reported by `user`.
    pub(crate) fn seeded(user: &Person) -> Jira {
        let mut jira = Jira {
            projects: PROJECTS
                .iter()
                .enumerate()
                .map(|(i, (key, name))| Project {
                    id: 10000 + i as u64,
                    key: (*key).to_string(),
                    name: (*name).to_string(),
                    next_number: 1,
                })
                .collect(),
            issues: Vec::new(),
            next_issue_id: 10000,
            next_comment_id: 10000,
            served: std::collections::VecDeque::new(),
        };
        // Fixed dates a day apart, in seeding order: ORDER BY created has a known answer.
        let first = OffsetDateTime::from_unix_timestamp(SEEDED_FROM).expect("a valid date");
        for (i, seed) in ISSUES.iter().enumerate() {
            let (project, summary, ty, status, priority, labels, assigned, description) = *seed;
            let at = first + time::Duration::days(i as i64);
            let project = jira.project_index(project).expect("a seeded project");
            jira.add_issue(Issue {
                id: 0,
                project,
                number: 0,
                summary: summary.to_string(),
                description: (!description.is_empty()).then(|| description.to_string()),
                issue_type: &ISSUE_TYPES[ty],
                status: &STATUSES[status],
                priority: &PRIORITIES[priority],
                labels: labels.iter().map(|l| (*l).to_string()).collect(),
                reporter: user.clone(),
                assignee: assigned.then(|| user.clone()),
                created: at,
                updated: at,
                comments: Vec::new(),
            });
        }
        jira
    }

    /// `METHOD /path` (the query left out) of the latest requests it answered, oldest first.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn served(&self) -> Vec<String> {
        self.served.iter().cloned().collect()
    }

    /// Gives `issue` its id and number, and keeps it.
    fn add_issue(&mut self, mut issue: Issue) -> usize {
        issue.id = self.next_issue_id;
        self.next_issue_id += 1;
        let project = &mut self.projects[issue.project];
        issue.number = project.next_number;
        project.next_number += 1;
        self.issues.push(issue);
        self.issues.len() - 1
    }

    fn project_index(&self, key_or_id: &str) -> Option<usize> {
        self.projects
            .iter()
            .position(|p| p.key.eq_ignore_ascii_case(key_or_id) || p.id.to_string() == key_or_id)
    }

    fn key(&self, issue: &Issue) -> String {
        format!("{}-{}", self.projects[issue.project].key, issue.number)
    }

    /// The issue a path or JQL names, by key (any case) or id.
    fn issue_index(&self, key_or_id: &str) -> Option<usize> {
        self.issues.iter().position(|issue| {
            issue.id.to_string() == key_or_id || self.key(issue).eq_ignore_ascii_case(key_or_id)
        })
    }

    /// Answers `route` for the caller of `ctx`. The host has checked the credential, and that
    /// it may write when [`Route::writes`] says so.
    pub(crate) fn serve(&mut self, route: &Route, ctx: &Ctx<'_>, req: &Request) -> Response {
        if self.served.len() == SERVED_KEPT {
            self.served.pop_front();
        }
        self.served
            .push_back(format!("{} {}", req.method, req.path));
        let v = route.version;
        let method = req.method.as_str();
        match (&route.resource, method) {
            (Resource::ServerInfo, "GET") => Response::json(200, render::server_info_cloud(None)),
            (Resource::Fields, "GET") => Response::json(200, render::fields()),
            (Resource::IssueTypes, "GET") => Response::json(
                200,
                Value::Array(
                    ISSUE_TYPES
                        .iter()
                        .map(|t| render::issue_type(ctx, v, t))
                        .collect(),
                ),
            ),
            (Resource::Priorities, "GET") => Response::json(
                200,
                Value::Array(
                    PRIORITIES
                        .iter()
                        .map(|p| render::priority(ctx, v, p))
                        .collect(),
                ),
            ),
            (Resource::Statuses, "GET") => Response::json(
                200,
                Value::Array(STATUSES.iter().map(|s| render::status(ctx, v, s)).collect()),
            ),
            (Resource::Projects, "GET") => Response::json(
                200,
                Value::Array(
                    self.projects
                        .iter()
                        .map(|p| render::project(ctx, v, p))
                        .collect(),
                ),
            ),
            (Resource::ProjectSearch, "GET") => self.project_search(ctx, v, req),
            (Resource::Project(key), "GET") => match self.project_index(key) {
                Some(i) => Response::json(200, render::project(ctx, v, &self.projects[i])),
                None => error(
                    404,
                    &format!("No project could be found with key '{key}'."),
                    json!({}),
                ),
            },
            (Resource::Issues, "POST") => self.create(ctx, v, req),
            (Resource::Issue(key), "GET") => match self.issue_index(key) {
                Some(i) => {
                    let fields = Fields::parse(&list_param(req, "fields"), Fields::All(Vec::new()));
                    Response::json(200, render::issue(self, ctx, v, &self.issues[i], &fields))
                }
                None => issue_not_found(),
            },
            (Resource::Issue(key), "PUT") => self.edit(ctx, v, key, req),
            (Resource::Comments(key), "GET") => match self.issue_index(key) {
                Some(i) => Response::json(200, render::comments(ctx, v, &self.issues[i])),
                None => issue_not_found(),
            },
            (Resource::Comments(key), "POST") => self.comment(ctx, v, key, req),
            (Resource::Transitions(key), "GET") => match self.issue_index(key) {
                Some(i) => {
                    let to: Vec<Value> = transitions(&self.issues[i])
                        .map(|(id, status)| render::transition(ctx, v, id, status))
                        .collect();
                    Response::json(200, json!({"expand": "transitions", "transitions": to}))
                }
                None => issue_not_found(),
            },
            (Resource::Transitions(key), "POST") => self.transition(key, req),
            (Resource::Search, _) if ctx.flavor == Flavor::Cloud => error(
                410,
                "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046",
                json!({}),
            ),
            (Resource::ApproximateCount, "POST") => self.approximate_count(ctx, req),
            (Resource::Boards, "GET") => self.boards(ctx, req),
            (Resource::Board(id), "GET") => match self.board(id) {
                Some(project) => {
                    Response::json(200, render::board(ctx, project, &self.projects[project]))
                }
                None => board_not_found(),
            },
            (Resource::BoardIssues(id), "GET") => match self.board(id) {
                Some(project) => self.board_issues(ctx, project, req),
                None => board_not_found(),
            },
            (Resource::Search | Resource::SearchJql, "GET" | "POST") => {
                self.search(route, ctx, req)
            }
            _ => error(405, "Method Not Allowed", json!({})),
        }
    }

    fn project_search(&self, ctx: &Ctx<'_>, v: u8, req: &Request) -> Response {
        let start = number_param(req, "startAt").unwrap_or(0);
        let max = number_param(req, "maxResults").unwrap_or(50).min(100);
        let values: Vec<Value> = self
            .projects
            .iter()
            .skip(start)
            .take(max)
            .map(|p| render::project(ctx, v, p))
            .collect();
        let last = start + values.len() >= self.projects.len();
        Response::json(
            200,
            json!({
                "self": format!("{}/rest/api/{v}/project/search?startAt={start}&maxResults={max}", ctx.base),
                "maxResults": max,
                "startAt": start,
                "total": self.projects.len(),
                "isLast": last,
                "values": values,
            }),
        )
    }

    /// The project board `id` shows (boards are numbered from 1 in the projects' order).
    fn board(&self, id: &str) -> Option<usize> {
        let n: usize = id.parse().ok()?;
        (1..=self.projects.len()).contains(&n).then(|| n - 1)
    }

    /// `GET /rest/agile/1.0/board`: every board, or a project's (`projectKeyOrId`), a page.
    fn boards(&self, ctx: &Ctx<'_>, req: &Request) -> Response {
        let wanted = req.query_param("projectKeyOrId");
        let boards: Vec<Value> = (0..self.projects.len())
            .filter(|&i| wanted.is_none_or(|w| self.project_index(w) == Some(i)))
            .map(|i| render::board(ctx, i, &self.projects[i]))
            .collect();
        let start = number_param(req, "startAt").unwrap_or(0);
        let max = number_param(req, "maxResults").unwrap_or(50).min(50);
        let page: Vec<Value> = boards.iter().skip(start).take(max).cloned().collect();
        Response::json(
            200,
            json!({
                "maxResults": max,
                "startAt": start,
                "total": boards.len(),
                "isLast": start + page.len() >= boards.len(),
                "values": page,
            }),
        )
    }

    /// `GET /rest/agile/1.0/board/{id}/issue`: the board's project's issues, narrowed by
    /// `jql`, a page of them as Data Center's search gives it.
    fn board_issues(&self, ctx: &Ctx<'_>, project: usize, req: &Request) -> Response {
        let jql = req.query_param("jql").unwrap_or_default();
        let query =
            match jql::parse(jql).and_then(|query| self.check_values(&query).map(|()| query)) {
                Ok(query) => query,
                Err(message) => return error(400, &message, json!({})),
            };
        let found: Vec<usize> = self
            .found(&query, ctx.caller)
            .into_iter()
            .filter(|&i| self.issues[i].project == project)
            .collect();
        let start = number_param(req, "startAt").unwrap_or(0);
        let max = number_param(req, "maxResults").unwrap_or(50).min(1000);
        let fields = Fields::parse(&list_param(req, "fields"), Fields::Navigable(Vec::new()));
        let page: Vec<Value> = found
            .iter()
            .skip(start)
            .take(max)
            .map(|&i| render::issue(self, ctx, 2, &self.issues[i], &fields))
            .collect();
        Response::json(
            200,
            json!({
                "expand": "schema,names",
                "startAt": start,
                "maxResults": max,
                "total": found.len(),
                "issues": page,
            }),
        )
    }

    /// `{"count": N}` for a bounded query (Cloud's is approximate; this one is exact).
    fn approximate_count(&self, ctx: &Ctx<'_>, req: &Request) -> Response {
        let jql = match json_body(req) {
            Ok(body) => body
                .get("jql")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            Err(response) => return response,
        };
        let query = match self.bounded_query(&jql) {
            Ok(query) => query,
            Err(response) => return response,
        };
        Response::json(200, json!({"count": self.found(&query, ctx.caller).len()}))
    }

    /// A query Cloud's searches take: it parses, names what exists, and has a condition.
    fn bounded_query(&self, jql: &str) -> Result<Query, Response> {
        let query = jql::parse(jql).map_err(|message| error(400, &message, json!({})))?;
        if query.filter.is_none() {
            return Err(error(
                400,
                "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
                json!({}),
            ));
        }
        self.check_values(&query)
            .map_err(|message| error(400, &message, json!({})))?;
        Ok(query)
    }

    fn search(&self, route: &Route, ctx: &Ctx<'_>, req: &Request) -> Response {
        let params = match SearchParams::of(req) {
            Ok(params) => params,
            Err(response) => return response,
        };
        let cloud = route.resource == Resource::SearchJql;
        let query = if cloud {
            self.bounded_query(&params.jql)
        } else {
            jql::parse(&params.jql)
                .and_then(|query| self.check_values(&query).map(|()| query))
                .map_err(|message| error(400, &message, json!({})))
        };
        let query = match query {
            Ok(query) => query,
            Err(response) => return response,
        };
        let found = self.found(&query, ctx.caller);
        let (start, max) = if cloud {
            let start = match params.next_page_token.as_deref().map(decode_page_token) {
                None => 0,
                Some(Some(start)) => start,
                Some(None) => {
                    return error(
                        400,
                        "The provided next page token is invalid or expired.",
                        json!({}),
                    );
                }
            };
            (start, params.max_results.unwrap_or(50).clamp(1, 100))
        } else {
            (
                params.start_at.unwrap_or(0),
                params.max_results.unwrap_or(50).min(1000),
            )
        };
        let default = if cloud {
            Fields::Only(Vec::new())
        } else {
            Fields::Navigable(Vec::new())
        };
        let fields = Fields::parse(&params.fields, default);
        let page: Vec<Value> = found
            .iter()
            .skip(start)
            .take(max)
            .map(|&i| render::issue(self, ctx, route.version, &self.issues[i], &fields))
            .collect();
        let end = start + page.len();
        if cloud {
            let mut body = json!({"issues": page, "isLast": end >= found.len()});
            if end < found.len() {
                body["nextPageToken"] = json!(encode_page_token(end));
            }
            Response::json(200, body)
        } else {
            Response::json(
                200,
                json!({
                    "expand": "schema,names",
                    "startAt": start,
                    "maxResults": max,
                    "total": found.len(),
                    "issues": page,
                }),
            )
        }
    }

    /// Jira's 400s for values that name nothing: an unknown project, a key of no issue.
    fn check_values(&self, query: &Query) -> Result<(), String> {
        let Some(filter) = &query.filter else {
            return Ok(());
        };
        for condition in filter.conditions() {
            let Condition::Equals { field, values, .. } = condition else {
                continue;
            };
            for value in values {
                let jql::Value::Literal(value) = value else {
                    continue;
                };
                let known = match field {
                    Field::Project => self.project_index(value).is_some(),
                    Field::Key => {
                        if !value.contains('-') || value.starts_with('-') {
                            return Err(format!(
                                "The issue key '{value}' for field 'key' is invalid."
                            ));
                        }
                        if self.issue_index(value).is_none() {
                            return Err(format!(
                                "An issue with key '{value}' does not exist for field 'key'."
                            ));
                        }
                        true
                    }
                    Field::StatusCategory => STATUSES.iter().any(|s| {
                        let (id, key, name) = s.category;
                        name.eq_ignore_ascii_case(value)
                            || key.eq_ignore_ascii_case(value)
                            || id.to_string() == *value
                    }),
                    Field::Resolution => {
                        value.eq_ignore_ascii_case("unresolved")
                            || value.eq_ignore_ascii_case(RESOLUTION.1)
                            || *value == RESOLUTION.0
                    }
                    Field::Status => STATUSES
                        .iter()
                        .any(|s| s.name.eq_ignore_ascii_case(value) || s.id == value),
                    Field::IssueType => ISSUE_TYPES
                        .iter()
                        .any(|t| t.name.eq_ignore_ascii_case(value) || t.id == value),
                    Field::Priority => PRIORITIES
                        .iter()
                        .any(|p| p.name.eq_ignore_ascii_case(value) || p.id == value),
                    _ => true,
                };
                if !known {
                    return Err(format!(
                        "The value '{value}' does not exist for the field '{}'.",
                        field.name()
                    ));
                }
            }
        }
        Ok(())
    }

    /// The indexes of the issues `query` finds, in its order (newest first without one).
    fn found(&self, query: &Query, caller: &Person) -> Vec<usize> {
        let mut found: Vec<usize> = (0..self.issues.len())
            .filter(|&i| {
                query
                    .filter
                    .as_ref()
                    .is_none_or(|f| f.matches(&|c| self.holds(&self.issues[i], c, caller)))
            })
            .collect();
        let order = if query.order.is_empty() {
            vec![jql::Sort {
                field: Field::Created,
                descending: true,
            }]
        } else {
            query.order.clone()
        };
        found.sort_by(|&a, &b| {
            let (a, b) = (&self.issues[a], &self.issues[b]);
            for sort in &order {
                let ordering = self.compare(a, b, sort.field);
                let ordering = if sort.descending {
                    ordering.reverse()
                } else {
                    ordering
                };
                if ordering.is_ne() {
                    return ordering;
                }
            }
            // Ties: the newest last-made first, as Jira breaks them by id.
            b.id.cmp(&a.id)
        });
        found
    }

    fn compare(&self, a: &Issue, b: &Issue, field: Field) -> std::cmp::Ordering {
        let by_key = || {
            let (pa, pb) = (&self.projects[a.project].key, &self.projects[b.project].key);
            pa.cmp(pb).then(a.number.cmp(&b.number))
        };
        match field {
            Field::Key => by_key(),
            Field::Project => self.projects[a.project]
                .key
                .cmp(&self.projects[b.project].key),
            Field::Id => a.id.cmp(&b.id),
            Field::Summary | Field::Text => a.summary.cmp(&b.summary),
            Field::Description => a.description.cmp(&b.description),
            Field::Status => a.status.name.cmp(b.status.name),
            Field::StatusCategory => a.status.category.0.cmp(&b.status.category.0),
            Field::Resolution => a.resolved().cmp(&b.resolved()),
            Field::IssueType => a.issue_type.name.cmp(b.issue_type.name),
            // Highest first is ascending, as Jira sorts priorities by their order.
            Field::Priority => a.priority.id.cmp(b.priority.id),
            Field::Labels => a.labels.cmp(&b.labels),
            Field::Reporter => a.reporter.display_name.cmp(&b.reporter.display_name),
            Field::Assignee => {
                let name = |i: &Issue| i.assignee.as_ref().map(|p| p.display_name.clone());
                name(a).cmp(&name(b))
            }
            Field::Created => a.created.cmp(&b.created),
            Field::Updated => a.updated.cmp(&b.updated),
        }
    }

    /// Whether `issue` meets one condition.
    fn holds(&self, issue: &Issue, condition: &Condition, caller: &Person) -> bool {
        match condition {
            Condition::Equals {
                field,
                values,
                negated,
            } => {
                let any = values.iter().any(|value| match value {
                    jql::Value::CurrentUser => match field {
                        Field::Reporter => issue.reporter == *caller,
                        Field::Assignee => issue.assignee.as_ref() == Some(caller),
                        _ => false,
                    },
                    jql::Value::Literal(value) => self.equals(issue, *field, value),
                    // The parser gives dates to date fields only.
                    jql::Value::Now | jql::Value::StartOfDay => false,
                });
                any != *negated
            }
            Condition::Contains {
                field,
                text,
                negated,
            } => {
                let needle = text.trim_matches('*').to_lowercase();
                let haystacks: Vec<String> = match field {
                    Field::Summary => vec![issue.summary.clone()],
                    Field::Description => issue.description.iter().cloned().collect(),
                    _ => {
                        let mut all = vec![issue.summary.clone()];
                        all.extend(issue.description.iter().cloned());
                        all.extend(issue.comments.iter().map(|c| c.body.clone()));
                        all
                    }
                };
                let found = haystacks.iter().any(|h| h.to_lowercase().contains(&needle));
                found != *negated
            }
            Condition::Date { field, op, when } => {
                let at = match field {
                    Field::Updated => issue.updated,
                    _ => issue.created,
                };
                op.holds(at.unix_timestamp(), when.at(now().unix_timestamp()))
            }
            Condition::Empty { field, negated } => {
                let empty = match field {
                    Field::Resolution => !issue.resolved(),
                    Field::Assignee => issue.assignee.is_none(),
                    Field::Labels => issue.labels.is_empty(),
                    Field::Description => issue.description.is_none(),
                    _ => false,
                };
                empty != *negated
            }
        }
    }

    fn equals(&self, issue: &Issue, field: Field, value: &str) -> bool {
        let person = |p: &Person| {
            p.id == value
                || p.name.eq_ignore_ascii_case(value)
                || p.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(value))
        };
        match field {
            Field::Project => self.project_index(value) == Some(issue.project),
            Field::Key => self.key(issue).eq_ignore_ascii_case(value),
            Field::Id => issue.id.to_string() == value,
            Field::Status => {
                issue.status.name.eq_ignore_ascii_case(value) || issue.status.id == value
            }
            Field::StatusCategory => {
                let (id, key, name) = issue.status.category;
                name.eq_ignore_ascii_case(value)
                    || key.eq_ignore_ascii_case(value)
                    || id.to_string() == value
            }
            Field::Resolution => {
                if value.eq_ignore_ascii_case("unresolved") {
                    !issue.resolved()
                } else {
                    issue.resolved()
                        && (value.eq_ignore_ascii_case(RESOLUTION.1) || value == RESOLUTION.0)
                }
            }
            Field::IssueType => {
                issue.issue_type.name.eq_ignore_ascii_case(value) || issue.issue_type.id == value
            }
            Field::Priority => {
                issue.priority.name.eq_ignore_ascii_case(value) || issue.priority.id == value
            }
            Field::Labels => issue.labels.iter().any(|l| l == value),
            Field::Reporter => person(&issue.reporter),
            Field::Assignee => issue.assignee.as_ref().is_some_and(person),
            _ => false,
        }
    }

    /// Whether `adding` bytes of text may replace `replacing` ones within
    /// [`MAX_STORED_BYTES`]; the 400 that says so if not.
    fn room_for(&self, adding: usize, replacing: usize) -> Result<(), Response> {
        let stored: usize = self.issues.iter().map(Issue::text_bytes).sum();
        if stored - replacing + adding > MAX_STORED_BYTES {
            return Err(error(
                400,
                &format!(
                    "This rehearsal Jira holds at most {} MB of text; start a new emulator.",
                    MAX_STORED_BYTES >> 20
                ),
                json!({}),
            ));
        }
        Ok(())
    }

    fn create(&mut self, ctx: &Ctx<'_>, v: u8, req: &Request) -> Response {
        let body = match json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        if self.issues.len() >= MAX_ISSUES {
            return error(
                400,
                &format!(
                    "This rehearsal Jira holds at most {MAX_ISSUES} issues; start a new emulator."
                ),
                json!({}),
            );
        }
        let fields = body.get("fields").cloned().unwrap_or(json!({}));
        let Some(fields) = fields.as_object() else {
            return error(
                400,
                "Can not deserialize the request body: fields must be an object.",
                json!({}),
            );
        };
        let mut errors = serde_json::Map::new();
        let project = match fields.get("project") {
            Some(p) => p
                .get("key")
                .or_else(|| p.get("id"))
                .and_then(value_text)
                .and_then(|k| self.project_index(&k)),
            None => None,
        };
        if project.is_none() {
            errors.insert("project".into(), json!("Specify a valid project ID or key"));
        }
        let issue_type = fields.get("issuetype").and_then(|t| {
            ISSUE_TYPES.iter().find(|known| {
                t.get("id").and_then(value_text).as_deref() == Some(known.id)
                    || t.get("name")
                        .and_then(Value::as_str)
                        .is_some_and(|n| n.eq_ignore_ascii_case(known.name))
            })
        });
        if issue_type.is_none() {
            errors.insert("issuetype".into(), json!("Specify an issue type"));
        }
        let summary = fields
            .get("summary")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if summary.trim().is_empty() {
            errors.insert(
                "summary".into(),
                json!("You must specify a summary of the issue."),
            );
        }
        let mut issue = Issue {
            id: 0,
            project: project.unwrap_or(0),
            number: 0,
            summary: summary.to_string(),
            description: None,
            issue_type: issue_type.unwrap_or(&ISSUE_TYPES[0]),
            status: &STATUSES[0],
            priority: &PRIORITIES[2],
            labels: Vec::new(),
            reporter: ctx.caller.clone(),
            assignee: None,
            created: now(),
            updated: now(),
            comments: Vec::new(),
        };
        for (name, value) in fields {
            if matches!(name.as_str(), "project" | "issuetype" | "summary") {
                continue;
            }
            if let Err(message) = self.set_field(&mut issue, ctx, v, name, value) {
                errors.insert(name.clone(), json!(message));
            }
        }
        if let Err(message) = check_summary(&issue.summary) {
            errors.entry("summary").or_insert(json!(message));
        }
        if !errors.is_empty() {
            return error(400, "", Value::Object(errors));
        }
        if let Err(response) = self.room_for(issue.text_bytes(), 0) {
            return response;
        }
        let index = self.add_issue(issue);
        let issue = &self.issues[index];
        Response::json(
            201,
            json!({
                "id": issue.id.to_string(),
                "key": self.key(issue),
                "self": format!("{}/rest/api/{v}/issue/{}", ctx.base, issue.id),
            }),
        )
    }

    /// Sets one field from a create's or an edit's `fields`; the error is Jira's for it.
    fn set_field(
        &self,
        issue: &mut Issue,
        ctx: &Ctx<'_>,
        v: u8,
        name: &str,
        value: &Value,
    ) -> Result<(), String> {
        match name {
            "summary" => {
                let text = value.as_str().ok_or("Summary must be a string.")?;
                check_summary(text)?;
                issue.summary = text.to_string();
            }
            "description" => {
                let text = rich_text(v, value)?;
                if text
                    .as_ref()
                    .is_some_and(|t| t.chars().count() > MAX_TEXT_CHARS)
                {
                    return Err(too_long());
                }
                issue.description = text;
            }
            "labels" => {
                let labels = value.as_array().ok_or("Labels must be a list.")?;
                issue.labels = labels.iter().map(label).collect::<Result<_, _>>()?;
            }
            "priority" => {
                issue.priority = PRIORITIES
                    .iter()
                    .find(|p| {
                        value.get("id").and_then(value_text).as_deref() == Some(p.id)
                            || value
                                .get("name")
                                .and_then(Value::as_str)
                                .is_some_and(|n| n.eq_ignore_ascii_case(p.name))
                    })
                    .ok_or("Specify the Priority (id or name) in the correct format")?;
            }
            "assignee" => {
                issue.assignee = match value {
                    Value::Null => None,
                    _ => {
                        let named = ["accountId", "name", "key", "id"]
                            .iter()
                            .filter_map(|k| value.get(k).and_then(value_text))
                            .next();
                        match named {
                            Some(id)
                                if id == ctx.caller.id
                                    || id.eq_ignore_ascii_case(&ctx.caller.name) =>
                            {
                                Some(ctx.caller.clone())
                            }
                            Some(id)
                                if id == issue.reporter.id
                                    || id.eq_ignore_ascii_case(&issue.reporter.name) =>
                            {
                                Some(issue.reporter.clone())
                            }
                            _ => {
                                return Err(format!(
                                    "User '{}' does not exist.",
                                    named.unwrap_or_default()
                                ));
                            }
                        }
                    }
                };
            }
            _ => {
                return Err(format!(
                    "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                ));
            }
        }
        Ok(())
    }

    fn edit(&mut self, ctx: &Ctx<'_>, v: u8, key: &str, req: &Request) -> Response {
        let Some(index) = self.issue_index(key) else {
            return issue_not_found();
        };
        let body = match json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut issue = self.issues[index].clone();
        let mut errors = serde_json::Map::new();
        if let Some(fields) = body.get("fields").and_then(Value::as_object) {
            for (name, value) in fields {
                if let Err(message) = self.set_field(&mut issue, ctx, v, name, value) {
                    errors.insert(name.clone(), json!(message));
                }
            }
        }
        if let Some(update) = body.get("update").and_then(Value::as_object) {
            for (name, operations) in update {
                for operation in operations.as_array().into_iter().flatten() {
                    let result = match (
                        name.as_str(),
                        operation.as_object().and_then(|o| o.iter().next()),
                    ) {
                        ("labels", Some((op, value))) if op == "add" => label(value).map(|l| {
                            if !issue.labels.contains(&l) {
                                issue.labels.push(l);
                            }
                        }),
                        ("labels", Some((op, value))) if op == "remove" => {
                            label(value).map(|l| issue.labels.retain(|x| *x != l))
                        }
                        (_, Some((op, value))) if op == "set" => {
                            self.set_field(&mut issue, ctx, v, name, value)
                        }
                        _ => Err(format!(
                            "Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."
                        )),
                    };
                    if let Err(message) = result {
                        errors.insert(name.clone(), json!(message));
                    }
                }
            }
        }
        if !errors.is_empty() {
            return error(400, "", Value::Object(errors));
        }
        if let Err(response) = self.room_for(issue.text_bytes(), self.issues[index].text_bytes()) {
            return response;
        }
        issue.updated = now();
        self.issues[index] = issue;
        Response::empty(204)
    }

    /// `POST issue/{key}/transitions` `{"transition": {"id": …}}`: the issue moves to that
    /// transition's status (Done resolves it), 204.
    fn transition(&mut self, key: &str, req: &Request) -> Response {
        let Some(index) = self.issue_index(key) else {
            return issue_not_found();
        };
        let body = match json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let wanted = body
            .get("transition")
            .and_then(|t| t.get("id"))
            .and_then(value_text);
        let Some(wanted) = wanted else {
            return error(
                400,
                "",
                json!({"transition": "Missing 'transition' identifier"}),
            );
        };
        let issue = &mut self.issues[index];
        let Some((_, status)) = transitions(issue).find(|(id, _)| *id == wanted) else {
            return error(
                400,
                &format!("Transition id '{wanted}' is not valid for this issue."),
                json!({}),
            );
        };
        issue.status = status;
        issue.updated = now();
        Response::empty(204)
    }

    fn comment(&mut self, ctx: &Ctx<'_>, v: u8, key: &str, req: &Request) -> Response {
        let Some(index) = self.issue_index(key) else {
            return issue_not_found();
        };
        let body = match json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let text = match body.get("body").map(|b| rich_text(v, b)) {
            Some(Ok(Some(text))) if !text.trim().is_empty() => text,
            Some(Err(message)) => return error(400, "", json!({"comment": message})),
            _ => {
                return error(
                    400,
                    "",
                    json!({"comment": "Comment body can not be empty!"}),
                );
            }
        };
        if text.chars().count() > MAX_TEXT_CHARS {
            return error(400, "", json!({"comment": too_long()}));
        }
        if let Err(response) = self.room_for(text.len(), 0) {
            return response;
        }
        if self.issues[index].comments.len() >= MAX_COMMENTS {
            return error(
                400,
                &format!("This rehearsal Jira holds at most {MAX_COMMENTS} comments on an issue."),
                json!({}),
            );
        }
        let comment = Comment {
            id: self.next_comment_id,
            body: text,
            author: ctx.caller.clone(),
            created: now(),
            updated: now(),
        };
        self.next_comment_id += 1;
        let issue = &mut self.issues[index];
        issue.updated = comment.created;
        let rendered = render::comment(ctx, v, issue, &comment);
        issue.comments.push(comment);
        Response::json(201, rendered)
    }
}

/// Which fields an issue is shown with (`fields=`): Jira's `*all` and `*navigable` (each with
/// the `-name`s it leaves out), or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fields {
    All(Vec<String>),
    Navigable(Vec<String>),
    Only(Vec<String>),
}

impl Fields {
    /// What `requested` (comma-separated, maybe repeated) asks for; `default` when nothing is
    /// named (a list of `-name`s alone leaves those out of it).
    fn parse(requested: &[String], default: Fields) -> Fields {
        let names: Vec<&str> = requested
            .iter()
            .flat_map(|f| f.split(','))
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect();
        let left_out: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_prefix('-'))
            .map(str::to_string)
            .collect();
        let named: Vec<&str> = names.into_iter().filter(|n| !n.starts_with('-')).collect();
        if named.contains(&"*all") {
            return Fields::All(left_out);
        }
        if named.contains(&"*navigable") {
            return Fields::Navigable(left_out);
        }
        if !named.is_empty() {
            return Fields::Only(named.iter().map(|n| (*n).to_string()).collect());
        }
        match default {
            Fields::All(_) => Fields::All(left_out),
            Fields::Navigable(_) => Fields::Navigable(left_out),
            only => only,
        }
    }

    fn shows(&self, name: &str, navigable: bool) -> bool {
        match self {
            Fields::All(left_out) => !left_out.iter().any(|n| n == name),
            Fields::Navigable(left_out) => navigable && !left_out.iter().any(|n| n == name),
            Fields::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

/// What a search was asked, from a `GET`'s query or a `POST`'s JSON body.
struct SearchParams {
    jql: String,
    start_at: Option<usize>,
    max_results: Option<usize>,
    next_page_token: Option<String>,
    fields: Vec<String>,
}

impl SearchParams {
    fn of(req: &Request) -> Result<SearchParams, Response> {
        if req.method == "POST" {
            let body = json_body(req)?;
            let number = |name: &str| -> Result<Option<usize>, Response> {
                match body.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(v) => v.as_u64().map(|n| Some(n as usize)).ok_or_else(|| {
                        error(
                            400,
                            &format!("The value of '{name}' must be a positive number."),
                            json!({}),
                        )
                    }),
                }
            };
            let fields = match body.get("fields") {
                Some(Value::Array(list)) => list.iter().filter_map(value_text).collect(),
                Some(Value::String(s)) => vec![s.clone()],
                _ => Vec::new(),
            };
            Ok(SearchParams {
                jql: body
                    .get("jql")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                start_at: number("startAt")?,
                max_results: number("maxResults")?,
                next_page_token: body
                    .get("nextPageToken")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                fields,
            })
        } else {
            let number = |name: &str| -> Result<Option<usize>, Response> {
                match req.query_param(name) {
                    None | Some("") => Ok(None),
                    Some(v) => v.parse().map(Some).map_err(|_| {
                        error(
                            400,
                            &format!("The value '{v}' of '{name}' is not a positive number."),
                            json!({}),
                        )
                    }),
                }
            };
            Ok(SearchParams {
                jql: req.query_param("jql").unwrap_or_default().to_string(),
                start_at: number("startAt")?,
                max_results: number("maxResults")?,
                next_page_token: req
                    .query_param("nextPageToken")
                    .filter(|t| !t.is_empty())
                    .map(str::to_string),
                fields: list_param(req, "fields"),
            })
        }
    }
}

/// Every value of a query parameter that may repeat (`fields=a&fields=b` or `fields=a,b`).
fn list_param(req: &Request, name: &str) -> Vec<String> {
    req.query
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn number_param(req: &Request, name: &str) -> Option<usize> {
    req.query_param(name).and_then(|v| v.parse().ok())
}

/// A page token: opaque to clients, the offset of the next page to the emulator.
fn encode_page_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("rehearsal-page:{offset}"))
}

fn decode_page_token(token: &str) -> Option<usize> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("rehearsal-page:")?
        .parse()
        .ok()
}

/// A string or a number, as ids come either way.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn label(value: &Value) -> Result<String, String> {
    match value.as_str() {
        Some(l) if l.chars().count() > 255 => {
            Err("The label exceeds the 255 character limit.".to_string())
        }
        Some(l) if !l.is_empty() && !l.contains(char::is_whitespace) => Ok(l.to_string()),
        _ => Err("The label must be a string without spaces.".to_string()),
    }
}

/// Jira's words for a text over [`MAX_TEXT_CHARS`].
fn too_long() -> String {
    "The entered text is too long. It exceeds the allowed limit of 32,767 characters.".to_string()
}

fn check_summary(summary: &str) -> Result<(), String> {
    if summary.chars().count() > MAX_SUMMARY_CHARS {
        return Err("Summary must be less than 255 characters.".to_string());
    }
    if summary.contains('\n') {
        return Err("The summary is invalid because it contains newline characters.".to_string());
    }
    Ok(())
}

/// A description's or a comment's text from its representation: v2 a string, v3 an
/// Atlassian Document (which v3 insists on).
fn rich_text(v: u8, value: &Value) -> Result<Option<String>, String> {
    match (v, value) {
        (_, Value::Null) => Ok(None),
        (2, Value::String(s)) => Ok(Some(s.clone())),
        (3, doc @ Value::Object(_)) if doc.get("type").and_then(Value::as_str) == Some("doc") => {
            Ok(Some(render::adf_text(doc)))
        }
        (3, _) => Err(
            "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
                .to_string(),
        ),
        _ => Err("Operation value must be a string".to_string()),
    }
}

fn json_body(req: &Request) -> Result<Value, Response> {
    serde_json::from_slice::<Value>(&req.body)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| {
            error(
                400,
                "Unexpected character: the request body must be a JSON object.",
                json!({}),
            )
        })
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Jira's error body: `{"errorMessages": [...], "errors": {...}}` (no message: an empty list).
pub(crate) fn error(status: u16, message: &str, errors: Value) -> Response {
    let messages: Vec<&str> = [message].into_iter().filter(|m| !m.is_empty()).collect();
    Response::json(status, json!({"errorMessages": messages, "errors": errors}))
}

fn board_not_found() -> Response {
    error(
        404,
        "Board does not exist or you do not have permission to see it.",
        json!({}),
    )
}

fn issue_not_found() -> Response {
    error(
        404,
        "Issue does not exist or you do not have permission to see it.",
        json!({}),
    )
}

/// Fields in the order `field` lists them: `(id, name, navigable, schema type)`.
const FIELDS: [(&str, &str, bool, &str); 14] = [
    ("summary", "Summary", true, "string"),
    ("description", "Description", true, "string"),
    ("issuetype", "Issue Type", true, "issuetype"),
    ("project", "Project", true, "project"),
    ("status", "Status", true, "status"),
    ("resolution", "Resolution", true, "resolution"),
    ("priority", "Priority", true, "priority"),
    ("labels", "Labels", true, "array"),
    ("reporter", "Reporter", true, "user"),
    ("assignee", "Assignee", true, "user"),
    ("creator", "Creator", true, "user"),
    ("created", "Created", true, "datetime"),
    ("updated", "Updated", true, "datetime"),
    ("comment", "Comment", false, "comments-page"),
];

#[cfg(test)]
mod tests;
