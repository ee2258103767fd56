//! `jira-auth composio scopes`: the guide's "limit the scopes from the Composio end", the
//! auth config's scopes narrowed or widened, and the profile's with them. A scope added
//! must be ticked in the developer console too, or the next consent breaks; accounts
//! already connected keep the grant they got until they connect again.

use serde::Serialize;

use super::{ForApps, Target};
use crate::cli::ComposioScopesArgs;
use crate::commands::shared::{consent, scope_choice};
use crate::commands::{Ctx, Result};

#[derive(Serialize)]
struct Report {
    profile: String,
    #[serde(flatten)]
    for_apps: ForApps,
    scopes_before: Vec<String>,
    scopes: Vec<String>,
    added: Vec<String>,
    removed: Vec<String>,
}

pub(super) fn run(ctx: &Ctx, args: ComposioScopesArgs) -> Result {
    let ui = ctx.ui;
    let mut stored = super::load(ctx)?;
    let target = Target::resolve(ctx, Some(&stored.app().base_url))?;
    let scopes = super::with_offline_access(scope_choice::cloud(ui, &args.scopes)?);
    consent::warn_if_too_many(ui, &scopes);
    let project = target.project(ctx)?;
    let id = stored.app().auth_config_id.clone();
    ctx.net.block_on(project.set_scopes(&id, &scopes))??;
    let before = std::mem::replace(&mut stored.app_mut().scopes_requested, scopes.clone());
    stored.cfg.updated_at = time::OffsetDateTime::now_utc();
    ctx.profiles.save(&stored.cfg, stored.kind)?;
    let added: Vec<String> = scopes
        .iter()
        .filter(|s| !before.contains(s))
        .cloned()
        .collect();
    let removed: Vec<String> = before
        .iter()
        .filter(|s| !scopes.contains(s))
        .cloned()
        .collect();
    let report = Report {
        profile: stored.cfg.profile.clone(),
        for_apps: ForApps::of(stored.app()),
        scopes_before: before,
        scopes,
        added,
        removed,
    };
    if ctx.json {
        ui.print_json(&report);
        return Ok(());
    }
    say!(
        ui,
        "Auth config {id} now asks Atlassian for: {}",
        report.scopes.join(" ")
    );
    if report.added.is_empty() && report.removed.is_empty() {
        say!(ui, "(the same scopes as before)");
    }
    if !report.removed.is_empty() {
        say!(ui, "Dropped: {}", report.removed.join(" "));
    }
    if !report.added.is_empty() {
        say!(
            ui,
            "Added: {}. Tick them in the developer console (your app → Permissions) before anyone connects, or Atlassian's consent page answers \"Something went wrong\":\n{}",
            report.added.join(" "),
            crate::scopes::console::tick_list(&report.added, "  ").trim_end()
        );
    }
    say!(
        ui,
        "Accounts connected before keep the scopes they were granted until they connect again (`jira-auth composio connect --profile {}`).",
        report.profile
    );
    Ok(())
}
