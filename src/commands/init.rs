//! `jira-auth init`: the guided setup from nothing to a stored, working profile.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::consent::{self, Plan};
use super::{Ctx, Result};
use crate::cli::InitArgs;
use crate::error::{CliError, Context as _, redirect_flag};
use crate::oauth::RedirectUri;
use crate::oauth::redirect::DEFAULT_PORT;
use crate::scopes;
use crate::store::Kind;
use crate::ui::{PromptError, Ui};

pub fn run(ctx: &Ctx, args: InitArgs) -> Result {
    let index = ctx.profiles.index()?;
    let profile = ctx.profiles.select(ctx.wanted(), &index)?;
    let ui = ctx.ui;
    let p = ui.prompter();

    if index.profiles.contains_key(&profile) && !args.force {
        if !p.interactive() {
            return Err(
                CliError::usage(format!("profile '{profile}' already exists"))
                    .hint("replace it with --force, or choose another name with --profile NAME"),
            );
        }
        // "No" (or Escape) is an answer, not a failure: nothing to do, and nothing done.
        let replace = match p.confirm(&format!("Profile '{profile}' exists. Replace it?"), false) {
            Err(PromptError::Cancelled) => false,
            answer => answer?,
        };
        if !replace {
            say!(ui, "Kept profile '{profile}' as it is; nothing changed.");
            if ctx.global.json {
                ctx.ui
                    .print_json(&serde_json::json!({ "profile": profile, "replaced": false }))?;
            }
            return Ok(());
        }
    }

    let redirect = redirect_uri(&args)?;
    // A --site that names no site at all would only be found out after the consent.
    if let Some(site) = &args.site {
        crate::atlassian::check_site_form(site)?;
    }
    let scopes = resolve_scopes(ui, &args)?;
    consent::warn_if_too_many(ui, &scopes);

    // The checklist is for the person about to create the app and paste its id; a script
    // has done that already (and gets the same facts in the timeout error if it did not).
    if p.interactive() {
        ui.say(&scopes::console::console_checklist(
            &scopes,
            redirect.as_str(),
        ));
    }

    let client_id = match args.client_id.as_deref() {
        Some(v) => check_client_id(v).map_err(CliError::usage)?,
        None if p.interactive() => p.input("Client ID", &|s| check_client_id(s).map(|_| ()))?,
        None => {
            return Err(CliError::missing(
                "client id",
                "--client-id",
                "JIRA_AUTH_CLIENT_ID",
            ));
        }
    };
    let client_secret = client_secret(ctx, &args)?;

    let store_kind = ctx.global.store.unwrap_or(Kind::Keychain);
    let plan = Plan {
        profile,
        redirect,
        scopes,
        client_id,
        client_secret,
        site: args.site.clone(),
        open_browser: !args.consent.no_browser && ui.browser_available(),
        timeout: Duration::from_secs(args.consent.timeout),
        command: "init",
    };

    // A dead keychain found after consent would waste the user's consent: check it first.
    ctx.profiles
        .probe(store_kind)
        .context("checking the credential store before asking for consent")?;

    let cfg = consent::authorize(ctx, &plan, None, None)?;
    ctx.profiles.save(&cfg, store_kind)?;
    consent::summary(ctx, &cfg, store_kind)
}

/// `--redirect-uri`, else the default callback on `--port` (or 8976).
fn redirect_uri(args: &InitArgs) -> Result<RedirectUri> {
    match (&args.redirect_uri, args.port) {
        (Some(raw), _) => {
            let raw = raw.trim();
            RedirectUri::parse(raw).map_err(|e| redirect_flag(raw, e))
        }
        // clap has checked the range (1-65535), for the flag and for JIRA_AUTH_PORT.
        (None, port) => {
            let port = port.unwrap_or(DEFAULT_PORT);
            RedirectUri::on_port(port).map_err(|e| CliError::usage(format!("--port {port}: {e}")))
        }
    }
}

