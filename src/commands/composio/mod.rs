//! `jira-auth composio …`: the other half of the job people start jira-auth for, an
//! Atlassian OAuth app handed to Composio (an agent-tools platform) as an auth config of its
//! Jira toolkit, an account connected through it, and the question "does it work?".
//! init.rs hands the app over and stores a profile of kind composio; connect.rs connects an
//! account (shared by `init --user-id`); status.rs checks it all; scopes.rs narrows or
//! widens the auth config's scopes. What they share (the profile, where Composio is, its
//! API key, the words about a failed consent) is here.
//!
//! The Composio API key comes from `COMPOSIO_API_KEY` or a hidden prompt and is never
//! stored: it opens the whole Composio project (every user's connected accounts), far more
//! than this profile, and Composio's SDK reads it from that same variable in the app, so
//! keeping a copy here would only add a place it can leak from.

mod connect;
mod init;
mod scopes;
mod status;

use secrecy::{ExposeSecret as _, SecretString};
use serde::Serialize;
use url::Url;

use super::{Ctx, Result};
use crate::cli::ComposioCommand;
use crate::composio::Project;
use crate::error::{CliError, Code};
use crate::store::model::ComposioApp;
use crate::store::{AuthConfig, Credential, Kind};

/// The profile the `composio` commands use unless `--profile` names another.
const PROFILE: &str = "composio";
/// ... and the one `composio init --sandbox` makes.
const SANDBOX_PROFILE: &str = "sandbox-composio";

/// The variables Composio's SDK reads in app code (its base URL has a default).
const SDK_ENV: [&str; 2] = ["COMPOSIO_API_KEY", "COMPOSIO_BASE_URL"];

pub(crate) fn run(ctx: &Ctx, command: ComposioCommand) -> Result {
    match command {
        ComposioCommand::Init(args) => init::run(ctx, args),
        ComposioCommand::Connect(args) => connect::run(ctx, args),
        ComposioCommand::Status(args) => status::run(ctx, args),
        ComposioCommand::Scopes(args) => scopes::run(ctx, args),
    }
}

/// The profile's name: `--profile`, else [`PROFILE`].
fn profile_name<'a>(ctx: &'a Ctx) -> &'a str {
    ctx.wanted().unwrap_or(PROFILE)
}

/// A stored Composio hand-off: the profile and its app.
struct Stored {
    cfg: AuthConfig,
    kind: Kind,
}

impl Stored {
    fn app(&self) -> &ComposioApp {
        match &self.cfg.credential {
            Credential::Composio(app) => app,
            _ => unreachable!("checked by `load`"),
        }
    }

    fn app_mut(&mut self) -> &mut ComposioApp {
        match &mut self.cfg.credential {
            Credential::Composio(app) => app,
            _ => unreachable!("checked by `load`"),
        }
    }
}

/// The selected profile, which must be a Composio hand-off.
fn load(ctx: &Ctx) -> Result<Stored> {
    let name = profile_name(ctx);
    let found = ctx.profiles.find(Some(name))?;
    let kind = found.info.store;
    let cfg = ctx.profiles.load(&found)?;
    if !matches!(cfg.credential, Credential::Composio(_)) {
        return Err(CliError::new(
            Code::MethodMismatch,
            format!(
                "profile '{name}' is a {} profile, not an app handed to Composio",
                cfg.credential.method().as_str()
            ),
        )
        .hint(
            "hand an app to Composio with `jira-auth composio init --profile NAME` (a profile of its own: `composio` unless --profile); `jira-auth status` lists the profiles",
        ));
    }
    Ok(Stored { cfg, kind })
}

/// Where Composio is and the key that opens the project: the in-command sandbox's, or
/// `COMPOSIO_BASE_URL` (else the profile's, else Composio's own) and `COMPOSIO_API_KEY`
/// (else a hidden prompt).
struct Target {
    base: Url,
    key: SecretString,
}

impl Target {
    fn resolve(ctx: &Ctx, stored_base: Option<&str>) -> Result<Target> {
        if let Some(composio) = ctx.sandbox.get().and_then(|w| w.composio.as_ref()) {
            return Ok(Target {
                base: Url::parse(&composio.server.url()).expect("the emulator's own URL"),
                key: SecretString::from(composio.api_key.clone()),
            });
        }
        let base = match (&ctx.settings.composio_base_url, stored_base) {
            (Some(url), _) => url.clone(),
            (None, Some(stored)) => Url::parse(stored).map_err(|e| {
                CliError::new(
                    Code::StoreCorrupt,
                    format!("the profile's Composio base URL \"{stored}\" is not a URL ({e})"),
                )
                .hint("hand the app over again: `jira-auth composio init --force`")
            })?,
            (None, None) => {
                Url::parse(crate::settings::DEFAULT_COMPOSIO_BASE_URL).expect("a valid constant")
            }
        };
        Ok(Target {
            base,
            key: api_key(ctx)?,
        })
    }

