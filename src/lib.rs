//! jira-auth: set up and keep alive access to Jira Cloud (OAuth 2.0 3LO, service accounts,
//! API tokens) and Jira Data Center (OAuth 2.0 with PKCE, service accounts, personal access
//! tokens). `run` is the whole program behind `main` — settings resolved, the command
//! dispatched with its context — callable in-process with any environment and `Ui`.
//! ARCHITECTURE.md draws the layers.

// The public surface is what `main.rs`, the tests, the benchmark's seeder and the fuzz target
// use; everything else is the crate's own (`unreachable_pub` keeps `pub` honest inside).
pub mod cli;
pub mod error;
pub mod settings;
pub mod ui;

mod atlassian;
mod commands;
mod composio;
mod fault;
mod net;
mod oauth;
mod profile;
mod proxy;
mod sandbox;
mod scopes;
mod store;

/// docs/reference.md's generator, for the test that keeps the file current.
pub use commands::man::reference;
/// The callback listener's request path, for the fuzz target (`fuzz/`; unit tests keep it
/// compiling).
#[cfg(any(fuzzing, test))]
pub use oauth::callback::fuzz_request;
/// A profile saved as `init` saves it, for the benchmark's seeder (examples/seed_profile.rs).
pub use profile::Profiles;
/// What a profile stores, for the same seeder.
pub use store::{Kind, model};

use std::process::ExitCode;

use cli::{Cli, Command};
use commands::Ctx;
use error::CliError;
use net::Net;
use settings::{Env, EnvSecrets, Settings};
use ui::Ui;

/// Runs one command. The exit code is ours (0) except for `exec`, which passes on its
/// child's. `secrets` are those of the environment, which `main` takes out of it before
/// anything else runs.
pub fn run(cli: Cli, env: &Env, secrets: EnvSecrets, ui: &Ui) -> Result<ExitCode, CliError> {
    let done = |r: Result<(), CliError>| r.map(|()| ExitCode::SUCCESS);
    // These two describe the command line only: no settings, config dir, profile or store
    // are involved, so they work on a machine where those cannot be found.
    match &cli.command {
        Command::Completions(args) => return done(commands::completions::run(ui, args.shell)),
        Command::Man => return done(commands::man::run(ui)),
        _ => {}
    }
    let settings = Settings {
        secrets,
        ..Settings::resolve(env)?
    };
    fault::arm(settings.panic_at.as_deref());
    let profiles = Profiles::new(settings.store.clone(), settings.cache);
    let net = Net::new(settings.http_timeout);
    // An emulated Atlassian, started only by `init --sandbox` or for a sandbox profile.
    let sandbox = std::cell::OnceCell::new();
    let ctx = Ctx {
        global: &cli.global,
        json: cli.json(),
        settings: &settings,
        ui,
        profiles: &profiles,
        net: &net,
        sandbox: &sandbox,
    };
    match cli.command {
        Command::Init(args) => done(commands::init::run(&ctx, args)),
        Command::Login(args) => done(commands::login::run(&ctx, args)),
        Command::Status(args) => done(commands::status::run(&ctx, args)),
        Command::Switch(args) => done(commands::switch::run(&ctx, args)),
        Command::Logout(args) => done(commands::logout::run(&ctx, args)),
        Command::Token(args) => done(commands::token::run_token(&ctx, args)),
        Command::Header(args) => done(commands::token::run_header(&ctx, &args)),
        Command::Exec(args) => commands::exec::run(&ctx, args),
        Command::Scopes(cmd) => done(commands::scopes::run(&ctx, cmd)),
        Command::Doctor(_) => done(commands::doctor::run(&ctx)),
        Command::Sites(args) => done(commands::sites::run(&ctx, args)),
        Command::Sandbox(args) => done(commands::sandbox::run(&ctx, args)),
        Command::Proxy(args) => commands::proxy::run(&ctx, args),
        Command::Composio(cmd) => done(commands::composio::run(&ctx, cmd)),
        Command::Completions(_) | Command::Man => unreachable!("handled before the settings"),
    }
}