fn resolve_scopes(ui: &Ui, args: &InitArgs) -> Result<Vec<String>> {
    if let Some(chosen) = consent::chosen_scopes(ui, &args.scopes)? {
        return Ok(chosen);
    }
    let p = ui.prompter();
    let policy = scopes::Unknown::from_flag(args.scopes.allow_unknown_scopes);
    if !p.interactive() {
        return Err(CliError::missing(
            "scopes",
            "--scopes LIST or --preset NAME",
            "JIRA_AUTH_SCOPES or JIRA_AUTH_PRESET",
        ));
    }
    // The exact scopes go above the menu: a menu line has room for the summary only.
    ui.say(&scopes::console::presets_overview());
    let mut items: Vec<String> = scopes::PRESETS
        .iter()
        .map(|p| format!("{:<11} {}", p.name, p.summary))
        .collect();
    items.push("custom      choose scopes one by one".into());
    let choice = p.select("Which access does this profile need?", &items, 0)?;
    if let Some(preset) = scopes::PRESETS.get(choice) {
        return Ok(preset.request());
    }
    custom_scopes(ui, policy)
}

/// The classic and User Identity scopes to tick off (few, and enough for most uses), plus
/// a typed list for granular ones: the catalog has 200 of those, too many for a menu.
fn custom_scopes(ui: &Ui, policy: scopes::Unknown) -> Result<Vec<String>> {
    let p = ui.prompter();
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
                        .map_err(|e| CliError::from(e).message())
                },
            )?;
            list.push(typed);
        }
        if !list.is_empty() {
            // One parse of everything: duplicates across the two lists go, and the warning
            // for unknown names is said once.
            let parsed = scopes::parse_request(&list.join(" "), policy)?;
            return Ok(consent::requested(ui, parsed));
        }
        ui.say("Pick at least one scope.");
    }
}

/// Client IDs are printable tokens of letters and digits (32 characters at Atlassian today;
/// we allow a range so a format change does not lock people out).
fn check_client_id(raw: &str) -> std::result::Result<String, String> {
    let id = raw.trim();
    if id.is_empty() {
        return Err("the client id is empty".into());
    }
    // Atlassian's client secrets start with ATOA; client ids never do. Never echoed.
    if id.starts_with("ATOA") {
        return Err("that looks like the client secret (it starts with ATOA), not the client id: copy the Client ID from the developer console → your app → Settings; give the secret by JIRA_AUTH_CLIENT_SECRET, --client-secret-stdin or the prompt, and if it went into a command line or your shell history, regenerate it in the console".into());
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
fn check_secret(secret: &str, client_id: Option<&str>) -> std::result::Result<(), String> {
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

fn client_secret(ctx: &Ctx, args: &InitArgs) -> Result<SecretString> {
    let source_err =
        |from: &str, e: String| CliError::usage(format!("client secret from {from}: {e}"));
    let id = args.client_id.as_deref().map(str::trim);
    let ui = ctx.ui;
    if args.client_secret_stdin && !ui.stdin_is_terminal() {
        let secret = ui.read_secret_line().map_err(|e| {
            CliError::usage(format!("cannot read the client secret from stdin: {e}"))
        })?;
        check_secret(secret.expose_secret(), id).map_err(|e| source_err("stdin", e))?;
        return Ok(secret);
    }
    if !args.client_secret_stdin
        && let Some(s) = &ctx.settings.client_secret
    {
        let secret = SecretString::from(s.expose_secret().trim().to_string());
        check_secret(secret.expose_secret(), id)
            .map_err(|e| source_err("JIRA_AUTH_CLIENT_SECRET", e))?;
        return Ok(secret);
    }
    let p = ui.prompter();
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
            Err(e) => ui.say(&e),
        }
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
        a.port = Some(80);
        assert!(
            redirect_uri(&a)
                .unwrap_err()
                .message()
                .starts_with("--port 80: port 80 is http's default"),
            "said of --port, not of a --redirect-uri nobody gave"
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
        a.redirect_uri = Some("http://127.0.0.1/cb".into());
        assert_eq!(
            redirect_uri(&a).unwrap_err().message(),
            "--redirect-uri http://127.0.0.1/cb: give an explicit port (e.g. http://127.0.0.1:8976/callback)"
        );
        a.redirect_uri = Some("nope".into());
        assert!(
            redirect_uri(&a)
                .unwrap_err()
                .message()
                .starts_with("--redirect-uri nope is not a URL: "),
        );
    }

    #[test]
    fn client_id_and_secret_checks() {
        assert_eq!(check_client_id("  AbCd1234efgh  ").unwrap(), "AbCd1234efgh");
        assert!(check_client_id("short").is_err());
        assert!(check_client_id("has space inside it").is_err());
        let secret = "ATOAabcdef0123456789abcdef0123456789";
        let e = check_client_id(secret).unwrap_err();
        assert!(
            e.contains("looks like the client secret") && !e.contains(secret),
            "{e}"
        );
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
