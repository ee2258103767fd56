//! `jira-auth init`: the guided setup from nothing to a stored, working profile.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::Ctx;
use super::consent::{self, Plan};
use crate::cli::{InitArgs, StoreKind};
use crate::error::CliError;
use crate::oauth::{self, Endpoints};
use crate::say;
use crate::scopes;
use crate::store;
use crate::ui::{Prompter, browser};

pub const DEFAULT_PORT: u16 = 8976;

pub fn run(ctx: &Ctx, args: InitArgs) -> anyhow::Result<()> {
    let endpoints = Endpoints::from_env()?;
    let index = ctx.index()?;
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
    if let Some(warning) = scopes::too_many(&scopes) {
        say!("{warning}");
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
        open_browser: !args.consent.no_browser && browser::available(),
        timeout: Duration::from_secs(args.consent.timeout),
        command: "init",
    };

    // A dead keychain found after consent would waste the user's consent: check it first.
    let store = store::open(plan.store_kind, &ctx.config_dir).map_err(CliError::from)?;
    store
        .probe()
        .map_err(CliError::from)
        .context("checking the credential store before asking for consent")?;

    let cfg = consent::authorize(ctx, &endpoints, &plan, None, None)?;
    consent::save(ctx, store.as_ref(), &cfg)?;
    consent::summary(ctx, &cfg, &endpoints, plan.store_kind);
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
    if url.port() == Some(0) {
        // Binding port 0 would pick some free port, never the one in the registered URL.
        return Err(CliError::usage(format!(
            "--redirect-uri {raw}: port 0 cannot be registered as a callback; give the app's callback port (e.g. http://127.0.0.1:{DEFAULT_PORT}/callback)"
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
    if let Some(chosen) = consent::chosen_scopes(&args.scopes)? {
        return Ok(chosen);
    }
    let policy = scopes::Unknown::from_flag(args.scopes.allow_unknown_scopes);
    if !p.interactive() {
        return Err(CliError::missing(
            "scopes",
            "--scopes LIST or --preset NAME",
            "JIRA_AUTH_SCOPES or JIRA_AUTH_PRESET",
        ));
    }
    // The exact scopes go above the menu: a menu line has room for the summary only.
    say!("{}", scopes::presets_overview());
    let mut items: Vec<String> = scopes::PRESETS
        .iter()
        .map(|p| format!("{:<11} {}", p.name, p.summary))
        .collect();
    items.push("custom      choose scopes one by one".into());
    let choice = p.select("Which access does this profile need?", &items, 0)?;
    if let Some(preset) = scopes::PRESETS.get(choice) {
        return Ok(preset.request());
    }
    custom_scopes(p, policy)
}

/// A typed list as a request, with the warning for names the catalog does not know.
fn request(list: &str, policy: scopes::Unknown) -> Result<Vec<String>, CliError> {
    let parsed = scopes::parse_request(list, policy)?;
    if let Some(warning) = parsed.warning() {
        say!("{warning}");
    }
    Ok(parsed.scopes)
}

/// The classic and User Identity scopes to tick off (few, and enough for most uses), plus
/// a typed list for granular ones: the catalog has 200 of those, too many for a menu.
fn custom_scopes(p: &dyn Prompter, policy: scopes::Unknown) -> Result<Vec<String>, CliError> {
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
                        .map_err(|e| e.message)
                },
            )?;
            list.push(typed);
        }
        if !list.is_empty() {
            // One parse of everything: duplicates across the two lists go, and the warning
            // for unknown names is said once.
            return request(&list.join(" "), policy);
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
        // Wiped on drop, and large enough up front that reading never reallocates (which
        // would leave a copy of the secret behind in freed memory).
        let mut line = secrecy::zeroize::Zeroizing::new(String::with_capacity(8 * 1024 + 4));
        std::io::stdin().lock().take_line(&mut line).map_err(|e| {
            CliError::usage(format!("cannot read the client secret from stdin: {e}"))
        })?;
        let secret = SecretString::from(line.trim().to_string());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> InitArgs {
        InitArgs {
            client_id: None,
            client_secret_stdin: false,
            scopes: crate::cli::ScopeArgs {
                scopes: None,
                allow_unknown_scopes: false,
                preset: None,
            },
            redirect_uri: None,
            port: None,
            site: None,
            consent: crate::cli::ConsentArgs {
                no_browser: false,
                timeout: 300,
            },
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
