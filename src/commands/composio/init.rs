//! `jira-auth composio init`: the scopes, the developer-console checklist with Composio's
//! callback URL, the app's client id and secret, then the auth config at Composio and the
//! profile that remembers it. Run again for the same profile it reuses that auth config
//! (unless --force); with --user-id it connects an account too (connect.rs).

use serde::Serialize;

use super::connect::{self, Connected};
use super::{ForApps, SANDBOX_PROFILE, Stored, Target};
use crate::cli::ComposioInitArgs;
use crate::commands::shared::input::{self, Console};
use crate::commands::shared::{consent, scope_choice};
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Code, Context as _};
use crate::oauth::AuthServer;
use crate::sandbox::{Options, SITE_NAMES, Scenario, World, cloud_id};
use crate::scopes;
use crate::store::model::ComposioApp;
use crate::store::{AuthConfig, Credential, Kind, Site};

#[derive(Serialize)]
struct Report {
    profile: String,
    /// Whether the profile's auth config was reused rather than made.
    reused: bool,
    #[serde(flatten)]
    for_apps: ForApps,
    client_id: String,
    scopes: Vec<String>,
    callback_url: String,
    store: Kind,
    sandbox: bool,
    connected_account: Option<Connected>,
}

pub(super) fn run(ctx: &Ctx, args: ComposioInitArgs) -> Result {
    let ui = ctx.ui;
    let p = ui.prompter();
    let index = ctx.profiles.index()?;
    let default_name = if args.sandbox {
        SANDBOX_PROFILE
    } else {
        super::PROFILE
    };
    let profile = ctx
        .profiles
        .select(Some(ctx.wanted().unwrap_or(default_name)), &index)?;
    let existing = index.profiles.get(&profile);
    if args.sandbox {
        if existing.is_some_and(|old| !old.site.is_sandbox()) && !args.force {
            return Err(CliError::usage(format!(
                "profile '{profile}' exists and is not a sandbox profile"
            ))
            .hint("choose another name with --profile NAME, or replace it with --force"));
        }
        start_sandbox(ctx, args.connection.no_browser || !p.interactive())?;
    }
    // The same profile again: its auth config is reused, not made a second time.
    if let Some(info) = existing
        && !args.force
        && !args.sandbox
    {
        if info.method != crate::store::Method::Composio {
            return Err(CliError::new(
                Code::ProfileExists,
                format!(
                    "profile '{profile}' already exists (a {} profile)",
                    info.method.as_str()
                ),
            )
            .hint("choose another name with --profile NAME, or replace it with --force"));
        }
        return reuse(ctx, args, super::load(ctx)?);
    }

    let target = Target::resolve(ctx, None)?;
    let world = ctx.sandbox.get().and_then(|w| w.composio.as_ref());
    let scopes = match (world, p.interactive(), &args.scopes) {
        (Some(_), false, a) if a.scopes.is_none() && a.preset.is_none() => {
            scopes::preset("read-only")?.request()
        }
        _ => scope_choice::cloud(ui, &args.scopes)?,
    };
    let scopes = super::with_offline_access(scopes);
    consent::warn_if_too_many(ui, &scopes);
    let callback_url = match world {
        Some(w) => w.server.callback_url(),
        None => args.callback_url.trim().to_string(),
    };
    if p.interactive() {
        ui.say(&scopes::console::console_checklist(&scopes, &callback_url));
        ui.say(
            "That callback URL is Composio's (check it on the auth config's page in Composio's dashboard; older pages show /api/v3/…). Atlassian documents one callback URL per app, so this app cannot also serve jira-auth's own http://127.0.0.1:8976/callback: for tokens of jira-auth's own (`jira-auth init`), create a second app. jira-auth never shares a grant with Composio: two holders of one rotating refresh token would revoke each other.",
        );
        if let Some(w) = world {
            ui.say(&format!(
                "In the sandbox, that app exists already: paste its Client ID {} and its secret {} below, as you would from the console.",
                w.client_id, w.client_secret
            ));
        }
    }
    let client_id = match (world, &args.client_id, p.interactive()) {
        (Some(w), None, false) => w.client_id.clone(),
        (_, given, _) => input::client_id(ui, given.as_deref(), Console::Developer)?,
    };
    let secret_given = args.client_secret_stdin || ctx.settings.secrets.client_secret.is_some();
    let client_secret = match world {
        Some(w) if !p.interactive() && !secret_given => w.client_secret.clone().into(),
        _ => input::client_secret(
            ctx,
            args.client_secret_stdin,
            &client_id,
            Console::Developer,
        )?,
    };
    let store_kind = store(ctx, args.sandbox)?;
    let project = target.project(ctx)?;
    let name = format!("jira-auth {profile}");
    let auth_config_id = ctx.net.block_on(project.create_auth_config(
        &name,
        &client_id,
        &client_secret,
        &scopes,
    ))??;
    if let Some(old) = existing
        && old.method == crate::store::Method::Composio
        && !args.sandbox
    {
        say!(
            ui,
            "note: the auth config profile '{profile}' had before is still in Composio; delete it in the dashboard if nothing uses it"
        );
    }
    // Composio, not jira-auth, talks to Atlassian for this profile; the servers recorded are
    // the ones this command knew, as for every Cloud profile.
    let servers = AuthServer::record(ctx.endpoints());
    let site = if args.sandbox {
        Site::cloud(
            cloud_id(0),
            String::new(),
            SITE_NAMES[0].to_string(),
            servers,
        )
    } else {
        Site::cloud(String::new(), String::new(), String::new(), servers)
    };
    let app = ComposioApp {
        auth_config_id,
        base_url: target.base_text(),
        client_id,
        client_secret,
        callback_url,
        scopes_requested: scopes,
        user_id: None,
        connected_account_id: None,
    };
    let mut stored = Stored {
        cfg: AuthConfig::new(profile, site, Credential::Composio(app)),
        kind: store_kind,
    };
    ctx.profiles.save(&stored.cfg, store_kind)?;
    say!(
        ui,
        "Handed to Composio: auth config {} (Jira toolkit, your OAuth app), stored as profile '{}' ({} store).",
        stored.app().auth_config_id,
        stored.cfg.profile,
        store_kind
    );
    finish(ctx, &args, &target, &mut stored, false)
}

