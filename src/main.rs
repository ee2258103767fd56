//! Entry point: parse, set up logging and colors, run, and turn the outcome into an exit code.

use std::process::ExitCode;

use clap::Parser;
use jira_auth::cli::{Cli, ColorChoice};
use jira_auth::error::{Exit, exit_of, render};
use secrecy::SecretString;

fn main() -> ExitCode {
    // Taken out before any thread exists (removing env vars is only sound then), so the
    // browser and other children never inherit the client secret.
    let env_client_secret = std::env::var("JIRA_AUTH_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .map(SecretString::from);
    // SAFETY: single-threaded at this point; nothing else reads the environment concurrently.
    unsafe { std::env::remove_var("JIRA_AUTH_CLIENT_SECRET") };

    let cli = Cli::parse();
    init_color(cli.global.color);
    init_logging(cli.global.verbose);
    match jira_auth::run(cli, jira_auth::Startup { env_client_secret }) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("{}", jira_auth::ui::plain(&render(&err)));
            let code = exit_of(&err);
            if code == Exit::Unexpected {
                tracing::debug!("unexpected error; run with -vv for details");
            }
            ExitCode::from(code.code())
        }
    }
}

fn init_color(choice: ColorChoice) {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && console::Term::stderr().features().colors_supported()
        }
    };
    console::set_colors_enabled(enabled);
    console::set_colors_enabled_stderr(enabled);
}

/// Only our own crate logs above warn: dependencies' debug output (HTTP, D-Bus) is noise at
/// best, and we cannot vouch that it never prints a header or a body.
fn init_logging(verbose: u8) {
    let ours = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::new(format!("warn,jira_auth={ours}"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
}
