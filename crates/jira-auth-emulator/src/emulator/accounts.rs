//! What the emulator knows beyond OAuth apps, faithful to docs/protocol.md: Atlassian
//! service accounts (OAuth 2.0 client credentials: no browser, no refresh token, tokens that
//! accessible-resources refuses), API tokens (Basic `email:token`: a classic one works on the
//! site's own host, a scoped one only through the API gateway), and the sites' own hosts
//! (`https://NAME.atlassian.net`): `/_edge/tenant_info` without credentials, and the site's
//! REST API for classic API tokens.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use super::api::user_myself;
use super::auth::token_response;
use super::{Emulator, Endpoint, State, lock, param};
use crate::http::{Handler, HttpServer, Request, Response};
use crate::jira::{self, Ctx, Flavor, Person, Route};

/// A service account's OAuth 2.0 credential, as created in admin.atlassian.com → Directory →
/// Service accounts → Create credentials → OAuth 2.0, with its scopes chosen there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    pub client_id: String,
    pub secret: String,
    pub scopes: Vec<String>,
    /// Service accounts are accounts of their own, with their own id and email.
    pub account_id: String,
    pub name: String,
}

impl ServiceAccount {
    pub fn new(client_id: &str, secret: &str, scopes: &[&str]) -> ServiceAccount {
        ServiceAccount {
            client_id: client_id.to_string(),
            secret: secret.to_string(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            account_id: "712020:5ae1c0de-0000-4000-8000-5e41ce0acc01".into(),
            name: "ci-bot".into(),
        }
    }

    /// The account as the rehearsal Jira shows its issues' reporters and comments' authors.
    pub(super) fn person(&self) -> Person {
        Person {
            id: self.account_id.clone(),
            name: String::new(),
            display_name: self.name.clone(),
            email: Some(format!("{}@serviceaccount.atlassian.com", self.name)),
            app: true,
        }
    }

    pub(super) fn myself(&self) -> Value {
        json!({
            "accountId": self.account_id,
            "accountType": "app",
            "displayName": self.name,
            "emailAddress": format!("{}@serviceaccount.atlassian.com", self.name),
            "active": true,
        })
    }
}

/// The two kinds of API token, which nothing in the token itself tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenKind {
    /// Answers on `https://NAME.atlassian.net/rest/api/…` only.
    Classic,
    /// Answers on `https://api.atlassian.com/ex/jira/{cloudId}/…` only, within its scopes.
    Scoped(Vec<String>),
}

/// An Atlassian account's API token (id.atlassian.com → Security → API tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub email: String,
    pub token: String,
    pub kind: TokenKind,
}

impl ApiToken {
    /// What its `Authorization: Basic …` carries: base64 of `email:token`.
    #[cfg(any(test, feature = "testing"))]
    pub fn basic(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", self.email, self.token))
    }
}

impl Emulator {
    pub fn register_service_account(&self, sa: ServiceAccount) {
        self.lock()
            .service_accounts
            .insert(sa.client_id.clone(), sa);
    }

    /// What revoking the credential in admin.atlassian.com does: its secret stops minting
    /// (tokens already minted live on until they expire).
    #[cfg(any(test, feature = "testing"))]
    pub fn revoke_service_account(&self, client_id: &str) {
        self.lock().service_accounts.remove(client_id);
    }

    pub fn register_api_token(&self, token: ApiToken) {
        self.lock().api_tokens.push(token);
    }

