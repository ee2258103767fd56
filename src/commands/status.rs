//! `jira-auth status`: what profiles exist and what they hold, read from the index (no secret,
//! no keychain round trip).

use serde_json::json;
use time::OffsetDateTime;

use super::{Ctx, print_json, relative, rfc3339};
use crate::error::{CliError, Exit};
use crate::say;
use crate::store::index::{ProfileInfo, StoreName};

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let index = ctx.index()?;
    let selected: Vec<(String, &ProfileInfo)> = match &ctx.global.profile {
        Some(_) => vec![ctx.existing_profile(&index)?],
        None => index.profiles.iter().map(|(n, p)| (n.clone(), p)).collect(),
    };
    let now = OffsetDateTime::now_utc();
    if ctx.global.json {
        let profiles: Vec<_> = selected
            .iter()
            .map(|(name, p)| {
                json!({
                    "name": name,
                    "default": index.default.as_deref() == Some(name.as_str()),
                    "store": match p.store { StoreName::Keychain => "keychain", StoreName::File => "file" },
                    "method": p.method,
                    "client_id": p.client_id,
                    "site": { "name": p.site.name, "url": p.site.url, "cloud_id": p.site.cloud_id },
                    "scopes_requested": p.scopes_requested,
                    "scopes_granted": p.scopes_granted,
                    "access_token_expires_at": rfc3339(p.access_token_expires_at),
                    "access_token_expired": p.access_token_expires_at <= now,
                    "has_refresh_token": p.has_refresh_token,
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
            say!(
                "  store      {}",
                match p.store {
                    StoreName::Keychain => "keychain",
                    StoreName::File => "file",
                }
            );
        }
    }
    if selected.is_empty() {
        return Err(CliError::new(Exit::AuthNeeded, "no profiles yet")
            .hint("run `jira-auth init`")
            .into());
    }
    Ok(())
}
