//! Composio's backend (`https://backend.composio.dev`), emulated on loopback for the Jira
//! toolkit with a custom OAuth 2.0 app: auth configs, connected accounts, the link a person
//! opens to connect, and the callback Atlassian redirects to. Its shapes are those of
//! Composio's own Python SDK (`composio` 0.30, `composio-client` 2.0.0rc19): the SDK's
//! models parse its answers, and it refuses any body that SDK's schema would not produce
//! (an unknown or missing field, `auth_scheme` for `authScheme`), as jira-auth's tests check
//! with that SDK itself. jira-auth's `docs/protocol.md` lists these facts and which of them
//! stay unconfirmed.
//!
//! Connecting goes through the Atlassian emulator it is started with: the link redirects to
//! its consent page with this Composio's callback as `redirect_uri`; the callback exchanges
//! the code there with the auth config's client id and secret (in-process: a handler cannot
//! wait on a request to a server of the same runtime), and the account becomes `ACTIVE`, or
//! `FAILED` with its reason. A consent that broke on an unticked scope (Atlassian's
//! "Something went wrong", which never returns to the app) is reported `FAILED` when the
//! account is next read: the emulator knows what a real Composio cannot (see protocol.md).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::emulator::Emulator;
use crate::http::{HttpServer, Request, Response, percent_encode};

/// Where Composio's docs say a custom app's callback is (the `redirect_uri` Composio sends).
pub const CALLBACK_PATH: &str = "/api/v3.1/toolkits/auth/callback";
/// How long a connect link works unless told otherwise (Composio does not document it).
const LINK_TTL: Duration = Duration::from_secs(10 * 60);

type AuthHandler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;
type Refusals = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The emulated Composio; dropping it stops it.
pub struct Composio {
    state: Arc<Mutex<State>>,
    server: HttpServer,
}

struct AuthConfig {
    id: String,
    uuid: String,
    name: String,
    enabled: bool,
    client_id: String,
    client_secret: String,
    /// As given: a string or a list of strings (Composio keeps either).
    scopes: Value,
    created_at: String,
    updated_at: String,
}

struct Account {
    id: String,
    auth_config_id: String,
    user_id: String,
    subdomain: String,
    status: &'static str,
    status_reason: Option<String>,
    /// The `state` sent to Atlassian, and the link's id.
    oauth_state: String,
    link: String,
    link_issued: Instant,
    access_token: Option<String>,
    created_at: String,
    updated_at: String,
}

struct State {
    api_key: String,
    auth_configs: Vec<AuthConfig>,
    accounts: Vec<Account>,
    link_ttl: Duration,
    /// The next `n` API requests are answered with this status (Composio down).
    fault: Option<(u16, usize)>,
    atlassian_auth_url: String,
    exchange: AuthHandler,
    refused: Refusals,
    base_url: String,
    issued: Vec<String>,
}

impl Composio {
    /// A Composio whose project API key is `api_key`, connecting accounts through `atlassian`.
    pub fn start(atlassian: &Emulator, api_key: &str) -> Composio {
        let state = Arc::new(Mutex::new(State {
            api_key: api_key.to_string(),
            auth_configs: Vec::new(),
            accounts: Vec::new(),
            link_ttl: LINK_TTL,
            fault: None,
            atlassian_auth_url: atlassian.auth_url(),
            exchange: atlassian.auth_handler(),
            refused: atlassian.refusals(),
            base_url: String::new(),
            issued: Vec::new(),
        }));
        let handler_state = Arc::clone(&state);
        let server = HttpServer::start(Arc::new(move |req: &Request| {
            lock(&handler_state).handle(req)
        }));
        lock(&state).base_url = server.url();
        Composio { state, server }
    }

    /// The base URL, as `COMPOSIO_BASE_URL` takes it (no trailing slash).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The callback URL to register for the Atlassian app handed to this Composio.
    pub fn callback_url(&self) -> String {
        format!("{}{CALLBACK_PATH}", self.server.url())
    }

    /// Links issued from now on work this long; zero: every link has expired when opened.
    pub fn set_link_ttl(&self, ttl: Duration) {
        self.lock().link_ttl = ttl;
    }

    /// The next `times` API requests (not the link or the callback) get `status`: Composio
    /// down (5xx) or rate limiting (429).
    pub fn fail_next(&self, status: u16, times: usize) {
        self.lock().fault = Some((status, times));
    }

    /// The connected accounts' access tokens it holds (made by the Atlassian emulator), for
    /// the tests' leak checker.
    #[cfg(any(test, feature = "testing"))]
    pub fn issued_secrets(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    /// The scopes of an auth config as stored, for tests.
    #[cfg(any(test, feature = "testing"))]
    pub fn auth_config_scopes(&self, id: &str) -> Option<Value> {
        let state = self.lock();
        state
            .auth_configs
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.scopes.clone())
    }

