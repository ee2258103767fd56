//! `jira-auth status`: what profiles exist and what they hold, read from the index (no secret,
//! no keychain round trip).

use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::token::INACTIVITY_EXPIRY_DAYS;
use super::{Ctx, print_json, relative, rfc3339};
use crate::error::{CliError, Exit};
use crate::oauth::Endpoints;
use crate::say;
use crate::store::index::{ProfileInfo, StoreName};

/// When an unused refresh token dies: Atlassian's 90-day inactivity expiry.
fn refresh_expiry(p: &ProfileInfo) -> Option<OffsetDateTime> {
    p.has_refresh_token
        .then_some(p.refresh_token_issued_at?)
        .map(|at| at + Duration::days(INACTIVITY_EXPIRY_DAYS))
}

/// Requested scopes the last token did not carry (never `offline_access`: a token response
/// does not list it, the refresh token is the proof).
fn missing(p: &ProfileInfo) -> Vec<&str> {
    p.scopes_requested
        .iter()
        .filter(|s| *s != crate::scopes::OFFLINE_ACCESS && !p.scopes_granted.contains(s))
        .map(String::as_str)
        .collect()
}

fn store_name(s: StoreName) -> &'static str {
    match s {
        StoreName::Keychain => "keychain",
        StoreName::File => "file",
    }
}

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let index = ctx.index()?;
    let selected: Vec<(String, &ProfileInfo)> = match &ctx.global.profile {
        Some(_) => vec![ctx.existing_profile(&index)?],
        None => index.profiles.iter().map(|(n, p)| (n.clone(), p)).collect(),
    };
    let now = OffsetDateTime::now_utc();
    let endpoints = Endpoints::from_env()?;
    if ctx.global.json {
        let profiles: Vec<_> = selected
            .iter()
            .map(|(name, p)| {
                json!({
                    "name": name,
                    "default": index.default.as_deref() == Some(name.as_str()),
                    "store": store_name(p.store),
                    "method": p.method,
                    "client_id": p.client_id,
                    "site": { "name": p.site.name, "url": p.site.url, "cloud_id": p.site.cloud_id },
                    "api_base_url": super::token::api_base_url(&p.site, &endpoints),
                    "redirect_uri": p.redirect_uri,
                    "scopes_requested": p.scopes_requested,
                    "scopes_granted": p.scopes_granted,
                    "scopes_missing": missing(p),
                    "access_token_expires_at": rfc3339(p.access_token_expires_at),
                    "access_token_expired": p.access_token_expires_at <= now,
                    "has_refresh_token": p.has_refresh_token,
                    "refresh_token_issued_at": p.refresh_token_issued_at.map(rfc3339),
                    "refresh_token_expires_if_unused_at": refresh_expiry(p).map(rfc3339),
                    "updated_at": rfc3339(p.updated_at),
                })
            })
            .collect();
        print_json(&json!({ "default": index.default, "profiles": profiles }));
    } else {
        for (name, p) in &selected {
            let mark = if index.default.as_deref() == Some(name.as_str()) {
                " (default)"
            } else {
                ""
            };
            say!("{name}{mark}");
            say!("  site       {}  {}", p.site.name, p.site.url);
            say!("  cloud id   {}", p.site.cloud_id);
            say!("  scopes     {}", p.scopes_granted.join(" "));
            let state = if p.access_token_expires_at <= now {
                if p.has_refresh_token {
                    "expired, refreshable"
                } else {
                    "expired"
                }
            } else {
                "valid"
            };
            say!(
                "  token      {state}, expires {} ({})",
                rfc3339(p.access_token_expires_at),
                relative(p.access_token_expires_at)
            );
            match (refresh_expiry(p), p.refresh_token_issued_at) {
                (Some(dies), Some(used)) => say!(
                    "  refresh    last used {}; expires if unused by {} ({})",
                    relative(used),
                    rfc3339(dies),
                    relative(dies)
                ),
                _ if p.has_refresh_token => say!("  refresh    present"),
                _ => say!("  refresh    none: run `jira-auth login` when the access token expires"),
            }
            let missing = missing(p);
            if !missing.is_empty() {
                say!(
                    "  missing    {} (requested, not granted: see `jira-auth scopes check`)",
                    missing.join(" ")
                );
            }
            say!("  store      {}", store_name(p.store));
        }
    }
    if selected.is_empty() {
        return Err(CliError::new(Exit::AuthNeeded, "no profiles yet")
            .hint("run `jira-auth init`")
            .into());
    }
    Ok(())
}
