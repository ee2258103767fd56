//! The emulated api.atlassian.com: accessible-resources, the User Identity API's `/me`, and
//! the Jira gateway's `/myself` (for OAuth and service-account Bearer tokens, and scoped API
//! tokens).

use std::time::{Duration, Instant, SystemTime};

use serde_json::{Value, json};

use super::accounts::basic_credentials;
use super::{
    Endpoint, OFFLINE_ACCESS, State, TokenKind, USER_ACCOUNT_ID, USER_EMAIL, USER_NAME,
    method_not_allowed, not_found, scope_mismatch,
};
use crate::http::{Request, Response};
use crate::jira::{Ctx, Flavor, Person, Route};

impl State {
    /// Stamps the API server's (possibly skewed) clock on a response.
    pub(super) fn dated(&self, response: Response) -> Response {
        if self.api_clock_skew == 0 {
            return response;
        }
        let now = SystemTime::now();
        let skew = Duration::from_secs(self.api_clock_skew.unsigned_abs());
        let at = if self.api_clock_skew > 0 {
            now + skew
        } else {
            now - skew
        };
        response.with_header("Date", &crate::http::http_date(at))
    }

    pub(super) fn handle_api(&mut self, req: &Request) -> Response {
        let gateway = gateway_path(&req.path);
        let ep = match (req.path.as_str(), gateway) {
            ("/oauth/token/accessible-resources", _) => Endpoint::AccessibleResources,
            ("/me", _) => Endpoint::Me,
            (_, Some((_, rest))) if is_myself(rest) => Endpoint::Myself,
            (_, Some((_, rest))) if Route::parse(rest, Flavor::Cloud).is_some() => Endpoint::Jira,
            _ => return not_found(),
        };
        if let Some(fault) = self.count_and_fault(ep) {
            return fault;
        }
        if ep != Endpoint::Jira && req.method != "GET" {
            return method_not_allowed("GET");
        }
        let (cloud_id, rest) = gateway.unwrap_or_default();
        // API tokens (Basic email:token): only scoped ones, and only on the Jira gateway.
        if let Some(basic) = basic_credentials(req) {
            let scopes = match (ep, self.api_token(&basic)) {
                (Endpoint::Myself | Endpoint::Jira, Some(t)) => match &t.kind {
                    TokenKind::Scoped(scopes) => scopes.clone(),
                    TokenKind::Classic => return unauthorized(),
                },
                _ => return unauthorized(),
            };
            return match ep {
                Endpoint::Myself => self.myself(cloud_id, &scopes, None),
                _ => self.gateway_jira(cloud_id, rest, &scopes, None, req),
            };
        }
        let token = req
            .header("authorization")
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .and_then(|(_, token)| self.access_tokens.get(token.trim()))
            .filter(|token| Instant::now() < token.expires_at);
        let Some(token) = token else {
            return unauthorized();
        };
        let has = |scope: &str| token.scopes.iter().any(|s| s == scope);
        match ep {
            // The one public report: accessible-resources refuses service-account tokens.
            Endpoint::AccessibleResources if token.service_account.is_some() => unauthorized(),
            Endpoint::AccessibleResources => {
                // The grant as it is now, not as the token remembers it.
                let scopes: Vec<&String> = token
                    .scopes
                    .iter()
                    .filter(|s| *s != OFFLINE_ACCESS && !self.withdrawn_scopes.contains(s))
                    .collect();
                let mut sites: Vec<Value> = self
                    .sites
                    .iter()
                    .map(|site| {
                        json!({
                            "id": site.id,
                            "name": site.name,
                            "url": site.url,
                            "scopes": scopes,
                            "avatarUrl": format!(
                                "https://site-admin-avatar-cdn.prod.public.atl-paas.net/avatars/240/{}.png",
                                site.name
                            ),
                        })
                    })
                    .collect();
                // The order means nothing at Atlassian; change it on every call so nobody relies on [0].
                if !sites.is_empty() {
                    let shift = self.hits[&ep] % sites.len();
                    sites.rotate_left(shift);
                }
                Response::json(200, Value::Array(sites))
            }
            Endpoint::Me if !has("read:me") => scope_mismatch(),
            Endpoint::Me => Response::json(
                200,
                json!({
                    "account_id": USER_ACCOUNT_ID,
                    "email": USER_EMAIL,
                    "name": USER_NAME,
                    "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/default.png",
                    "account_type": "atlassian",
                    "account_status": "active",
                }),
            ),
            Endpoint::Myself => {
                let (scopes, sa) = (token.scopes.clone(), token.service_account.clone());
                self.myself(cloud_id, &scopes, sa.as_deref())
            }
            _ => {
                let (scopes, sa) = (token.scopes.clone(), token.service_account.clone());
                self.gateway_jira(cloud_id, rest, &scopes, sa.as_deref(), req)
            }
        }
    }