    /// How many auth configs exist, for tests.
    #[cfg(any(test, feature = "testing"))]
    pub fn auth_config_count(&self) -> usize {
        self.lock().auth_configs.len()
    }

    /// Disables an auth config as the dashboard's toggle does, for tests.
    #[cfg(any(test, feature = "testing"))]
    pub fn disable(&self, id: &str) {
        if let Some(c) = self.lock().auth_configs.iter_mut().find(|c| c.id == id) {
            c.enabled = false;
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Composio's error envelope, as its SDK reads it (`composio_client._exceptions`): an object
/// `error` with `message`, `code`, `slug`, `status` and optional `request_id`,
/// `suggested_fix`, `errors`.
fn error(status: u16, slug: &str, message: &str, errors: &[String]) -> Response {
    let mut inner = json!({
        "message": message,
        "code": status,
        "slug": slug,
        "status": status,
        "request_id": format!("req_{:016x}", rand::random::<u64>()),
    });
    if !errors.is_empty() {
        inner["errors"] = json!(errors);
    }
    Response::json(status, json!({ "error": inner }))
}

fn invalid(errors: Vec<String>) -> Response {
    let message = format!("Validation error: {}", errors.join("; "));
    error(400, "Request_ValidationError", &message, &errors)
}

fn not_found(what: &str) -> Response {
    error(404, "NotFound", &format!("{what} not found"), &[])
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time always formats")
}

fn made_up(prefix: &str) -> String {
    use rand::Rng as _;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut id = prefix.to_string();
    for _ in 0..12 {
        id.push(CHARS[rng.random_range(0..CHARS.len())] as char);
    }
    id
}

/// The object at `value`, with every key outside `allowed` reported, and every key of
/// `required` that is missing: Composio's schema validation, as strict as its SDK's schema.
fn object<'a>(
    value: Option<&'a Value>,
    at: &str,
    allowed: &[&str],
    required: &[&str],
    errors: &mut Vec<String>,
) -> Option<&'a Map<String, Value>> {
    let Some(value) = value else {
        errors.push(format!("{at}: Required"));
        return None;
    };
    let Some(map) = value.as_object() else {
        errors.push(format!("{at}: Expected object"));
        return None;
    };
    for key in map.keys() {
        if !allowed.contains(&key.as_str()) {
            errors.push(format!("{at}.{key}: Unrecognized key"));
        }
    }
    for key in required {
        if !map.contains_key(*key) {
            errors.push(format!("{at}.{key}: Required"));
        }
    }
    Some(map)
}

fn string<'a>(
    map: &'a Map<String, Value>,
    key: &str,
    at: &str,
    errors: &mut Vec<String>,
) -> &'a str {
    match map.get(key) {
        None => "",
        Some(Value::String(s)) => s,
        Some(_) => {
            errors.push(format!("{at}.{key}: Expected string"));
            ""
        }
    }
}

