//! `jira-auth init`: the guided setup from nothing to a stored, working profile.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::OffsetDateTime;
use url::Url;

use super::{Ctx, print_json, relative, rfc3339};
use crate::atlassian::{self, Resource};
use crate::cli::{InitArgs, StoreKind};
use crate::error::{CliError, Exit};
use crate::oauth::callback::{Callback, Listener};
use crate::oauth::http::Http;
use crate::oauth::{self, Endpoints};
use crate::say;
use crate::scopes;
use crate::store::index::ProfileInfo;
use crate::store::{self, AuthConfig, CONFIG_VERSION, SecretStore, Site};
use crate::ui::{self, Prompter, browser};

pub const DEFAULT_PORT: u16 = 8976;

/// Everything `init` needs, resolved from flags, env and prompts before any network step.
struct Plan {
    profile: String,
    store_kind: StoreKind,
    redirect: Url,
    scopes: Vec<String>,
    client_id: String,
    client_secret: SecretString,
    site: Option<String>,
    open_browser: bool,
    timeout: Duration,
}

pub fn run(ctx: &Ctx, args: InitArgs) -> anyhow::Result<()> {
    let endpoints = Endpoints::from_env()?;
    let mut index = ctx.index()?;
    let profile = ctx.profile(&index)?;
    let p = ctx.prompter.as_ref();

    if index.profiles.contains_key(&profile) && !args.force {
        let replace = p.interactive()
            && p.confirm(&format!("Profile '{profile}' exists. Replace it?"), false)?;
        if !replace {
            return Err(
                CliError::usage(format!("profile '{profile}' already exists"))
                    .hint("replace it with --force, or choose another name with --profile NAME")
                    .into(),
            );
        }
    }

    let redirect = redirect_uri(&args)?;
    let scopes = resolve_scopes(&args, p)?;
    if scopes.len() > scopes::ADVISED_MAX {
        say!(
            "warning: {} scopes requested; Atlassian advises fewer than {} per app",
            scopes.len(),
            scopes::ADVISED_MAX
        );
    }

    // The checklist is for the person about to create the app and paste its id; a script
    // has done that already (and gets the same facts in the timeout error if it did not).
    if p.interactive() {
        say!("{}", scopes::console_checklist(&scopes, redirect.as_str()));
    }

    let client_id = match args.client_id.as_deref() {
        Some(v) => check_client_id(v).map_err(CliError::usage)?,
        None if p.interactive() => p.input("Client ID", &|s| check_client_id(s).map(|_| ()))?,
        None => {
            return Err(
                CliError::missing("client id", "--client-id", "JIRA_AUTH_CLIENT_ID").into(),
            );
        }
    };
    let client_secret = client_secret(ctx, &args, p)?;

    let plan = Plan {
        profile,
        store_kind: ctx.global.store.unwrap_or(StoreKind::Keychain),
        redirect,
        scopes,
        client_id,
        client_secret,
        site: args.site.clone(),
        open_browser: !args.no_browser && browser::available(),
        timeout: Duration::from_secs(args.timeout),
    };

    // A dead keychain found after consent would waste the user's consent: check it first.
    let store = store::open(plan.store_kind, &ctx.config_dir).map_err(CliError::from)?;
    store
        .probe()
        .map_err(CliError::from)
        .context("checking the credential store before asking for consent")?;

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let http = Http::new()
        .map_err(oauth::OAuthError::from)
        .map_err(CliError::from)?;

    let code = rt.block_on(consent(&endpoints, &plan))?;
    let tokens = rt
        .block_on(oauth::exchange_code(
            &http,
            &endpoints,
            &plan.client_id,
            &plan.client_secret,
            &plan.redirect,
            code,
        ))
        .map_err(CliError::from)?;
    if tokens.refresh_token.is_none() {
        say!(
            "warning: Atlassian sent no refresh token; the profile will stop working when the access token expires"
        );
    }
    let resources = rt
        .block_on(atlassian::accessible_resources(
            &http,
            &endpoints,
            &tokens.access_token,
        ))
        .map_err(CliError::from)?;
    let site = pick_site(&resources, plan.site.as_deref(), p)?;

    let granted = if tokens.scopes.is_empty() {
        // Atlassian always returns `scope`; if a proxy strips it, the site's list is the
        // next best truth.
        scopes::with_offline_access(site.scopes.clone())
    } else {
        tokens.scopes.clone()
    };
    let now = OffsetDateTime::now_utc();
    let cfg = AuthConfig {
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
        created_at: now,
        updated_at: now,
    };
    save(ctx, store.as_ref(), &mut index, &cfg)?;
    summary(ctx, &cfg, &endpoints, plan.store_kind);
    Ok(())
}

