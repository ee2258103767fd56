//! The choice of Cloud scopes, as `init` and `composio init` ask for it: `--scopes` or
//! `--preset`, else a preset or scopes one by one in a terminal.

use crate::cli::ScopeArgs;
use crate::commands::Result;
use crate::commands::shared::consent;
use crate::error::CliError;
use crate::scopes;
use crate::store::Deployment;
use crate::ui::Ui;

/// The Cloud scopes `--scopes` or `--preset` give, else the ones the person picks (a preset,
/// or one by one); without a terminal, a missing choice is an error naming its flags.
pub(in crate::commands) fn cloud(ui: &Ui, args: &ScopeArgs) -> Result<Vec<String>> {
    if let Some(chosen) = consent::chosen_scopes(ui, args, Deployment::Cloud)? {
        return Ok(chosen);
    }
    let p = ui.prompter();
    let policy = scopes::Unknown::from_flag(args.allow_unknown_scopes);
    if !p.interactive() {
        return Err(CliError::missing(
            "scopes",
            "--scopes LIST or --preset NAME",
            "JIRA_AUTH_SCOPES or JIRA_AUTH_PRESET",
        ));
    }
    // The exact scopes go above the menu: a menu line has room for the summary only.
    ui.say(&scopes::console::presets_overview());
    let mut items: Vec<String> = scopes::PRESETS
        .iter()
        .map(|p| format!("{:<11} {}", p.name, p.summary))
        .collect();
    items.push("custom      choose scopes one by one".into());
    let choice = p.select("Which access does this profile need?", &items, 0)?;
    if let Some(preset) = scopes::PRESETS.get(choice) {
        return Ok(preset.request());
    }
    custom_scopes(ui, policy)
}

/// The classic and User Identity scopes to tick off (few, and enough for most uses), plus
/// a typed list for granular ones: the catalog has 200 of those, too many for a menu.
fn custom_scopes(ui: &Ui, policy: scopes::Unknown) -> Result<Vec<String>> {
    let p = ui.prompter();
    let offered: Vec<&scopes::ScopeInfo> = scopes::CLASSIC_JIRA
        .iter()
        .chain(scopes::USER_IDENTITY)
        .filter_map(|s| scopes::lookup(s))
        .collect();
    let width = offered.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut items: Vec<String> = offered
        .iter()
        .map(|s| format!("{:<width$}  {}", s.name, s.description))
        .collect();
    items.push("other scopes: type their names (e.g. granular ones)".into());
    let mut defaults: Vec<bool> = offered
        .iter()
        .map(|s| ["read:jira-work", "read:jira-user", "read:me"].contains(&s.name))
        .collect();
    defaults.push(false);
    loop {
        let picked = p.multi_select(
            "Scopes (space to toggle, enter to accept)",
            &items,
            &defaults,
        )?;
        let mut list: Vec<String> = picked
            .iter()
            .filter_map(|&i| offered.get(i))
            .map(|s| s.name.to_string())
            .collect();
        if picked.contains(&offered.len()) {
            // The same check as --scopes, so a typo is caught here with its suggestions.
            let typed = p.input(
                "Scope names, comma or space separated (`jira-auth scopes list` shows them all)",
                &|s| {
                    scopes::parse_request(s, policy)
                        .map(|_| ())
                        .map_err(|e| CliError::from(e).message())
                },
            )?;
            list.push(typed);
        }
        if !list.is_empty() {
            // One parse of everything: duplicates across the two lists go, and the warning
            // for unknown names is said once.
            let parsed = scopes::parse_request(&list.join(" "), policy)?;
            return Ok(consent::requested(ui, parsed));
        }
        ui.say("Pick at least one scope.");
    }
}