/// Scopes as Composio takes them: a string (space or comma separated) or a list of strings.
fn scopes_ok(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

/// The scope names of a stored `scopes` value.
fn scope_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl State {
    fn handle(&mut self, req: &Request) -> Response {
        let path = req.path.as_str();
        if path.starts_with("/api/v3/s/") && req.method == "GET" {
            return self.open_link(&path["/api/v3/s/".len()..]);
        }
        if path == CALLBACK_PATH && req.method == "GET" {
            return self.callback(req);
        }
        if let Some((status, left)) = self.fault.as_mut()
            && *left > 0
        {
            *left -= 1;
            let status = *status;
            return error(
                status,
                "ServiceUnavailable",
                "Service temporarily unavailable",
                &[],
            );
        }
        match req.header("x-api-key") {
            Some(key) if key == self.api_key => {}
            Some(_) => return error(401, "Auth_InvalidApiKey", "Invalid API key", &[]),
            None => {
                return error(
                    401,
                    "Auth_MissingApiKey",
                    "API key is required: x-api-key header",
                    &[],
                );
            }
        }
        let rest: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), rest.as_slice()) {
            ("POST", ["api", "v3.1", "auth_configs"]) => self.create_auth_config(req),
            ("GET", ["api", "v3.1", "auth_configs", id]) => self.auth_config(id),
            ("PATCH", ["api", "v3.1", "auth_configs", id]) => self.update_auth_config(id, req),
            ("PATCH", ["api", "v3.1", "auth_configs", id, status]) => self.set_status(id, status),
            ("DELETE", ["api", "v3.1", "auth_configs", id]) => self.delete_auth_config(id),
            ("GET", ["api", "v3.1", "connected_accounts"]) => self.list_accounts(req),
            ("POST", ["api", "v3.1", "connected_accounts"]) => self.create_account(req),
            ("GET", ["api", "v3.1", "connected_accounts", id]) => self.account(id),
            _ => error(404, "NotFound", "No such route", &[]),
        }
    }

    fn json_body(req: &Request) -> Result<Value, Response> {
        if !req
            .header("content-type")
            .is_some_and(|ct| ct.starts_with("application/json"))
        {
            return Err(invalid(vec!["body: Expected application/json".into()]));
        }
        serde_json::from_slice(&req.body).map_err(|_| invalid(vec!["body: Invalid JSON".into()]))
    }

    fn create_auth_config(&mut self, req: &Request) -> Response {
        let body = match Self::json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        let Some(top) = object(
            Some(&body),
            "body",
            &["toolkit", "auth_config"],
            &["toolkit", "auth_config"],
            &mut errors,
        ) else {
            return invalid(errors);
        };
        let slug = object(
            top.get("toolkit"),
            "toolkit",
            &["slug"],
            &["slug"],
            &mut errors,
        )
        .map(|t| string(t, "slug", "toolkit", &mut errors).to_string())
        .unwrap_or_default();
        let config = object(
            top.get("auth_config"),
            "auth_config",
            &[
                "type",
                "authScheme",
                "name",
                "credentials",
                "sealed_credentials",
                "proxy_config",
                "restrict_to_following_tools",
                "tool_access_config",
                "shared_credentials",
                "is_enabled_for_tool_router",
            ],
            &["type"],
            &mut errors,
        );
        let Some(config) = config else {
            return invalid(errors);
        };
        let kind = string(config, "type", "auth_config", &mut errors);
        if !errors.is_empty() {
            return invalid(errors);
        }
        if kind != "use_custom_auth" {
            // Composio-managed auth for Jira is Composio's own app: not what jira-auth hands over.
            return invalid(vec![format!(
                "auth_config.type: Invalid discriminator value. Expected 'use_composio_managed_auth' | 'use_custom_auth' (this emulator has only use_custom_auth), got '{kind}'"
            )]);
        }
        if !config.contains_key("authScheme") {
            errors.push("auth_config.authScheme: Required".into());
        }
        let scheme = string(config, "authScheme", "auth_config", &mut errors);
        if !scheme.is_empty() && scheme != "OAUTH2" {
            errors.push(format!(
                "auth_config.authScheme: the jira toolkit takes OAUTH2 with custom credentials, not '{scheme}'"
            ));
        }
        let credentials = object(
            config.get("credentials"),
            "auth_config.credentials",
            &["client_id", "client_secret", "scopes", "user_scopes"],
            &["client_id", "client_secret"],
            &mut errors,
        );
        let (client_id, client_secret, scopes) = match credentials {
            Some(c) => {
                let id = string(c, "client_id", "auth_config.credentials", &mut errors).to_string();
                let secret =
                    string(c, "client_secret", "auth_config.credentials", &mut errors).to_string();
                let scopes = c.get("scopes").cloned().unwrap_or(Value::Array(Vec::new()));
                if !scopes_ok(&scopes) {
                    errors.push(
                        "auth_config.credentials.scopes: Expected string or array of strings"
                            .into(),
                    );
                }
                (id, secret, scopes)
            }
            None => Default::default(),
        };
        for (key, value) in [("client_id", &client_id), ("client_secret", &client_secret)] {
            if value.trim().is_empty() && credentials.is_some_and(|c| c.contains_key(key)) {
                errors.push(format!("auth_config.credentials.{key}: must not be empty"));
            }
        }
        let name = config
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("Jira Auth Config")
            .to_string();
        if !errors.is_empty() {
            return invalid(errors);
        }
        if slug != "jira" {
            return error(
                400,
                "Toolkit_NotFound",
                &format!("Toolkit '{slug}' not found (this emulator has only jira)"),
                &[],
            );
        }
        let id = made_up("ac_");
        let at = now();
        self.auth_configs.push(AuthConfig {
            id: id.clone(),
            uuid: format!("{:032x}", rand::random::<u128>()),
            name,
            enabled: true,
            client_id,
            client_secret,
            scopes,
            created_at: at.clone(),
            updated_at: at,
        });
        Response::json(
            201,
            json!({
                "toolkit": {"slug": "jira"},
                "auth_config": {
                    "id": id,
                    "auth_scheme": "OAUTH2",
                    "is_composio_managed": false,
                    "restrict_to_following_tools": [],
                }
            }),
        )
    }

    fn auth_config(&self, id: &str) -> Response {
        match self.auth_configs.iter().find(|c| c.id == id) {
            Some(c) => Response::json(200, self.describe(c)),
            None => not_found("Auth config"),
        }
    }

    /// An auth config as `GET /api/v3.1/auth_configs/{id}` answers it; the client secret is
    /// never returned whole (Composio: "may be partially hidden for security").
    fn describe(&self, c: &AuthConfig) -> Value {
        let connections = self
            .accounts
            .iter()
            .filter(|a| a.auth_config_id == c.id && a.status == "ACTIVE")
            .count();
        json!({
            "id": c.id,
            "uuid": c.uuid,
            "type": "custom",
            "name": c.name,
            "auth_scheme": "OAUTH2",
            "is_composio_managed": false,
            "status": if c.enabled { "ENABLED" } else { "DISABLED" },
            "no_of_connections": connections,
            "credentials": {
                "client_id": c.client_id,
                "client_secret": "********",
                "scopes": c.scopes,
            },
            "toolkit": {"slug": "jira", "logo": "https://logos.composio.dev/api/jira"},
            "tool_access_config": {},
            "restrict_to_following_tools": [],
            "expected_input_fields": [],
            "created_at": c.created_at,
            "last_updated_at": c.updated_at,
        })
    }

    fn update_auth_config(&mut self, id: &str, req: &Request) -> Response {
        let body = match Self::json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        let allowed = [
            "type",
            "name",
            "credentials",
            "sealed_credentials",
            "proxy_config",
            "restrict_to_following_tools",
            "tool_access_config",
            "shared_credentials",
            "is_enabled_for_tool_router",
        ];
        let Some(top) = object(Some(&body), "body", &allowed, &["type"], &mut errors) else {
            return invalid(errors);
        };
        let kind = string(top, "type", "body", &mut errors);
        if !kind.is_empty() && kind != "custom" {
            errors.push(format!(
                "body.type: Expected 'custom' for a custom auth config, got '{kind}'"
            ));
        }
        let credentials = match top.get("credentials") {
            None => None,
            some => object(
                some,
                "body.credentials",
                &["client_id", "client_secret", "scopes", "user_scopes"],
                &[],
                &mut errors,
            ),
        };
        if let Some(scopes) = credentials.and_then(|c| c.get("scopes"))
            && !scopes_ok(scopes)
        {
            errors.push("body.credentials.scopes: Expected string or array of strings".into());
        }
        let name = top.get("name").map(|n| n.as_str().map(str::to_string));
        if let Some(None) = name {
            errors.push("body.name: Expected string".into());
        }
        if !errors.is_empty() {
            return invalid(errors);
        }
        let Some(config) = self.auth_configs.iter_mut().find(|c| c.id == id) else {
            return not_found("Auth config");
        };
        if let Some(c) = credentials {
            if let Some(v) = c.get("client_id").and_then(Value::as_str) {
                config.client_id = v.to_string();
            }
            if let Some(v) = c.get("client_secret").and_then(Value::as_str) {
                config.client_secret = v.to_string();
            }
            if let Some(v) = c.get("scopes") {
                config.scopes = v.clone();
            }
        }
        if let Some(Some(n)) = name {
            config.name = n;
        }
        config.updated_at = now();
        Response::json(
            200,
            json!({"success": true, "message": "Auth config updated successfully"}),
        )
    }

    fn set_status(&mut self, id: &str, status: &str) -> Response {
        let enabled = match status {
            "ENABLED" => true,
            "DISABLED" => false,
            _ => {
                return invalid(vec![format!(
                    "status: Expected 'ENABLED' | 'DISABLED', got '{status}'"
                )]);
            }
        };
        let Some(config) = self.auth_configs.iter_mut().find(|c| c.id == id) else {
            return not_found("Auth config");
        };
        config.enabled = enabled;
        config.updated_at = now();
        Response::json(
            200,
            json!({"success": true, "message": format!("Auth config {}", status.to_ascii_lowercase())}),
        )
    }

    fn delete_auth_config(&mut self, id: &str) -> Response {
        let before = self.auth_configs.len();
        self.auth_configs.retain(|c| c.id != id);
        if self.auth_configs.len() == before {
            return not_found("Auth config");
        }
        self.accounts.retain(|a| a.auth_config_id != id);
        Response::json(
            200,
            json!({"success": true, "message": "Auth config deleted successfully"}),
        )
    }

    fn create_account(&mut self, req: &Request) -> Response {
        let body = match Self::json_body(req) {
            Ok(body) => body,
            Err(response) => return response,
        };
        let mut errors = Vec::new();
        let Some(top) = object(
            Some(&body),
            "body",
            &["auth_config", "connection", "validate_credentials"],
            &["auth_config", "connection"],
            &mut errors,
        ) else {
            return invalid(errors);
        };
        let auth_config_id = object(
            top.get("auth_config"),
            "auth_config",
            &["id"],
            &["id"],
            &mut errors,
        )
        .map(|a| string(a, "id", "auth_config", &mut errors).to_string())
        .unwrap_or_default();
        let connection = object(
            top.get("connection"),
            "connection",
            &[
                "alias",
                "callback_url",
                "data",
                "deprecated_is_v1_rerouted",
                "experimental",
                "redirect_uri",
                "state",
                "user_id",
            ],
            &[],
            &mut errors,
        );
        let mut user_id = String::new();
        let mut subdomain = String::new();
        if let Some(connection) = connection {
            user_id = string(connection, "user_id", "connection", &mut errors).to_string();
            if let Some(state) = object(
                connection.get("state"),
                "connection.state",
                &["authScheme", "val"],
                &["authScheme", "val"],
                &mut errors,
            ) {
                let scheme = string(state, "authScheme", "connection.state", &mut errors);
                if !scheme.is_empty() && scheme != "OAUTH2" {
                    errors.push(format!(
                        "connection.state.authScheme: the auth config's scheme is OAUTH2, got '{scheme}'"
                    ));
                }
                let val_keys = [
                    "account_id",
                    "account_url",
                    "api_url",
                    "base_url",
                    "borneo_dashboard_url",
                    "COMPANYDOMAIN",
                    "dc",
                    "domain",
                    "extension",
                    "form_api_base_url",
                    "instanceEndpoint",
                    "instanceName",
                    "long_redirect_url",
                    "proxy_password",
                    "proxy_username",
                    "region",
                    "server_location",
                    "shop",
                    "site_name",
                    "state_prefix",
                    "status",
                    "subdomain",
                    "version",
                    "your-domain",
                    "your_server",
                ];
                if let Some(val) = object(
                    state.get("val"),
                    "connection.state.val",
                    &val_keys,
                    &["status"],
                    &mut errors,
                ) {
                    let status = string(val, "status", "connection.state.val", &mut errors);
                    if !status.is_empty() && status != "INITIALIZING" {
                        errors.push(format!(
                            "connection.state.val.status: a redirect-based OAuth2 connection starts 'INITIALIZING', got '{status}'"
                        ));
                    }
                    subdomain =
                        string(val, "subdomain", "connection.state.val", &mut errors).to_string();
                }
            }
        }
        if !errors.is_empty() {
            return invalid(errors);
        }
        if user_id.trim().is_empty() {
            return invalid(vec!["connection.user_id: Required".into()]);
        }
        let Some(config) = self.auth_configs.iter().find(|c| c.id == auth_config_id) else {
            return not_found("Auth config");
        };
        if !config.enabled {
            return error(
                400,
                "AuthConfig_Disabled",
                &format!("Auth config {auth_config_id} is disabled"),
                &[],
            );
        }
        if subdomain.trim().is_empty() {
            // The Jira toolkit's one expected input: the subdomain of https://<subdomain>.atlassian.net.
            return invalid(vec![
                "connection.state.val.subdomain: Required by the jira toolkit (your-domain of https://your-domain.atlassian.net)".into(),
            ]);
        }
        let id = made_up("ca_");
        let link = made_up("");
        let oauth_state = format!("{link}{:016x}", rand::random::<u64>());
        let at = now();
        let account = Account {
            id: id.clone(),
            auth_config_id,
            user_id,
            subdomain: subdomain.clone(),
            status: "INITIATED",
            status_reason: None,
            oauth_state,
            link: link.clone(),
            link_issued: Instant::now(),
            access_token: None,
            created_at: at.clone(),
            updated_at: at,
        };
        let redirect_url = format!("{}/api/v3/s/{link}", self.base_url);
        self.accounts.push(account);
        Response::json(
            201,
            json!({
                "id": id,
                "status": "INITIATED",
                "redirect_url": redirect_url,
                "redirect_uri": redirect_url,
                "connectionData": {
                    "authScheme": "OAUTH2",
                    "val": {
                        "status": "INITIATED",
                        "redirectUrl": redirect_url,
                        "callback_url": format!("{}{CALLBACK_PATH}", self.base_url),
                        "subdomain": subdomain,
                    }
                }
            }),
        )
    }

    /// Brings an account's status up to date: an unanswered link past its life is `EXPIRED`;
    /// a consent that broke on an unticked scope is `FAILED`.
    fn settle(&mut self, i: usize) {
        let ttl = self.link_ttl;
        let refused = Arc::clone(&self.refused);
        let account = &mut self.accounts[i];
        if account.status != "INITIATED" {
            return;
        }
        if refused(&account.oauth_state) {
            account.status = "FAILED";
            account.status_reason = Some(
                "Atlassian's consent page answered \"Something went wrong\": a scope the auth config requests is not enabled for the OAuth app in the Atlassian developer console".into(),
            );
            account.updated_at = now();
        } else if account.link_issued.elapsed() >= ttl {
            account.status = "EXPIRED";
            account.status_reason =
                Some("The connection link expired before the user completed authorization".into());
            account.updated_at = now();
        }
    }

    fn describe_account(&self, a: &Account) -> Value {
        let mut val = json!({"status": a.status, "subdomain": a.subdomain});
        match a.status {
            "INITIATED" => {
                val["redirectUrl"] = json!(format!("{}/api/v3/s/{}", self.base_url, a.link))
            }
            // Composio masks stored tokens in what it answers.
            "ACTIVE" => {
                val["access_token"] = json!(mask(a.access_token.as_deref().unwrap_or_default()))
            }
            _ => {}
        }
        json!({
            "id": a.id,
            "user_id": a.user_id,
            "status": a.status,
            "status_reason": a.status_reason,
            "is_disabled": false,
            "toolkit": {"slug": "jira"},
            "auth_config": {
                "id": a.auth_config_id,
                "auth_scheme": "OAUTH2",
                "is_composio_managed": false,
                "is_disabled": self.auth_configs.iter().any(|c| c.id == a.auth_config_id && !c.enabled),
            },
            "state": {"authScheme": "OAUTH2", "val": val},
            "data": {},
            "params": {},
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        })
    }

    fn account(&mut self, id: &str) -> Response {
        let Some(i) = self.accounts.iter().position(|a| a.id == id) else {
            return not_found("Connected account");
        };
        self.settle(i);
        Response::json(200, self.describe_account(&self.accounts[i]))
    }

    fn list_accounts(&mut self, req: &Request) -> Response {
        // Arrays come as repeated parameters; a comma-separated value is read too.
        let values = |name: &str| -> Vec<String> {
            req.query
                .iter()
                .filter(|(k, _)| k == name || *k == format!("{name}[]"))
                .flat_map(|(_, v)| v.split(',').map(str::to_string).collect::<Vec<_>>())
                .filter(|v| !v.is_empty())
                .collect()
        };
        let (users, configs, statuses, ids) = (
            values("user_ids"),
            values("auth_config_ids"),
            values("statuses"),
            values("connected_account_ids"),
        );
        const STATUSES: [&str; 7] = [
            "INITIALIZING",
            "INITIATED",
            "ACTIVE",
            "FAILED",
            "EXPIRED",
            "INACTIVE",
            "REVOKED",
        ];
        if let Some(bad) = statuses.iter().find(|s| !STATUSES.contains(&s.as_str())) {
            return invalid(vec![format!("statuses: Invalid enum value '{bad}'")]);
        }
        for i in 0..self.accounts.len() {
            self.settle(i);
        }
        let keep =
            |wanted: &[String], value: &str| wanted.is_empty() || wanted.iter().any(|w| w == value);
        let items: Vec<Value> = self
            .accounts
            .iter()
            .filter(|a| {
                keep(&users, &a.user_id)
                    && keep(&configs, &a.auth_config_id)
                    && keep(&statuses, a.status)
                    && keep(&ids, &a.id)
            })
            .map(|a| self.describe_account(a))
            .collect();
        let total = items.len();
        Response::json(
            200,
            json!({
                "items": items,
                "next_cursor": null,
                "total_pages": 1,
                "current_page": 1,
                "total_items": total,
            }),
        )
    }

    /// The link a person opens: on to Atlassian's consent page with this Composio's callback.
    fn open_link(&mut self, link: &str) -> Response {
        let Some(i) = self.accounts.iter().position(|a| a.link == link) else {
            return page(
                404,
                "Link not found",
                "This connection link does not exist.",
            );
        };
        self.settle(i);
        let account = &self.accounts[i];
        if account.status == "EXPIRED" {
            return page(
                410,
                "Link expired",
                "This connection link has expired. Ask for a new one.",
            );
        }
        if account.status != "INITIATED" {
            return page(
                400,
                "Link used",
                "This connection link has already been used.",
            );
        }
        let Some(config) = self
            .auth_configs
            .iter()
            .find(|c| c.id == account.auth_config_id)
        else {
            return page(
                404,
                "Link not found",
                "The auth config of this link was deleted.",
            );
        };
        let scopes = scope_list(&config.scopes).join(" ");
        Response::redirect(&format!(
            "{}/authorize?audience=api.atlassian.com&client_id={}&scope={}&redirect_uri={}&state={}&response_type=code&prompt=consent",
            self.atlassian_auth_url,
            percent_encode(&config.client_id),
            percent_encode(&scopes),
            percent_encode(&format!("{}{CALLBACK_PATH}", self.base_url)),
            percent_encode(&account.oauth_state),
        ))
    }

    /// Where Atlassian sends the browser back: the code exchanged with the auth config's
    /// client, the account `ACTIVE`; or `FAILED` with Atlassian's reason.
    fn callback(&mut self, req: &Request) -> Response {
        let Some(state) = req.query_param("state") else {
            return page(400, "Connection failed", "The callback has no state.");
        };
        let Some(i) = self.accounts.iter().position(|a| a.oauth_state == state) else {
            return page(400, "Connection failed", "Unknown or already used state.");
        };
        if self.accounts[i].status != "INITIATED" {
            return page(
                400,
                "Connection failed",
                "This connection is not waiting for a callback.",
            );
        }
        let outcome = match (req.query_param("code"), req.query_param("error")) {
            (_, Some(error)) => Err(format!(
                "Atlassian returned error={error}: {}",
                req.query_param("error_description").unwrap_or_default()
            )),
            (Some(code), None) => self.exchange(i, code),
            (None, None) => Err("The callback carried neither a code nor an error".into()),
        };
        let account = &mut self.accounts[i];
        account.updated_at = now();
        match outcome {
            Ok(token) => {
                self.issued.push(token.clone());
                let account = &mut self.accounts[i];
                account.access_token = Some(token);
                account.status = "ACTIVE";
                page(
                    200,
                    "Connection successful",
                    "Jira is connected to Composio. You can close this window.",
                )
            }
            Err(reason) => {
                account.status = "FAILED";
                account.status_reason = Some(reason);
                page(
                    400,
                    "Connection failed",
                    "Jira could not be connected. You can close this window.",
                )
            }
        }
    }

    /// The code exchanged at the Atlassian emulator with the auth config's client id and
    /// secret: the access token, or why not.
    fn exchange(&self, i: usize, code: &str) -> Result<String, String> {
        let account = &self.accounts[i];
        let config = self
            .auth_configs
            .iter()
            .find(|c| c.id == account.auth_config_id)
            .ok_or("The auth config was deleted")?;
        let body = json!({
            "grant_type": "authorization_code",
            "client_id": config.client_id,
            "client_secret": config.client_secret,
            "code": code,
            "redirect_uri": format!("{}{CALLBACK_PATH}", self.base_url),
        });
        let request = Request {
            method: "POST".into(),
            path: "/oauth/token".into(),
            query: Vec::new(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        };
        let response = (self.exchange)(&request);
        let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        match (response.status, answer["access_token"].as_str()) {
            (200, Some(token)) => Ok(token.to_string()),
            (status, _) => Err(format!(
                "The token exchange with Atlassian failed ({status} {})",
                answer["error"].as_str().unwrap_or("no error code")
            )),
        }
    }
}

