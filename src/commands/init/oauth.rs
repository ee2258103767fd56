//! `jira-auth init --method oauth` (the default): the guided setup of an OAuth 2.0 (3LO)
//! app, from the console checklist through consent to a stored, working profile.

use secrecy::SecretString;

use crate::cli::InitArgs;
use crate::commands::shared::consent::{self, Plan};
use crate::commands::shared::input::{self, Console};
use crate::commands::shared::saved;
use crate::commands::shared::scope_choice;
use crate::commands::shared::site;
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Context as _, redirect_flag};
use crate::oauth::redirect::DEFAULT_PORT;
use crate::oauth::{AuthServer, RedirectUri};
use crate::scopes;
use crate::store::Kind;
use crate::ui::Ui;

pub(super) fn run(ctx: &Ctx, args: InitArgs, profile: String, store_kind: Kind) -> Result {
    let ui = ctx.ui;
    let p = ui.prompter();
    // Before anything is asked: a consent that could only time out fails at once.
    let way = consent::Way::decide(ctx, &args.consent)?;
    let redirect = redirect_uri(&args)?;
    // A --site that may be a Data Center base URL is asked which it is (or --deployment
    // says); that instance's own OAuth is another setup.
    if let Some(detected) =
        site::data_center_if_so(ctx, args.site.as_deref(), args.deployment, "oauth")?
    {
        let how = super::datacenter::How {
            detected,
            redirect,
            way,
        };
        return super::datacenter::run(ctx, args, profile, store_kind, how);
    }
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

    consent_and_save(
        ctx,
        &args,
        store_kind,
        Console::Developer,
        |client_id, client_secret| Plan {
            profile,
            redirect,
            scopes,
            client_id,
            client_secret,
            site: args.site.clone(),
            way,
            command: "init",
            server: AuthServer::atlassian(ctx.endpoints()),
        },
    )
}

/// What the Cloud and the Data Center wizards do alike once the scopes and the callback are
/// known: the app's client id and secret (`plan` makes the consent's plan of them), a store
/// that works, the consent, the profile saved and said.
pub(super) fn consent_and_save(
    ctx: &Ctx,
    args: &InitArgs,
    store_kind: Kind,
    console: Console,
    plan: impl FnOnce(String, SecretString) -> Plan,
) -> Result {
    let client_id = input::client_id(ctx.ui, args.client_id.as_deref(), console)?;
    let client_secret = input::client_secret(ctx, args.client_secret_stdin, &client_id, console)?;
    let plan = plan(client_id, client_secret);
    // A dead keychain found after consent would waste the user's consent: check it first.
    ctx.profiles
        .probe(store_kind)
        .context("checking the credential store before asking for consent")?;
    let cfg = consent::authorize(ctx, &plan, None, None)?;
    ctx.profiles.save(&cfg, store_kind)?;
    saved::summary(ctx, &cfg, store_kind, None)
}

/// `--redirect-uri`, else the default callback on `--port` (or 8976).
pub(super) fn redirect_uri(args: &InitArgs) -> Result<RedirectUri> {
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

pub(super) fn resolve_scopes(ui: &Ui, args: &InitArgs) -> Result<Vec<String>> {
    scope_choice::cloud(ui, &args.scopes)
}

#[cfg(test)]
mod tests {
    use super::super::tests::args;
    use super::*;

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
}
