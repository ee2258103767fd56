//! The consent flow shared by `init` and `login`: browser consent, code exchange, choice of
//! site, and storing the resulting profile.

use std::time::Duration;

use anyhow::Context as _;
use secrecy::SecretString;
use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use super::{Ctx, print_json, relative, rfc3339};
use crate::atlassian::{self, Resource};
use crate::cli::{ScopeArgs, StoreKind};
use crate::error::{CliError, Exit};
use crate::oauth::callback::{Callback, Listener};
use crate::oauth::{self, Endpoints};
use crate::say;
use crate::scopes;
use crate::store::index::ProfileInfo;
use crate::store::{self, AuthConfig, CONFIG_VERSION, SecretStore, Site, lock};
use crate::ui::{self, Prompter, browser};

/// Everything a consent needs, resolved from flags, env, prompts (init) or the stored
/// profile (login) before any network step.
pub(super) struct Plan {
    pub(super) profile: String,
    pub(super) store_kind: StoreKind,
    pub(super) redirect: Url,
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
pub(super) fn chosen_scopes(args: &ScopeArgs) -> Result<Option<Vec<String>>, CliError> {
    if let Some(list) = &args.scopes {
        let parsed =
            scopes::parse_request(list, scopes::Unknown::from_flag(args.allow_unknown_scopes))?;
        if let Some(warning) = parsed.warning() {
            say!("{warning}");
        }
        return Ok(Some(parsed.scopes));
    }
    match &args.preset {
        Some(name) => Ok(Some(scopes::preset(name.trim())?.request())),
        None => Ok(None),
    }
}

/// Consent in the browser, the code exchange and the choice of site: the new config, not yet
/// stored. `keep_site` is a cloud id to keep when the grant still covers it and no --site was
/// given; `created_at` is the original profile's, kept across a new consent.
pub(super) fn authorize(
    ctx: &Ctx,
    endpoints: &Endpoints,
    plan: &Plan,
    keep_site: Option<&str>,
    created_at: Option<OffsetDateTime>,
) -> anyhow::Result<AuthConfig> {
    let (rt, http) = super::runtime_and_http()?;

    let code = rt.block_on(consent(endpoints, plan))?;
    tracing::debug!("the browser came back with a code; exchanging it");
    let tokens = rt
        .block_on(oauth::exchange_code(
            &http,
            endpoints,
            &plan.client_id,
            &plan.client_secret,
            &plan.redirect,
            code,
        ))
        .map_err(CliError::from)?;
    crate::fault_point("after-exchange");
    if tokens.refresh_token.is_none() {
        say!(
            "warning: Atlassian sent no refresh token; the profile will stop working when the access token expires"
        );
    }
    let resources = rt
        .block_on(atlassian::accessible_resources(
            &http,
            endpoints,
            &tokens.access_token,
        ))
        .map_err(CliError::from)?;
    // Without --site, login keeps the profile's site while the grant still covers it.
    let kept = match (plan.site.as_deref(), keep_site) {
        (None, Some(id)) => resources.iter().find(|r| r.id == id),
        _ => None,
    };
    let site = match kept {
        Some(site) => site,
        None => pick_site(&resources, plan.site.as_deref(), ctx.prompter.as_ref())?,
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
        method: "oauth2".into(),
        grant: "authorization_code".into(),
        client_id: plan.client_id.clone(),
        client_secret: plan.client_secret.clone(),
        scopes_requested: plan.scopes.clone(),
        scopes_granted: granted,
        redirect_uri: plan.redirect.to_string(),
        site: Site {
            cloud_id: site.id.clone(),
            url: site.url.clone(),
            name: site.name.clone(),
        },
        access_token: tokens.access_token,
        access_token_expires_at: tokens.expires_at,
        refresh_token_issued_at: tokens.refresh_token.as_ref().map(|_| now),
        refresh_token: tokens.refresh_token,
        previous_refresh_token: None,
        previous_rotated_at: None,
        created_at: created_at.unwrap_or(now),
        updated_at: now,
    })
}