/// A stored token as Composio shows it: its first 4 characters.
fn mask(token: &str) -> String {
    format!("{}...", token.chars().take(4).collect::<String>())
}

fn page(status: u16, title: &str, text: &str) -> Response {
    Response::html(
        status,
        &format!(
            "<!DOCTYPE html><html><head><title>Composio</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
        ),
    )
}

/// Accounts by id, for the unit tests.
#[cfg(test)]
impl Composio {
    fn statuses(&self) -> std::collections::HashMap<String, &'static str> {
        self.lock()
            .accounts
            .iter()
            .map(|a| (a.id.clone(), a.status))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::Client;
    use crate::emulator::tests::{http, json_body};

    fn world(ticked: &[&str]) -> (Emulator, Composio) {
        let emu = Emulator::start();
        let composio = Composio::start(&emu, "key_1");
        emu.register_client(Client::new(
            "cid",
            "csecret",
            &composio.callback_url(),
            ticked,
        ));
        (emu, composio)
    }

    fn call(composio: &Composio, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", composio.url());
        let mut request = http()
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
            .header("x-api-key", "key_1");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request.send().unwrap();
        let status = response.status().as_u16();
        (status, json_body(response))
    }

    fn create(composio: &Composio, scopes: Value) -> String {
        let (status, body) = call(
            composio,
            "POST",
            "/api/v3.1/auth_configs",
            Some(
                json!({"toolkit": {"slug": "jira"}, "auth_config": {"type": "use_custom_auth",
                "authScheme": "OAUTH2", "name": "j", "credentials": {"client_id": "cid",
                "client_secret": "csecret", "scopes": scopes}}}),
            ),
        );
        assert_eq!(status, 201, "{body}");
        body["auth_config"]["id"].as_str().unwrap().to_string()
    }

