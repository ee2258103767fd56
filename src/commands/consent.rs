//! The browser step shared by `init` and `login` (not a subcommand): consent in the browser,
//! the code exchange and the choice of site, giving the new config; and the summary both
//! print once the profile layer has stored it.

use std::time::Duration;

use secrecy::SecretString;
use serde::Serialize;
use time::OffsetDateTime;

use super::{Ctx, Result, relative, rfc3339};
use crate::atlassian::{self, Resource, SiteError};
use crate::cli::ScopeArgs;
use crate::error::{CliError, Exit};
use crate::oauth::callback::{Callback, Listener};
use crate::oauth::{self, RedirectUri};
use crate::profile::{Notice, session::api_base_url};
use crate::scopes::{self, Parsed};
use crate::store::{AuthConfig, CONFIG_VERSION, Credential, Kind, OAuthGrant, Site};
use crate::ui::Ui;

/// Everything a consent needs, resolved from flags, env, prompts (init) or the stored
/// profile (login) before any network step.
pub(super) struct Plan {
    pub(super) profile: String,
    pub(super) redirect: RedirectUri,
    pub(super) scopes: Vec<String>,
    pub(super) client_id: String,
    pub(super) client_secret: SecretString,
    pub(super) site: Option<String>,
    pub(super) open_browser: bool,
    pub(super) timeout: Duration,
    /// The command to suggest running again after a declined consent.
    pub(super) command: &'static str,
}

/// The scopes `--scopes` or `--preset` ask for (offline_access added), or `None` when
/// neither is given and the command decides (init asks, login keeps the profile's).
pub(super) fn chosen_scopes(ui: &Ui, args: &ScopeArgs) -> Result<Option<Vec<String>>> {
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
pub(super) fn requested(ui: &Ui, parsed: Parsed) -> Vec<String> {
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
pub(super) fn warn_if_too_many(ui: &Ui, scopes: &[String]) {
    if let Some(n) = scopes::too_many(scopes) {
        ui.say(&scopes::console::too_many_warning(n));
    }
}

/// Consent in the browser, the code exchange and the choice of site: the new config, not yet
/// stored. `keep_site` is a cloud id to keep when the grant still covers it and no --site was
/// given; `created_at` is the original profile's, kept across a new consent.
pub(super) fn authorize(
    ctx: &Ctx,
    plan: &Plan,
    keep_site: Option<&str>,
    created_at: Option<OffsetDateTime>,
) -> Result<AuthConfig> {
    let endpoints = &ctx.settings.endpoints;
    let http = ctx.net.http()?;
    let code = ctx.net.block_on(consent(ctx.ui, endpoints, plan))??;
    tracing::debug!("the browser came back with a code; exchanging it");
    let tokens = ctx.net.block_on(oauth::exchange_code(
        http,
        endpoints,
        &plan.client_id,
        &plan.client_secret,
        &plan.redirect,
        code,
    ))??;
    crate::fault::point("after-exchange");
    if tokens.refresh_token.is_none() {
        ctx.ui.say(&super::notice_text(&Notice::NoRefreshToken));
    }
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
        // Atlassian always returns `scope`; if a proxy strips it, the site's list is the
        // next best truth.
        scopes::with_offline_access(site.scopes.clone())
    } else {
        tokens.scopes.clone()
    };
    let now = OffsetDateTime::now_utc();
    Ok(AuthConfig {
        version: CONFIG_VERSION,
        profile: plan.profile.clone(),
        site: Site {
            cloud_id: site.id.clone(),
            url: site.url.clone(),
            name: site.name.clone(),
        },
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
        created_at: created_at.unwrap_or(now),
        updated_at: now,
    })
}

/// Binds the listener, shows and opens the consent URL, and waits for the callback.
async fn consent(ui: &Ui, endpoints: &crate::net::Endpoints, plan: &Plan) -> Result<SecretString> {
    let listener = Listener::bind(&plan.redirect).await?;
    // Ctrl-C is caught from before the URL is shown: tokio installs its handler at the
    // future's first poll, and a signal before that would kill the process the default way
    // (no 130, no message). One biased poll against a ready future installs it now.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    tokio::select! {
        biased;
        _ = &mut interrupted => return Err(interrupted_error()),
        () = std::future::ready(()) => {}
    }
    let state = oauth::new_state();
    let url = oauth::authorize_url(
        endpoints,
        &plan.client_id,
        &plan.redirect,
        &plan.scopes,
        &state,
    );
    say!(
        ui,
        "Open this URL in a browser to grant access (it is waiting on port {}):",
        listener.port()
    );
    say!(ui, "  {url}");
    if plan.open_browser {
        ui.open_browser(url.as_str());
    } else {
        ui.say("(no browser opened: open the URL yourself, on this machine)");
    }
    let spinner = ui.spinner("Waiting for the browser to come back…", plan.timeout);
    let outcome = tokio::select! {
        r = tokio::time::timeout(plan.timeout, listener.wait(&state)) => r.ok(),
        _ = &mut interrupted => {
            spinner.finish_and_clear();
            return Err(interrupted_error());
        }
    };
    spinner.finish_and_clear();
    match outcome {
        Some(Callback::Code(code)) => Ok(code),
        Some(Callback::Denied { error, description }) => {
            // Whoever holds the consent URL (its state) can put any text here, and it goes
            // to a terminal.
            let (error, description) = (for_terminal(&error), for_terminal(&description));
            let what = if error == "access_denied" {
                "consent was declined".to_string()
            } else {
                format!("Atlassian returned an error ({error})")
            };
            let desc = if description.is_empty() {
                String::new()
            } else {
                format!(": {description}")
            };
            Err(CliError::new(
                Exit::AuthNeeded,
                format!("{what}{desc}; nothing was stored"),
            )
            .hint(format!(
                "run `jira-auth {}` again and choose Accept on the consent page",
                plan.command
            )))
        }
        None => Err(timeout_error(plan)),
    }
}

