//! `jira-auth exec -- CMD ARGS…`: runs a command with a valid credential in its environment
//! (the whole `Authorization` header value too, so that scripts need not know the method),
//! and behaves as that command does.
//!
//! On Unix jira-auth *becomes* the command (execve), once the token is had and every notice
//! said: nothing remains to do after it. So every signal sent to jira-auth's process id
//! (`timeout`, a supervisor's TERM, a terminal's HUP, INT to the process alone) reaches the
//! command, because it is that process; Ctrl-C is delivered once, not once by the terminal
//! and again by a forwarder; nothing can be orphaned, even by a KILL; the exit status is the
//! command's own, a death by signal included (a shell reports it as 128+N); and the token and
//! client secret leave jira-auth's memory with the old program image. Forwarding signals to a
//! child would get each of these only approximately.
//!
//! A command that cannot be started exits as a shell says: 127 not found, 126 found but not
//! executable (a directory, no execute permission, not a program).

use std::process::{Command, ExitCode};

use secrecy::ExposeSecret;

use super::shared::child::cannot_start;
use super::{Ctx, Result};
use crate::cli::ExecArgs;
use crate::error::CliError;
#[cfg(not(unix))]
use crate::error::Exit;
use crate::store::model::Scheme;

pub(crate) fn run(ctx: &Ctx, args: ExecArgs) -> Result<ExitCode> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::usage("exec needs a command: `jira-auth exec -- CMD ARGS…`"))?;
    let access = ctx.valid_access(args.ttl.min_ttl)?;
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .env("JIRA_AUTH_HEADER", access.header().expose_secret())
        .env("JIRA_ACCESS_TOKEN", access.secret.expose_secret())
        .env("JIRA_API_BASE_URL", &access.api_base_url);
    // A Data Center site has no cloud id.
    if access.site.cloud_id.is_empty() {
        cmd.env_remove("JIRA_CLOUD_ID");
    } else {
        cmd.env("JIRA_CLOUD_ID", &access.site.cloud_id);
    }
    // A nested `jira-auth token` stays on this profile (none in stateless mode, whose
    // variables the command inherits as they are).
    if let Some(profile) = &access.profile {
        cmd.env("JIRA_AUTH_PROFILE", profile);
    }
    // Variables of another credential than this one are removed, never left as inherited.
    match access.expires_at {
        Some(at) => cmd.env("JIRA_ACCESS_TOKEN_EXPIRES_AT", super::rfc3339(at)),
        None => cmd.env_remove("JIRA_ACCESS_TOKEN_EXPIRES_AT"),
    };
    // Clients' Basic options take the email and the token separately.
    match &access.scheme {
        Scheme::Basic { email } => cmd.env("JIRA_EMAIL", email),
        Scheme::Bearer => cmd.env_remove("JIRA_EMAIL"),
    };
    // A site known by its cloud id alone has no address: better no variable than one the
    // command inherited from elsewhere.
    if access.site.url.is_empty() {
        cmd.env_remove("JIRA_SITE_URL");
    } else {
        cmd.env("JIRA_SITE_URL", &access.site.url);
    }
    drop(access);
    run_as(cmd, program)
}

/// Replaces this process with `cmd`; returns only when that failed.
#[cfg(unix)]
fn run_as(mut cmd: Command, program: &str) -> Result<ExitCode> {
    use std::os::unix::process::CommandExt;
    // std resets the signal mask and SIGPIPE (which Rust ignores) to their defaults first, so
    // the command starts as it would from a shell. Our own files are close-on-exec.
    let e = cmd.exec();
    Err(cannot_start(program, &e))
}

/// Windows has no exec and no signals to pass on (Ctrl-C reaches the whole console): the
/// command runs as a child, and its exit code is passed on.
#[cfg(not(unix))]
fn run_as(mut cmd: Command, program: &str) -> Result<ExitCode> {
    let status = cmd.status().map_err(|e| cannot_start(program, &e))?;
    // Exit codes wider than 0-255 are truncated, as a shell would.
    Ok(ExitCode::from(
        status.code().map_or(Exit::Unexpected.code(), |c| c as u8),
    ))
}