    fn connect(composio: &Composio, ac: &str) -> (String, String) {
        let (status, body) = call(
            composio,
            "POST",
            "/api/v3.1/connected_accounts",
            Some(
                json!({"auth_config": {"id": ac}, "connection": {"user_id": "u1",
                "state": {"authScheme": "OAUTH2", "val": {"status": "INITIALIZING", "subdomain": "acme"}}}}),
            ),
        );
        assert_eq!(status, 201, "{body}");
        (
            body["id"].as_str().unwrap().to_string(),
            body["redirect_url"].as_str().unwrap().to_string(),
        )
    }

    /// Follows redirects by hand, as a browser would: the last answer's status.
    fn browse(url: &str) -> u16 {
        let mut next = url.to_string();
        loop {
            let response = http().get(&next).send().unwrap();
            match response.headers().get("location") {
                Some(l) => next = l.to_str().unwrap().to_string(),
                None => return response.status().as_u16(),
            }
        }
    }

    #[test]
    fn a_connection_goes_through_atlassian_and_becomes_active() {
        let (emu, composio) = world(&["read:jira-work"]);
        let ac = create(&composio, json!(["read:jira-work", "offline_access"]));
        let (id, link) = connect(&composio, &ac);
        assert_eq!(browse(&link), 200);
        let (status, body) = call(
            &composio,
            "GET",
            &format!("/api/v3.1/connected_accounts/{id}"),
            None,
        );
        assert_eq!(status, 200);
        assert_eq!(body["status"], "ACTIVE", "{body}");
        assert_eq!(body["state"]["authScheme"], "OAUTH2");
        let token = &composio.issued_secrets()[0];
        assert!(emu.issued_secrets().contains(token));
        assert!(!body.to_string().contains(token.as_str()), "masked");
        let (_, config) = call(
            &composio,
            "GET",
            &format!("/api/v3.1/auth_configs/{ac}"),
            None,
        );
        assert_eq!(config["no_of_connections"], 1);
        assert!(!config.to_string().contains("csecret"));
        let (_, list) = call(
            &composio,
            "GET",
            &format!(
                "/api/v3.1/connected_accounts?user_ids=u1&auth_config_ids={ac}&statuses=ACTIVE"
            ),
            None,
        );
        assert_eq!(list["total_items"], 1);
    }