/// Text from the callback query made safe to print: control characters (escape sequences
/// that retitle or clear a terminal, fake newlines) and bidirectional overrides (text that
/// reads differently from what it is) become '?', and the length is bounded.
fn for_terminal(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi { '?' } else { c }
        })
        .collect();
    if text.chars().count() > MAX_CHARS {
        out.push_str("...");
    }
    out
}

fn interrupted_error() -> CliError {
    CliError::new(Exit::Interrupted, "interrupted; nothing was stored")
}

/// Silence is what both common console mistakes look like from here: say so, with the
/// exact values to compare, the scopes grouped by API and tab as the console shows them.
fn timeout_error(plan: &Plan) -> CliError {
    let apis = scopes::console::apis_to_add(&plan.scopes);
    let ticks = scopes::console::tick_list(&plan.scopes, "      ");
    CliError::new(
        Exit::Timeout,
        format!(
            "no answer from the browser within {} s; nothing was stored",
            plan.timeout.as_secs()
        ),
    )
    .hint(format!(
        "if the consent page said \"Something went wrong\", a requested scope is not ticked for the app in the developer console: Permissions must have the {apis} added, and these ticked (offline_access is not ticked):\n{}",
        ticks.trim_end()
    ))
    .hint(format!(
        "if Atlassian showed an error about redirect_uri or unauthorized_client, the app's callback URL (Authorization → OAuth 2.0 (3LO)) must be exactly {} — 127.0.0.1 and localhost are different, and so are ports",
        plan.redirect
    ))
    .hint("if the page never opened, open the printed URL yourself; allow more time with --timeout SECS")
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
    let items: Vec<String> = resources.iter().map(atlassian::describe).collect();
    let i = p.select("Which site should this profile use?", &items, 0)?;
    Ok(&resources[i])
}

/// What `init` and `login` report once the profile is stored.
#[derive(Serialize)]
struct Saved<'a> {
    profile: &'a str,
    store: Kind,
    site: &'a Site,
    api_base_url: String,
    scopes_requested: &'a [String],
    scopes_granted: &'a [String],
    #[serde(with = "time::serde::rfc3339::option")]
    access_token_expires_at: Option<OffsetDateTime>,
    has_refresh_token: bool,
}

pub(super) fn summary(ctx: &Ctx, cfg: &AuthConfig, kind: Kind) -> Result {
    let c = &cfg.credential;
    let report = Saved {
        profile: &cfg.profile,
        store: kind,
        site: &cfg.site,
        api_base_url: api_base_url(cfg, &ctx.settings.endpoints),
        scopes_requested: c.scopes_requested(),
        scopes_granted: c.scopes_granted(),
        access_token_expires_at: c.expires_at(),
        has_refresh_token: c.has_refresh_token(),
    };
    if ctx.global.json {
        return Ok(ctx.ui.print_json(&report)?);
    }
    let ui = ctx.ui;
    let missing: Vec<&str> = report
        .scopes_requested
        .iter()
        .filter(|s| !report.scopes_granted.contains(s))
        .map(String::as_str)
        .collect();
    say!(ui, "Saved profile '{}' ({}).", report.profile, report.store);
    say!(ui, "  site       {}  {}", report.site.name, report.site.url);
    say!(ui, "  cloud id   {}", report.site.cloud_id);
    say!(ui, "  api base   {}", report.api_base_url);
    say!(ui, "  scopes     {}", report.scopes_granted.join(" "));
    if !missing.is_empty() {
        say!(
            ui,
            "  warning    requested but not granted: {}",
            missing.join(" ")
        );
    }
    if let Some(at) = report.access_token_expires_at {
        say!(ui, "  expires    {} ({})", rfc3339(at), relative(at));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_text_cannot_drive_the_terminal() {
        assert_eq!(
            for_terminal("User did not authorize the request"),
            "User did not authorize the request"
        );
        assert_eq!(
            for_terminal("a\u{1b}]0;pwned\u{7}\u{1b}[2Jb\r\nc\u{9b}d\u{202E}e"),
            "a?]0;pwned??[2Jb??c?d?e"
        );
        let long = for_terminal(&"x".repeat(1000));
        assert_eq!(long.len(), 303);
        assert!(long.ends_with("..."));
    }
}