/// Secrets first, index second: an index entry without its secrets would be a profile that
/// `status` shows and `token` cannot use.
fn save(
    ctx: &Ctx,
    store: &dyn SecretStore,
    index: &mut store::index::Index,
    cfg: &AuthConfig,
) -> anyhow::Result<()> {
    store
        .save(cfg)
        .map_err(CliError::from)
        .context("saving the profile's credentials")?;
    // Another store may hold an older copy of this profile (re-init with another --store).
    if let Some(old) = index.profiles.get(&cfg.profile)
        && store::index::StoreName::from(store.kind()) != old.store
        && let Ok(other) = store::open(old.store.into(), &ctx.config_dir)
    {
        let _ = other.delete(&cfg.profile);
    }
    index.upsert(&cfg.profile, ProfileInfo::of(cfg, store.kind()));
    index
        .save(&ctx.config_dir)
        .map_err(CliError::from)
        .context("saving the profile index")?;
    Ok(())
}

fn redirect_uri(args: &InitArgs) -> Result<Url, CliError> {
    let raw = match (&args.redirect_uri, args.port) {
        (Some(u), _) => u.trim().to_string(),
        (None, Some(0)) => return Err(CliError::usage("--port must be between 1 and 65535")),
        (None, port) => format!("http://127.0.0.1:{}/callback", port.unwrap_or(DEFAULT_PORT)),
    };
    let url = Url::parse(&raw)
        .map_err(|e| CliError::usage(format!("--redirect-uri {raw} is not a URL: {e}")))?;
    if url.scheme() != "http" || !oauth::is_loopback_host(&url) {
        return Err(CliError::usage(format!(
            "--redirect-uri {raw}: jira-auth listens on this machine, so the callback must be http://127.0.0.1:PORT/PATH, http://localhost:PORT/PATH or http://[::1]:PORT/PATH"
        )));
    }
    if url.port().is_none() {
        return Err(CliError::usage(format!(
            "--redirect-uri {raw}: give an explicit port (e.g. http://127.0.0.1:{DEFAULT_PORT}/callback)"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(CliError::usage(format!(
            "--redirect-uri {raw}: the callback URL cannot have a query or fragment"
        )));
    }
    Ok(url)
}

fn resolve_scopes(args: &InitArgs, p: &dyn Prompter) -> Result<Vec<String>, CliError> {
    if let Some(list) = &args.scopes {
        return scopes::parse_list(list);
    }
    if let Some(name) = &args.preset {
        let preset = scopes::preset(name.trim())?;
        return Ok(scopes::with_offline_access(
            preset.scopes.iter().map(|s| s.to_string()).collect(),
        ));
    }
    if !p.interactive() {
        return Err(CliError::missing(
            "scopes",
            "--scopes LIST or --preset NAME",
            "JIRA_AUTH_SCOPES or JIRA_AUTH_PRESET",
        ));
    }
    let mut items: Vec<String> = scopes::PRESETS
        .iter()
        .map(|p| format!("{:<11} {}", p.name, p.summary))
        .collect();
    items.push("custom      choose scopes one by one".into());
    let choice = p.select("Which access does this profile need?", &items, 0)?;
    if let Some(preset) = scopes::PRESETS.get(choice) {
        return Ok(scopes::with_offline_access(
            preset.scopes.iter().map(|s| s.to_string()).collect(),
        ));
    }
    let all: Vec<&str> = scopes::CLASSIC_JIRA
        .iter()
        .chain(scopes::USER_IDENTITY)
        .copied()
        .collect();
    let items: Vec<String> = all.iter().map(|s| s.to_string()).collect();
    let defaults: Vec<bool> = all
        .iter()
        .map(|s| ["read:jira-work", "read:jira-user", "read:me"].contains(s))
        .collect();
    loop {
        let picked = p.multi_select(
            "Scopes (space to toggle, enter to accept)",
            &items,
            &defaults,
        )?;
        if !picked.is_empty() {
            return Ok(scopes::with_offline_access(
                picked.into_iter().map(|i| items[i].clone()).collect(),
            ));
        }
        say!("Pick at least one scope.");
    }
}

/// Client IDs are printable tokens of letters and digits (32 characters at Atlassian today;
/// we allow a range so a format change does not lock people out).
fn check_client_id(raw: &str) -> Result<String, String> {
    let id = raw.trim();
    if id.is_empty() {
        return Err("the client id is empty".into());
    }
    if !(8..=128).contains(&id.len()) {
        return Err(format!(
            "the client id should be 8 to 128 characters long (got {})",
            id.len()
        ));
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(format!(
            "the client id contains {c:?}; copy it again from the developer console → Settings"
        ));
    }
    Ok(id.to_string())
}

/// Checks a pasted secret without ever showing it.
fn check_secret(secret: &str, client_id: Option<&str>) -> Result<(), String> {
    if secret.is_empty() {
        return Err("the client secret is empty".into());
    }
    if secret.len() < 16 || secret.len() > 1024 {
        return Err(format!(
            "the client secret should be 16 to 1024 characters long (got {})",
            secret.len()
        ));
    }
    if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(
            "the client secret contains spaces or control characters; copy it again".into(),
        );
    }
    if client_id == Some(secret) {
        return Err(
            "that is the client id, not the secret (developer console → Settings → Secret)".into(),
        );
    }
    Ok(())
}

fn client_secret(ctx: &Ctx, args: &InitArgs, p: &dyn Prompter) -> Result<SecretString, CliError> {
    let source_err =
        |from: &str, e: String| CliError::usage(format!("client secret from {from}: {e}"));
    let id = args.client_id.as_deref().map(str::trim);
    if args.client_secret_stdin && !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin().lock().take_line(&mut line).map_err(|e| {
            CliError::usage(format!("cannot read the client secret from stdin: {e}"))
        })?;
        let secret = SecretString::from(line.trim().to_string());
        line.clear();
        check_secret(secret.expose_secret(), id).map_err(|e| source_err("stdin", e))?;
        return Ok(secret);
    }
    if !args.client_secret_stdin
        && let Some(s) = &ctx.env_client_secret
    {
        let secret = SecretString::from(s.expose_secret().trim().to_string());
        check_secret(secret.expose_secret(), id)
            .map_err(|e| source_err("JIRA_AUTH_CLIENT_SECRET", e))?;
        return Ok(secret);
    }
    if !p.interactive() {
        return Err(CliError::missing(
            "client secret",
            "--client-secret-stdin",
            "JIRA_AUTH_CLIENT_SECRET",
        ));
    }
    loop {
        let secret = p.password("Client secret (input hidden)")?;
        let trimmed = SecretString::from(secret.expose_secret().trim().to_string());
        match check_secret(trimmed.expose_secret(), id) {
            Ok(()) => return Ok(trimmed),
            Err(e) => say!("{e}"),
        }
    }
}

/// Reads one line, at most 8 KiB, so a stream without newlines cannot grow without bound.
trait TakeLine {
    fn take_line(&mut self, out: &mut String) -> std::io::Result<()>;
}

impl<R: BufRead> TakeLine for R {
    fn take_line(&mut self, out: &mut String) -> std::io::Result<()> {
        let mut limited = std::io::Read::take(self, 8 * 1024);
        limited.read_line(out)?;
        Ok(())
    }
}

/// Binds the listener, shows and opens the consent URL, and waits for the callback.
async fn consent(endpoints: &Endpoints, plan: &Plan) -> Result<SecretString, CliError> {
    let listener = Listener::bind(&plan.redirect).await?;
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
        _ = tokio::signal::ctrl_c() => {
            spinner.finish_and_clear();
            return Err(CliError::new(Exit::Interrupted, "interrupted; nothing was stored"));
        }
    };
    spinner.finish_and_clear();
    match outcome {
        Some(Callback::Code(code)) => Ok(code),
        Some(Callback::Denied { error, description }) => {
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
            .hint("run `jira-auth init` again and choose Accept on the consent page"))
        }
        None => Err(timeout_error(plan)),
    }
}