    #[test]
    fn an_unticked_scope_fails_the_connection_and_an_old_link_expires() {
        let (_emu, composio) = world(&["read:jira-work"]);
        let ac = create(
            &composio,
            json!("read:jira-work write:jira-work offline_access"),
        );
        let (id, link) = connect(&composio, &ac);
        assert_eq!(browse(&link), 200, "Atlassian's page, no way back");
        assert_eq!(composio.statuses()[&id], "INITIATED");
        let (_, body) = call(
            &composio,
            "GET",
            &format!("/api/v3.1/connected_accounts/{id}"),
            None,
        );
        assert_eq!(body["status"], "FAILED");
        assert!(
            body["status_reason"]
                .as_str()
                .unwrap()
                .contains("Something went wrong")
        );

        composio.set_link_ttl(Duration::ZERO);
        let (id, link) = connect(&composio, &ac);
        assert_eq!(browse(&link), 410);
        let (_, body) = call(
            &composio,
            "GET",
            &format!("/api/v3.1/connected_accounts/{id}"),
            None,
        );
        assert_eq!(body["status"], "EXPIRED");
    }

    #[test]
    fn bodies_the_sdk_would_not_send_are_refused_with_the_envelope() {
        let (_emu, composio) = world(&["read:jira-work"]);
        for (body, wanted) in [
            (
                json!({"toolkit": {"slug": "jira"}, "auth_config": {"type": "use_custom_auth", "auth_scheme": "OAUTH2",
                "credentials": {"client_id": "a", "client_secret": "b"}}}),
                "auth_config.auth_scheme: Unrecognized key",
            ),
            (
                json!({"toolkit": {"slug": "jira"}, "auth_config": {"type": "use_custom_auth", "authScheme": "OAUTH2",
                "credentials": {"client_id": "a"}}}),
                "auth_config.credentials.client_secret: Required",
            ),
            (
                json!({"toolkit": {"slug": "jira"}, "auth_config": {"type": "use_custom_auth", "authScheme": "OAUTH2",
                "credentials": {"clientId": "a", "client_id": "a", "client_secret": "b"}}}),
                "credentials.clientId: Unrecognized key",
            ),
            (
                json!({"toolkit": "jira", "auth_config": {"type": "use_custom_auth", "authScheme": "OAUTH2"}}),
                "toolkit: Expected object",
            ),
        ] {
            let (status, answer) = call(&composio, "POST", "/api/v3.1/auth_configs", Some(body));
            assert_eq!(status, 400);
            let error = &answer["error"];
            assert_eq!(error["status"], 400);
            assert!(error["slug"].is_string() && error["code"].is_number());
            assert!(
                error["message"].as_str().unwrap().contains(wanted),
                "{answer}"
            );
        }
        let ac = create(&composio, json!([]));
        let (status, answer) = call(
            &composio,
            "POST",
            "/api/v3.1/connected_accounts",
            Some(
                json!({"auth_config": {"id": ac}, "connection": {"user_id": "u1",
                "state": {"auth_scheme": "OAUTH2", "val": {"status": "INITIALIZING"}}}}),
            ),
        );
        assert_eq!(status, 400);
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("connection.state.auth_scheme: Unrecognized key")
        );
        let response = http()
            .get(format!("{}/api/v3.1/auth_configs/{ac}", composio.url()))
            .header("x-api-key", "wrong")
            .send()
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(json_body(response)["error"]["slug"], "Auth_InvalidApiKey");
        composio.fail_next(503, 1);
        assert_eq!(
            call(
                &composio,
                "GET",
                &format!("/api/v3.1/auth_configs/{ac}"),
                None
            )
            .0,
            503
        );
        assert_eq!(
            call(
                &composio,
                "GET",
                &format!("/api/v3.1/auth_configs/{ac}"),
                None
            )
            .0,
            200
        );
    }
}