    fn project<'a>(&'a self, ctx: &'a Ctx) -> Result<Project<'a>> {
        Ok(Project {
            http: ctx.net.http()?,
            base: &self.base,
            key: &self.key,
        })
    }

    fn base_text(&self) -> String {
        self.base.as_str().trim_end_matches('/').to_string()
    }
}

/// `COMPOSIO_API_KEY`, else a hidden prompt; never a flag (`ps` would show it).
fn api_key(ctx: &Ctx) -> Result<SecretString> {
    let check = |key: &str| -> std::result::Result<(), String> {
        if key.is_empty() {
            return Err("the Composio API key is empty".into());
        }
        if key.chars().any(char::is_whitespace) {
            return Err("the Composio API key has spaces in it: copy it again from Composio's dashboard (Settings → API Keys)".into());
        }
        Ok(())
    };
    if let Some(key) = &ctx.settings.secrets.composio_api_key {
        let key = SecretString::from(key.expose_secret().trim().to_string());
        check(key.expose_secret())
            .map_err(|e| CliError::usage(format!("COMPOSIO_API_KEY: {e}")))?;
        return Ok(key);
    }
    let p = ctx.ui.prompter();
    if !p.interactive() {
        return Err(CliError::new(
            Code::MissingInput,
            "the Composio API key is needed and nothing can be asked (--no-input, JIRA_AUTH_NO_INPUT, or stdin is not a terminal)",
        )
        .hint("set COMPOSIO_API_KEY to the project's API key (Composio's dashboard → Settings → API Keys), as Composio's SDK reads it; it is never a flag, and jira-auth never stores it"));
    }
    loop {
        let key = p.password("Composio API key (input hidden; dashboard → Settings → API Keys)")?;
        let key = SecretString::from(key.expose_secret().trim().to_string());
        match check(key.expose_secret()) {
            Ok(()) => return Ok(key),
            Err(e) => ctx.ui.say(&e),
        }
    }
}

/// What app code needs, in every report: the auth config id, and the variables Composio's
/// SDK reads.
#[derive(Serialize)]
struct ForApps {
    auth_config_id: String,
    /// The connected account of the last `composio connect`, if any.
    connected_account_id: Option<String>,
    composio_base_url: String,
    sdk_env: [&'static str; 2],
}

impl ForApps {
    fn of(app: &ComposioApp) -> ForApps {
        ForApps {
            auth_config_id: app.auth_config_id.clone(),
            connected_account_id: app.connected_account_id.clone(),
            composio_base_url: app.base_url.clone(),
            sdk_env: SDK_ENV,
        }
    }

    /// The lines for people: the ids, and how an app uses them.
    fn say(&self, ctx: &Ctx, account: Option<(&str, &str)>) {
        let ui = ctx.ui;
        say!(ui, "For your app (Composio's SDK):");
        say!(ui, "  auth config id       {}", self.auth_config_id);
        if let Some((user, id)) = account {
            say!(ui, "  connected account    {id} (user {user})");
        }
        say!(
            ui,
            "  environment          COMPOSIO_API_KEY=<your project API key>{}",
            if self.composio_base_url == crate::settings::DEFAULT_COMPOSIO_BASE_URL {
                String::new()
            } else {
                format!(" COMPOSIO_BASE_URL={}", self.composio_base_url)
            }
        );
    }
}

/// Why Atlassian's consent page says "Something went wrong", and what to tick: the seed's
/// bare error, explained for the scopes this auth config asks for.
fn something_went_wrong(scopes: &[String], callback_url: &str) -> Vec<String> {
    let ticks = crate::scopes::console::tick_list(scopes, "  ");
    vec![
        format!(
            "Atlassian's consent page answers a bare \"Something went wrong\" when the auth config asks for a scope the app does not have ticked: in the developer console (https://developer.atlassian.com/console/myapps/ → your app → Permissions), tick exactly these, then connect again:\n{}",
            ticks.trim_end()
        ),
        format!(
            "and check the app's callback URL (Authorization → OAuth 2.0 (3LO)) is Composio's, {callback_url}, as the auth config's page in Composio's dashboard shows it"
        ),
    ]
}

/// The scopes requested of Atlassian, offline_access included (Composio renews the token
/// with its refresh token).
fn with_offline_access(scopes: Vec<String>) -> Vec<String> {
    crate::scopes::with_offline_access(scopes)
}
