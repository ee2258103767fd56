//! What `init` reads alike for every method, from a flag, the environment or a prompt: the
//! client id, a secret (never from a flag's value: `ps` would show it), the email (site.rs:
//! the site). Stateless mode checks its environment with the same functions.

use secrecy::{ExposeSecret, SecretString};

use crate::commands::{Ctx, Result};
use crate::error::CliError;
use crate::ui::Ui;

/// Where a method's client id and secret come from, for the words of a bad value's error.
#[derive(Clone, Copy)]
pub(crate) enum Console {
    /// developer.atlassian.com: an OAuth 2.0 (3LO) app.
    Developer,
    /// admin.atlassian.com: a service account's OAuth 2.0 credential.
    Admin,
    /// A Jira Data Center instance: its incoming application link.
    DataCenter,
    /// A Jira Data Center instance: a service account's OAuth 2.0 credentials.
    DataCenterServiceAccount,
}

impl Console {
    fn place(self) -> &'static str {
        match self {
            Console::Developer => "the developer console → your app → Settings",
            Console::Admin => {
                "admin.atlassian.com → Directory → Service accounts → the account's OAuth 2.0 credential"
            }
            Console::DataCenter => {
                "Jira's Administration → Applications → Application links → the incoming link → Credentials"
            }
            Console::DataCenterServiceAccount => {
                "Jira's Administration → Service accounts → the account's OAuth 2.0 credentials"
            }
        }
    }
}

/// `--client-id` (or `JIRA_AUTH_CLIENT_ID`), else a prompt.
pub(in crate::commands) fn client_id(
    ui: &Ui,
    given: Option<&str>,
    console: Console,
) -> Result<String> {
    let p = ui.prompter();
    match given {
        Some(v) => check_client_id(v, console).map_err(CliError::usage),
        None if p.interactive() => {
            Ok(p.input("Client ID", &|s| check_client_id(s, console).map(|_| ()))?)
        }
        None => Err(CliError::missing(
            "client id",
            "--client-id",
            "JIRA_AUTH_CLIENT_ID",
        )),
    }
}

/// Client IDs are printable tokens of letters and digits (32 characters at Atlassian today;
/// we allow a range so a format change does not lock people out).
pub(crate) fn check_client_id(raw: &str, console: Console) -> std::result::Result<String, String> {
    let id = raw.trim();
    if id.is_empty() {
        return Err("the client id is empty".into());
    }
    // Atlassian's client secrets start with ATOA; client ids never do. Never echoed.
    if id.starts_with("ATOA") {
        return Err(format!(
            "that looks like the client secret (it starts with ATOA), not the client id: copy the Client ID from {}; give the secret by JIRA_AUTH_CLIENT_SECRET, --client-secret-stdin or the prompt, and if it went into a command line or your shell history, regenerate it",
            console.place()
        ));
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
            "the client id contains {c:?}; copy it again from {}",
            console.place()
        ));
    }
    Ok(id.to_string())
}

/// Checks a pasted secret (`what`: "client secret", "API token") without ever showing it.
fn check_pasted(what: &str, secret: &str) -> std::result::Result<(), String> {
    if secret.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    if secret.len() < 16 || secret.len() > 1024 {
        return Err(format!(
            "the {what} should be 16 to 1024 characters long (got {})",
            secret.len()
        ));
    }
    if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the {what} contains spaces or control characters; copy it again"
        ));
    }
    Ok(())
}

/// Checks a pasted client secret without ever showing it.
pub(crate) fn check_secret(
    secret: &str,
    client_id: Option<&str>,
    console: Console,
) -> std::result::Result<(), String> {
    check_pasted("client secret", secret)?;
    if client_id == Some(secret) {
        return Err(format!(
            "that is the client id, not the secret ({})",
            console.place()
        ));
    }
    Ok(())
}

fn check_api_token(token: &str) -> std::result::Result<(), String> {
    check_pasted("API token", token)
}

/// One secret of `init`: from stdin when its flag says so, else the environment, else a
/// hidden prompt.
pub(in crate::commands) struct SecretInput<'a> {
    /// "client secret", "API token".
    pub what: &'static str,
    pub stdin_flag: &'static str,
    pub env: &'static str,
    pub from_stdin: bool,
    pub from_env: Option<&'a SecretString>,
    pub check: &'a dyn Fn(&str) -> std::result::Result<(), String>,
}

pub(in crate::commands) fn secret(ui: &Ui, input: SecretInput) -> Result<SecretString> {
    let what = input.what;
    let source_err = |from: &str, e: String| CliError::usage(format!("{what} from {from}: {e}"));
    if input.from_stdin && !ui.stdin_is_terminal() {
        let secret = ui
            .read_secret_line()
            .map_err(|e| CliError::usage(format!("cannot read the {what} from stdin: {e}")))?;
        (input.check)(secret.expose_secret()).map_err(|e| source_err("stdin", e))?;
        return Ok(secret);
    }
    if !input.from_stdin
        && let Some(s) = input.from_env
    {
        let secret = SecretString::from(s.expose_secret().trim().to_string());
        (input.check)(secret.expose_secret()).map_err(|e| source_err(input.env, e))?;
        return Ok(secret);
    }
    let p = ui.prompter();
    if !p.interactive() {
        return Err(CliError::missing(what, input.stdin_flag, input.env));
    }
    let mut label = format!("{what} (input hidden)");
    label[..1].make_ascii_uppercase();
    loop {
        let secret = p.password(&label)?;
        let trimmed = SecretString::from(secret.expose_secret().trim().to_string());
        match (input.check)(trimmed.expose_secret()) {
            Ok(()) => return Ok(trimmed),
            Err(e) => ui.say(&e),
        }
    }
}

