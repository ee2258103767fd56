//! The emulated auth.atlassian.com: the consent page (`/authorize`) and the token endpoint
//! (authorization code, rotating refresh tokens; client credentials are in accounts.rs).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::consent::{Pending, denied};
use super::{
    AccessToken, AuthCode, CODE_TTL, Consent, Emulator, Endpoint, OFFLINE_ACCESS, Params,
    RefreshToken, State, method_not_allowed, not_found, param,
};
use crate::http::{Request, Response, percent_encode};

impl Emulator {
    /// Takes a grant it did not issue as its own: `refresh_token` (a family of its own) and
    /// `access_token` (valid for `left`), both with `scopes`, for `client_id`. The sandbox
    /// restores a sandbox profile's tokens this way (`World::restore`): the emulator that
    /// issued them ended with the command that made the profile.
    pub fn adopt_grant(
        &self,
        client_id: &str,
        scopes: &[String],
        refresh_token: Option<&str>,
        access_token: Option<(&str, Duration)>,
    ) {
        let mut state = self.lock();
        state.next_family += 1;
        let family = state.next_family;
        if let Some(token) = refresh_token {
            let adopted = RefreshToken {
                client_id: client_id.to_string(),
                family,
                scopes: scopes.to_vec(),
                rotated_at: None,
                revoked: false,
            };
            state.refresh_tokens.insert(token.to_string(), adopted);
        }
        if let Some((token, left)) = access_token {
            let adopted = AccessToken {
                scopes: scopes.to_vec(),
                expires_at: Instant::now() + left,
                service_account: None,
            };
            state.access_tokens.insert(token.to_string(), adopted);
        }
    }
}

impl State {
    pub(super) fn handle_auth(&mut self, req: &Request) -> Response {
        let ep = match req.path.as_str() {
            "/authorize" => Endpoint::Authorize,
            "/authorize/consent" => return self.handle_decision(req),
            "/oauth/token" => Endpoint::Token,
            _ => return not_found(),
        };
        if let Some(fault) = self.count_and_fault(ep) {
            return fault;
        }
        match (ep, req.method.as_str()) {
            (Endpoint::Authorize, "GET") => self.authorize(req),
            (Endpoint::Token, "POST") => self.token(req),
            (Endpoint::Token, _) => method_not_allowed("POST"),
            _ => method_not_allowed("GET"),
        }
    }

