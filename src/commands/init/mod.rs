//! `jira-auth init`: the setup from nothing to a stored, working profile, one file per
//! `--method`: oauth.rs (the guided 3LO setup: console checklist, consent, site),
//! service_account.rs (client credentials, no browser), api_token.rs (an account's API
//! token, verified before it is stored), pat.rs (a Data Center personal access token, the
//! same), datacenter.rs (a Data Center instance's own OAuth 2.0, which oauth.rs hands over
//! to when --site is one). What they read alike is input.rs.

mod api_token;
mod datacenter;
mod oauth;
mod pat;
mod sandbox;
mod service_account;

use super::{Ctx, Result};
use crate::cli::InitArgs;
use crate::error::{CliError, Code};
use crate::store::{Kind, Method};
use crate::ui::PromptError;

pub(crate) fn run(ctx: &Ctx, args: InitArgs) -> Result {
    refuse_what_the_method_ignores(&args)?;
    let index = ctx.profiles.index()?;
    if args.sandbox {
        if args.deployment == Some(crate::store::Deployment::DataCenter) {
            return Err(CliError::usage(
                "the sandbox emulates Jira Cloud; --deployment data-center does not go with --sandbox",
            )
            .hint("drop --deployment (or JIRA_AUTH_DEPLOYMENT) to rehearse the Cloud setup"));
        }
        return sandbox::run(ctx, args, &index);
    }
    let profile = ctx.profiles.select(ctx.wanted(), &index)?;
    let p = ctx.ui.prompter();
    if index.profiles.contains_key(&profile) && !args.force {
        if !p.interactive() {
            return Err(CliError::new(
                Code::ProfileExists,
                format!("profile '{profile}' already exists"),
            )
            .hint("replace it with --force, or choose another name with --profile NAME"));
        }
        // "No" (or Escape) is an answer, not a failure: nothing to do, and nothing done.
        let replace = match p.confirm(&format!("Profile '{profile}' exists. Replace it?"), false) {
            Err(PromptError::Cancelled) => false,
            answer => answer?,
        };
        if !replace {
            say!(
                ctx.ui,
                "Kept profile '{profile}' as it is; nothing changed."
            );
            if ctx.json {
                ctx.ui
                    .print_json(&serde_json::json!({ "profile": profile, "replaced": false }));
            }
            return Ok(());
        }
    }
    let store = ctx.global.store.unwrap_or(Kind::Keychain);
    match args.method {
        Method::OAuth => oauth::run(ctx, args, profile, store),
        Method::ServiceAccount => service_account::run(ctx, args, profile, store),
        Method::ApiToken => api_token::run(ctx, args, profile, store),
        Method::Pat => pat::run(ctx, args, profile, store),
        // Not a value of --method (clap skips it): `jira-auth composio init`.
        Method::Composio => Err(CliError::usage(
            "a Composio hand-off is set up by `jira-auth composio init`",
        )),
    }
}

