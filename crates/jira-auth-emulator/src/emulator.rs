//! The Atlassian OAuth 2.0 (3LO) emulator: an auth server (auth.atlassian.com) and an API
//! server (api.atlassian.com) on loopback, faithful to what Atlassian documents (jira-auth's
//! docs/protocol.md), including its unpleasant parts. The auth server is
//! emulator/auth.rs, with the consent page a person answers in emulator/consent.rs; the API
//! server is emulator/api.rs, and emulator/accounts.rs adds service accounts, API tokens and
//! the sites' own hosts. It is the tests' world and the sandbox's (`jira-auth sandbox`,
//! `init --sandbox`): one emulator, so the two never drift apart.
//!
//! It serves a CLI and a test suite, never a crowd (hyper on the crate's runtime, http.rs).
//! What only tests use (revocations, held-back answers, a skewed clock, hit counts, the
//! secrets it gave out) exists only with the `testing` feature; the sandbox's scenarios need
//! [`Emulator::fail_next`] and the token lifetimes, which are always there.

mod accounts;
mod api;
mod auth;
mod consent;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::http::{Handler, HeldBackHandler, HttpServer, Request, Response};
use crate::jira::Jira;
pub use accounts::{ApiToken, ServiceAccount, TokenKind};
use auth::is_refresh;

/// Cloud id of the site `accessible-resources` returns until `set_sites` says otherwise.
const DEFAULT_SITE_ID: &str = "0f3c9a4e-7d1b-4c2a-9e58-ac3e00000001";
const DEFAULT_SITE_NAME: &str = "acme";
const DEFAULT_SITE_URL: &str = "https://acme.atlassian.net";
/// The one user every grant belongs to.
const USER_ACCOUNT_ID: &str = "712020:5f1c1a8e-4b1e-4d4e-9a61-2c3f9e0b7d21";
pub const USER_EMAIL: &str = "ada@example.com";
pub const USER_NAME: &str = "Ada Lovelace";

/// Authorization codes live this long (Atlassian does not document it; 5 minutes is usual).
const CODE_TTL: Duration = Duration::from_secs(5 * 60);
const OFFLINE_ACCESS: &str = "offline_access";

/// An OAuth app as registered in the developer console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub secret: String,
    /// Compared byte for byte with the `redirect_uri` a request carries.
    pub(crate) redirect_uris: Vec<String>,
    /// Scopes ticked in the console; `offline_access` is never among them yet always allowed.
    pub scopes: Vec<String>,
}

