//! The browser step shared by `init` and `login` (not a subcommand): consent in the browser
//! (wait.rs), the code exchange and the choice of site, giving the new config (saved.rs
//! prints what was stored).

mod paste;
mod wait;

use std::time::Duration;

use secrecy::SecretString;
use time::OffsetDateTime;

use crate::atlassian::{self, Resource, SiteError};
use crate::cli::{ConsentArgs, ScopeArgs};
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Code};
use crate::oauth::{self, AuthServer, Client, Pkce, RedirectUri};
use crate::profile::Notice;
use crate::scopes::{self, Parsed};
use crate::settings::SshSession;
use crate::store::{Account, AuthConfig, CONFIG_VERSION, Credential, Deployment, OAuthGrant, Site};
use crate::ui::Ui;

/// Everything a consent needs, resolved from flags, env, prompts (init) or the stored
/// profile (login) before any network step.
pub(in crate::commands) struct Plan {
    pub(in crate::commands) profile: String,
    pub(in crate::commands) redirect: RedirectUri,
    pub(in crate::commands) scopes: Vec<String>,
    pub(in crate::commands) client_id: String,
    pub(in crate::commands) client_secret: SecretString,
    pub(in crate::commands) site: Option<String>,
    /// How the consent URL is opened and its answer comes back.
    pub(in crate::commands) way: Way,
    /// The command to suggest running again after a declined consent.
    pub(in crate::commands) command: &'static str,
    /// Whose OAuth 2.0 provider: Atlassian's (Cloud), or a Data Center instance's own.
    pub(in crate::commands) server: AuthServer,
}

/// How the consent URL reaches a browser and the answer comes back: decided from the
/// command's `ConsentArgs` and the machine before anything is asked ([`Way::decide`]).
pub(in crate::commands) struct Way {
    pub(in crate::commands) opener: Opener,
    /// `--no-browser`: the person opens the URL, by choice.
    pub(in crate::commands) no_browser: bool,
    /// `--paste`: the address the browser ended on comes on stdin, terminal or not.
    pub(in crate::commands) paste: bool,
    /// An SSH session: the browser is likely on the person's own machine.
    pub(in crate::commands) ssh: Option<SshSession>,
    pub(in crate::commands) timeout: Duration,
}

/// Who opens the consent URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::commands) enum Opener {
    /// The browser ($BROWSER, or the desktop's).
    Browser,
    /// The person, from the printed URL (--no-browser, or no browser here), or a browser
    /// elsewhere whose address comes back pasted.
    Person,
    /// The sandbox's own user agent, which approves as if someone had clicked Approve.
    Sandbox,
}

/// Who will open the consent URL, as `--no-browser` and `--paste` and the machine allow it,
/// decided before anything is asked. In the sandbox, a person answers its consent page when
/// there is a browser, or a terminal to open the URL from and no `--no-browser`; else the
/// sandbox approves by itself, so that `init --sandbox` works on a machine with nobody at
/// it. Elsewhere, a consent that could only wait for nothing (CI: no browser can be started, nobody can be
/// asked, and neither `--no-browser` (the caller opens the URL) nor `--paste` says how the
/// answer will come) is an error at once.
impl Way {
    pub(in crate::commands) fn decide(ctx: &Ctx, args: &ConsentArgs) -> Result<Way> {
        Ok(Way {
            opener: opener(ctx, args)?,
            no_browser: args.no_browser,
            paste: args.paste,
            ssh: ctx.settings.ssh.clone(),
            timeout: Duration::from_secs(args.timeout),
        })
    }
}

fn opener(ctx: &Ctx, args: &ConsentArgs) -> Result<Opener> {
    who_opens(ctx, args.no_browser, args.paste).map_err(|why| CliError::new(
        Code::BrowserUnavailable,
        format!(
            "no browser can be opened here ({why}) and nothing can be asked (--no-input, JIRA_AUTH_NO_INPUT, or stdin is not a terminal): the consent would wait {} s for nothing; nothing was changed",
            args.timeout
        ),
    )
    .hint("open the consent URL in a browser elsewhere and give the address it ends on on stdin: --paste (or JIRA_AUTH_PASTE=1)")
    .hint("in CI, use a service account, which needs no browser: `jira-auth init --method service-account` (README: \"Jira in CI\")")
    .hint("or run it where a browser can be opened; --no-browser waits for the callback while you open the printed URL yourself, on this machine"))
}

