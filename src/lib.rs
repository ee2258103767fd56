//! jira-auth: set up and keep alive OAuth 2.0 access to Jira Cloud. `run` is the whole
//! program behind `main`, callable in-process by tests.

pub mod atlassian;
pub mod cli;
pub mod commands;
pub mod error;
pub mod oauth;
pub mod scopes;
pub mod store;
pub mod ui;

use secrecy::SecretString;

use cli::{Cli, Command};
use commands::Ctx;

/// What `main` takes from the process environment before anything else runs.
#[derive(Default)]
pub struct Startup {
    pub env_client_secret: Option<SecretString>,
}

pub fn run(cli: Cli, startup: Startup) -> anyhow::Result<()> {
    let ctx = Ctx {
        config_dir: store::config_dir()?,
        prompter: ui::prompter(cli.global.no_input),
        global: cli.global,
        env_client_secret: startup.env_client_secret,
    };
    match cli.command {
        Command::Init(args) => commands::init::run(&ctx, args),
        Command::Status => commands::status::run(&ctx),
        Command::Logout(args) => commands::logout::run(&ctx, args),
    }
}
