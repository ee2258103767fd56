//! `jira-auth composio connect` (and `composio init --user-id`): Composio's "Connect
//! Account". A connected account for the user and the Jira site, its link opened in the
//! browser (the same rules as a consent: none opened with --no-browser, none where none can
//! start, the sandbox's own user agent in the sandbox), then Composio's status read until
//! ACTIVE, FAILED, EXPIRED or the timeout. Composio's callback is on Composio's side, not on
//! this machine: the link can be opened in any browser, here or elsewhere.

use std::time::Duration;

use serde::Serialize;

use super::{ForApps, Stored, Target, something_went_wrong};
use crate::cli::{ComposioConnectArgs, ComposioConnectionArgs};
use crate::commands::shared::consent::{self, Opener};
use crate::commands::{Ctx, Result};
use crate::composio::{self, Account, Project};
use crate::error::{CliError, Code};

/// How often Composio is asked, as its SDK's `wait_for_connection` asks.
const POLL: Duration = Duration::from_secs(1);

/// An ACTIVE connected account.
#[derive(Serialize)]
pub(super) struct Connected {
    pub id: String,
    pub user_id: String,
    pub status: String,
    /// The Jira site's subdomain, as Composio took it.
    pub site: String,
    /// It was ACTIVE already: nothing was made.
    pub existing: bool,
}

#[derive(Serialize)]
struct Report {
    profile: String,
    #[serde(flatten)]
    for_apps: ForApps,
    connected_account: Connected,
}

pub(super) fn run(ctx: &Ctx, args: ComposioConnectArgs) -> Result {
    let mut stored = super::load(ctx)?;
    let target = Target::resolve(ctx, Some(&stored.app().base_url))?;
    let connected = connect(ctx, &target, &mut stored, &args.connection)?;
    let report = Report {
        profile: stored.cfg.profile.clone(),
        for_apps: ForApps::of(stored.app()),
        connected_account: connected,
    };
    if ctx.json {
        ctx.ui.print_json(&report);
        return Ok(());
    }
    let c = &report.connected_account;
    report.for_apps.say(ctx, Some((&c.user_id, &c.id)));
    Ok(())
}

/// The connection, ACTIVE, and remembered in the profile.
pub(super) fn connect(
    ctx: &Ctx,
    target: &Target,
    stored: &mut Stored,
    args: &ComposioConnectionArgs,
) -> Result<Connected> {
    let ui = ctx.ui;
    let opener = opener(ctx, args)?;
    let user_id = user_id(ctx, args)?;
    let site = site(ctx, args)?;
    let project = target.project(ctx)?;
    let app = stored.app();
    let auth_config_id = app.auth_config_id.clone();
    // Composio's SDK refuses a second account for a user unless told to; an ACTIVE one is
    // what was asked for.
    let accounts = ctx
        .net
        .block_on(project.accounts(&auth_config_id, Some(&user_id)))??;
    if let Some(active) = accounts.iter().find(|a| a.status == "ACTIVE") {
        say!(
            ui,
            "User '{user_id}' is connected already: connected account {} is ACTIVE (nothing made).",
            active.id
        );
        return remember(ctx, stored, active, site, true);
    }
    let initiated = ctx
        .net
        .block_on(project.connect(&auth_config_id, &user_id, &site))??;
    say!(
        ui,
        "Connect Jira ({site}.atlassian.net) for Composio user '{user_id}': open this link, sign in and approve:"
    );
    say!(ui, "  {}", initiated.redirect_url);
    match opener {
        Opener::Browser => {
            drop(ui.open_browser(&initiated.redirect_url));
        }
        Opener::Person => {
            let why = ui
                .why_no_browser()
                .filter(|_| !args.no_browser)
                .map(|why| format!(" {why};"))
                .unwrap_or_default();
            say!(
                ui,
                "(no browser opened:{why} open the link yourself, in a browser on this machine or any other: Composio's callback, not this machine, receives the answer)"
            );
        }
        Opener::Sandbox => {
            ui.say("(no browser opened: the sandbox approves the consent by itself, as if you had clicked Approve)");
            crate::sandbox::user::follow(&initiated.redirect_url);
        }
    }
    let timeout = Duration::from_secs(args.timeout);
    let account = wait(ctx, &project, &initiated.id, timeout)?;
    let scopes = &stored.app().scopes_requested;
    let callback = &stored.app().callback_url;
    match account.status.as_str() {
        "ACTIVE" => {
            say!(ui, "Connected: connected account {} is ACTIVE.", account.id);
            remember(ctx, stored, &account, site, false)
        }
        "EXPIRED" => Err(CliError::new(
            Code::ComposioConnectionFailed,
            format!(
                "Composio's connected account {} EXPIRED before the consent was done{}",
                account.id,
                reason(&account)
            ),
        )
        .hint(format!(
            "connect again: `jira-auth composio connect --profile {} --user-id {user_id} --site {site}`, and open the new link soon",
            stored.cfg.profile
        ))),
        "INITIALIZING" | "INITIATED" => {
            let mut e = CliError::new(
                Code::CallbackTimeout,
                format!(
                    "Composio's connected account {} was still {} after {} s: the consent never came back to Composio",
                    account.id, account.status, args.timeout
                ),
            );
            for hint in something_went_wrong(scopes, callback) {
                e = e.hint(hint);
            }
            Err(e.hint("if the consent page was simply left open, connect again with a longer --timeout"))
        }
        status => {
            let mut e = CliError::new(
                Code::ComposioConnectionFailed,
                format!(
                    "Composio's connected account {} is {status}{}",
                    account.id,
                    reason(&account)
                ),
            );
            for hint in something_went_wrong(scopes, callback) {
                e = e.hint(hint);
            }
            Err(e.hint("a declined consent ends the same way: connect again and click Accept"))
        }
    }
}