    pub(super) fn authorize(&mut self, req: &Request) -> Response {
        for name in [
            "audience",
            "client_id",
            "scope",
            "redirect_uri",
            "state",
            "response_type",
            "prompt",
        ] {
            if req.query_param(name).is_none_or(|v| v.trim().is_empty()) {
                return error_page(
                    400,
                    "invalid_request",
                    &format!("Missing required parameter: {name}"),
                );
            }
        }
        let q = |name| req.query_param(name).unwrap_or_default();
        if q("audience") != "api.atlassian.com" {
            return error_page(400, "invalid_request", "audience is not valid");
        }
        if q("response_type") != "code" {
            return error_page(
                400,
                "unsupported_response_type",
                "Unsupported response_type",
            );
        }
        if q("prompt") != "consent" {
            return error_page(400, "invalid_request", "prompt must be consent");
        }
        let Some(client) = self.clients.get(q("client_id")) else {
            return error_page(400, "invalid_client", "Unknown client");
        };
        let redirect_uri = q("redirect_uri");
        if !client.redirect_uris.iter().any(|uri| uri == redirect_uri) {
            // Atlassian shows its own page here and never returns to the app.
            return error_page(
                400,
                "unauthorized_client",
                "redirect_uri is not registered for client",
            );
        }
        let mut scopes: Vec<String> = Vec::new();
        for scope in q("scope").split_whitespace() {
            if scope != OFFLINE_ACCESS && !client.scopes.iter().any(|s| s == scope) {
                // The consent page breaks without saying why, and never returns to the app.
                // Remembered by its `state`, for the emulated Composio (composio.rs).
                self.refused_states.push(q("state").to_string());
                return Response::html(
                    200,
                    "<!DOCTYPE html><html><head><title>Atlassian</title></head>\
                     <body><h1>Something went wrong</h1>\
                     <p>Close this page and try again, or contact the app developer.</p>\
                     </body></html>",
                );
            }
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_string());
            }
        }
        let (client_id, state) = (client.id.clone(), q("state").to_string());
        match self.consent {
            Consent::Deny => denied(redirect_uri, &state),
            Consent::Approve => self.approve(&client_id, redirect_uri, scopes, &state),
            Consent::Ask => self.ask(Pending {
                client_id,
                redirect_uri: redirect_uri.to_string(),
                scopes,
                state,
                asked_at: Instant::now(),
            }),
        }
    }

    /// An approved consent: a new code, and the redirect that carries it to the app.
    pub(super) fn approve(
        &mut self,
        client_id: &str,
        redirect_uri: &str,
        scopes: Vec<String>,
        state: &str,
    ) -> Response {
        let code = self.secret("code-");
        self.codes.insert(
            code.clone(),
            AuthCode {
                client_id: client_id.to_string(),
                redirect_uri: redirect_uri.to_string(),
                scopes,
                issued_at: Instant::now(),
                used: false,
            },
        );
        let separator = if redirect_uri.contains('?') { '&' } else { '?' };
        Response::redirect(&format!(
            "{redirect_uri}{separator}code={}&state={}",
            percent_encode(&code),
            percent_encode(state)
        ))
    }

    pub(super) fn token(&mut self, req: &Request) -> Response {
        let params = match token_params(req) {
            Ok(params) => params,
            Err(response) => return response,
        };
        let Some(grant_type) = param(&params, "grant_type") else {
            return invalid_request();
        };
        if grant_type == "client_credentials" {
            return self.client_credentials(&params);
        }
        if grant_type != "authorization_code" && grant_type != "refresh_token" {
            return Response::json(400, json!({"error": "unsupported_grant_type"}));
        }
        // Credentials only count in the body: the doc lists them there, not in Basic auth.
        let (Some(client_id), Some(client_secret)) =
            (param(&params, "client_id"), param(&params, "client_secret"))
        else {
            return invalid_request();
        };
        if self
            .clients
            .get(client_id)
            .is_none_or(|c| c.secret != client_secret)
        {
            return Response::json(
                401,
                json!({"error": "access_denied", "error_description": "Unauthorized"}),
            );
        }
        if grant_type == "authorization_code" {
            let (Some(code), Some(redirect_uri)) =
                (param(&params, "code"), param(&params, "redirect_uri"))
            else {
                return invalid_request();
            };
            self.exchange_code(client_id, code, redirect_uri)
        } else {
            let Some(refresh_token) = param(&params, "refresh_token") else {
                return invalid_request();
            };
            self.refresh(client_id, refresh_token)
        }
    }

    pub(super) fn exchange_code(
        &mut self,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
    ) -> Response {
        let scopes = match self.codes.get_mut(code) {
            Some(grant)
                if !grant.used
                    && grant.issued_at.elapsed() < CODE_TTL
                    && grant.client_id == client_id
                    && grant.redirect_uri == redirect_uri =>
            {
                grant.used = true;
                grant.scopes.clone()
            }
            _ => {
                return Response::json(
                    403,
                    json!({"error": "invalid_grant", "error_description": "Invalid authorization code"}),
                );
            }
        };
        let family = scopes.iter().any(|s| s == OFFLINE_ACCESS).then(|| {
            self.next_family += 1;
            self.next_family
        });
        self.issue_tokens(client_id, scopes, family)
    }

    pub(super) fn refresh(&mut self, client_id: &str, presented: &str) -> Response {
        let now = Instant::now();
        let reuse_interval = self.reuse_interval;
        let Some(token) = self.refresh_tokens.get_mut(presented) else {
            return invalid_refresh_token();
        };
        if token.revoked || token.client_id != client_id {
            return invalid_refresh_token();
        }
        let (family, scopes) = (token.family, token.scopes.clone());
        match token.rotated_at {
            // Atlassian's leeway: a rotated token keeps working for the reuse interval.
            Some(rotated_at) if now.duration_since(rotated_at) < reuse_interval => {}
            // Reuse after the leeway looks like theft: the whole family dies, newest included.
            Some(_) => {
                for member in self.refresh_tokens.values_mut() {
                    if member.family == family {
                        member.revoked = true;
                    }
                }
                return invalid_refresh_token();
            }
            None => token.rotated_at = Some(now),
        }
        self.issue_tokens(client_id, scopes, Some(family))
    }

    /// The token response; a refresh token only for grants that carry a family (offline_access).
    pub(super) fn issue_tokens(
        &mut self,
        client_id: &str,
        scopes: Vec<String>,
        family: Option<u64>,
    ) -> Response {
        let access_token = self.issue_access_token(scopes.clone(), None);
        let mut body = json!({
            "access_token": access_token,
            "expires_in": self.access_token_ttl,
            "scope": scopes.join(" "),
            "token_type": "Bearer",
        });
        if let Some(family) = family {
            let refresh_token = self.secret("rt-");
            self.refresh_tokens.insert(
                refresh_token.clone(),
                RefreshToken {
                    client_id: client_id.to_string(),
                    family,
                    scopes,
                    rotated_at: None,
                    revoked: false,
                },
            );
            body["refresh_token"] = json!(refresh_token);
        }
        token_response(body)
    }

    /// A new access token with `scopes`, for a user's grant or (`service_account`, its client
    /// id) a service account.
    pub(super) fn issue_access_token(
        &mut self,
        scopes: Vec<String>,
        service_account: Option<String>,
    ) -> String {
        let access_token = self.secret("at-");
        self.access_tokens.insert(
            access_token.clone(),
            AccessToken {
                scopes,
                expires_at: Instant::now() + Duration::from_secs(self.access_token_ttl),
                service_account,
            },
        );
        access_token
    }
}

