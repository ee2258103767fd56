//! The conversions of what came back from the other side: the network, Atlassian's and a
//! Data Center instance's token endpoints and APIs, and the site a grant covers (convert.rs:
//! the local failures).

use crate::atlassian::{ApiError, Resource, SiteError, describe_all};
use crate::net::{HttpError, Peer};
use crate::oauth::{AuthServer, OAuthError};

use super::convert::with_hints;
use super::{CliError, Code};

impl From<HttpError> for CliError {
    fn from(e: HttpError) -> CliError {
        let (code, hint) = match &e {
            HttpError::Setup(_) => (Code::Internal, None),
            HttpError::MaybeConsumed { .. } => (
                Code::ServerUnavailable,
                Some("run `jira-auth init` (or `jira-auth login` for an existing profile) again: it asks for a new code".to_string()),
            ),
            HttpError::RateLimited {
                retry_after, peer, ..
            } => {
                let wait = match retry_after {
                    Some(s) => format!("wait {s} s (what the server's Retry-After asked for)"),
                    None => "wait a minute".to_string(),
                };
                let why = match peer {
                    Peer::Atlassian => {
                        "; every run that uses this app's client id counts against the same rate limit"
                    }
                    Peer::Jira(_) => "",
                    Peer::Composio => "; every call with this project's API key counts against the same limit",
                };
                (
                    Code::RateLimited,
                    Some(format!("{wait}, then run the command again{why}")),
                )
            }
            HttpError::Tls { .. } => (
                Code::TlsFailed,
                Some("a proxy or firewall that intercepts HTTPS, or a server that is not HTTPS, causes this; jira-auth trusts the operating system's CA certificates".to_string()),
            ),
            HttpError::Unavailable { peer, .. } => (
                Code::ServerUnavailable,
                Some(match peer {
                    Peer::Atlassian => "check your network or proxy, and https://status.atlassian.com; then run the command again".to_string(),
                    Peer::Jira(base) => format!("check your network or proxy, and that {base} is up (its administrators know); then run the command again"),
                    Peer::Composio => "check your network or proxy, COMPOSIO_BASE_URL, and https://status.composio.dev; then run the command again".to_string(),
                }),
            ),
        };
        with_hints(CliError::of(code, e), hint)
    }
}