/// Secrets first, index second: an index entry without its secrets would be a profile that
/// `status` shows and `token` cannot use.
///
/// Under the profile's refresh lock (init --force and login alike): a `token` that loaded the
/// old grant and is refreshing it meanwhile would otherwise save its result over the new one,
/// and the consent the user just gave would be lost.
pub(super) fn save(ctx: &Ctx, store: &dyn SecretStore, cfg: &AuthConfig) -> anyhow::Result<()> {
    let _lock = lock::lock(&ctx.config_dir, &cfg.profile)
        .map_err(CliError::from)
        .context("waiting for the profile's refresh lock")?;
    store
        .save(cfg)
        .map_err(CliError::from)
        .context("saving the profile's credentials")?;
    let previous = store::index::Index::update(&ctx.config_dir, |index| {
        let previous = index.profiles.get(&cfg.profile).map(|p| p.store);
        index.upsert(&cfg.profile, ProfileInfo::of(cfg, store.kind()));
        previous
    })
    .map_err(CliError::from)
    .context("saving the profile index")?;
    // Another store may hold an older copy of this profile (re-init with another --store).
    if let Some(old) = previous
        && store::index::StoreName::from(store.kind()) != old
        && let Ok(other) = store::open(old.into(), &ctx.config_dir)
    {
        let _ = other.delete(&cfg.profile);
    }
    // A profile now in the file store must not leave a keychain-era token in the kernel
    // keyring, even when the keychain above could not be reached to delete its copy.
    if store.kind() == StoreKind::File {
        store::cache::remove(&ctx.config_dir, &cfg.profile);
    }
    Ok(())
}

/// Binds the listener, shows and opens the consent URL, and waits for the callback.
async fn consent(endpoints: &Endpoints, plan: &Plan) -> Result<SecretString, CliError> {
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
        "Open this URL in a browser to grant access (it is waiting on port {}):",
        listener.port()
    );
    say!("  {url}");
    if plan.open_browser {
        browser::open(url.as_str());
    } else {
        say!("(no browser opened: open the URL yourself, on this machine)");
    }
    let spinner = ui::spinner("Waiting for the browser to come back…");
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
    let apis = scopes::apis_to_add(&plan.scopes);
    let ticks = scopes::tick_list(&plan.scopes, "      ");
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

pub(super) fn pick_site<'a>(
    resources: &'a [Resource],
    wanted: Option<&str>,
    p: &dyn Prompter,
) -> Result<&'a Resource, CliError> {
    if let Some(r) = atlassian::choose(resources, wanted)? {
        return Ok(r);
    }
    if !p.interactive() {
        return Err(atlassian::list_error(
            format!("the authorization covers {} sites", resources.len()),
            resources,
        ));
    }
    let items: Vec<String> = resources.iter().map(atlassian::describe).collect();
    let i = p.select("Which site should this profile use?", &items, 0)?;
    Ok(&resources[i])
}

pub(super) fn summary(ctx: &Ctx, cfg: &AuthConfig, endpoints: &Endpoints, kind: StoreKind) {
    let api_base = endpoints.api(&format!("ex/jira/{}", cfg.site.cloud_id));
    if ctx.global.json {
        print_json(&json!({
            "profile": cfg.profile,
            "store": store::kind_name(kind),
            "site": { "name": cfg.site.name, "url": cfg.site.url, "cloud_id": cfg.site.cloud_id },
            "api_base_url": api_base.as_str(),
            "scopes_requested": cfg.scopes_requested,
            "scopes_granted": cfg.scopes_granted,
            "access_token_expires_at": rfc3339(cfg.access_token_expires_at),
            "has_refresh_token": cfg.refresh_token.is_some(),
        }));
        return;
    }
    let missing: Vec<&String> = cfg
        .scopes_requested
        .iter()
        .filter(|s| !cfg.scopes_granted.contains(s))
        .collect();
    say!(
        "Saved profile '{}' ({}).",
        cfg.profile,
        store::kind_name(kind)
    );
    say!("  site       {}  {}", cfg.site.name, cfg.site.url);
    say!("  cloud id   {}", cfg.site.cloud_id);
    say!("  api base   {api_base}");
    say!("  scopes     {}", cfg.scopes_granted.join(" "));
    if !missing.is_empty() {
        say!(
            "  warning    requested but not granted: {}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    say!(
        "  expires    {} ({})",
        rfc3339(cfg.access_token_expires_at),
        relative(cfg.access_token_expires_at)
    );
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