/// Silence is what both common console mistakes look like from here: say so, with the
/// exact values to compare.
fn timeout_error(plan: &Plan) -> CliError {
    let mut ticks = String::new();
    for s in plan
        .scopes
        .iter()
        .filter(|s| s.as_str() != scopes::OFFLINE_ACCESS)
    {
        let (api, kind) = scopes::classify(s);
        let tab = match kind {
            scopes::Kind::Classic => "Classic",
            scopes::Kind::Granular => "Granular",
        };
        ticks.push_str(&format!(
            "\n      {s}  ({} → {tab} scopes)",
            api.console_name()
        ));
    }
    CliError::new(
        Exit::Timeout,
        format!(
            "no answer from the browser within {} s; nothing was stored",
            plan.timeout.as_secs()
        ),
    )
    .hint(format!(
        "if the consent page said \"Something went wrong\", a requested scope is not ticked for the app in the developer console (Permissions). These must all be ticked:{ticks}"
    ))
    .hint(format!(
        "if Atlassian showed an error about redirect_uri or unauthorized_client, the app's callback URL (Authorization → OAuth 2.0 (3LO)) must be exactly {} — 127.0.0.1 and localhost are different, and so are ports",
        plan.redirect
    ))
    .hint("if the page never opened, open the printed URL yourself; allow more time with --timeout SECS")
}