impl From<OAuthError> for CliError {
    fn from(e: OAuthError) -> CliError {
        use AuthServer::{Atlassian, DataCenter};
        let code = match &e {
            OAuthError::ClientRefused { .. } => Code::ClientSecretRejected,
            OAuthError::ServiceAccountRefused { .. } | OAuthError::NotAServiceAccount(_) => {
                Code::ServiceAccountRejected
            }
            OAuthError::ScopeRefused { .. } => Code::AuthorizationFailed,
            OAuthError::ClientRejected(_) => Code::ClientIdRejected,
            OAuthError::CodeRejected { .. } => Code::CodeRejected,
            OAuthError::RefreshRejected { .. } => Code::RefreshTokenRejected,
            OAuthError::Unexpected { .. }
            | OAuthError::Unusable { .. }
            | OAuthError::Protocol(_)
            | OAuthError::Http(_) => Code::BadResponse,
        };
        let hints: Vec<String> = match &e {
            OAuthError::Http(_) => {
                let OAuthError::Http(h) = e else { unreachable!() };
                return CliError::from(h);
            }
            OAuthError::ClientRefused { by: Atlassian(_), stored: false } => vec![
                "copy the Secret again from the developer console → your app → Settings (a regenerated secret replaces the old one)".into(),
                "this is not a consent problem: consent succeeded; only the secret is wrong".into(),
            ],
            OAuthError::ClientRefused { by: Atlassian(_), stored: true } => vec![
                "the app's secret was probably regenerated in the developer console (your app → Settings), which ends the old one".into(),
                "run `jira-auth init --force` with the new secret; the stored profile was kept".into(),
            ],
            OAuthError::ServiceAccountRefused { by: Atlassian(_), stored: false } => vec![
                "check the client id and secret of the service account's OAuth 2.0 credential (admin.atlassian.com → Directory → Service accounts → the account → Credentials): --client-id or JIRA_AUTH_CLIENT_ID, and JIRA_AUTH_CLIENT_SECRET or --client-secret-stdin".into(),
                "Atlassian shows the secret once, when the credential is created: if it is lost, create new credentials there (and revoke the old ones)".into(),
            ],
            OAuthError::ServiceAccountRefused { by: Atlassian(_), stored: true } => vec![
                "the credential was probably revoked, or the service account deactivated, in admin.atlassian.com (Directory → Service accounts)".into(),
                "create new credentials there and run `jira-auth init --force --method service-account` with them; the stored profile was kept".into(),
            ],
            OAuthError::NotAServiceAccount(_) => vec![
                "this looks like the client id of an OAuth 2.0 (3LO) app of the developer console: set that up with --method oauth (the default)".into(),
                "a service account's OAuth 2.0 credential is created in admin.atlassian.com → Directory → Service accounts → the account → Create credentials → OAuth 2.0".into(),
            ],
            OAuthError::ClientRejected(_) => vec![
                "check the Client ID, and that the app's callback URL in the developer console (Authorization → OAuth 2.0 (3LO)) is exactly the redirect URI jira-auth uses: 127.0.0.1 and localhost differ, and so do ports".into(),
            ],
            OAuthError::CodeRejected { by: Atlassian(_), desc } => {
                let mut hints = Vec::new();
                if desc.to_ascii_lowercase().contains("redirect") {
                    hints.push("the redirect URI sent with the code must be the one the consent used, and registered for the app exactly".into());
                }
                hints.push("codes are single-use and short-lived: run `jira-auth init` (or `jira-auth login`) again to get a new one".into());
                hints
            }
            OAuthError::ClientRefused { by: DataCenter(_), stored: false } => vec![
                "copy the Client ID and Client secret again from Jira: Administration → Applications → Application links → the incoming link (jira-auth) → Credentials; nothing was stored".into(),
                "this is not a consent problem: consent succeeded; only the client's credentials are wrong".into(),
            ],
            OAuthError::ClientRefused { by: DataCenter(_), stored: true } => vec![
                "the application link was probably deleted, or its secret regenerated, in Jira (Administration → Applications → Application links)".into(),
                "run `jira-auth init --force` with its current credentials; the stored profile was kept".into(),
            ],
            OAuthError::ServiceAccountRefused { by: DataCenter(_), stored: false } => vec![
                "check the service account's client id and secret (Jira: Administration → Service accounts → the account → its OAuth 2.0 credentials): --client-id or JIRA_AUTH_CLIENT_ID, and JIRA_AUTH_CLIENT_SECRET or --client-secret-stdin; nothing was stored".into(),
                "Jira shows the secret once: if it is lost, generate new credentials for the service account there".into(),
            ],
            OAuthError::ServiceAccountRefused { by: DataCenter(_), stored: true } => vec![
                "the service account's credentials were probably regenerated, or the account deactivated or deleted, in Jira (Administration → Service accounts)".into(),
                "run `jira-auth init --force --method service-account` with its current credentials; the stored profile was kept".into(),
            ],
            OAuthError::ScopeRefused { .. } => vec![
                "a Jira Data Center service account can have READ or WRITE only, and no more than its administrator allowed it (Administration → Service accounts → the account): run `jira-auth init --force --method service-account --scopes READ` or ask for WRITE there".into(),
            ],
            OAuthError::CodeRejected { by: DataCenter(_), .. } => vec![
                "a Data Center code lives 10 s and works once; jira-auth exchanges it at once, so a slow network or proxy between here and Jira, a code used by someone else, or a PKCE verifier that does not match is the cause".into(),
                "run `jira-auth init` (or `jira-auth login`) again; a Jira administrator can allow more time with the system property atlassian.oauth2.provider.max.client.delay.seconds".into(),
            ],
            OAuthError::RefreshRejected { by: DataCenter(_), .. } => vec![
                "the refresh token was revoked (Profile → Authorized applications in Jira), expired (90 days) or spent: run `jira-auth login` to consent again; the stored profile was kept".into(),
            ],
            OAuthError::RefreshRejected { by: Atlassian(_), .. } => vec![
                "run `jira-auth login` (or `jira-auth init --force`) to consent again; the stored profile was kept".into(),
            ],
            OAuthError::Unexpected { by, .. } | OAuthError::Unusable { by, .. } => {
                let hint = proxy_hint(by);
                return with_hints(CliError::of(code, e), [hint]);
            }
            OAuthError::Protocol(_) => {
                return with_hints(CliError::of(code, e), [PROXY_HINT_AUTH]);
            }
        };
        with_hints(CliError::of(code, e), hints)
    }
}

/// What may be answering instead of the server.
fn proxy_hint(by: &AuthServer) -> String {
    match by {
        AuthServer::Atlassian(_) => PROXY_HINT_AUTH.to_string(),
        AuthServer::DataCenter(base) => format!(
            "a proxy may be answering instead of Jira; check that {} is the instance's base URL, and your proxy, then run the command again",
            crate::atlassian::datacenter::base_text(base)
        ),
    }
}

