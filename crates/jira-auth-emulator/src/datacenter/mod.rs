//! A Jira Data Center instance on loopback, under a context path (`http://127.0.0.1:PORT/jira`),
//! faithful to the "Data Center" section of jira-auth's docs/protocol.md: `/rest/api/2/serverInfo` without
//! credentials (`deploymentType` "DataCenter", `baseUrl` with the context path); its own
//! OAuth 2.0 provider (incoming application links: exact redirect URL, authorization code with
//! PKCE S256 verified, codes that live 10 s and work once, form bodies only, the client secret
//! in the body, the scopes READ < WRITE < ADMIN < SYSTEM_ADMIN capped by the link's); refresh
//! tokens that rotate, stay or are left out of the answer, as configured (UNCONFIRMED at
//! Atlassian, so every case is here), and a mode that wants `redirect_uri` on a refresh;
//! personal access tokens; service accounts (client credentials with their own id and
//! secret, READ or WRITE only, no refresh token, `/rest/api/2/myself` answering as the
//! account); `/rest/api/2/myself`; Data Center's error shapes
//! (`{"error":"invalid_grant"}`, 401 `{"errorMessages":[…]}`).
//!
//! Its clock is its own: tests move it instead of sleeping (a code that is 11 s old without
//! waiting 11 s), and its `Date` header can be skewed for `doctor`'s clock check.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use crate::http::{Handler, HttpServer, Request, Response, http_date, percent_encode};
use crate::jira::{self, Ctx, Flavor, Jira, Person, Route};

mod provider;

use provider::{authorize, token};

/// Data Center's default for `atlassian.oauth2.provider.max.client.delay.seconds`.
const CODE_TTL: Duration = Duration::from_secs(10);
const USER_NAME: &str = "ada";
const USER_KEY: &str = "JIRAUSER10000";
pub const USER_DISPLAY_NAME: &str = "Ada Lovelace";
const USER_EMAIL: &str = "ada@example.com";
const VERSION: &str = "9.12.2";

/// The scopes in increasing reach: a link's permission allows it and those before it.
const SCOPES: [&str; 4] = ["READ", "WRITE", "ADMIN", "SYSTEM_ADMIN"];

fn level(scope: &str) -> Option<usize> {
    SCOPES.iter().position(|s| *s == scope)
}

/// An incoming application link (Administration → Applications → Application links →
/// Create link → External application → Incoming).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub client_id: String,
    pub client_secret: String,
    /// Compared byte for byte.
    pub redirect_uri: String,
    /// The link's permission: the widest scope it may be granted.
    pub permission: String,
}

/// What a refresh answers with, refresh-token-wise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotation {
    /// A new refresh token; the one sent stops working at once.
    New,
    /// The same refresh token again.
    Same,
    /// No `refresh_token` in the answer: the one sent stays valid.
    Omitted,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum DcEndpoint {
    ServerInfo,
    Authorize,
    Token,
    Myself,
    /// `/rest/api/2/…` but serverInfo and myself: the rehearsal Jira (src/jira/).
    Jira,
}

struct Code {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    challenge: Option<String>,
    issued_at: Duration,
    used: bool,
}

struct Grant {
    client_id: String,
    scopes: Vec<String>,
    redirect_uri: String,
    revoked: bool,
}

struct Token {
    scopes: Vec<String>,
    expires_at: Duration,
    /// The service account a client-credentials token was minted for; `None` for a user's.
    service_account: Option<String>,
}

/// A service account an administrator created (Administration → Service accounts): its
/// OAuth 2.0 client credentials and the user it acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub client_id: String,
    pub client_secret: String,
    /// The user name `/rest/api/2/myself` answers with.
    pub name: String,
}

struct State {
    base_url: String,
    links: HashMap<String, Link>,
    service_accounts: HashMap<String, ServiceAccount>,
    pats: Vec<String>,
    codes: HashMap<String, Code>,
    grants: HashMap<String, Grant>,
    tokens: HashMap<String, Token>,
    rotation: Rotation,
    refresh_needs_redirect_uri: bool,
    access_token_ttl: u64,
    deny: bool,
    /// The emulated clock: what is added to the real elapsed time.
    offset: Duration,
    /// Added to the emulated clock every time a code is issued: the exchange then comes
    /// that much later, as over a slow network.
    delay_after_redirect: Duration,
    started: Instant,
    date_skew: i64,
    corrupt_next_challenge: bool,
    /// serverInfo wants credentials, as on an instance locked down that far.
    server_info_private: bool,
    pkce_verified: usize,
    hits: HashMap<DcEndpoint, usize>,
    /// The next requests to an endpoint answered with a status instead: (status, how many).
    faults: HashMap<DcEndpoint, (u16, usize)>,
    issued: Vec<String>,
    /// The rehearsal Jira it answers from.
    jira: Jira,
}