fn reason(account: &Account) -> String {
    account
        .status_reason
        .as_deref()
        .map(|r| format!(" ({r})"))
        .unwrap_or_default()
}

/// The account in the profile, for `composio status` to ask about.
fn remember(
    ctx: &Ctx,
    stored: &mut Stored,
    account: &Account,
    site: String,
    existing: bool,
) -> Result<Connected> {
    let app = stored.app_mut();
    app.user_id = Some(account.user_id.clone());
    app.connected_account_id = Some(account.id.clone());
    let site_url = format!("https://{site}.atlassian.net");
    if !stored.cfg.site.is_sandbox() {
        let servers = stored
            .cfg
            .site
            .servers()
            .cloned()
            .unwrap_or_else(|| crate::oauth::AuthServer::record(ctx.endpoints()));
        stored.cfg.site = crate::store::Site::cloud(
            stored.cfg.site.cloud_id.clone(),
            site_url,
            site.clone(),
            servers,
        );
    }
    stored.cfg.updated_at = time::OffsetDateTime::now_utc();
    ctx.profiles.save(&stored.cfg, stored.kind)?;
    Ok(Connected {
        id: account.id.clone(),
        user_id: account.user_id.clone(),
        status: account.status.clone(),
        site,
        existing,
    })
}

/// Composio's status of the account, once a second, until it is no longer waiting for the
/// consent or the time is up; Ctrl-C ends it.
fn wait(ctx: &Ctx, project: &Project, id: &str, timeout: Duration) -> Result<Account> {
    let spinner = ctx
        .ui
        .spinner("Waiting for the connection to become ACTIVE…", timeout);
    let outcome = ctx.net.block_on(async {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
        loop {
            let account = project.account(id).await?;
            let waiting = matches!(account.status.as_str(), "INITIALIZING" | "INITIATED");
            if !waiting || tokio::time::Instant::now() >= deadline {
                return Ok(account);
            }
            tokio::select! {
                _ = &mut interrupted => {
                    return Err(CliError::new(
                        Code::Interrupted,
                        format!("interrupted; Composio's connected account {id} is left waiting (it expires by itself)"),
                    ));
                }
                () = tokio::time::sleep(POLL.min(deadline - tokio::time::Instant::now())) => {}
            }
        }
    });
    spinner.finish_and_clear();
    outcome?
}

/// `--user-id`, else asked.
fn user_id(ctx: &Ctx, args: &ComposioConnectionArgs) -> Result<String> {
    let check = |s: &str| -> std::result::Result<(), String> {
        if s.trim().is_empty() {
            Err("the user id is empty".into())
        } else {
            Ok(())
        }
    };
    if let Some(id) = &args.user_id {
        check(id).map_err(|e| CliError::usage(format!("--user-id: {e}")))?;
        return Ok(id.trim().to_string());
    }
    let p = ctx.ui.prompter();
    if !p.interactive() {
        return Err(CliError::new(
            Code::MissingInput,
            "missing the Composio user id, and nothing can be asked: give --user-id ID",
        )
        .hint(
            "it is your app's own id of the user (Composio's user_id), the one its SDK calls pass",
        ));
    }
    Ok(
        p.input("Composio user id (your app's id of the user)", &check)?
            .trim()
            .to_string(),
    )
}

/// `--site`, else asked: trimmed to the subdomain Composio's Jira toolkit wants.
fn site(ctx: &Ctx, args: &ComposioConnectionArgs) -> Result<String> {
    let check = |s: &str| -> std::result::Result<String, String> {
        composio::subdomain(s).ok_or_else(|| format!(
            "\"{}\" is not a Jira Cloud site: Composio's Jira toolkit takes the subdomain of https://SUBDOMAIN.atlassian.net (acme, or the whole URL)",
            s.trim()
        ))
    };
    if let Some(site) = &args.site {
        return check(site).map_err(|e| CliError::new(Code::SiteInvalid, format!("--site: {e}")));
    }
    let p = ctx.ui.prompter();
    if ctx.sandbox.get().is_some() && !p.interactive() {
        return Ok(crate::sandbox::SITE_NAMES[0].to_string());
    }
    if !p.interactive() {
        return Err(CliError::new(
            Code::MissingInput,
            "missing the Jira site, and nothing can be asked: give --site SUBDOMAIN (or its URL)",
        ));
    }
    let typed = p.input("Jira site (acme, or https://acme.atlassian.net)", &|s| {
        check(s).map(|_| ())
    })?;
    check(&typed).map_err(CliError::usage)
}

/// Who opens the link, decided before anything is made, as for a consent; a run where
/// nobody could open it and nothing asks how is an error at once, not a wait for nothing.
fn opener(ctx: &Ctx, args: &ComposioConnectionArgs) -> Result<Opener> {
    consent::who_opens(ctx, args.no_browser, false).map_err(|why| CliError::new(
        Code::BrowserUnavailable,
        format!(
            "no browser can be opened here ({why}) and nothing can be asked: the connection would wait {} s for nothing; nothing was made at Composio",
            args.timeout
        ),
    )
    .hint("give --no-browser: the link is printed, and you (or anyone) open it in any browser, on any machine; Composio's callback receives the answer"))
}