/// The profile's auth config again: checked to be there, connected if asked.
fn reuse(ctx: &Ctx, args: ComposioInitArgs, mut stored: Stored) -> Result {
    let app = stored.app();
    let target = Target::resolve(ctx, Some(&app.base_url))?;
    let project = target.project(ctx)?;
    let config = ctx
        .net
        .block_on(project.auth_config(&app.auth_config_id))??;
    say!(
        ctx.ui,
        "Profile '{}' has handed its app to Composio already: auth config {} ({}), reused (--force makes a new one; `jira-auth composio scopes` changes its scopes).",
        stored.cfg.profile,
        config.id,
        config.status.to_ascii_lowercase()
    );
    finish(ctx, &args, &target, &mut stored, true)
}

/// The connection when --user-id asks for one, then the report.
fn finish(
    ctx: &Ctx,
    args: &ComposioInitArgs,
    target: &Target,
    stored: &mut Stored,
    reused: bool,
) -> Result {
    let connected = match &args.connection.user_id {
        Some(_) => Some(connect::connect(ctx, target, stored, &args.connection)?),
        None => None,
    };
    let app = stored.app();
    let for_apps = ForApps::of(app);
    let report = Report {
        profile: stored.cfg.profile.clone(),
        reused,
        client_id: app.client_id.clone(),
        scopes: app.scopes_requested.clone(),
        callback_url: app.callback_url.clone(),
        store: stored.kind,
        sandbox: stored.cfg.site.is_sandbox(),
        connected_account: connected,
        for_apps,
    };
    if ctx.json {
        ctx.ui.print_json(&report);
        return Ok(());
    }
    report.for_apps.say(
        ctx,
        report
            .connected_account
            .as_ref()
            .map(|c| (c.user_id.as_str(), c.id.as_str())),
    );
    if report.connected_account.is_none() {
        say!(
            ctx.ui,
            "Next: `jira-auth composio connect --profile {} --user-id USER --site SUBDOMAIN` connects a Jira account for a user of your app (Composio's \"Connect Account\").",
            report.profile
        );
    }
    Ok(())
}

/// The in-command sandbox: an emulated Atlassian and Composio, the consent page approved
/// by the sandbox itself when nobody is to open it.
fn start_sandbox(ctx: &Ctx, by_itself: bool) -> Result {
    let mut world = World::start(Options {
        redirect_uri: String::new(),
        scenario: Scenario::Normal,
        ask: !by_itself,
        served: false,
    });
    world.start_composio();
    let _ = ctx.sandbox.set(world);
    ctx.ui.say("jira-auth sandbox: an emulated Atlassian and Composio inside this command, on loopback. Nothing leaves this machine; the app, its secret and the API key are made up and open nothing else.");
    Ok(())
}

/// `--store` when given (the keychain unless said); in the sandbox, the file store when the
/// keychain does not work here, as `init --sandbox` does (its secrets are made up).
fn store(ctx: &Ctx, sandbox: bool) -> Result<Kind> {
    let kind = ctx.global.store.unwrap_or(Kind::Keychain);
    match ctx.profiles.probe(kind) {
        Ok(()) => Ok(kind),
        Err(e) if sandbox && ctx.global.store.is_none() => {
            let why = CliError::from(e).message();
            say!(
                ctx.ui,
                "note: the keychain cannot be used here ({why}); the sandbox profile goes to the file store instead (its secrets are made up)."
            );
            ctx.profiles
                .probe(Kind::File)
                .context("checking the file store")?;
            Ok(Kind::File)
        }
        Err(e) => Err(CliError::from(e)
            .context("checking the credential store before handing the app to Composio")),
    }
}