/// An option that does nothing for the chosen method is refused, whether it came as a flag
/// or from the environment: a `--scopes` that a service account cannot honour, say, is a
/// mistake to point out, not to skip over.
fn refuse_what_the_method_ignores(args: &InitArgs) -> Result {
    let given: [(&str, bool, &[Method]); 13] = [
        ("--sandbox", args.sandbox, &[Method::OAuth]),
        (
            "--client-id (JIRA_AUTH_CLIENT_ID)",
            args.client_id.is_some(),
            &[Method::OAuth, Method::ServiceAccount],
        ),
        (
            "--client-secret-stdin",
            args.client_secret_stdin,
            &[Method::OAuth, Method::ServiceAccount],
        ),
        (
            "--email (JIRA_AUTH_EMAIL)",
            args.email.is_some(),
            &[Method::ApiToken],
        ),
        (
            "--api-token-stdin",
            args.api_token_stdin,
            &[Method::ApiToken],
        ),
        ("--pat-stdin", args.pat_stdin, &[Method::Pat]),
        (
            "--scopes (JIRA_AUTH_SCOPES)",
            args.scopes.scopes.is_some(),
            &[Method::OAuth, Method::ServiceAccount],
        ),
        (
            "--preset (JIRA_AUTH_PRESET)",
            args.scopes.preset.is_some(),
            &[Method::OAuth, Method::ServiceAccount],
        ),
        (
            "--redirect-uri (JIRA_AUTH_REDIRECT_URI)",
            args.redirect_uri.is_some(),
            &[Method::OAuth],
        ),
        (
            "--port (JIRA_AUTH_PORT)",
            args.port.is_some(),
            &[Method::OAuth],
        ),
        ("--no-browser", args.consent.no_browser, &[Method::OAuth]),
        (
            "--paste (JIRA_AUTH_PASTE)",
            args.consent.paste,
            &[Method::OAuth],
        ),
        (
            "--cloud-id (JIRA_AUTH_CLOUD_ID)",
            args.cloud_id.is_some(),
            &[Method::ServiceAccount, Method::ApiToken],
        ),
    ];
    let ignored: Vec<&str> = given
        .iter()
        .filter(|(_, set, methods)| *set && !methods.contains(&args.method))
        .map(|(name, _, _)| *name)
        .collect();
    if ignored.is_empty() {
        return Ok(());
    }
    let why = match args.method {
        Method::ServiceAccount => {
            "a service account gets its scopes in admin.atlassian.com, needs no browser or callback, and takes no email"
        }
        Method::ApiToken => {
            "an API token gets its scopes when it is created, and needs no client, browser or callback"
        }
        Method::OAuth => "for an OAuth app, --site names the site (a cloud id works there too)",
        _ if args.sandbox => {
            "the sandbox rehearses the OAuth setup; `jira-auth sandbox` serves a service account and an API token to try the other methods with"
        }
        Method::Pat => {
            "a personal access token needs only the Data Center instance (--site) and the token (JIRA_AUTH_PAT or --pat-stdin)"
        }
        Method::Composio => "`jira-auth composio init` sets up a Composio hand-off",
    };
    Err(CliError::usage(format!(
        "--method {} does not use {}: {why}",
        args.method.as_str(),
        ignored.join(", ")
    ))
    .hint("drop it (or unset the variable), or choose the --method it belongs to"))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) fn args() -> InitArgs {
        InitArgs {
            method: Method::OAuth,
            client_id: None,
            client_secret_stdin: false,
            email: None,
            api_token_stdin: false,
            pat_stdin: false,
            deployment: None,
            scopes: crate::cli::ScopeArgs {
                scopes: None,
                allow_unknown_scopes: false,
                preset: None,
            },
            redirect_uri: None,
            port: None,
            site: None,
            cloud_id: None,
            consent: crate::cli::ConsentArgs {
                no_browser: false,
                paste: false,
                timeout: 300,
            },
            force: false,
            sandbox: false,
            output: Default::default(),
        }
    }

    #[test]
    fn options_of_another_method_are_refused_by_name() {
        let mut a = args();
        a.method = Method::ServiceAccount;
        a.client_id = Some("x".into());
        a.cloud_id = Some("c".into());
        assert!(refuse_what_the_method_ignores(&a).is_ok());
        a.scopes.preset = Some("read-only".into());
        assert!(refuse_what_the_method_ignores(&a).is_ok());
        a.redirect_uri = Some("http://127.0.0.1:1/callback".into());
        a.port = Some(1);
        let e = refuse_what_the_method_ignores(&a).unwrap_err();
        assert!(
            e.message().starts_with(
                "--method service-account does not use --redirect-uri (JIRA_AUTH_REDIRECT_URI), --port (JIRA_AUTH_PORT): "
            ),
            "{}",
            e.message()
        );
        let mut a = args();
        a.method = Method::ApiToken;
        a.client_secret_stdin = true;
        assert!(refuse_what_the_method_ignores(&a).is_err());
        let mut a = args();
        a.cloud_id = Some("c".into());
        let e = refuse_what_the_method_ignores(&a).unwrap_err();
        assert!(e.message().contains("--cloud-id"), "{}", e.message());
    }
}
