//! `jira-auth init --sandbox`: the OAuth wizard of oauth.rs, whole, against an emulated
//! Atlassian started inside this command (`sandbox::World`): the checklist, the prompts, the
//! consent page in the browser, the callback, the choice of site. Without a terminal,
//! everything is chosen for the user (the preset read-only, the site `sandbox`, the app the
//! sandbox made) and, with no browser either, the sandbox approves the consent itself: the
//! first run works on any machine, offline. The profile's site is the sandbox's, which marks
//! it as a sandbox wherever it is shown, and its later commands are answered by a sandbox
//! restored from it (`Ctx::answer_for`), never by Atlassian.

use super::oauth::{redirect_uri, resolve_scopes};
use crate::cli::InitArgs;
use crate::commands::shared::consent::{self, Plan};
use crate::commands::shared::input::{self, Console};
use crate::commands::shared::saved;
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Context as _};
use crate::oauth::AuthServer;
use crate::sandbox::{Options, SITE_NAMES, Scenario, World};
use crate::scopes;
use crate::store::Kind;
use crate::store::index::Index;

/// The profile `init --sandbox` makes unless `--profile` names another.
pub(super) const PROFILE: &str = "sandbox";

pub(super) fn run(ctx: &Ctx, args: InitArgs, index: &Index) -> Result {
    let ui = ctx.ui;
    let p = ui.prompter();
    let profile = ctx
        .profiles
        .select(Some(ctx.wanted().unwrap_or(PROFILE)), index)?;
    // A sandbox profile holds nothing of value: it is replaced without asking. A real
    // profile of that name is not.
    if let Some(old) = index.profiles.get(&profile)
        && !old.site.is_sandbox()
        && !args.force
    {
        return Err(CliError::usage(format!(
            "profile '{profile}' exists and is not a sandbox profile"
        ))
        .hint("choose another name with --profile NAME, or replace it with --force"));
    }
    let redirect = redirect_uri(&args)?;
    let world = World::start(Options {
        redirect_uri: redirect.to_string(),
        scenario: Scenario::Normal,
        ask: true,
        served: false,
    });
    let world = ctx.sandbox.get_or_init(|| world);
    ui.say("jira-auth sandbox: an emulated Atlassian inside this command, on loopback. Nothing leaves this machine; the app, its secret and the tokens are made up and open nothing else.");

    let scopes = if p.interactive() || args.scopes.scopes.is_some() || args.scopes.preset.is_some()
    {
        resolve_scopes(ui, &args)?
    } else {
        scopes::preset("read-only")?.request()
    };
    consent::warn_if_too_many(ui, &scopes);
    if p.interactive() {
        ui.say(&scopes::console::console_checklist(
            &scopes,
            redirect.as_str(),
        ));
        ui.say(&format!(
            "In the sandbox, that app exists already: paste its Client ID {} and its secret {} below, as you would from the console.",
            world.app.client_id, world.app.client_secret
        ));
    }
    let client_id = match (&args.client_id, p.interactive()) {
        (None, false) => world.app.client_id.clone(),
        (given, _) => input::client_id(ui, given.as_deref(), Console::Developer)?,
    };
    let secret_given = args.client_secret_stdin || ctx.settings.secrets.client_secret.is_some();
    let client_secret = if p.interactive() || secret_given {
        input::client_secret(
            ctx,
            args.client_secret_stdin,
            &client_id,
            Console::Developer,
        )?
    } else {
        world.app.client_secret.clone().into()
    };
    let site = match (&args.site, p.interactive()) {
        (None, false) => Some(SITE_NAMES[0].to_string()),
        (site, _) => site.clone(),
    };
    if let Some(site) = &site {
        crate::atlassian::check_site_form(site)?;
    }
    let store_kind = store(ctx)?;
    let plan = Plan {
        profile,
        redirect,
        scopes,
        client_id,
        client_secret,
        site,
        way: consent::Way::decide(ctx, &args.consent)?,
        command: "init --sandbox",
        server: AuthServer::atlassian(ctx.endpoints()),
    };
    let cfg = consent::authorize(ctx, &plan, None, None)?;
    ctx.profiles.save(&cfg, store_kind)?;
    saved::summary(ctx, &cfg, store_kind, None)?;
    let name = &cfg.profile;
    ui.say(&format!(
        "Next: `jira-auth token --profile {name}`, `jira-auth status`, `jira-auth doctor --profile {name}` (they keep working offline: a sandbox profile is answered by a sandbox, never by Atlassian); `jira-auth sandbox` serves one for other programs; `jira-auth init` sets up the real thing."
    ));
    Ok(())
}

/// `--store` when given; else the keychain when it works here, and the file store when it
/// does not: the sandbox's secrets are made up, and a first try must not stop at a machine
/// without a Secret Service. (A real profile never falls back: see `Profiles::probe`.)
fn store(ctx: &Ctx) -> Result<Kind> {
    if let Some(kind) = ctx.global.store {
        ctx.profiles
            .probe(kind)
            .context("checking the credential store before asking for consent")?;
        return Ok(kind);
    }
    match ctx.profiles.probe(Kind::Keychain) {
        Ok(()) => Ok(Kind::Keychain),
        Err(e) => {
            let why = CliError::from(e).message();
            ctx.ui.say(&format!(
                "note: the keychain cannot be used here ({why}); the sandbox profile goes to the file store instead (its secrets are made up). A real profile would stop here: see `jira-auth doctor`."
            ));
            ctx.profiles
                .probe(Kind::File)
                .context("checking the file store before asking for consent")?;
            Ok(Kind::File)
        }
    }
}
