//! What `init` (every method) and `login` report once the profile layer has stored the
//! profile: a typed report, printed as JSON with `--json`, else as lines on stderr.

use serde::Serialize;
use time::OffsetDateTime;

use crate::atlassian::site::VerifiedToken;
use crate::commands::{ApiTokenFacts, Ctx, Result, relative, rfc3339};
use crate::profile::api_base_url;
use crate::store::{Account, AuthConfig, Credential, Deployment, Kind, Method, Site};

#[derive(Serialize)]
struct Saved<'a> {
    profile: &'a str,
    method: Method,
    store: Kind,
    site: &'a Site,
    deployment: Deployment,
    /// The site is one of the sandbox's: emulated, not a real Jira site.
    sandbox: bool,
    api_base_url: String,
    scopes_requested: &'a [String],
    scopes_granted: &'a [String],
    /// Requested scopes that consent did not grant (unticked in the console, or declined).
    scopes_missing: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    access_token_expires_at: Option<OffsetDateTime>,
    has_refresh_token: bool,
    /// A service account's client id.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_token: Option<ApiTokenFacts>,
    /// Who consented, or whose API token it is; `null` when Atlassian would not say.
    authorized_as: Option<&'a Account>,
}

/// `verified` is how an API token was proven (api-token only).
pub(in crate::commands) fn summary(
    ctx: &Ctx,
    cfg: &AuthConfig,
    kind: Kind,
    verified: Option<&VerifiedToken>,
) -> Result {
    let c = &cfg.credential;
    let api_token = match c {
        Credential::ApiToken(t) => Some(ApiTokenFacts::new(
            &t.email,
            &t.api_base_url,
            &cfg.site.url,
            cfg.created_at,
        )),
        _ => None,
    };
    let report = Saved {
        profile: &cfg.profile,
        method: c.method(),
        store: kind,
        site: &cfg.site,
        deployment: cfg.site.deployment(),
        sandbox: cfg.site.is_sandbox(),
        api_base_url: api_base_url(cfg, ctx.endpoints()),
        scopes_requested: c.scopes_requested(),
        scopes_granted: c.scopes_granted(),
        scopes_missing: crate::commands::scopes_missing(c.scopes_requested(), c.scopes_granted()),
        access_token_expires_at: c.expires_at(),
        has_refresh_token: c.has_refresh_token(),
        client_id: match c {
            Credential::ServiceAccount(sa) => Some(&sa.client_id),
            _ => None,
        },
        api_token,
        authorized_as: cfg.account.as_ref(),
    };
    if ctx.json {
        ctx.ui.print_json(&report);
        return Ok(());
    }
    render(ctx, &report);
    if verified.is_some_and(|v| v.myself.is_none()) {
        ctx.ui.say("  warning    the gateway knows the token, but it lacks a scope /rest/api/3/myself needs (read:jira-user, or read:user:jira): jira-auth could not see whose it is; calls within its scopes work");
    }
    Ok(())
}

fn render(ctx: &Ctx, report: &Saved) {
    let ui = ctx.ui;
    if let Some(account) = report.authorized_as {
        say!(
            ui,
            "Authorized as {} on {}.",
            account.describe(),
            report.site.name
        );
    }
    say!(ui, "Saved profile '{}' ({}).", report.profile, report.store);
    say!(ui, "  method     {}", method_line(report));
    if !report.site.url.is_empty() {
        say!(ui, "  site       {}  {}", report.site.name, report.site.url);
    }
    if report.deployment == Deployment::DataCenter {
        say!(ui, "  deployment Jira Data Center");
    } else {
        say!(ui, "  cloud id   {}", report.site.cloud_id);
    }
    if report.sandbox {
        say!(
            ui,
            "  sandbox    an emulated site on this machine, not a real Jira site: its tokens open nothing else"
        );
    }
    say!(ui, "  api base   {}", report.api_base_url);
    if !matches!(report.method, Method::ApiToken | Method::Pat) {
        say!(ui, "  scopes     {}", report.scopes_granted.join(" "));
    }
    if !report.scopes_missing.is_empty() {
        say!(
            ui,
            "  warning    requested but not granted: {}",
            report.scopes_missing.join(" ")
        );
    }
    if let Some(at) = report.access_token_expires_at {
        let renewal = if report.method == Method::ServiceAccount {
            "; a new one is minted from the client secret when needed"
        } else {
            ""
        };
        say!(
            ui,
            "  expires    {} ({}){renewal}",
            rfc3339(at),
            relative(at)
        );
    }
    if let Some(t) = &report.api_token {
        say!(ui, "  expires    {}", t.reminder());
    }
}

fn method_line(report: &Saved) -> String {
    match (&report.client_id, &report.api_token) {
        (Some(id), _) => format!("{} (client id {id})", report.method.as_str()),
        (_, Some(t)) => format!("{} ({}) of {}", report.method.as_str(), t.kind, t.email),
        _ => report.method.as_str().to_string(),
    }
}