    /// The base URL (`http://127.0.0.1:PORT`) of the site `cloud_id`'s own host, started on
    /// first use: what `https://NAME.atlassian.net` is for a real site. A cloud id that is
    /// not (or no longer) among the sites gives a host that is no Jira site: its tenant_info
    /// answers 404, as an unknown `*.atlassian.net` does.
    pub fn site_url(&self, cloud_id: &str) -> String {
        let mut hosts = self
            .site_hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, host)) = hosts.iter().find(|(id, _)| id == cloud_id) {
            return host.url();
        }
        let state = Arc::clone(&self.state);
        let id = cloud_id.to_string();
        let handler: Handler = Arc::new(move |req: &Request| lock(&state).handle_site(&id, req));
        let host = HttpServer::start(handler);
        let url = host.url();
        hosts.push((cloud_id.to_string(), host));
        url
    }

    /// The sites' hosts started so far, as `(cloud id, base URL)`.
    #[cfg(any(test, feature = "testing"))]
    pub fn site_urls(&self) -> Vec<(String, String)> {
        let hosts = self
            .site_hosts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hosts.iter().map(|(id, h)| (id.clone(), h.url())).collect()
    }

    /// The secrets tests registered: service-account secrets, API tokens, and each API
    /// token's Basic credential (base64 of `email:token`, which hides the token from a plain
    /// search).
    #[cfg(any(test, feature = "testing"))]
    pub fn registered_secrets(&self) -> Vec<String> {
        let state = self.lock();
        let sa = state.service_accounts.values().map(|sa| sa.secret.clone());
        let tokens = state
            .api_tokens
            .iter()
            .flat_map(|t| [t.token.clone(), t.basic()]);
        sa.chain(tokens).collect()
    }
}

