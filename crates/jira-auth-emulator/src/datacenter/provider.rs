//! The instance's OAuth 2.0 provider: the authorization endpoint (an incoming application
//! link's exact redirect URL, PKCE S256 challenges, codes that live [`CODE_TTL`]) and the
//! token endpoint (form bodies only: the code with its verifier, refresh tokens as the
//! instance's [`Rotation`] says, a service account's client credentials).

use base64::Engine as _;
use sha2::Digest as _;

// The provider is the instance's own: it works on the same state as mod.rs.
use super::*;

fn redirect_error(redirect_uri: &str, error: &str, state: &str) -> Response {
    Response::redirect(&format!(
        "{redirect_uri}?error={error}&state={}",
        percent_encode(state)
    ))
}

pub(super) fn authorize(state: &mut State, req: &Request) -> Response {
    let q = |name| req.query_param(name).unwrap_or_default().to_string();
    let Some(link) = state.links.get(&q("client_id")).cloned() else {
        return error_page(400, "Invalid client_id");
    };
    let redirect_uri = q("redirect_uri");
    if redirect_uri != link.redirect_uri {
        return error_page(400, "Invalid redirect_uri");
    }
    let st = q("state");
    if q("response_type") != "code" {
        return redirect_error(&redirect_uri, "unsupported_response_type", &st);
    }
    let challenge = req.query_param("code_challenge").map(str::to_string);
    if challenge.is_some() && q("code_challenge_method") != "S256" {
        return redirect_error(&redirect_uri, "invalid_request", &st);
    }
    let allowed = level(&link.permission).unwrap_or(0);
    let scopes: Vec<String> = q("scope").split_whitespace().map(str::to_string).collect();
    if scopes.is_empty() || scopes.iter().any(|s| level(s).is_none_or(|l| l > allowed)) {
        return redirect_error(&redirect_uri, "invalid_scope", &st);
    }
    if state.deny {
        return redirect_error(&redirect_uri, "access_denied", &st);
    }
    let challenge = match challenge {
        Some(c) if std::mem::take(&mut state.corrupt_next_challenge) => Some(format!("x{c}")),
        other => other,
    };
    let code = state.secret("dc-code-");
    let issued_at = state.now();
    state.codes.insert(
        code.clone(),
        Code {
            client_id: link.client_id,
            redirect_uri: redirect_uri.clone(),
            scopes,
            challenge,
            issued_at,
            used: false,
        },
    );
    state.offset += state.delay_after_redirect;
    Response::redirect(&format!(
        "{redirect_uri}?code={}&state={}",
        percent_encode(&code),
        percent_encode(&st)
    ))
}

fn oauth_error(status: u16, error: &str) -> Response {
    Response::json(status, json!({"error": error}))
}

fn invalid_request(description: &str) -> Response {
    Response::json(
        400,
        json!({"error": "invalid_request", "error_description": description}),
    )
}