fn pick_site<'a>(
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

fn summary(ctx: &Ctx, cfg: &AuthConfig, endpoints: &Endpoints, kind: StoreKind) {
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

    fn args() -> InitArgs {
        InitArgs {
            client_id: None,
            client_secret_stdin: false,
            scopes: None,
            preset: None,
            redirect_uri: None,
            port: None,
            site: None,
            no_browser: false,
            timeout: 300,
            force: false,
        }
    }

    #[test]
    fn redirect_defaults_and_validation() {
        assert_eq!(
            redirect_uri(&args()).unwrap().as_str(),
            "http://127.0.0.1:8976/callback"
        );
        let mut a = args();
        a.port = Some(9000);
        assert_eq!(
            redirect_uri(&a).unwrap().as_str(),
            "http://127.0.0.1:9000/callback"
        );
        for bad in [
            "https://127.0.0.1:1/cb",
            "http://example.com:1/cb",
            "http://127.0.0.1/cb",
            "http://localhost:1/cb?x=1",
            "not a url",
        ] {
            let mut a = args();
            a.redirect_uri = Some(bad.into());
            assert!(redirect_uri(&a).is_err(), "{bad}");
        }
        let mut a = args();
        a.redirect_uri = Some("http://localhost:7777/oauth/cb".into());
        assert!(redirect_uri(&a).is_ok());
    }

    #[test]
    fn client_id_and_secret_checks() {
        assert_eq!(check_client_id("  AbCd1234efgh  ").unwrap(), "AbCd1234efgh");
        assert!(check_client_id("short").is_err());
        assert!(check_client_id("has space inside it").is_err());
        assert!(check_secret("", None).is_err());
        assert!(check_secret("tooshort", None).is_err());
        assert!(check_secret("a-long-enough-secret value", None).is_err());
        assert!(check_secret("AbCd1234efghIJKL", Some("AbCd1234efghIJKL")).is_err());
        assert!(check_secret("ATOA-long-enough-secret-value", Some("cid")).is_ok());
    }

    #[test]
    fn secret_check_errors_never_echo_the_secret() {
        let secret = "ATOA-secret with-space";
        let e = check_secret(secret, None).unwrap_err();
        assert!(!e.contains("ATOA"), "{e}");
    }
}