/// Who opens a consent URL (or Composio's connect link): the browser; the person, from the
/// printed URL (`--no-browser`, no browser here but a terminal, or an answer that comes
/// another way: `answered_elsewhere`); in the sandbox, when nobody is to open it, its own
/// user agent. `Err(why no browser)` when nobody could open it at all.
pub(in crate::commands) fn who_opens(
    ctx: &Ctx,
    no_browser: bool,
    answered_elsewhere: bool,
) -> std::result::Result<Opener, String> {
    let ui = ctx.ui;
    let why_not = ui.why_no_browser();
    let browser = !no_browser && why_not.is_none();
    let person = browser || ui.prompter().interactive();
    if let Some(world) = ctx.sandbox.get() {
        // `--no-browser` in the sandbox, even in a terminal, is the quick start's "no browser
        // needed": nobody is to open its consent page, so the sandbox answers it itself.
        let someone_opens = browser || (person && !no_browser);
        world.ask(someone_opens);
        if !someone_opens {
            return Ok(Opener::Sandbox);
        }
    }
    if browser {
        return Ok(Opener::Browser);
    }
    match why_not {
        Some(why) if !(no_browser || answered_elsewhere || person) => Err(why.to_string()),
        _ => Ok(Opener::Person),
    }
}

/// The scopes `--scopes` or `--preset` ask for (offline_access added), or `None` when
/// neither is given and the command decides (init asks, login keeps the profile's). A Data
/// Center site takes its own four scopes instead, and its presets' meaning of the names.
pub(in crate::commands) fn chosen_scopes(
    ui: &Ui,
    args: &ScopeArgs,
    deployment: Deployment,
) -> Result<Option<Vec<String>>> {
    if deployment == Deployment::DataCenter {
        if let Some(list) = &args.scopes {
            return Ok(Some(scopes::datacenter::parse_request(list)?));
        }
        return match &args.preset {
            Some(name) => Ok(Some(scopes::datacenter::preset(name.trim())?)),
            None => Ok(None),
        };
    }
    if let Some(list) = &args.scopes {
        let parsed =
            scopes::parse_request(list, scopes::Unknown::from_flag(args.allow_unknown_scopes))?;
        return Ok(Some(requested(ui, parsed)));
    }
    match &args.preset {
        Some(name) => Ok(Some(scopes::preset(name.trim())?.request())),
        None => Ok(None),
    }
}

/// A checked request's scopes, after warning about the names the catalog does not know
/// that are requested anyway.
pub(in crate::commands) fn requested(ui: &Ui, parsed: Parsed) -> Vec<String> {
    if !parsed.unknown.is_empty() {
        // A typo is still the likelier cause: keep the suggestions.
        let each: Vec<String> = parsed
            .unknown
            .iter()
            .map(|u| match scopes::did_you_mean(u) {
                Some(s) => format!("{u} ({s})"),
                None => u.clone(),
            })
            .collect();
        say!(
            ui,
            "warning: not in jira-auth's scope catalog, requested anyway (--allow-unknown-scopes): {}; if the consent page says \"Something went wrong\", check the spelling and that each is ticked in the developer console",
            each.join(", ")
        );
    }
    parsed.scopes
}

/// Says so when a request has more scopes than Atlassian recommends.
pub(in crate::commands) fn warn_if_too_many(ui: &Ui, scopes: &[String]) {
    if let Some(n) = scopes::too_many(scopes) {
        ui.say(&scopes::console::too_many_warning(n));
    }
}