/// The client secret: `--client-secret-stdin`, `JIRA_AUTH_CLIENT_SECRET` or a prompt.
pub(in crate::commands) fn client_secret(
    ctx: &Ctx,
    from_stdin: bool,
    client_id: &str,
    console: Console,
) -> Result<SecretString> {
    secret(
        ctx.ui,
        SecretInput {
            what: "client secret",
            stdin_flag: "--client-secret-stdin",
            env: crate::settings::CLIENT_SECRET,
            from_stdin,
            from_env: ctx.settings.secrets.client_secret.as_ref(),
            check: &|s| check_secret(s, Some(client_id), console),
        },
    )
}

/// The API token: `--api-token-stdin`, `JIRA_AUTH_API_TOKEN` or a prompt.
pub(in crate::commands) fn api_token(ctx: &Ctx, from_stdin: bool) -> Result<SecretString> {
    secret(
        ctx.ui,
        SecretInput {
            what: "API token",
            stdin_flag: "--api-token-stdin",
            env: crate::settings::API_TOKEN,
            from_stdin,
            from_env: ctx.settings.secrets.api_token.as_ref(),
            check: &check_api_token,
        },
    )
}

/// A Data Center personal access token: `--pat-stdin`, `JIRA_AUTH_PAT` or a prompt.
pub(in crate::commands) fn pat(ctx: &Ctx, from_stdin: bool) -> Result<SecretString> {
    secret(
        ctx.ui,
        SecretInput {
            what: "personal access token",
            stdin_flag: "--pat-stdin",
            env: crate::settings::PAT,
            from_stdin,
            from_env: ctx.settings.secrets.pat.as_ref(),
            check: &|s| check_pasted("personal access token", s),
        },
    )
}

/// `--email` (or `JIRA_AUTH_EMAIL`), else a prompt.
pub(in crate::commands) fn email(ui: &Ui, given: Option<&str>) -> Result<String> {
    let p = ui.prompter();
    match given {
        Some(v) => check_email(v).map_err(|e| CliError::usage(format!("--email {v}: {e}"))),
        None if p.interactive() => Ok(p.input(
            "Email of the Atlassian account the token belongs to",
            &|s| check_email(s).map(|_| ()),
        )?),
        None => Err(CliError::missing(
            "email of the token's account",
            "--email",
            "JIRA_AUTH_EMAIL",
        )),
    }
}

fn check_email(raw: &str) -> std::result::Result<String, String> {
    let email = raw.trim();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(user, domain)| {
            !user.is_empty() && domain.contains('.') && !domain.contains('@')
        });
    if valid {
        Ok(email.to_string())
    } else {
        Err("it is not an email address (the Atlassian account's, e.g. ada@example.com)".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_and_secret_checks() {
        let dev = Console::Developer;
        assert_eq!(
            check_client_id("  AbCd1234efgh  ", dev).unwrap(),
            "AbCd1234efgh"
        );
        assert!(check_client_id("short", dev).is_err());
        assert!(check_client_id("has space inside it", dev).is_err());
        assert!(check_secret("", None, dev).is_err());
        assert!(check_secret("tooshort", None, dev).is_err());
        assert!(check_secret("a-long-enough-secret value", None, dev).is_err());
        assert!(check_secret("AbCd1234efghIJKL", Some("AbCd1234efghIJKL"), dev).is_err());
        assert!(check_secret("ATOA-long-enough-secret-value", Some("cid"), dev).is_ok());
        let e = check_client_id("bad/id-12345", Console::Admin).unwrap_err();
        assert!(e.contains("admin.atlassian.com"), "{e}");
    }

    #[test]
    fn a_client_secret_given_as_the_client_id_is_refused_and_never_echoed() {
        let secret = "ATOAabcdef0123456789abcdef0123456789";
        let e = check_client_id(secret, Console::Developer).unwrap_err();
        assert!(
            e.contains("looks like the client secret") && !e.contains(secret),
            "{e}"
        );
    }

    #[test]
    fn secret_check_errors_never_echo_the_secret() {
        let secret = "ATOA-secret with-space";
        let e = check_secret(secret, None, Console::Developer).unwrap_err();
        assert!(!e.contains("ATOA"), "{e}");
        let e = check_api_token("ATATT-token with-space").unwrap_err();
        assert!(!e.contains("ATATT"), "{e}");
    }

    #[test]
    fn emails_are_checked_loosely() {
        assert_eq!(check_email(" ada@example.com ").unwrap(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a da@example.com",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