impl State {
    fn now(&self) -> Duration {
        self.started.elapsed() + self.offset
    }

    fn secret(&mut self, prefix: &str) -> String {
        crate::secret(prefix, &mut self.issued)
    }
}

/// The instance; dropping it stops it.
pub struct DataCenter {
    state: Arc<Mutex<State>>,
    server: HttpServer,
    context: String,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl DataCenter {
    /// An instance under `context` (`/jira`, or `""` for the root).
    pub fn start(context: &str) -> DataCenter {
        let context = context.trim_end_matches('/').to_string();
        let state = Arc::new(Mutex::new(State {
            base_url: String::new(),
            links: HashMap::new(),
            service_accounts: HashMap::new(),
            pats: Vec::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            tokens: HashMap::new(),
            rotation: Rotation::New,
            refresh_needs_redirect_uri: false,
            access_token_ttl: 3600,
            deny: false,
            offset: Duration::ZERO,
            delay_after_redirect: Duration::ZERO,
            started: Instant::now(),
            date_skew: 0,
            corrupt_next_challenge: false,
            server_info_private: false,
            pkce_verified: 0,
            hits: HashMap::new(),
            faults: HashMap::new(),
            issued: Vec::new(),
            jira: Jira::seeded(&user()),
        }));
        let handler_state = Arc::clone(&state);
        let prefix = context.clone();
        let handler: Handler = Arc::new(move |req: &Request| {
            let mut state = lock(&handler_state);
            let response = match req.path.strip_prefix(prefix.as_str()) {
                Some(path) if path.starts_with('/') => handle(&mut state, path, req),
                _ => not_found(),
            };
            dated(&state, response)
        });
        let server = HttpServer::start(handler);
        let dc = DataCenter {
            state,
            server,
            context,
        };
        let base = dc.base_url();
        dc.lock().base_url = base;
        dc
    }

    /// `http://127.0.0.1:PORT/jira`: what the admin set as Jira's base URL.
    pub fn base_url(&self) -> String {
        format!("{}{}", self.server.url(), self.context)
    }

    /// `http://127.0.0.1:PORT`: the host without the context path.
    #[cfg(any(test, feature = "testing"))]
    pub fn origin(&self) -> String {
        self.server.url()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn create_link(&self, link: Link) {
        self.lock().links.insert(link.client_id.clone(), link);
    }

    pub fn create_service_account(&self, account: ServiceAccount) {
        self.lock()
            .service_accounts
            .insert(account.client_id.clone(), account);
    }

    pub fn add_pat(&self, token: &str) {
        self.lock().pats.push(token.to_string());
    }

    /// What revoking a token under Profile → Personal Access Tokens does.
    #[cfg(any(test, feature = "testing"))]
    pub fn revoke_pat(&self, token: &str) {
        self.lock().pats.retain(|t| t != token);
    }

    #[cfg(any(test, feature = "testing"))]
    pub fn set_rotation(&self, rotation: Rotation) {
        self.lock().rotation = rotation;
    }

    /// Refreshes without `redirect_uri` get `invalid_request` naming it.
    #[cfg(any(test, feature = "testing"))]
    pub fn require_redirect_uri_on_refresh(&self, on: bool) {
        self.lock().refresh_needs_redirect_uri = on;
    }

    pub fn set_access_token_ttl(&self, secs: u64) {
        self.lock().access_token_ttl = secs;
    }

    /// The user answers Deny on the consent page.
    pub fn set_deny(&self, deny: bool) {
        self.lock().deny = deny;
    }

    /// Moves the instance's clock forward (codes and tokens age; nobody sleeps).
    #[cfg(any(test, feature = "testing"))]
    pub fn advance_clock(&self, by: Duration) {
        self.lock().offset += by;
    }

    /// Every code issued from now on is exchanged `by` later, on the instance's clock.
    #[cfg(any(test, feature = "testing"))]
    pub fn delay_exchange_by(&self, by: Duration) {
        self.lock().delay_after_redirect = by;
    }

    /// The `Date` header runs this many seconds ahead (negative: behind).
    #[cfg(any(test, feature = "testing"))]
    pub fn set_date_skew(&self, secs: i64) {
        self.lock().date_skew = secs;
    }

    /// serverInfo answers 401 without credentials: the instance will not say what it is.
    #[cfg(any(test, feature = "testing"))]
    pub fn make_server_info_private(&self) {
        self.lock().server_info_private = true;
    }

    /// The next consent's challenge is stored altered, as if the consent had been started
    /// by someone else: the genuine verifier then no longer matches.
    #[cfg(any(test, feature = "testing"))]
    pub fn corrupt_next_challenge(&self) {
        self.lock().corrupt_next_challenge = true;
    }

    /// What a user's "Revoke access" under Profile → Authorized applications does.
    #[cfg(any(test, feature = "testing"))]
    pub fn revoke_grants(&self) {
        for grant in self.lock().grants.values_mut() {
            grant.revoked = true;
        }
    }

    /// Code exchanges whose PKCE verifier matched its challenge.
    #[cfg(any(test, feature = "testing"))]
    pub fn pkce_verified(&self) -> usize {
        self.lock().pkce_verified
    }

    /// The next `times` requests to `ep` get `status` (and Data Center's error shape).
    #[cfg(any(test, feature = "testing"))]
    pub fn fail_next(&self, ep: DcEndpoint, status: u16, times: usize) {
        self.lock().faults.insert(ep, (status, times));
    }

    /// `METHOD /path` of the latest requests its rehearsal Jira answered (`myself` and
    /// `serverInfo` aside), oldest first: what a client called.
    #[cfg(any(test, feature = "testing"))]
    pub fn jira_requests(&self) -> Vec<String> {
        self.lock().jira.served()
    }

    #[cfg(any(test, feature = "testing"))]
    pub fn hits(&self, ep: DcEndpoint) -> usize {
        self.lock().hits.get(&ep).copied().unwrap_or(0)
    }

    /// Every code and token it issued, and every secret it was given (links' secrets,
    /// PATs): none may ever appear in output.
    #[cfg(any(test, feature = "testing"))]
    pub fn secrets(&self) -> Vec<String> {
        let state = self.lock();
        let mut all = state.issued.clone();
        all.extend(state.links.values().map(|l| l.client_secret.clone()));
        all.extend(
            state
                .service_accounts
                .values()
                .map(|a| a.client_secret.clone()),
        );
        all.extend(state.pats.iter().cloned());
        all
    }
}

fn dated(state: &State, response: Response) -> Response {
    let now = SystemTime::now();
    let skew = Duration::from_secs(state.date_skew.unsigned_abs());
    let at = if state.date_skew >= 0 {
        now + skew
    } else {
        now - skew
    };
    response.with_header("Date", &http_date(at))
}

fn handle(state: &mut State, path: &str, req: &Request) -> Response {
    let ep = match path {
        "/rest/api/2/serverInfo" => DcEndpoint::ServerInfo,
        "/rest/oauth2/latest/authorize" => DcEndpoint::Authorize,
        "/rest/oauth2/latest/token" => DcEndpoint::Token,
        "/rest/api/2/myself" | "/rest/api/latest/myself" => DcEndpoint::Myself,
        _ if Route::parse(path, Flavor::DataCenter).is_some() => DcEndpoint::Jira,
        _ => return not_found(),
    };
    *state.hits.entry(ep).or_default() += 1;
    if let Some((status, left)) = state.faults.get_mut(&ep).filter(|(_, left)| *left > 0) {
        *left -= 1;
        return Response::json(*status, json!({"errorMessages": ["Injected fault"]}));
    }
    match (ep, req.method.as_str()) {
        (DcEndpoint::Jira, _) => rehearsal(state, path, req),
        (DcEndpoint::Token, "POST") => token(state, req),
        (DcEndpoint::Token, _) => method_not_allowed(),
        (_, "GET") => match ep {
            DcEndpoint::ServerInfo if state.server_info_private => unauthenticated(),
            DcEndpoint::ServerInfo => server_info(state),
            DcEndpoint::Authorize => authorize(state, req),
            _ => myself(state, req),
        },
        _ => method_not_allowed(),
    }
}

fn server_info(state: &State) -> Response {
    Response::json(
        200,
        json!({
            "baseUrl": state.base_url,
            "version": VERSION,
            "versionNumbers": [9, 12, 2],
            "deploymentType": "DataCenter",
            "buildNumber": 9_120_002,
            "serverTitle": "Jira",
        }),
    )
}

/// The provider's own error page: it never returns to an app it cannot trust.
fn error_page(status: u16, what: &str) -> Response {
    Response::html(
        status,
        &format!(
            "<!DOCTYPE html><html><head><title>Jira</title></head><body><h1>Error</h1><p>{what}</p></body></html>"
        ),
    )
}

/// Who a request's Bearer credential is, and whether it may write: a live access token
/// (a user's grant, or a service account's) or a personal access token. `None`: Data
/// Center's 401.
fn caller(state: &State, req: &Request) -> Option<(Person, bool)> {
    let bearer = req
        .header("authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim().to_string())?;
    let now = state.now();
    let live = state
        .tokens
        .get(&bearer)
        .filter(|tok| now < tok.expires_at && !tok.scopes.is_empty());
    if let Some(token) = live {
        let writes = token
            .scopes
            .iter()
            .any(|s| level(s).is_some_and(|l| l >= 1));
        let person = match &token.service_account {
            Some(name) => Person {
                id: format!("svc-{name}"),
                name: name.clone(),
                display_name: name.clone(),
                email: None,
                app: true,
            },
            None => user(),
        };
        return Some((person, writes));
    }
    // A personal access token acts with all its user's permissions.
    state.pats.contains(&bearer).then(|| (user(), true))
}

/// The one user.
fn user() -> Person {
    Person {
        id: USER_KEY.to_string(),
        name: USER_NAME.to_string(),
        display_name: USER_DISPLAY_NAME.to_string(),
        email: Some(USER_EMAIL.to_string()),
        app: false,
    }
}

fn myself(state: &State, req: &Request) -> Response {
    let Some((person, _)) = caller(state, req) else {
        return unauthenticated();
    };
    if person.app {
        let name = &person.name;
        return Response::json(
            200,
            json!({
                "self": format!("{}/rest/api/2/user?username={name}", state.base_url),
                "key": person.id,
                "name": name,
                "displayName": name,
                "active": true,
            }),
        );
    }
    Response::json(
        200,
        json!({
            "self": format!("{}/rest/api/2/user?username={USER_NAME}", state.base_url),
            "key": USER_KEY,
            "name": USER_NAME,
            "emailAddress": USER_EMAIL,
            "displayName": USER_DISPLAY_NAME,
            "active": true,
            "timeZone": "Europe/Paris",
        }),
    )
}

/// The rehearsal Jira under the context path, for a Bearer credential of this instance; a
/// READ token that tries a change gets a 403.
fn rehearsal(state: &mut State, path: &str, req: &Request) -> Response {
    let Some(route) = Route::parse(path, Flavor::DataCenter) else {
        return not_found();
    };
    let Some((person, writes)) = caller(state, req) else {
        return unauthenticated();
    };
    if route.writes(&req.method) && !writes {
        return jira::error(
            403,
            "The access token's scope does not allow this request (it needs WRITE).",
            json!({}),
        );
    }
    let base = state.base_url.clone();
    let ctx = Ctx {
        flavor: Flavor::DataCenter,
        base: &base,
        caller: &person,
    };
    state.jira.serve(&route, &ctx, req)
}

/// Data Center's 401.
fn unauthenticated() -> Response {
    Response::json(
        401,
        json!({"errorMessages": ["You are not authenticated. Authentication required to perform this operation."], "errors": {}}),
    )
}

fn not_found() -> Response {
    Response::html(
        404,
        "<!DOCTYPE html><html><head><title>Oops, you've found a dead link. - Jira</title></head><body><h1>Oops, you've found a dead link.</h1></body></html>",
    )
}

fn method_not_allowed() -> Response {
    Response::json(405, json!({"errorMessages": ["Method Not Allowed"]}))
}

#[cfg(test)]
mod tests {
    use super::provider::s256;
    use super::*;
    use crate::emulator::tests::{http, json_body};
    use crate::http::parse_urlencoded;
    use serde_json::Value;

    const REDIRECT: &str = "http://127.0.0.1:8421/callback";
    const VERIFIER: &str = "a-verifier-of-at-least-forty-three-characters-0123456789";

    fn instance() -> DataCenter {
        let dc = DataCenter::start("/jira");
        dc.create_link(Link {
            client_id: "dc-client".into(),
            client_secret: "dc-secret".into(),
            redirect_uri: REDIRECT.into(),
            permission: "WRITE".into(),
        });
        dc.add_pat("pat-0123456789");
        dc
    }

    fn authorize_query(dc: &DataCenter, scope: &str) -> Vec<(String, String)> {
        let url = format!(
            "{}/rest/oauth2/latest/authorize?client_id=dc-client&redirect_uri={}&response_type=code&scope={scope}&state=st&code_challenge={}&code_challenge_method=S256",
            dc.base_url(),
            percent_encode(REDIRECT),
            s256(VERIFIER)
        );
        let response = http().get(url).send().unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        parse_urlencoded(location.split_once('?').unwrap().1.as_bytes())
    }

    fn code(dc: &DataCenter) -> String {
        let q = authorize_query(dc, "WRITE");
        q.iter().find(|(k, _)| k == "code").unwrap().1.clone()
    }

    fn post(dc: &DataCenter, pairs: &[(&str, &str)]) -> (u16, Value) {
        let body: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encode(v)))
            .collect();
        let response = http()
            .post(format!("{}/rest/oauth2/latest/token", dc.base_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body.join("&"))
            .send()
            .unwrap();
        (response.status().as_u16(), json_body(response))
    }

    fn exchange(dc: &DataCenter, code: &str, verifier: &str) -> (u16, Value) {
        post(
            dc,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "dc-client"),
                ("client_secret", "dc-secret"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ],
        )
    }

    #[test]
    fn server_info_says_data_center_with_the_context_path() {
        let dc = instance();
        let body = json_body(
            http()
                .get(format!("{}/rest/api/2/serverInfo", dc.base_url()))
                .send()
                .unwrap(),
        );
        assert_eq!(body["deploymentType"], "DataCenter");
        assert_eq!(body["baseUrl"], dc.base_url());
        assert!(dc.base_url().ends_with("/jira"));
        let outside = http()
            .get(format!("{}/rest/api/2/serverInfo", dc.origin()))
            .send()
            .unwrap();
        assert_eq!(outside.status(), 404, "nothing outside the context path");
    }

    #[test]
    fn pkce_is_verified_and_codes_work_once() {
        let dc = instance();
        let c = code(&dc);
        assert_eq!(
            exchange(&dc, &c, "another-verifier-entirely-0123456789abcdefgh").1,
            json!({"error": "invalid_grant"})
        );
        // A code refused once is spent.
        assert_eq!(exchange(&dc, &c, VERIFIER).0, 400);
        let c = code(&dc);
        let (status, body) = exchange(&dc, &c, VERIFIER);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["scope"], "WRITE");
        assert!(body["refresh_token"].is_string());
        assert_eq!(dc.pkce_verified(), 1);
        assert_eq!(exchange(&dc, &c, VERIFIER).0, 400, "single use");
    }