    /// The rehearsal Jira of site `cloud_id` through the gateway, for a caller with `scopes`
    /// (the user's, or the service account `service_account`'s): reads want a read scope of
    /// Jira's, changes a write scope, else the gateway's scope-mismatch 401.
    fn gateway_jira(
        &mut self,
        cloud_id: &str,
        rest: &str,
        scopes: &[String],
        service_account: Option<&str>,
        req: &Request,
    ) -> Response {
        if !self.sites.iter().any(|site| site.id == cloud_id) {
            return site_not_found();
        }
        let Some(route) = Route::parse(rest, Flavor::Cloud) else {
            return not_found();
        };
        // The classic scope, or a granular one of Jira's or Jira Software's (boards).
        let grants = |kind: &str| {
            scopes.iter().any(|s| {
                *s == format!("{kind}:jira-work")
                    || (s.starts_with(&format!("{kind}:"))
                        && (s.ends_with(":jira") || s.ends_with(":jira-software")))
            })
        };
        let allowed = if route.writes(&req.method) {
            grants("write")
        } else {
            grants("read")
        };
        if !allowed {
            return scope_mismatch();
        }
        let caller = match service_account.and_then(|id| self.service_accounts.get(id)) {
            Some(sa) => sa.person(),
            None => cloud_user(),
        };
        let base = format!(
            "http://{}/ex/jira/{cloud_id}",
            req.header("host").unwrap_or("127.0.0.1")
        );
        let ctx = Ctx {
            flavor: Flavor::Cloud,
            base: &base,
            caller: &caller,
        };
        self.jira.serve(&route, &ctx, req)
    }

    /// `/rest/api/3/myself` of site `cloud_id` for a caller with `scopes`: the user, or the
    /// service account `service_account` (a client id).
    pub(super) fn myself(
        &self,
        cloud_id: &str,
        scopes: &[String],
        service_account: Option<&str>,
    ) -> Response {
        if !self.sites.iter().any(|site| site.id == cloud_id) {
            return site_not_found();
        }
        if !["read:jira-user", "read:jira-work", "read:user:jira"]
            .iter()
            .any(|s| scopes.iter().any(|have| have == s))
        {
            return scope_mismatch();
        }
        match service_account.and_then(|id| self.service_accounts.get(id)) {
            Some(sa) => Response::json(200, sa.myself()),
            None => Response::json(200, user_myself()),
        }
    }
}

/// The one user's `/myself`.
pub(super) fn user_myself() -> Value {
    json!({
        "accountId": USER_ACCOUNT_ID,
        "displayName": USER_NAME,
        "emailAddress": USER_EMAIL,
        "active": true,
        "timeZone": "Europe/Paris",
    })
}

pub(super) fn unauthorized() -> Response {
    Response::json(401, json!({"code": 401, "message": "Unauthorized"}))
}

/// The one user as the rehearsal Jira shows a Cloud caller.
pub(super) fn cloud_user() -> Person {
    Person {
        id: USER_ACCOUNT_ID.to_string(),
        name: String::new(),
        display_name: USER_NAME.to_string(),
        email: Some(USER_EMAIL.to_string()),
        app: false,
    }
}

fn site_not_found() -> Response {
    Response::json(
        404,
        json!({"code": 404, "message": "Site not found or not accessible"}),
    )
}

/// `(cloud id, the path below it)` of a gateway path `/ex/jira/{cloudid}/rest/…`.
pub(super) fn gateway_path(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("/ex/jira/")?;
    let slash = rest.find('/')?;
    let (cloud_id, tail) = rest.split_at(slash);
    (!cloud_id.is_empty() && tail.starts_with("/rest/")).then_some((cloud_id, tail))
}

/// `/rest/api/{2,3,latest}/myself`, which the hosts answer themselves (service accounts,
/// API tokens' checks).
pub(super) fn is_myself(rest: &str) -> bool {
    matches!(
        rest,
        "/rest/api/3/myself" | "/rest/api/2/myself" | "/rest/api/latest/myself"
    )
}
