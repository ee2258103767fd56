//! `jira-auth status`: what profiles exist and what they hold, read from the index (no secret,
//! no keychain round trip).

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::{ApiTokenFacts, Ctx, Result, relative, rfc3339};
use crate::error::{CliError, Exit};
use crate::profile::INACTIVITY_EXPIRY_DAYS;
use crate::store::index::{Index, ProfileInfo};
use crate::store::{Kind, Method, Site};

#[derive(Serialize)]
pub struct Report {
    pub default: Option<String>,
    pub profiles: Vec<ProfileStatus>,
}

#[derive(Serialize)]
pub struct ProfileStatus {
    pub name: String,
    pub default: bool,
    pub store: Kind,
    pub method: Method,
    pub client_id: Option<String>,
    pub site: Site,
    pub api_base_url: String,
    pub redirect_uri: Option<String>,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    /// Requested scopes the last token did not carry.
    pub scopes_missing: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub access_token_expires_at: Option<OffsetDateTime>,
    pub access_token_expired: bool,
    pub has_refresh_token: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
    /// Atlassian's 90-day inactivity expiry of the refresh token.
    #[serde(with = "time::serde::rfc3339::option")]
    pub refresh_token_expires_if_unused_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// An API token's kind, account and the latest date it can expire by; `null` for the
    /// other methods.
    pub api_token: Option<ApiTokenFacts>,
}

pub fn run(ctx: &Ctx) -> Result {
    let index = ctx.profiles.index()?;
    let selected: Vec<(&String, &ProfileInfo)> = match ctx.wanted() {
        Some(_) => {
            let found = ctx.profiles.find(ctx.wanted())?;
            index
                .profiles
                .get_key_value(&found.name)
                .into_iter()
                .collect()
        }
        None => index.profiles.iter().collect(),
    };
    let report = Report {
        default: index.default.clone(),
        profiles: selected
            .into_iter()
            .map(|(name, p)| status_of(ctx, &index, name, p))
            .collect(),
    };
    if ctx.global.json {
        ctx.ui.print_json(&report)?;
    } else {
        render(ctx, &report);
    }
    if report.profiles.is_empty() {
        return Err(CliError::new(Exit::AuthNeeded, "no profiles yet").hint("run `jira-auth init`"));
    }
    Ok(())
}

fn status_of(ctx: &Ctx, index: &Index, name: &str, p: &ProfileInfo) -> ProfileStatus {
    let now = OffsetDateTime::now_utc();
    ProfileStatus {
        name: name.to_string(),
        default: index.default.as_deref() == Some(name),
        store: p.store,
        method: p.method,
        client_id: p.client_id.clone(),
        site: p.site.clone(),
        api_base_url: p.api_base_url.clone().unwrap_or_else(|| {
            ctx.settings
                .endpoints
                .jira_api_base(&p.site.cloud_id)
                .to_string()
        }),
        redirect_uri: p.redirect_uri.clone(),
        scopes_requested: p.scopes_requested.clone(),
        scopes_granted: p.scopes_granted.clone(),
        // Never offline_access: a token response does not list it, the refresh token is the
        // proof.
        scopes_missing: p
            .scopes_requested
            .iter()
            .filter(|s| *s != crate::scopes::OFFLINE_ACCESS && !p.scopes_granted.contains(s))
            .cloned()
            .collect(),
        access_token_expires_at: p.access_token_expires_at,
        access_token_expired: p.access_token_expires_at.is_some_and(|at| at <= now),
        has_refresh_token: p.has_refresh_token,
        refresh_token_issued_at: p.refresh_token_issued_at,
        refresh_token_expires_if_unused_at: p
            .has_refresh_token
            .then_some(p.refresh_token_issued_at)
            .flatten()
            .map(|at| at + Duration::days(INACTIVITY_EXPIRY_DAYS)),
        updated_at: p.updated_at,
        api_token: (p.method == Method::ApiToken).then(|| {
            ApiTokenFacts::new(
                p.email.as_deref().unwrap_or_default(),
                p.api_base_url.as_deref().unwrap_or_default(),
                &p.site.url,
                p.created_at.unwrap_or(p.updated_at),
            )
        }),
    }
}

fn render(ctx: &Ctx, report: &Report) {
    let ui = ctx.ui;
    for p in &report.profiles {
        let mark = if p.default { " (default)" } else { "" };
        say!(ui, "{}{mark}", p.name);
        say!(ui, "  method     {}", method_line(p));
        if !p.site.url.is_empty() {
            say!(ui, "  site       {}  {}", p.site.name, p.site.url);
        }
        say!(ui, "  cloud id   {}", p.site.cloud_id);
        if p.method != Method::ApiToken {
            say!(ui, "  scopes     {}", p.scopes_granted.join(" "));
        }
        match (p.access_token_expires_at, &p.api_token) {
            (_, Some(t)) => say!(ui, "  token      expires {}", t.reminder()),
            (Some(at), None) => {
                let state = match (p.access_token_expired, p.method, p.has_refresh_token) {
                    (false, _, _) => "valid",
                    (true, Method::ServiceAccount, _) => "expired, renewable",
                    (true, _, true) => "expired, refreshable",
                    (true, _, false) => "expired",
                };
                say!(
                    ui,
                    "  token      {state}, expires {} ({})",
                    rfc3339(at),
                    relative(at)
                );
            }
            (None, None) => say!(ui, "  token      does not expire"),
        }
        match (
            p.method,
            p.refresh_token_expires_if_unused_at,
            p.refresh_token_issued_at,
        ) {
            (Method::ServiceAccount, _, _) => say!(
                ui,
                "  refresh    none needed: a new token is minted from the client secret"
            ),
            (Method::ApiToken | Method::Pat, _, _) => {}
            (_, Some(dies), Some(used)) => say!(
                ui,
                "  refresh    last used {}; expires if unused by {} ({})",
                relative(used),
                rfc3339(dies),
                relative(dies)
            ),
            _ if p.has_refresh_token => say!(ui, "  refresh    present"),
            _ => say!(
                ui,
                "  refresh    none: run `jira-auth login` when the access token expires"
            ),
        }
        if !p.scopes_missing.is_empty() {
            say!(
                ui,
                "  missing    {} (requested, not granted: see `jira-auth scopes check`)",
                p.scopes_missing.join(" ")
            );
        }
        say!(ui, "  store      {}", p.store);
    }
}

fn method_line(p: &ProfileStatus) -> String {
    match (&p.api_token, p.method, &p.client_id) {
        (Some(t), _, _) => format!("{} ({}) of {}", p.method.as_str(), t.kind, t.email),
        (None, Method::ServiceAccount, Some(id)) => {
            format!("{} (client id {id})", p.method.as_str())
        }
        _ => p.method.as_str().to_string(),
    }
}