    #[test]
    fn codes_expire_after_ten_seconds_on_the_instances_clock() {
        let dc = instance();
        let c = code(&dc);
        dc.advance_clock(Duration::from_secs(11));
        assert_eq!(
            exchange(&dc, &c, VERIFIER),
            (400, json!({"error": "invalid_grant"}))
        );
        let c = code(&dc);
        dc.advance_clock(Duration::from_secs(9));
        assert_eq!(exchange(&dc, &c, VERIFIER).0, 200);
    }

    #[test]
    fn only_form_bodies_and_the_links_own_secret_and_scopes() {
        let dc = instance();
        let c = code(&dc);
        let response = http()
            .post(format!("{}/rest/oauth2/latest/token", dc.base_url()))
            .header("Content-Type", "application/json")
            .body(json!({"grant_type": "authorization_code", "client_id": "dc-client", "client_secret": "dc-secret", "code": c, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}).to_string())
            .send()
            .unwrap();
        assert_eq!(response.status(), 400);
        assert_eq!(json_body(response)["error"], "invalid_request");
        let (status, body) = post(
            &dc,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", "dc-client"),
                ("client_secret", "wrong"),
                ("code", &c),
                ("redirect_uri", REDIRECT),
            ],
        );
        assert_eq!((status, body), (401, json!({"error": "invalid_client"})));
        let q = authorize_query(&dc, "ADMIN");
        assert_eq!(q[0], ("error".to_string(), "invalid_scope".to_string()));
        let wrong = http()
            .get(format!(
                "{}/rest/oauth2/latest/authorize?client_id=dc-client&redirect_uri={}&response_type=code&scope=READ&state=s",
                dc.base_url(),
                percent_encode("http://localhost:8421/callback")
            ))
            .send()
            .unwrap();
        assert_eq!(
            wrong.status(),
            400,
            "an unregistered redirect is never followed"
        );
    }

    #[test]
    fn refresh_rotates_or_not_and_may_want_the_redirect_uri() {
        let dc = instance();
        let (_, first) = exchange(&dc, &code(&dc), VERIFIER);
        let rt = first["refresh_token"].as_str().unwrap().to_string();
        let refresh = |token: &str, redirect: Option<&str>| {
            let mut pairs = vec![
                ("grant_type", "refresh_token"),
                ("client_id", "dc-client"),
                ("client_secret", "dc-secret"),
                ("refresh_token", token),
            ];
            if let Some(r) = redirect {
                pairs.push(("redirect_uri", r));
            }
            post(&dc, &pairs)
        };
        let (status, second) = refresh(&rt, None);
        assert_eq!(status, 200);
        let rotated = second["refresh_token"].as_str().unwrap().to_string();
        assert_ne!(rotated, rt);
        assert_eq!(
            refresh(&rt, None).1,
            json!({"error": "invalid_grant"}),
            "the rotated-out token is dead"
        );
        dc.set_rotation(Rotation::Omitted);
        let (status, third) = refresh(&rotated, None);
        assert_eq!(status, 200);
        assert!(third.get("refresh_token").is_none());
        dc.require_redirect_uri_on_refresh(true);
        let (status, body) = refresh(&rotated, None);
        assert_eq!((status, &body["error"]), (400, &json!("invalid_request")));
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("redirect_uri")
        );
        assert_eq!(refresh(&rotated, Some(REDIRECT)).0, 200);
        dc.revoke_grants();
        assert_eq!(refresh(&rotated, Some(REDIRECT)).0, 400);
    }

    #[test]
    fn myself_takes_pats_and_live_access_tokens_only() {
        let dc = instance();
        let get = |token: &str| {
            let response = http()
                .get(format!("{}/rest/api/2/myself", dc.base_url()))
                .bearer_auth(token)
                .send()
                .unwrap();
            (response.status().as_u16(), json_body(response))
        };
        let (status, me) = get("pat-0123456789");
        assert_eq!((status, &me["name"]), (200, &json!(USER_NAME)));
        let (status, body) = get("pat-wrong");
        assert_eq!(status, 401);
        assert!(
            body["errorMessages"][0]
                .as_str()
                .unwrap()
                .contains("not authenticated")
        );
        let (_, granted) = exchange(&dc, &code(&dc), VERIFIER);
        let at = granted["access_token"].as_str().unwrap().to_string();
        assert_eq!(get(&at).0, 200);
        dc.advance_clock(Duration::from_secs(3601));
        assert_eq!(get(&at).0, 401, "expired");
        assert_eq!(dc.hits(DcEndpoint::Myself), 4);
    }

    #[test]
    fn service_accounts_mint_read_or_write_with_their_own_secret_and_a_form_body() {
        let dc = instance();
        dc.create_service_account(ServiceAccount {
            client_id: "sa-client".into(),
            client_secret: "sa-secret".into(),
            name: "ci-bot".into(),
        });
        dc.set_access_token_ttl(60);
        let mint = |secret: &str, scope: &str| {
            post(
                &dc,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", "sa-client"),
                    ("client_secret", secret),
                    ("scope", scope),
                ],
            )
        };
        let (status, body) = mint("sa-secret", "WRITE");
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["scope"].as_str(), body["expires_in"].as_u64()),
            (Some("WRITE"), Some(60))
        );
        assert!(body.get("refresh_token").is_none());
        let who = http()
            .get(format!("{}/rest/api/2/myself", dc.base_url()))
            .bearer_auth(body["access_token"].as_str().unwrap())
            .send()
            .unwrap();
        assert_eq!(json_body(who)["name"], "ci-bot");
        assert_eq!(
            mint("wrong", "READ"),
            (401, json!({"error": "invalid_client"}))
        );
        assert_eq!(
            mint("sa-secret", "ADMIN").1,
            json!({"error": "invalid_scope"})
        );
        let json = http()
            .post(format!("{}/rest/oauth2/latest/token", dc.base_url()))
            .header("Content-Type", "application/json")
            .body(json!({"grant_type": "client_credentials", "client_id": "sa-client", "client_secret": "sa-secret"}).to_string())
            .send()
            .unwrap();
        assert_eq!(json.status(), 400);
        dc.advance_clock(Duration::from_secs(61));
        let late = http()
            .get(format!("{}/rest/api/2/myself", dc.base_url()))
            .bearer_auth(body["access_token"].as_str().unwrap())
            .send()
            .unwrap();
        assert_eq!(late.status(), 401);
    }
}