pub(super) fn is_refresh(req: &Request) -> bool {
    req.path == "/oauth/token"
        && token_params(req)
            .ok()
            .is_some_and(|p| param(&p, "grant_type") == Some("refresh_token"))
}

/// Token requests may be JSON (documented) or form-encoded (what OAuth libraries send).
pub(super) fn token_params(req: &Request) -> Result<Params, Response> {
    let content_type = req
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => Ok(req.form()),
        "application/json" => match serde_json::from_slice::<Value>(&req.body) {
            Ok(Value::Object(map)) => Ok(map
                .into_iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_string())))
                .collect()),
            _ => Err(invalid_request()),
        },
        _ => Err(invalid_request()),
    }
}

pub(super) fn invalid_request() -> Response {
    Response::json(400, json!({"error": "invalid_request"}))
}

pub(super) fn invalid_refresh_token() -> Response {
    Response::json(
        403,
        json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
    )
}

/// A token endpoint's success, never to be cached by anyone on the way.
pub(super) fn token_response(body: Value) -> Response {
    Response::json(200, body)
        .with_header("Cache-Control", "no-store")
        .with_header("Pragma", "no-cache")
}

/// Atlassian's own error page; the values are fixed strings, so nothing needs escaping.
pub(super) fn error_page(status: u16, error: &str, description: &str) -> Response {
    Response::html(
        status,
        &format!(
            "<!DOCTYPE html><html><head><title>Atlassian error</title></head><body>\
             <h1>Something's not right</h1><p>error={error}</p><p>error_description={description}</p>\
             </body></html>"
        ),
    )
}