/// Consent in the browser, the code exchange and the choice of site: the new config, not yet
/// stored. `keep_site` is a cloud id to keep when the grant still covers it and no --site was
/// given; `created_at` is the original profile's, kept across a new consent.
pub(in crate::commands) fn authorize(
    ctx: &Ctx,
    plan: &Plan,
    keep_site: Option<&str>,
    created_at: Option<OffsetDateTime>,
) -> Result<AuthConfig> {
    let http = ctx.net.http()?;
    let server = &plan.server;
    let pkce = Pkce::new();
    let url_for = |state: &str| {
        server.authorize_url(&plan.client_id, &plan.redirect, &plan.scopes, state, &pkce)
    };
    let code = ctx.net.block_on(wait::consent(ctx.ui, plan, &url_for))??;
    // Exchanged before anything else happens: a Data Center code lives 10 s.
    tracing::debug!("the browser came back with a code; exchanging it");
    let client = Client {
        id: &plan.client_id,
        secret: &plan.client_secret,
    };
    let tokens =
        ctx.net
            .block_on(server.exchange_code(http, client, &plan.redirect, code, pkce))??;
    crate::fault::point("after-exchange");
    if tokens.refresh_token.is_none() {
        ctx.ui
            .say(&crate::commands::notice_text(&Notice::NoRefreshToken));
    }
    let (site, granted) = match server {
        AuthServer::Atlassian(endpoints) => {
            let resources = ctx.net.block_on(atlassian::accessible_resources(
                http,
                endpoints,
                &tokens.access_token,
            ))??;
            // Without --site, login keeps the profile's site while the grant still covers it.
            let kept = match (plan.site.as_deref(), keep_site) {
                (None, Some(id)) => resources.iter().find(|r| r.id == id),
                _ => None,
            };
            let site = match kept {
                Some(site) => site,
                None => pick_site(ctx.ui, &resources, plan.site.as_deref())?,
            };
            let granted = if tokens.scopes.is_empty() {
                // Atlassian always returns `scope`; if a proxy strips it, the site's list is
                // the next best truth.
                scopes::with_offline_access(site.scopes.clone())
            } else {
                tokens.scopes.clone()
            };
            let site = Site::cloud(
                site.id.clone(),
                site.url.clone(),
                site.name.clone(),
                AuthServer::record(endpoints),
            );
            (site, granted)
        }
        // The site is the instance: no accessible-resources, no cloud id.
        AuthServer::DataCenter(base) => {
            let granted = if tokens.scopes.is_empty() {
                plan.scopes.clone()
            } else {
                tokens.scopes.clone()
            };
            (Site::data_center(base), granted)
        }
    };
    // Who consented, only to say so: a failure costs that line, never the consent.
    let account = ctx
        .net
        .block_on(server.who_am_i(http, &tokens.access_token, &granted, &site.cloud_id))
        .ok()
        .and_then(|r| {
            r.inspect_err(|e| tracing::debug!("could not tell who consented: {e}"))
                .ok()
        });
    Ok(granted_config(
        plan, site, tokens, granted, account, created_at,
    ))
}

/// The profile a consent made: the site chosen, the grant of the exchanged `tokens`, who
/// consented; Cloud and Data Center alike.
fn granted_config(
    plan: &Plan,
    site: Site,
    tokens: oauth::TokenSet,
    granted: Vec<String>,
    account: Option<Account>,
    created_at: Option<OffsetDateTime>,
) -> AuthConfig {
    let now = OffsetDateTime::now_utc();
    AuthConfig {
        version: CONFIG_VERSION,
        profile: plan.profile.clone(),
        site,
        credential: Credential::OAuth(OAuthGrant {
            client_id: plan.client_id.clone(),
            client_secret: plan.client_secret.clone(),
            redirect_uri: plan.redirect.to_string(),
            scopes_requested: plan.scopes.clone(),
            scopes_granted: granted,
            access_token: tokens.access_token,
            access_token_expires_at: tokens.expires_at,
            refresh_token_issued_at: tokens.refresh_token.as_ref().map(|_| now),
            refresh_token: tokens.refresh_token,
            previous_refresh_token: None,
            previous_rotated_at: None,
        }),
        account,
        created_at: created_at.unwrap_or(now),
        updated_at: now,
    }
}

/// The site `--site` names, the only one, or the one the person picks; never the first of
/// several.
fn pick_site<'a>(ui: &Ui, resources: &'a [Resource], wanted: Option<&str>) -> Result<&'a Resource> {
    if let Some(r) = atlassian::choose(resources, wanted)? {
        return Ok(r);
    }
    let p = ui.prompter();
    if !p.interactive() {
        return Err(SiteError::Several {
            sites: resources.to_vec(),
        }
        .into());
    }
    let items = atlassian::describe_all(resources);
    let i = p.select("Which site should this profile use?", &items, 0)?;
    Ok(&resources[i])
}
