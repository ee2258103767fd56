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
    scrub_initial_environment("JIRA_AUTH_CLIENT_SECRET");
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

/// `/proc/PID/environ` (what `ps e` shows, to the same user and root) reads the process's
/// original environment block, which removing a variable does not touch. So the value is
/// overwritten in place first, and the secret does not stay readable there while `init`
/// waits for the browser. Must run before any other thread exists.
#[cfg(target_os = "linux")]
fn scrub_initial_environment(name: &str) {
    use std::ffi::{CStr, c_char};
    unsafe extern "C" {
        static mut environ: *mut *mut c_char;
    }
    let prefix = format!("{name}=");
    // SAFETY: single-threaded (called first in main). `environ` is the C library's
    // NULL-terminated array of NUL-terminated strings, all writable; only bytes inside the
    // matching string's own length are written, and the string stays NUL-terminated.
    unsafe {
        let mut entry = std::ptr::addr_of!(environ).read();
        if entry.is_null() {
            return;
        }
        while !(*entry).is_null() {
            let text = *entry;
            let len = CStr::from_ptr(text).to_bytes().len();
            if CStr::from_ptr(text)
                .to_bytes()
                .starts_with(prefix.as_bytes())
            {
                std::ptr::write_bytes(text.add(prefix.len()), 0, len - prefix.len());
            }
            entry = entry.add(1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn scrub_initial_environment(_name: &str) {}

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
