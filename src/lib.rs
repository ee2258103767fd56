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

use std::process::ExitCode;

use secrecy::SecretString;

use cli::{Cli, Command};
use commands::Ctx;

/// What `main` takes from the process environment before anything else runs.
#[derive(Default)]
pub struct Startup {
    pub env_client_secret: Option<SecretString>,
}

/// Debug builds only: with `JIRA_AUTH_TEST_PANIC_AT=NAME` the program panics at the point
/// called NAME, so that tests can check that a panic while secrets are in memory prints none
/// of them (with `RUST_BACKTRACE=1` too). Release builds compile this to nothing.
pub fn fault_point(name: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("JIRA_AUTH_TEST_PANIC_AT").is_ok_and(|v| v == name) {
        panic!("forced panic at '{name}' (JIRA_AUTH_TEST_PANIC_AT)");
    }
    #[cfg(not(debug_assertions))]
    let _ = name;
}

/// Runs one command. The exit code is ours (0) except for `exec`, which passes on its child's.
pub fn run(cli: Cli, startup: Startup) -> anyhow::Result<ExitCode> {
    let done = |r: anyhow::Result<()>| r.map(|()| ExitCode::SUCCESS);
    // These two describe the command line only: no config dir, profile or store is involved,
    // so they work on a machine where those cannot be found.
    match &cli.command {
        Command::Completions(args) => {
            return done(commands::completions::run(&cli.global, args.shell));
        }
        Command::Man => return done(commands::man::run(&cli.global)),
        _ => {}
    }
    let ctx = Ctx {
        config_dir: store::config_dir()?,
        prompter: ui::prompter(cli.global.no_input),
        global: cli.global,
        env_client_secret: startup.env_client_secret,
    };
    match cli.command {
        Command::Init(args) => done(commands::init::run(&ctx, args)),
        Command::Login(args) => done(commands::login::run(&ctx, args)),
        Command::Status => done(commands::status::run(&ctx)),
        Command::Logout(args) => done(commands::logout::run(&ctx, args)),
        Command::Token(args) => done(commands::token::run_token(&ctx, args)),
        Command::Header(args) => done(commands::token::run_header(&ctx, args)),
        Command::Exec(args) => commands::exec::run(&ctx, args),
        Command::Scopes(cmd) => done(commands::scopes::run(&ctx, cmd)),
        Command::Doctor => done(commands::doctor::run(&ctx)),
        Command::Sites(args) => done(commands::sites::run(&ctx, args)),
        Command::Completions(_) | Command::Man => unreachable!("handled before the context"),
    }
}