impl Client {
    pub fn new(
        id: impl Into<String>,
        secret: impl Into<String>,
        redirect_uri: &str,
        scopes: &[&str],
    ) -> Client {
        Client {
            id: id.into(),
            secret: secret.into(),
            redirect_uris: vec![redirect_uri.to_string()],
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// What the (emulated) user does on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    /// Approves at once: `/authorize` redirects to the callback with a code.
    Approve,
    /// Declines at once: `/authorize` redirects with `error=access_denied`.
    Deny,
    /// Shows the consent page, for a person in a browser to answer (consent.rs).
    Ask,
}

/// A Jira Cloud site; `id` is its cloud id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub id: String,
    pub name: String,
    pub url: String,
}

impl Site {
    pub fn new(id: impl Into<String>, name: impl Into<String>, url: impl Into<String>) -> Site {
        Site {
            id: id.into(),
            name: name.into(),
            url: url.into(),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Endpoint {
    /// `GET {auth}/authorize`
    Authorize,
    /// `POST {auth}/authorize/consent` (the consent page's form)
    Decision,
    /// `POST {auth}/oauth/token`
    Token,
    /// `GET {api}/oauth/token/accessible-resources`
    AccessibleResources,
    /// `GET {api}/me`
    Me,
    /// `GET {api}/ex/jira/{cloudid}/rest/api/3/myself`
    Myself,
    /// `GET {site}/_edge/tenant_info` (a site's own host, no credentials)
    TenantInfo,
    /// `GET {site}/rest/api/3/myself` (a site's own host: classic API tokens)
    SiteMyself,
    /// `GET {site}/rest/api/2/serverInfo` (a site's own host, no credentials)
    ServerInfo,
    /// `{api}/ex/jira/{cloudid}/rest/api/{2,3}/…`: the rehearsal Jira (issues, search,
    /// projects, fields…; src/jira/) through the gateway, `myself` aside
    Jira,
    /// `{site}/rest/api/{2,3}/…`: the rehearsal Jira on a site's own host (classic API
    /// tokens), `myself` and `serverInfo` aside
    SiteJira,
}

/// Both servers plus the state they share, and the sites' own hosts once asked for;
/// dropping it stops them.
pub struct Emulator {
    state: Arc<Mutex<State>>,
    auth: HttpServer,
    api: HttpServer,
    /// `(cloud id, host)`: see [`Emulator::site_url`].
    site_hosts: Mutex<Vec<(String, HttpServer)>>,
}

impl Emulator {
    pub fn start() -> Emulator {
        let state = Arc::new(Mutex::new(State::new()));
        let auth_state = Arc::clone(&state);
        let auth: HeldBackHandler = Arc::new(move |req: &Request| {
            let mut state = lock(&auth_state);
            let delay = if is_refresh(req) {
                state.refresh_delay
            } else {
                Duration::ZERO
            };
            // Held back by the server, outside the state's lock: other requests are served
            // meanwhile.
            (state.handle_auth(req), delay)
        });
        let api_state = Arc::clone(&state);
        let api: Handler = Arc::new(move |req: &Request| {
            let mut state = lock(&api_state);
            let response = state.handle_api(req);
            state.dated(response)
        });
        Emulator {
            state,
            auth: HttpServer::holding_back(auth),
            api: HttpServer::start(api),
            site_hosts: Mutex::new(Vec::new()),
        }
    }

    /// Base URL of the emulated auth.atlassian.com, without trailing slash.
    pub fn auth_url(&self) -> String {
        self.auth.url()
    }

    /// Base URL of the emulated api.atlassian.com, without trailing slash.
    pub fn api_url(&self) -> String {
        self.api.url()
    }

    pub fn register_client(&self, client: Client) {
        self.lock().clients.insert(client.id.clone(), client);
    }

    pub fn set_consent(&self, consent: Consent) {
        self.lock().consent = consent;
    }

    pub fn set_sites(&self, sites: Vec<Site>) {
        self.lock().sites = sites;
    }

    /// `expires_in` of access tokens issued from now on; 0 gives tokens that are already expired.
    pub fn set_access_token_ttl(&self, secs: u64) {
        self.lock().access_token_ttl = secs;
    }

    /// How long a rotated refresh token keeps working; 0 makes any reuse a breach.
    pub fn set_reuse_interval(&self, secs: u64) {
        self.lock().reuse_interval = Duration::from_secs(secs);
    }

    /// The next `times` requests to `ep` get `status` instead of being served. Calls queue up.
    pub fn fail_next(&self, ep: Endpoint, status: u16, times: usize, retry_after: Option<u64>) {
        self.lock().faults.entry(ep).or_default().push_back(Fault {
            status,
            remaining: times,
            retry_after,
        });
    }

    /// Every request routed to `ep`, fault-injected ones included.
    #[cfg(any(test, feature = "testing"))]
    pub fn hits(&self, ep: Endpoint) -> usize {
        self.lock().hits.get(&ep).copied().unwrap_or(0)
    }

    /// `METHOD /path` of the latest requests its rehearsal Jira answered (the gateway's and
    /// the sites' hosts', `myself` and anonymous `serverInfo` aside), oldest first: what a
    /// client called.
    #[cfg(any(test, feature = "testing"))]
    pub fn jira_requests(&self) -> Vec<String> {
        self.lock().jira.served()
    }

    /// Every authorization code, access token and refresh token ever issued, in issue order.
    #[cfg(any(test, feature = "testing"))]
    pub fn issued_secrets(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// What a password change does: every refresh token stops working (access tokens live on,
    /// they are self-contained JWTs at Atlassian).
    #[cfg(any(test, feature = "testing"))]
    pub fn revoke_all_refresh_tokens(&self) {
        for token in self.lock().refresh_tokens.values_mut() {
            token.revoked = true;
        }
    }

    /// What removing the app's access in the account's settings (Connected apps) does: the
    /// grant ends at once, its refresh tokens and the access tokens already issued with it.
    #[cfg(any(test, feature = "testing"))]
    pub fn revoke_grant(&self) {
        let mut state = self.lock();
        for token in state.refresh_tokens.values_mut() {
            token.revoked = true;
        }
        state.access_tokens.clear();
    }

    /// What un-ticking a scope in the console after consent does: the grant loses it, so
    /// accessible-resources stops listing it and refreshed tokens come without it, while
    /// access tokens already issued (self-contained JWTs) keep it until they expire.
    #[cfg(any(test, feature = "testing"))]
    pub fn withdraw_scope(&self, scope: &str) {
        let mut state = self.lock();
        for client in state.clients.values_mut() {
            client.scopes.retain(|s| s != scope);
        }
        for token in state.refresh_tokens.values_mut() {
            token.scopes.retain(|s| s != scope);
        }
        state.withdrawn_scopes.push(scope.to_string());
    }

    /// Refresh requests take effect at once (the old refresh token is rotated out) but are
    /// answered only after `ms`: a window in which a test can race another command against
    /// a `token` that is in the middle of refreshing.
    #[cfg(any(test, feature = "testing"))]
    pub fn set_refresh_delay_ms(&self, ms: u64) {
        self.lock().refresh_delay = Duration::from_millis(ms);
    }

    /// The API server's clock runs this many seconds ahead (negative: behind) in its `Date`.
    #[cfg(any(test, feature = "testing"))]
    pub fn set_api_clock_skew(&self, secs: i64) {
        self.lock().api_clock_skew = secs;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// The auth server's handler, called in-process: how the emulated Composio's callback
    /// exchanges a code at this Atlassian (composio.rs) without a request over loopback from
    /// inside a handler.
    pub(crate) fn auth_handler(&self) -> Arc<dyn Fn(&Request) -> Response + Send + Sync> {
        let state = Arc::clone(&self.state);
        Arc::new(move |req: &Request| lock(&state).handle_auth(req))
    }

    /// Whether a consent with this `state` broke on an unticked scope, in-process as
    /// [`Emulator::auth_handler`].
    pub(crate) fn refusals(&self) -> Arc<dyn Fn(&str) -> bool + Send + Sync> {
        let state = Arc::clone(&self.state);
        Arc::new(move |st: &str| lock(&state).refused_states.iter().any(|s| s == st))
    }
}

/// A panicking handler must not turn every later request into a poison panic.
fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

struct Fault {
    status: u16,
    remaining: usize,
    retry_after: Option<u64>,
}

struct AuthCode {
    client_id: String,
    redirect_uri: String,
    scopes: Vec<String>,
    issued_at: Instant,
    used: bool,
}

struct AccessToken {
    scopes: Vec<String>,
    expires_at: Instant,
    /// The client id of the service account it was minted for; `None` for a user's grant.
    service_account: Option<String>,
}

struct RefreshToken {
    client_id: String,
    family: u64,
    scopes: Vec<String>,
    /// When this token was first exchanged; it then only works for the reuse interval.
    rotated_at: Option<Instant>,
    revoked: bool,
}

struct State {
    clients: HashMap<String, Client>,
    service_accounts: HashMap<String, ServiceAccount>,
    api_tokens: Vec<ApiToken>,
    consent: Consent,
    sites: Vec<Site>,
    access_token_ttl: u64,
    reuse_interval: Duration,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
    hits: HashMap<Endpoint, usize>,
    codes: HashMap<String, AuthCode>,
    /// Consent pages shown and not yet answered, by the handle in their form.
    pending: HashMap<String, consent::Pending>,
    access_tokens: HashMap<String, AccessToken>,
    refresh_tokens: HashMap<String, RefreshToken>,
    next_family: u64,
    issued: Vec<String>,
    withdrawn_scopes: Vec<String>,
    api_clock_skew: i64,
    /// How long a refresh's answer is held back after the refresh took effect.
    refresh_delay: Duration,
    describe_scope: Option<consent::DescribeScope>,
    /// The rehearsal Jira all sites answer from (one per emulator: a site's host and the
    /// gateway see the same issues).
    jira: Jira,
    /// The `state` of every consent that broke on an unticked scope ("Something went wrong").
    refused_states: Vec<String>,
}

type Params = Vec<(String, String)>;

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

impl State {
    fn new() -> State {
        State {
            clients: HashMap::new(),
            service_accounts: HashMap::new(),
            api_tokens: Vec::new(),
            consent: Consent::Approve,
            sites: vec![Site::new(
                DEFAULT_SITE_ID,
                DEFAULT_SITE_NAME,
                DEFAULT_SITE_URL,
            )],
            access_token_ttl: 3600,
            reuse_interval: Duration::from_secs(600),
            faults: HashMap::new(),
            hits: HashMap::new(),
            codes: HashMap::new(),
            pending: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            next_family: 1,
            issued: Vec::new(),
            withdrawn_scopes: Vec::new(),
            api_clock_skew: 0,
            refresh_delay: Duration::ZERO,
            describe_scope: None,
            jira: Jira::seeded(&api::cloud_user()),
            refused_states: Vec::new(),
        }
    }

    /// Counts the hit, then serves an injected fault if one is queued for `ep`.
    fn count_and_fault(&mut self, ep: Endpoint) -> Option<Response> {
        *self.hits.entry(ep).or_default() += 1;
        let queue = self.faults.get_mut(&ep)?;
        while queue.front().is_some_and(|f| f.remaining == 0) {
            queue.pop_front();
        }
        let fault = queue.front_mut()?;
        fault.remaining -= 1;
        let body = match fault.status {
            429 => json!({"code": 429, "message": "Too Many Requests"}),
            500..=599 => json!({"error": "temporarily_unavailable"}),
            status => json!({"code": status, "message": "Injected fault"}),
        };
        let mut response = Response::json(fault.status, body);
        if let Some(secs) = fault.retry_after {
            response = response.with_header("Retry-After", &secs.to_string());
        }
        Some(response)
    }

    fn secret(&mut self, prefix: &str) -> String {
        crate::secret(prefix, &mut self.issued)
    }
}

fn scope_mismatch() -> Response {
    Response::json(
        401,
        json!({"code": 401, "message": "Unauthorized; scope does not match"}),
    )
}

fn not_found() -> Response {
    Response::json(404, json!({"code": 404, "message": "Not Found"}))
}

fn method_not_allowed(allow: &str) -> Response {
    Response::json(405, json!({"code": 405, "message": "Method Not Allowed"}))
        .with_header("Allow", allow)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::http::{parse_urlencoded, percent_encode};
    use reqwest::blocking::Client as HttpClient;
    use serde_json::Value;

    const REDIRECT: &str = "http://127.0.0.1:8421/callback";

    pub(crate) fn http() -> HttpClient {
        HttpClient::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    fn emulator() -> Emulator {
        let emu = Emulator::start();
        emu.register_client(Client::new(
            "cid",
            "csecret",
            REDIRECT,
            &["read:jira-work", "read:jira-user", "read:me"],
        ));
        emu
    }

    fn authorize_url(emu: &Emulator, client_id: &str, redirect_uri: &str, scope: &str) -> String {
        format!(
            "{}/authorize?audience=api.atlassian.com&client_id={client_id}&scope={}\
             &redirect_uri={}&state=st%2Fate+1&response_type=code&prompt=consent\
             &code_challenge=abc&code_challenge_method=S256",
            emu.auth_url(),
            percent_encode(scope),
            percent_encode(redirect_uri)
        )
    }

    fn location(response: &reqwest::blocking::Response) -> String {
        response.headers()["location"].to_str().unwrap().to_string()
    }

    /// Parsed with serde_json rather than reqwest's optional `json` feature, which only the
    /// main dependencies happen to enable.
    pub(crate) fn json_body(response: reqwest::blocking::Response) -> Value {
        serde_json::from_slice(&response.bytes().unwrap()).unwrap()
    }

    /// Runs the browser step and returns the decoded callback query.
    fn consent(emu: &Emulator, redirect_uri: &str, scope: &str) -> Vec<(String, String)> {
        let response = http()
            .get(authorize_url(emu, "cid", redirect_uri, scope))
            .send()
            .unwrap();
        assert_eq!(response.status(), 302);
        let location = location(&response);
        let (base, query) = location.split_once('?').unwrap();
        assert_eq!(base, redirect_uri.split('?').next().unwrap());
        parse_urlencoded(query.as_bytes())
    }

    fn code_for(emu: &Emulator, scope: &str) -> String {
        let query = consent(emu, REDIRECT, scope);
        query.iter().find(|(k, _)| k == "code").unwrap().1.clone()
    }

    /// POSTs a JSON `body` to the token endpoint: its status and JSON answer.
    pub(crate) fn post_token(emu: &Emulator, body: Value) -> (u16, Value) {
        let response = http()
            .post(format!("{}/oauth/token", emu.auth_url()))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, json_body(response))
    }

    fn exchange(emu: &Emulator, code: &str) -> (u16, Value) {
        post_token(
            emu,
            json!({"grant_type": "authorization_code", "client_id": "cid",
                   "client_secret": "csecret", "code": code, "redirect_uri": REDIRECT}),
        )
    }

    fn refresh(emu: &Emulator, token: &Value) -> (u16, Value) {
        post_token(
            emu,
            json!({"grant_type": "refresh_token", "client_id": "cid",
                   "client_secret": "csecret", "refresh_token": token}),
        )
    }

    pub(super) fn api_get(emu: &Emulator, path: &str, token: &Value) -> (u16, Value) {
        let response = http()
            .get(format!("{}{path}", emu.api_url()))
            .bearer_auth(token.as_str().unwrap())
            .send()
            .unwrap();
        assert_eq!(response.headers()["content-type"], "application/json");
        assert!(response.headers().contains_key("date"));
        let status = response.status().as_u16();
        (status, json_body(response))
    }

    #[test]
    fn authorize_approves_with_code_and_state() {
        let emu = emulator();
        let query = consent(&emu, REDIRECT, "read:jira-work offline_access");
        assert_eq!(query[0].0, "code");
        assert_eq!(query[1], ("state".to_string(), "st/ate 1".to_string()));
        assert_eq!(emu.issued_secrets(), vec![query[0].1.clone()]);
        // A registered redirect_uri that already has a query gets `&code=`.
        let with_query = "http://127.0.0.1:8421/callback?tenant=x";
        emu.register_client(Client {
            redirect_uris: vec![REDIRECT.into(), with_query.into()],
            ..Client::new("cid", "csecret", REDIRECT, &["read:me"])
        });
        let query = consent(&emu, with_query, "read:me");
        assert_eq!(query[0], ("tenant".to_string(), "x".to_string()));
        assert_eq!(query[1].0, "code");
        assert_eq!(emu.hits(Endpoint::Authorize), 2);
    }

    #[test]
    fn authorize_deny_redirects_with_access_denied() {
        let emu = emulator();
        emu.set_consent(Consent::Deny);
        let response = http()
            .get(authorize_url(&emu, "cid", REDIRECT, "read:me"))
            .send()
            .unwrap();
        assert_eq!(response.status(), 302);
        assert_eq!(
            location(&response),
            format!(
                "{REDIRECT}?error=access_denied&error_description=User%20did%20not%20authorize%20the%20request&state=st%2Fate%201"
            )
        );
        assert!(emu.issued_secrets().is_empty());
        emu.set_consent(Consent::Approve);
        assert_eq!(code_for(&emu, "read:me").len(), "code-".len() + 32);
    }

    #[test]
    fn authorize_never_returns_for_unregistered_redirect_or_unticked_scope() {
        let emu = emulator();
        for redirect in [
            "http://localhost:8421/callback",
            "http://127.0.0.1:8422/callback",
            "http://127.0.0.1:8421/callback/",
        ] {
            let response = http()
                .get(authorize_url(&emu, "cid", redirect, "read:me"))
                .send()
                .unwrap();
            assert_eq!(response.status(), 400, "{redirect}");
            assert!(response.headers().get("location").is_none());
            let body = response.text().unwrap();
            assert!(body.contains("unauthorized_client"), "{body}");
            assert!(body.contains("redirect_uri is not registered"), "{body}");
        }
        let response = http()
            .get(authorize_url(
                &emu,
                "cid",
                REDIRECT,
                "read:me write:jira-work",
            ))
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("location").is_none());
        assert!(response.text().unwrap().contains("Something went wrong"));
        let response = http()
            .get(authorize_url(&emu, "nobody", REDIRECT, "read:me"))
            .send()
            .unwrap();
        assert_eq!(response.status(), 400);
        assert!(emu.issued_secrets().is_empty());
    }

    #[test]
    fn authorize_requires_every_parameter() {
        let emu = emulator();
        let full = authorize_url(&emu, "cid", REDIRECT, "read:me");
        let (base, query) = full.split_once('?').unwrap();
        for required in [
            "audience",
            "client_id",
            "scope",
            "redirect_uri",
            "state",
            "response_type",
            "prompt",
        ] {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|pair| !pair.starts_with(&format!("{required}=")))
                .collect();
            let response = http()
                .get(format!("{base}?{}", kept.join("&")))
                .send()
                .unwrap();
            assert_eq!(response.status(), 400, "without {required}");
            assert!(response.text().unwrap().contains(required));
        }
        for (from, to) in [
            ("audience=api.atlassian.com", "audience=example.com"),
            ("response_type=code", "response_type=token"),
            ("prompt=consent", "prompt=none"),
        ] {
            let response = http().get(full.replace(from, to)).send().unwrap();
            assert_eq!(response.status(), 400, "{to}");
        }
        assert!(emu.issued_secrets().is_empty());
    }

    #[test]
    fn code_exchange_accepts_json_and_form_and_codes_are_single_use() {
        let emu = emulator();
        let code = code_for(&emu, "read:me read:jira-work");
        let (status, body) = exchange(&emu, &code);
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["scope"], "read:me read:jira-work");
        assert!(
            body.get("refresh_token").is_none(),
            "no offline_access, no refresh token"
        );
        let (status, body) = exchange(&emu, &code);
        assert_eq!(status, 403);
        assert_eq!(body["error"], "invalid_grant");
        assert_eq!(body["error_description"], "Invalid authorization code");

        emu.set_access_token_ttl(120);
        let code = code_for(&emu, "read:me offline_access");
        let form = format!(
            "grant_type=authorization_code&client_id=cid&client_secret=csecret&code={}&redirect_uri={}",
            percent_encode(&code),
            percent_encode(REDIRECT)
        );
        let response = http()
            .post(format!("{}/oauth/token", emu.auth_url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let body = json_body(response);
        assert_eq!(body["expires_in"], 120);
        assert_eq!(body["scope"], "read:me offline_access");
        let secrets = emu.issued_secrets();
        assert_eq!(
            secrets.len(),
            5,
            "2 codes, 2 access tokens, 1 refresh token"
        );
        assert!(secrets.contains(&code));
        assert!(secrets.iter().any(|s| body["access_token"] == *s));
        assert!(secrets.iter().any(|s| body["refresh_token"] == *s));
        assert_eq!(emu.hits(Endpoint::Token), 3);
    }

    #[test]
    fn token_endpoint_errors() {
        let emu = emulator();
        let code = code_for(&emu, "read:me");
        let base = json!({"grant_type": "authorization_code", "client_id": "cid",
                          "client_secret": "csecret", "code": code, "redirect_uri": REDIRECT});
        let with = |key: &str, value: Value| {
            let mut body = base.clone();
            body[key] = value;
            body
        };
        let without = |key: &str| {
            let mut body = base.clone();
            body.as_object_mut().unwrap().remove(key);
            body
        };
        let unauthorized = json!({"error": "access_denied", "error_description": "Unauthorized"});
        assert_eq!(
            post_token(&emu, with("client_secret", json!("wrong"))),
            (401, unauthorized.clone())
        );
        assert_eq!(
            post_token(&emu, with("client_id", json!("nobody"))),
            (401, unauthorized)
        );
        let (status, body) = post_token(
            &emu,
            with("redirect_uri", json!("http://localhost:8421/callback")),
        );
        assert_eq!((status, &body["error"]), (403, &json!("invalid_grant")));
        assert_eq!(post_token(&emu, with("code", json!("code-unknown"))).0, 403);
        assert_eq!(
            post_token(&emu, with("grant_type", json!("password"))),
            (400, json!({"error": "unsupported_grant_type"}))
        );
        for key in [
            "grant_type",
            "client_id",
            "client_secret",
            "code",
            "redirect_uri",
        ] {
            assert_eq!(
                post_token(&emu, without(key)),
                (400, json!({"error": "invalid_request"})),
                "without {key}"
            );
        }
        let (status, _) = refresh(&emu, &json!("rt-unknown"));
        assert_eq!(status, 403);
        // Failed attempts did not burn the code.
        assert_eq!(exchange(&emu, &code).0, 200);
        // Wrong method and wrong server.
        let response = http()
            .get(format!("{}/oauth/token", emu.auth_url()))
            .send()
            .unwrap();
        assert_eq!(response.status(), 405);
        let response = http()
            .post(format!("{}/oauth/token", emu.api_url()))
            .send()
            .unwrap();
        assert_eq!(response.status(), 404);
        let response = http()
            .get(format!("{}/nowhere", emu.auth_url()))
            .send()
            .unwrap();
        assert_eq!(response.status(), 404);
    }

    #[test]
    fn refresh_rotates_and_reuse_within_interval_is_tolerated() {
        let emu = emulator();
        let (_, first) = exchange(&emu, &code_for(&emu, "read:me offline_access"));
        let (status, second) = refresh(&emu, &first["refresh_token"]);
        assert_eq!(status, 200);
        assert_ne!(second["refresh_token"], first["refresh_token"]);
        assert_ne!(second["access_token"], first["access_token"]);
        assert_eq!(second["scope"], "read:me offline_access");
        // The rotated token still works inside the leeway, and so does the newest.
        let (status, third) = refresh(&emu, &first["refresh_token"]);
        assert_eq!(status, 200);
        assert_eq!(refresh(&emu, &second["refresh_token"]).0, 200);
        assert_eq!(refresh(&emu, &third["refresh_token"]).0, 200);
        // Another client cannot use this client's token.
        emu.register_client(Client::new("other", "osecret", REDIRECT, &["read:me"]));
        let (status, _) = post_token(
            &emu,
            json!({"grant_type": "refresh_token", "client_id": "other",
                   "client_secret": "osecret", "refresh_token": first["refresh_token"]}),
        );
        assert_eq!(status, 403);
    }

    #[test]
    fn refresh_reuse_after_interval_revokes_the_whole_family() {
        let emu = emulator();
        emu.set_reuse_interval(0);
        let (_, first) = exchange(&emu, &code_for(&emu, "read:me offline_access"));
        let (_, other_family) = exchange(&emu, &code_for(&emu, "read:me offline_access"));
        let (status, second) = refresh(&emu, &first["refresh_token"]);
        assert_eq!(status, 200);
        let (status, body) = refresh(&emu, &first["refresh_token"]);
        assert_eq!(status, 403);
        assert_eq!(
            body,
            json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."})
        );
        // The newest token of that family died with it; the other family is untouched.
        assert_eq!(refresh(&emu, &second["refresh_token"]).0, 403);
        let (status, fresh) = refresh(&emu, &other_family["refresh_token"]);
        assert_eq!(status, 200);
        // Access tokens are JWTs at Atlassian: they keep working until they expire.
        assert_eq!(api_get(&emu, "/me", &second["access_token"]).0, 200);
        emu.revoke_all_refresh_tokens();
        assert_eq!(refresh(&emu, &fresh["refresh_token"]).0, 403);
    }

    #[test]
    fn api_checks_bearer_scopes_and_sites() {
        let emu = emulator();
        let (_, granted) = exchange(
            &emu,
            &code_for(&emu, "read:me read:jira-work offline_access"),
        );
        let token = &granted["access_token"];
        let (status, me) = api_get(&emu, "/me", token);
        assert_eq!(status, 200);
        assert_eq!(me["account_id"], USER_ACCOUNT_ID);
        assert_eq!(me["email"], USER_EMAIL);
        assert_eq!(me["account_type"], "atlassian");
        let myself = format!("/ex/jira/{DEFAULT_SITE_ID}/rest/api/3/myself");
        let (status, body) = api_get(&emu, &myself, token);
        assert_eq!(status, 200);
        assert_eq!(body["accountId"], USER_ACCOUNT_ID);
        assert_eq!(body["displayName"], USER_NAME);
        let (status, _) = api_get(&emu, "/ex/jira/not-a-site/rest/api/3/myself", token);
        assert_eq!(status, 404);
        let (status, resources) = api_get(&emu, "/oauth/token/accessible-resources", token);
        assert_eq!(status, 200);
        assert_eq!(
            resources[0],
            json!({"id": DEFAULT_SITE_ID, "name": DEFAULT_SITE_NAME, "url": DEFAULT_SITE_URL,
                   "scopes": ["read:me", "read:jira-work"],
                   "avatarUrl": "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/acme.png"})
        );

        let unauthorized = (401, json!({"code": 401, "message": "Unauthorized"}));
        assert_eq!(api_get(&emu, "/me", &json!("at-forged")), unauthorized);
        let response = http().get(format!("{}/me", emu.api_url())).send().unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(json_body(response), unauthorized.1);

        // A grant without the needed scopes: the scope-mismatch 401.
        let (_, narrow) = exchange(&emu, &code_for(&emu, "read:jira-user"));
        let mismatch = (
            401,
            json!({"code": 401, "message": "Unauthorized; scope does not match"}),
        );
        assert_eq!(api_get(&emu, "/me", &narrow["access_token"]), mismatch);
        assert_eq!(api_get(&emu, &myself, &narrow["access_token"]).0, 200);
        let (_, only_me) = exchange(&emu, &code_for(&emu, "read:me"));
        assert_eq!(api_get(&emu, &myself, &only_me["access_token"]), mismatch);

        // Expired tokens are refused like unknown ones.
        emu.set_access_token_ttl(0);
        let (_, expired) = exchange(&emu, &code_for(&emu, "read:me"));
        assert_eq!(expired["expires_in"], 0);
        assert_eq!(api_get(&emu, "/me", &expired["access_token"]), unauthorized);
        assert_eq!(emu.hits(Endpoint::Me), 5);
        assert_eq!(emu.hits(Endpoint::Myself), 4);
        let response = http()
            .get(format!("{}/authorize", emu.api_url()))
            .send()
            .unwrap();
        assert_eq!(response.status(), 404);
    }

    #[test]
    fn accessible_resources_order_is_not_stable() {
        let emu = emulator();
        let sites = vec![
            Site::new(
                "11111111-aaaa-4000-8000-000000000001",
                "acme",
                "https://acme.atlassian.net",
            ),
            Site::new(
                "22222222-bbbb-4000-8000-000000000002",
                "beta",
                "https://beta.atlassian.net",
            ),
            Site::new(
                "33333333-cccc-4000-8000-000000000003",
                "gamma",
                "https://gamma.atlassian.net",
            ),
        ];
        emu.set_sites(sites.clone());
        let (_, granted) = exchange(&emu, &code_for(&emu, "read:jira-work"));
        let mut firsts = Vec::new();
        for _ in 0..3 {
            let (status, body) = api_get(
                &emu,
                "/oauth/token/accessible-resources",
                &granted["access_token"],
            );
            assert_eq!(status, 200);
            let mut ids: Vec<String> = body
                .as_array()
                .unwrap()
                .iter()
                .map(|site| site["id"].as_str().unwrap().to_string())
                .collect();
            firsts.push(ids[0].clone());
            ids.sort();
            assert_eq!(ids, sites.iter().map(|s| s.id.clone()).collect::<Vec<_>>());
        }
        firsts.sort();
        firsts.dedup();
        assert_eq!(firsts.len(), 3, "each call starts with a different site");
        let third = format!("/ex/jira/{}/rest/api/3/myself", sites[2].id);
        assert_eq!(api_get(&emu, &third, &granted["access_token"]).0, 200);
        let (_, default_site) = api_get(
            &emu,
            &format!("/ex/jira/{DEFAULT_SITE_ID}/rest/api/3/myself"),
            &granted["access_token"],
        );
        assert_eq!(default_site["code"], 404);
    }

    #[test]
    fn injected_faults_are_served_then_counted_and_exhausted() {
        let emu = emulator();
        emu.fail_next(Endpoint::Token, 429, 2, Some(7));
        emu.fail_next(Endpoint::Token, 503, 1, None);
        let code = code_for(&emu, "read:me");
        for expected in [429, 429] {
            let response = http()
                .post(format!("{}/oauth/token", emu.auth_url()))
                .header("Content-Type", "application/json")
                .body("{}")
                .send()
                .unwrap();
            assert_eq!(response.status(), expected);
            assert_eq!(response.headers()["retry-after"], "7");
            assert_eq!(
                json_body(response),
                json!({"code": 429, "message": "Too Many Requests"})
            );
        }
        let (status, body) = exchange(&emu, &code);
        assert_eq!(
            (status, body),
            (503, json!({"error": "temporarily_unavailable"}))
        );
        let (status, granted) = exchange(&emu, &code);
        assert_eq!(status, 200, "the code survived the faults");
        assert_eq!(emu.hits(Endpoint::Token), 4);

        emu.fail_next(Endpoint::Me, 502, 1, Some(1));
        let response = http()
            .get(format!("{}/me", emu.api_url()))
            .bearer_auth(granted["access_token"].as_str().unwrap())
            .send()
            .unwrap();
        assert_eq!(response.status(), 502);
        assert_eq!(response.headers()["retry-after"], "1");
        assert_eq!(api_get(&emu, "/me", &granted["access_token"]).0, 200);
        assert_eq!(emu.hits(Endpoint::Me), 2);
        assert_eq!(emu.hits(Endpoint::AccessibleResources), 0);

        emu.fail_next(Endpoint::Authorize, 503, 1, None);
        let response = http()
            .get(authorize_url(&emu, "cid", REDIRECT, "read:me"))
            .send()
            .unwrap();
        assert_eq!(response.status(), 503);
        assert!(response.headers().get("retry-after").is_none());
        assert!(code_for(&emu, "read:me").starts_with("code-"));
    }
}