const PROXY_HINT_AUTH: &str = "a proxy may be answering instead of Atlassian; check JIRA_AUTH_AUTH_URL / JIRA_AUTH_API_URL and your proxy, then run the command again";

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> CliError {
        let (code, hint) = match &e {
            ApiError::Http(_) => {
                let ApiError::Http(h) = e else { unreachable!() };
                return CliError::from(h);
            }
            ApiError::Unauthorized(_) => (
                Code::AccessTokenRejected,
                "run `jira-auth login` to consent again",
            ),
            ApiError::ScopeMismatch(_) => (
                Code::ScopeMissing,
                "tick the scope for the app in the developer console (Permissions), then run `jira-auth login` to consent to it; `jira-auth scopes check` shows which scopes are missing and where to tick them",
            ),
            ApiError::Protocol { .. } => (
                Code::BadResponse,
                "a proxy may be answering instead of Atlassian; check JIRA_AUTH_API_URL and your proxy, then run the command again",
            ),
            ApiError::NotFound(_) => (
                Code::SiteNotInGrant,
                "run `jira-auth login` and pick the site on the consent page",
            ),
            ApiError::UnknownSite { .. } => {
                return CliError::of(Code::SiteUnknown, e)
                    .hint("name the site as your browser's address bar shows it when you use Jira: acme, acme.atlassian.net or https://acme.atlassian.net (--site or JIRA_AUTH_SITE)")
                    .hint("or give its cloud id with --cloud-id (JIRA_AUTH_CLOUD_ID): admin.atlassian.com → Apps → Sites → the site shows it after /s/ in the address bar");
            }
            ApiError::AlwaysCloud { .. } => {
                return CliError::of(Code::DeploymentMismatch, e).hint(
                    "drop --deployment (or JIRA_AUTH_DEPLOYMENT), or say --deployment cloud",
                );
            }
            ApiError::NotJira { .. } => {
                return CliError::of(Code::DeploymentUnknown, e)
                    .hint("give the address your browser shows for Jira's start page, context path included (e.g. https://jira.example.com/jira): jira-auth asks <that>/rest/api/2/serverInfo")
                    .hint("if the instance answers only with credentials, say which it is with --deployment data-center (or JIRA_AUTH_DEPLOYMENT)");
            }
            ApiError::PatRejected { .. } => {
                return CliError::of(Code::PatRejected, e)
                    .hint("check that the token was copied whole, and that it is neither expired nor revoked: in Jira, your avatar → Profile → Personal Access Tokens")
                    .hint("a personal access token belongs to one Data Center instance: create it on the one --site names; nothing was stored");
            }
            ApiError::ApiTokenRejected { .. } => {
                return CliError::of(Code::ApiTokenRejected, e)
                    .hint("the email must be the one of the Atlassian account that created the token (a service account's token goes with the service account's email)")
                    .hint("check that the token was copied whole and is neither expired nor revoked (https://id.atlassian.com/manage-profile/security/api-tokens; Atlassian expires every token at most a year after its creation)");
            }
        };
        CliError::of(code, e).hint(hint)
    }
}

impl From<SiteError> for CliError {
    fn from(e: SiteError) -> CliError {
        let (code, sites) = match &e {
            SiteError::NotASite { .. } => {
                return CliError::of(Code::SiteInvalid, e).hint(
                    "name the site by its subdomain (acme), its URL (https://acme.atlassian.net) or its cloud id",
                );
            }
            SiteError::NoSites => {
                return CliError::of(Code::SiteNotInGrant, e)
                    .hint("on the consent page, pick the site to grant access to (resource-level grants need a site)")
                    .hint("check that your account can use Jira on that site");
            }
            SiteError::NoMatch { sites, .. } => (Code::SiteNotFound, sites),
            SiteError::Ambiguous { sites, .. } | SiteError::Several { sites } => {
                (Code::SiteAmbiguous, sites)
            }
        };
        CliError::new(code, format!("{e}; the sites are:\n{}", site_lines(sites)))
            .hint("choose one with --site SUBDOMAIN|URL|CLOUD_ID (or JIRA_AUTH_SITE)")
    }
}

/// "  acme  https://acme.atlassian.net  (cloud id …)", one line per site.
pub fn site_lines(sites: &[Resource]) -> String {
    describe_all(sites)
        .into_iter()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<crate::composio::ComposioError> for CliError {
    fn from(e: crate::composio::ComposioError) -> CliError {
        use crate::composio::ComposioError;
        match e {
            ComposioError::Http(h) => CliError::from(h),
            ComposioError::KeyRejected { .. } => CliError::of(Code::ComposioKeyRejected, e)
                .hint("copy the project API key again from Composio's dashboard (Settings → API Keys) into COMPOSIO_API_KEY, or type it at the prompt; a key of another project, or one revoked, is refused")
                .hint("COMPOSIO_BASE_URL must name the Composio the key belongs to (unset: https://backend.composio.dev)"),
            ComposioError::Invalid { .. } => CliError::of(Code::ComposioInvalid, e)
                .hint("Composio's message says what it refused; fix that input and run the command again (nothing was changed)"),
            ComposioError::NotFound { what, .. } => {
                let hint = if what == "auth config" {
                    "it was deleted in Composio's dashboard, or COMPOSIO_BASE_URL and COMPOSIO_API_KEY name another project: `jira-auth composio init --force` hands the app over again"
                } else {
                    "it was deleted in Composio's dashboard: `jira-auth composio connect` makes a new one"
                };
                CliError::of(Code::ComposioAuthConfigUnusable, e).hint(hint)
            }
            ComposioError::Unexpected { .. } => CliError::of(Code::BadResponse, e)
                .hint("check COMPOSIO_BASE_URL (unset: https://backend.composio.dev) and any proxy in between"),
        }
    }
}
