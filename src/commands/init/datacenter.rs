//! `jira-auth init` for a Jira Data Center site (`--site` its base URL, detected or said by
//! `--deployment data-center`): the instance's own OAuth 2.0 provider, an incoming
//! application link its administrator creates (the checklist), authorization code with
//! PKCE and the client secret, and the site is the base URL (no accessible-resources, no
//! cloud id). Renewal is the profile layer's, as for Cloud.

use crate::atlassian::datacenter::{Detected, base_text};
use crate::cli::InitArgs;
use crate::commands::shared::consent::{self, Plan, Way};
use crate::commands::shared::input::Console;
use crate::commands::{Ctx, Result};
use crate::error::CliError;
use crate::oauth::{AuthServer, RedirectUri};
use crate::scopes::datacenter as dc_scopes;
use crate::store::{Deployment, Kind};
use crate::ui::Ui;

/// What oauth.rs has found out before it hands over: the site, the callback, how the
/// consent URL is opened.
pub(super) struct How {
    pub detected: Detected,
    pub redirect: RedirectUri,
    pub way: Way,
}

pub(super) fn run(
    ctx: &Ctx,
    args: InitArgs,
    profile: String,
    store_kind: Kind,
    how: How,
) -> Result {
    let How {
        detected,
        redirect,
        way,
    } = how;
    let ui = ctx.ui;
    let p = ui.prompter();
    let scopes = resolve_scopes(ui, &args, Grantee::User)?;
    let base = detected.base;
    // For the admin who creates the link and the person who pastes its credentials; a
    // script has both already.
    if p.interactive() {
        ui.say(&dc_scopes::checklist(
            &base_text(&base),
            redirect.as_str(),
            &scopes,
        ));
    }
    super::oauth::consent_and_save(
        ctx,
        &args,
        store_kind,
        Console::DataCenter,
        |client_id, client_secret| Plan {
            profile,
            redirect,
            scopes,
            client_id,
            client_secret,
            site: args.site.clone(),
            way,
            command: "init",
            server: AuthServer::data_center(&base),
        },
    )
}

/// Who the scopes are for: Jira gives a service account READ and WRITE only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Grantee {
    User,
    ServiceAccount,
}

impl Grantee {
    /// The scopes it may ask for, in the order of `dc_scopes::SCOPES`.
    fn scopes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Grantee::User => &dc_scopes::SCOPES,
            Grantee::ServiceAccount => &dc_scopes::SCOPES[..2],
        }
    }
}

/// `--scopes` (READ, WRITE, ADMIN, SYSTEM_ADMIN; a service account's READ or WRITE) or
/// `--preset`, else asked.
pub(super) fn resolve_scopes(ui: &Ui, args: &InitArgs, who: Grantee) -> Result<Vec<String>> {
    let allowed = who.scopes();
    let names: Vec<&str> = allowed.iter().map(|(name, _)| *name).collect();
    if let Some(chosen) = consent::chosen_scopes(ui, &args.scopes, Deployment::DataCenter)? {
        let refused: Vec<&str> = chosen
            .iter()
            .map(String::as_str)
            .filter(|s| !names.contains(s))
            .collect();
        if !refused.is_empty() {
            return Err(CliError::usage(format!(
                "a Jira Data Center service account cannot have {}: Jira gives service accounts READ or WRITE only (WRITE includes READ)",
                refused.join(", ")
            ))
            .hint("pass --scopes READ or --scopes WRITE (or --preset read-only / read-write); for administration, use a person's OAuth 2.0 (--method oauth) or personal access token (--method pat)"));
        }
        return Ok(chosen);
    }
    let p = ui.prompter();
    if !p.interactive() {
        return Err(CliError::missing(
            "scopes",
            &format!("--scopes {} or --preset NAME", names.join("|")),
            "JIRA_AUTH_SCOPES or JIRA_AUTH_PRESET",
        ));
    }
    let items: Vec<String> = allowed
        .iter()
        .map(|(name, what)| format!("{name:<12} {what}"))
        .collect();
    let choice = p.select("Which access does this profile need?", &items, 0)?;
    Ok(vec![allowed[choice].0.to_string()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(scopes: Option<&str>, preset: Option<&str>, who: Grantee) -> Result<Vec<String>> {
        let (ui, _) = Ui::captured("", crate::settings::terminal(&Default::default()));
        let mut args = super::super::tests::args();
        args.scopes.scopes = scopes.map(str::to_string);
        args.scopes.preset = preset.map(str::to_string);
        resolve_scopes(&ui, &args, who)
    }

    #[test]
    fn a_service_account_may_have_read_or_write_only() {
        let sa = Grantee::ServiceAccount;
        assert_eq!(with(Some("READ"), None, sa).unwrap(), ["READ"]);
        assert_eq!(with(None, Some("read-write"), sa).unwrap(), ["WRITE"]);
        for (scopes, preset) in [
            (Some("ADMIN"), None),
            (None, Some("admin")),
            (Some("READ SYSTEM_ADMIN"), None),
        ] {
            let e = with(scopes, preset, sa).unwrap_err();
            assert!(
                e.message().contains("READ or WRITE only") && e.exit() == crate::error::Exit::Usage,
                "{}",
                e.message()
            );
        }
        assert_eq!(with(Some("ADMIN"), None, Grantee::User).unwrap(), ["ADMIN"]);
        let e = with(None, None, sa).unwrap_err();
        assert!(
            e.message().contains("--scopes READ|WRITE or --preset"),
            "{}",
            e.message()
        );
    }
}