/// The `(email, token)` of an `Authorization: Basic …` header.
pub(super) fn basic_credentials(req: &Request) -> Option<(String, String)> {
    let (scheme, value) = req.header("authorization")?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(value.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (email, token) = text.split_once(':')?;
    Some((email.to_string(), token.to_string()))
}

impl State {
    /// The API token `(email, token)` names, if it is one.
    pub(super) fn api_token(&self, (email, token): &(String, String)) -> Option<&ApiToken> {
        self.api_tokens
            .iter()
            .find(|t| t.email.eq_ignore_ascii_case(email) && t.token == *token)
    }

    /// `grant_type=client_credentials`: a service account's token. `audience` is sent by the
    /// public clients of service accounts; whether Atlassian requires it is UNCONFIRMED, so
    /// the emulator answers as Auth0 (Atlassian's token service) does without one.
    pub(super) fn client_credentials(&mut self, params: &[(String, String)]) -> Response {
        let (Some(client_id), Some(secret)) =
            (param(params, "client_id"), param(params, "client_secret"))
        else {
            return super::auth::invalid_request();
        };
        if let Some(client) = self.clients.get(client_id) {
            // A developer-console (3LO) app is not a service account.
            if client.secret == secret {
                return Response::json(
                    403,
                    json!({"error": "unauthorized_client",
                           "error_description": "Grant type 'client_credentials' not allowed for the client."}),
                );
            }
        }
        let Some(sa) = self
            .service_accounts
            .get(client_id)
            .filter(|sa| sa.secret == secret)
            .cloned()
        else {
            return Response::json(
                401,
                json!({"error": "access_denied", "error_description": "Unauthorized"}),
            );
        };
        match param(params, "audience") {
            Some("api.atlassian.com") => {}
            None => {
                return Response::json(
                    403,
                    json!({"error": "access_denied",
                           "error_description": "No audience parameter was provided, and no default audience has been configured"}),
                );
            }
            Some(other) => {
                return Response::json(
                    403,
                    json!({"error": "access_denied",
                           "error_description": format!("Service not enabled within domain: {other}")}),
                );
            }
        }
        let access_token = self.issue_access_token(sa.scopes.clone(), Some(sa.client_id));
        token_response(json!({
            "access_token": access_token,
            "expires_in": self.access_token_ttl,
            "scope": sa.scopes.join(" "),
            "token_type": "Bearer",
        }))
    }

    /// The site `cloud_id`'s own host.
    fn handle_site(&mut self, cloud_id: &str, req: &Request) -> Response {
        let ep = match req.path.as_str() {
            "/_edge/tenant_info" => Endpoint::TenantInfo,
            path if super::api::is_myself(path) => Endpoint::SiteMyself,
            "/rest/api/2/serverInfo" | "/rest/api/3/serverInfo" | "/rest/api/latest/serverInfo" => {
                Endpoint::ServerInfo
            }
            path if Route::parse(path, Flavor::Cloud).is_some() => Endpoint::SiteJira,
            _ => return not_a_site(),
        };
        if let Some(fault) = self.count_and_fault(ep) {
            return fault;
        }
        if ep != Endpoint::SiteJira && req.method != "GET" {
            return super::method_not_allowed("GET");
        }
        if !self.sites.iter().any(|s| s.id == cloud_id) {
            return not_a_site();
        }
        if ep == Endpoint::TenantInfo {
            return Response::json(200, json!({"cloudId": cloud_id}));
        }
        if ep == Endpoint::ServerInfo {
            // What a Cloud site says to anyone: enough to tell it from Data Center.
            let url = self
                .sites
                .iter()
                .find(|s| s.id == cloud_id)
                .map(|s| s.url.clone());
            return Response::json(200, jira::server_info_cloud(url.as_deref()));
        }
        // The site's own REST API takes classic API tokens; a scoped one, an OAuth or a
        // service-account token is refused here (they answer through the gateway).
        let classic = basic_credentials(req)
            .and_then(|b| self.api_token(&b).cloned())
            .is_some_and(|t| t.kind == TokenKind::Classic);
        if !classic {
            return jira::error(
                401,
                "Client must be authenticated to access this resource.",
                json!({}),
            );
        }
        if ep == Endpoint::SiteMyself {
            return Response::json(200, user_myself());
        }
        let Some(route) = Route::parse(&req.path, Flavor::Cloud) else {
            return not_a_site();
        };
        let caller = super::api::cloud_user();
        let base = format!("http://{}", req.header("host").unwrap_or("127.0.0.1"));
        let ctx = Ctx {
            flavor: Flavor::Cloud,
            base: &base,
            caller: &caller,
        };
        self.jira.serve(&route, &ctx, req)
    }
}

/// What a host that is no Jira site answers: `*.atlassian.net` without a site behind it
/// shows a page, not JSON.
fn not_a_site() -> Response {
    Response::html(
        404,
        "<!DOCTYPE html><html><head><title>Atlassian Cloud</title></head>\
         <body><h1>Your Atlassian Cloud site is currently unavailable.</h1></body></html>",
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::{api_get, http, json_body};
    use super::super::*;
    use super::*;

    fn emulator() -> Emulator {
        let emu = Emulator::start();
        emu.register_service_account(ServiceAccount::new(
            "sa-client",
            "sa-secret",
            &["read:jira-work", "read:jira-user"],
        ));
        emu.register_client(Client::new(
            "cid",
            "csecret",
            "http://127.0.0.1:8421/callback",
            &["read:me"],
        ));
        emu
    }

    fn client_credentials(emu: &Emulator, body: &str, content_type: &str) -> (u16, Value) {
        let response = http()
            .post(format!("{}/oauth/token", emu.auth_url()))
            .header("Content-Type", content_type)
            .body(body.to_string())
            .send()
            .unwrap();
        let status = response.status().as_u16();
        (status, json_body(response))
    }

    #[test]
    fn client_credentials_take_json_and_form_bodies_and_give_no_refresh_token() {
        let emu = emulator();
        let json_body = json!({"audience": "api.atlassian.com", "grant_type": "client_credentials",
                               "client_id": "sa-client", "client_secret": "sa-secret"});
        let (status, first) = client_credentials(&emu, &json_body.to_string(), "application/json");
        assert_eq!(status, 200, "{first}");
        assert_eq!(first["scope"], "read:jira-work read:jira-user");
        assert_eq!(first["expires_in"], 3600);
        assert!(first.get("refresh_token").is_none());
        let form = "grant_type=client_credentials&client_id=sa-client&client_secret=sa-secret&audience=api.atlassian.com";
        let (status, second) = client_credentials(&emu, form, "application/x-www-form-urlencoded");
        assert_eq!(status, 200, "{second}");
        assert_ne!(first["access_token"], second["access_token"]);
        // The token calls Jira through the gateway, but accessible-resources refuses it.
        let myself = format!("/ex/jira/{DEFAULT_SITE_ID}/rest/api/3/myself");
        let (status, me) = api_get(&emu, &myself, &second["access_token"]);
        assert_eq!((status, &me["accountType"]), (200, &json!("app")));
        let (status, _) = api_get(
            &emu,
            "/oauth/token/accessible-resources",
            &second["access_token"],
        );
        assert_eq!(status, 401);
    }

    #[test]
    fn client_credentials_refuse_wrong_secrets_apps_and_a_missing_audience() {
        let emu = emulator();
        let form = |id: &str, secret: &str, extra: &str| {
            format!("grant_type=client_credentials&client_id={id}&client_secret={secret}{extra}")
        };
        let send =
            |body: String| client_credentials(&emu, &body, "application/x-www-form-urlencoded");
        let aud = "&audience=api.atlassian.com";
        assert_eq!(send(form("sa-client", "wrong", aud)).0, 401);
        assert_eq!(send(form("nobody", "sa-secret", aud)).0, 401);
        let (status, body) = send(form("cid", "csecret", aud));
        assert_eq!(
            (status, &body["error"]),
            (403, &json!("unauthorized_client"))
        );
        let (status, body) = send(form("sa-client", "sa-secret", ""));
        assert_eq!((status, &body["error"]), (403, &json!("access_denied")));
        assert_eq!(
            send(form("sa-client", "sa-secret", "&audience=example.com")).0,
            403
        );
        emu.revoke_service_account("sa-client");
        assert_eq!(send(form("sa-client", "sa-secret", aud)).0, 401);
        assert!(emu.issued_secrets().is_empty());
    }

    #[test]
    fn sites_answer_tenant_info_and_classic_tokens_while_the_gateway_takes_scoped_ones() {
        let emu = emulator();
        let classic = ApiToken {
            email: USER_EMAIL.into(),
            token: "ATATT-classic-0123456789".into(),
            kind: TokenKind::Classic,
        };
        let scoped = ApiToken {
            email: USER_EMAIL.into(),
            token: "ATATT-scoped-0123456789".into(),
            kind: TokenKind::Scoped(vec!["read:jira-user".into()]),
        };
        let narrow = ApiToken {
            email: USER_EMAIL.into(),
            token: "ATATT-narrow-0123456789".into(),
            kind: TokenKind::Scoped(vec!["write:comment:jira".into()]),
        };
        for t in [&classic, &scoped, &narrow] {
            emu.register_api_token(t.clone());
        }
        let site = emu.site_url(DEFAULT_SITE_ID);
        assert_eq!(site, emu.site_url(DEFAULT_SITE_ID), "one host per site");
        let get = |url: String, basic: Option<&ApiToken>| {
            let mut rb = http().get(url);
            if let Some(t) = basic {
                rb = rb.header("Authorization", format!("Basic {}", t.basic()));
            }
            let response = rb.send().unwrap();
            (response.status().as_u16(), response.text().unwrap())
        };
        let (status, body) = get(format!("{site}/_edge/tenant_info"), None);
        assert_eq!(
            (status, body),
            (200, format!(r#"{{"cloudId":"{DEFAULT_SITE_ID}"}}"#))
        );
        let unknown = emu.site_url("no-such-site");
        assert_eq!(get(format!("{unknown}/_edge/tenant_info"), None).0, 404);

        let on_site = format!("{site}/rest/api/3/myself");
        let gateway = format!(
            "{}/ex/jira/{DEFAULT_SITE_ID}/rest/api/3/myself",
            emu.api_url()
        );
        assert_eq!(get(on_site.clone(), Some(&classic)).0, 200);
        assert_eq!(get(on_site.clone(), Some(&scoped)).0, 401);
        assert_eq!(get(on_site.clone(), None).0, 401);
        assert_eq!(get(gateway.clone(), Some(&classic)).0, 401);
        assert_eq!(get(gateway.clone(), Some(&scoped)).0, 200);
        let (status, body) = get(gateway.clone(), Some(&narrow));
        assert_eq!(status, 401);
        assert!(body.contains("scope does not match"), "{body}");
        let wrong_email = ApiToken {
            email: "eve@example.com".into(),
            ..scoped.clone()
        };
        assert_eq!(get(gateway, Some(&wrong_email)).0, 401);
        assert_eq!(emu.hits(Endpoint::TenantInfo), 2);
        assert_eq!(emu.hits(Endpoint::SiteMyself), 3);
        let secrets = emu.registered_secrets();
        assert!(secrets.contains(&classic.token) && secrets.contains(&classic.basic()));
        assert!(secrets.contains(&"sa-secret".to_string()));
    }
}