pub(super) fn token(state: &mut State, req: &Request) -> Response {
    let form = req
        .header("content-type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|ct| {
            ct.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !form {
        return invalid_request("the request body must be application/x-www-form-urlencoded");
    }
    let params = req.form();
    let p = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let (Some(grant_type), Some(client_id), Some(secret)) =
        (p("grant_type"), p("client_id"), p("client_secret"))
    else {
        return invalid_request("grant_type, client_id and client_secret are required");
    };
    if grant_type == "client_credentials" {
        return client_credentials(state, &client_id, &secret, p("scope"));
    }
    if state
        .links
        .get(&client_id)
        .is_none_or(|l| l.client_secret != secret)
    {
        return oauth_error(401, "invalid_client");
    }
    match grant_type.as_str() {
        "authorization_code" => {
            let (Some(code), Some(redirect_uri)) = (p("code"), p("redirect_uri")) else {
                return invalid_request("code and redirect_uri are required");
            };
            exchange(state, &client_id, &code, &redirect_uri, p("code_verifier"))
        }
        "refresh_token" => {
            let Some(refresh_token) = p("refresh_token") else {
                return invalid_request("refresh_token is required");
            };
            refresh(state, &client_id, &refresh_token, p("redirect_uri"))
        }
        _ => oauth_error(400, "unsupported_grant_type"),
    }
}

/// A service account's token: its own client id and secret, READ and/or WRITE (Jira refuses
/// ADMIN and SYSTEM_ADMIN to service accounts), no refresh token.
fn client_credentials(
    state: &mut State,
    client_id: &str,
    secret: &str,
    scope: Option<String>,
) -> Response {
    let Some(account) = state
        .service_accounts
        .get(client_id)
        .filter(|a| a.client_secret == secret)
        .cloned()
    else {
        return oauth_error(401, "invalid_client");
    };
    let scopes: Vec<String> = scope
        .unwrap_or_else(|| "READ".into())
        .split_whitespace()
        .map(str::to_string)
        .collect();
    if scopes.is_empty() || scopes.iter().any(|s| s != "READ" && s != "WRITE") {
        return oauth_error(400, "invalid_scope");
    }
    tokens_for(state, scopes, None, Some(account.name))
}

/// base64url(SHA-256(verifier)), no padding (RFC 7636 S256).
pub(super) fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn exchange(
    state: &mut State,
    client_id: &str,
    code: &str,
    redirect_uri: &str,
    verifier: Option<String>,
) -> Response {
    let (now, ttl) = (state.now(), CODE_TTL);
    let Some(grant) = state.codes.get_mut(code) else {
        return oauth_error(400, "invalid_grant");
    };
    let fresh = now.saturating_sub(grant.issued_at) < ttl;
    let pkce = match (&grant.challenge, &verifier) {
        (None, _) => Some(false),
        (Some(challenge), Some(v)) if s256(v) == *challenge => Some(true),
        _ => None,
    };
    // A used code stays used; a code refused for any reason is spent too.
    let was_used = std::mem::replace(&mut grant.used, true);
    let (Some(verified), false, true, true, true) = (
        pkce,
        was_used,
        fresh,
        grant.client_id == client_id,
        grant.redirect_uri == redirect_uri,
    ) else {
        return oauth_error(400, "invalid_grant");
    };
    if verified {
        state.pkce_verified += 1;
    }
    // Not issued here but a secret all the same: whoever holds it and the code has the grant.
    if let Some(v) = verifier {
        state.issued.push(v);
    }
    let (scopes, redirect) = (grant.scopes.clone(), grant.redirect_uri.clone());
    let refresh_token = state.secret("dc-rt-");
    state.grants.insert(
        refresh_token.clone(),
        Grant {
            client_id: client_id.to_string(),
            scopes: scopes.clone(),
            redirect_uri: redirect,
            revoked: false,
        },
    );
    tokens(state, scopes, Some(refresh_token))
}

fn refresh(
    state: &mut State,
    client_id: &str,
    presented: &str,
    redirect_uri: Option<String>,
) -> Response {
    let needs_redirect = state.refresh_needs_redirect_uri;
    let Some(grant) = state.grants.get(presented) else {
        return oauth_error(400, "invalid_grant");
    };
    if grant.revoked || grant.client_id != client_id {
        return oauth_error(400, "invalid_grant");
    }
    match &redirect_uri {
        None if needs_redirect => return invalid_request("redirect_uri is required"),
        Some(uri) if *uri != grant.redirect_uri => return oauth_error(400, "invalid_grant"),
        _ => {}
    }
    let scopes = grant.scopes.clone();
    let next = match state.rotation {
        Rotation::New => {
            let new = state.secret("dc-rt-");
            let old = state.grants.remove(presented).expect("looked up above");
            state.grants.insert(new.clone(), old);
            Some(new)
        }
        Rotation::Same => Some(presented.to_string()),
        Rotation::Omitted => None,
    };
    tokens(state, scopes, next)
}

fn tokens(state: &mut State, scopes: Vec<String>, refresh_token: Option<String>) -> Response {
    tokens_for(state, scopes, refresh_token, None)
}

fn tokens_for(
    state: &mut State,
    scopes: Vec<String>,
    refresh_token: Option<String>,
    service_account: Option<String>,
) -> Response {
    let access_token = state.secret("dc-at-");
    let expires_at = state.now() + Duration::from_secs(state.access_token_ttl);
    state.tokens.insert(
        access_token.clone(),
        Token {
            scopes: scopes.clone(),
            expires_at,
            service_account,
        },
    );
    let mut body = json!({
        "access_token": access_token,
        "token_type": "bearer",
        "expires_in": state.access_token_ttl,
        "scope": scopes.join(" "),
    });
    if let Some(rt) = refresh_token {
        body["refresh_token"] = json!(rt);
    }
    Response::json(200, body)
        .with_header("Cache-Control", "no-store")
        .with_header("Pragma", "no-cache")
}
