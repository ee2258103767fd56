//! `jira-auth composio status`: the Playground's question, "does it work?", asked of
//! Composio. The auth config is there and enabled; its scopes are the ones requested (and its
//! client the profile's); the user's connected accounts and their status. Each failed check
//! says its fix; the command fails with the first failure's code, after its report.

use serde::Serialize;

use super::{ForApps, Target, something_went_wrong};
use crate::cli::ComposioStatusArgs;
use crate::commands::{Ctx, Result};
use crate::composio::{Account, ComposioError};
use crate::error::{CliError, Code};

#[derive(Serialize)]
struct Check {
    name: &'static str,
    ok: bool,
    detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fix: Vec<String>,
    #[serde(skip)]
    code: Option<Code>,
}

impl Check {
    fn ok(name: &'static str, detail: String) -> Check {
        Check {
            name,
            ok: true,
            detail,
            fix: Vec::new(),
            code: None,
        }
    }

    fn fail(name: &'static str, code: Code, detail: String, fix: Vec<String>) -> Check {
        Check {
            name,
            ok: false,
            detail,
            fix,
            code: Some(code),
        }
    }
}

#[derive(Serialize)]
struct Report {
    profile: String,
    #[serde(flatten)]
    for_apps: ForApps,
    scopes_requested: Vec<String>,
    /// The auth config's scopes as Composio has them; absent when it could not be read.
    scopes_configured: Option<Vec<String>>,
    connected_accounts: Vec<Account>,
    checks: Vec<Check>,
}

pub(super) fn run(ctx: &Ctx, args: ComposioStatusArgs) -> Result {
    let stored = super::load(ctx)?;
    let app = stored.app();
    let target = Target::resolve(ctx, Some(&app.base_url))?;
    let project = target.project(ctx)?;
    let name = stored.cfg.profile.clone();
    let mut checks = Vec::new();
    let mut configured = None;
    // A refused key or Composio down is no finding about the auth config: it ends here.
    match ctx.net.block_on(project.auth_config(&app.auth_config_id))? {
        Ok(config) => {
            if config.status == "ENABLED" {
                checks.push(Check::ok(
                    "auth config",
                    format!("{} is there and enabled ({} connection(s))", config.id, config.connections),
                ));
            } else {
                checks.push(Check::fail(
                    "auth config",
                    Code::ComposioAuthConfigUnusable,
                    format!("{} is {}: no account can connect or act through it", config.id, config.status),
                    vec!["enable it in Composio's dashboard (Auth Configs → the config → Enable)".into()],
                ));
            }
            let requested: Vec<&String> = app.scopes_requested.iter().collect();
            let missing: Vec<String> = requested
                .iter()
                .filter(|s| !config.scopes.contains(s))
                .map(|s| s.to_string())
                .collect();
            let extra: Vec<String> = config
                .scopes
                .iter()
                .filter(|s| !app.scopes_requested.contains(s))
                .cloned()
                .collect();
            if missing.is_empty() && extra.is_empty() {
                checks.push(Check::ok("scopes", format!("Composio asks Atlassian for the requested {}", config.scopes.join(" "))));
            } else {
                let mut detail = String::from("the auth config's scopes differ from the profile's:");
                if !missing.is_empty() {
                    detail.push_str(&format!(" without {}", missing.join(" ")));
                }
                if !extra.is_empty() {
                    detail.push_str(&format!(" with {} too", extra.join(" ")));
                }
                checks.push(Check::fail(
                    "scopes",
                    Code::ScopeMissing,
                    detail,
                    vec![format!(
                        "someone changed them in Composio's dashboard; to set them back: `jira-auth composio scopes --profile {name} --scopes \"{}\"` (or keep Composio's and run it with those, so the profile says what Composio asks for)",
                        app.scopes_requested.join(" ")
                    )],
                ));
            }
            match &config.client_id {
                Some(id) if *id != app.client_id => checks.push(Check::fail(
                    "client",
                    Code::ComposioAuthConfigUnusable,
                    format!("the auth config holds client id {id}, not the profile's {}", app.client_id),
                    vec![format!("someone put another app in it; `jira-auth composio init --force --profile {name}` hands this profile's app over again")],
                )),
                _ => checks.push(Check::ok("client", format!("the profile's app, client id {}", app.client_id))),
            }
            configured = Some(config.scopes);
        }
        Err(ComposioError::NotFound { .. }) => checks.push(Check::fail(
            "auth config",
            Code::ComposioAuthConfigUnusable,
            format!("{} is not in this Composio project (deleted in the dashboard?)", app.auth_config_id),
            vec![format!("`jira-auth composio init --force --profile {name}` hands the app over again (check COMPOSIO_API_KEY names the project you expect)")],
        )),
        Err(e) => return Err(e.into()),
    }
    let user = args.user_id.as_deref().or(app.user_id.as_deref());
    let accounts = ctx
        .net
        .block_on(project.accounts(&app.auth_config_id, user))??;
    let who = user
        .map(|u| format!("user '{u}'"))
        .unwrap_or_else(|| "any user".into());
    let connect = format!(
        "`jira-auth composio connect --profile {name} --user-id {} --site SUBDOMAIN`",
        user.unwrap_or("USER")
    );
    match accounts.iter().find(|a| a.status == "ACTIVE") {
        Some(active) => checks.push(Check::ok(
            "connection",
            format!(
                "connected account {} of user '{}' is ACTIVE",
                active.id, active.user_id
            ),
        )),
        None => {
            let failed: Vec<&Account> = accounts.iter().filter(|a| a.status == "FAILED").collect();
            let mut fix = Vec::new();
            if !failed.is_empty() {
                fix.extend(something_went_wrong(
                    &app.scopes_requested,
                    &app.callback_url,
                ));
            }
            fix.push(format!("then connect: {connect}"));
            let detail = match accounts.first() {
                None => format!("no connected account for {who} yet"),
                Some(_) => format!(
                    "no ACTIVE connected account for {who}: {}",
                    accounts
                        .iter()
                        .map(|a| match &a.status_reason {
                            Some(r) => format!("{} {} ({r})", a.id, a.status),
                            None => format!("{} {}", a.id, a.status),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            };
            let code = if failed.is_empty() {
                Code::ComposioNotConnected
            } else {
                Code::ComposioConnectionFailed
            };
            checks.push(Check::fail("connection", code, detail, fix));
        }
    }
    let failure = checks.iter().find(|c| !c.ok).map(|c| {
        CliError::new(
            c.code.unwrap_or(Code::Internal),
            format!("composio status of profile '{name}': {}", c.detail),
        )
    });
    let report = Report {
        profile: name,
        for_apps: ForApps::of(app),
        scopes_requested: app.scopes_requested.clone(),
        scopes_configured: configured,
        connected_accounts: accounts,
        checks,
    };
    if ctx.json {
        ctx.ui.print_json(&report);
    } else {
        render(ctx, &report);
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn render(ctx: &Ctx, report: &Report) {
    let ui = ctx.ui;
    say!(
        ui,
        "Profile '{}': Composio at {}",
        report.profile,
        report.for_apps.composio_base_url
    );
    for c in &report.checks {
        let mark = if c.ok { "✓" } else { "✗" };
        ui.say(&ui.plain(&format!("  {mark} {:<11} {}", c.name, c.detail)));
        for fix in &c.fix {
            say!(ui, "      fix: {fix}");
        }
    }
    let active = report
        .connected_accounts
        .iter()
        .find(|a| a.status == "ACTIVE")
        .map(|a| (a.user_id.as_str(), a.id.as_str()));
    report.for_apps.say(ctx, active);
}
