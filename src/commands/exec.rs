//! `jira-auth exec -- CMD ARGS…`: runs a command with a valid credential in its environment
//! (the whole `Authorization` header value too, so that scripts need not know the method)
//! and passes on its exit status.

use std::process::{Command, ExitCode};

use secrecy::ExposeSecret;

use super::{Ctx, Result};
use crate::cli::ExecArgs;
use crate::error::{CliError, Exit};

pub fn run(ctx: &Ctx, args: ExecArgs) -> Result<ExitCode> {
    let (program, rest) = args
        .command
        .split_first()
        .ok_or_else(|| CliError::usage("exec needs a command: `jira-auth exec -- CMD ARGS…`"))?;
    let access = ctx.valid_access(args.token.min_ttl)?;
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .env("JIRA_AUTH_HEADER", access.header().expose_secret())
        .env("JIRA_ACCESS_TOKEN", access.secret.expose_secret())
        .env("JIRA_CLOUD_ID", &access.site.cloud_id)
        .env("JIRA_API_BASE_URL", &access.api_base_url);
    // A site known by its cloud id alone has no address: better no variable than one the
    // command inherited from elsewhere.
    if access.site.url.is_empty() {
        cmd.env_remove("JIRA_SITE_URL");
    } else {
        cmd.env("JIRA_SITE_URL", &access.site.url);
    }
    drop(access);

    // Ctrl-C reaches the child too (same process group): it decides whether to stop, and we
    // stay to report its status instead of dying first.
    ignore_interrupts(ctx);
    let status = cmd.status().map_err(|e| {
        let exit = if e.kind() == std::io::ErrorKind::NotFound {
            Exit::Usage
        } else {
            Exit::Unexpected
        };
        let what = if e.kind() == std::io::ErrorKind::NotFound {
            "command not found".to_string()
        } else {
            e.to_string()
        };
        CliError::new(exit, format!("cannot run '{program}': {what}"))
    })?;
    if let Some(code) = status.code() {
        // Exit statuses are 0-255 on Unix; Windows codes wider than that are truncated.
        return Ok(ExitCode::from(code as u8));
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            // What a shell reports for a child killed by a signal.
            return Ok(ExitCode::from(128u8.wrapping_add(sig as u8)));
        }
    }
    Ok(ExitCode::from(Exit::Unexpected.code()))
}

/// Installs a SIGINT handler that does nothing, for the rest of the process's life, on this
/// run's runtime (which outlives the child).
fn ignore_interrupts(ctx: &Ctx) {
    #[cfg(unix)]
    if let Ok(rt) = ctx.net.runtime() {
        let sig = rt.block_on(async {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        });
        // Leaked on purpose: dropping the stream would not restore the default action
        // anyway, and keeping it avoids any doubt about the handler's lifetime.
        std::mem::forget(sig);
    }
    #[cfg(not(unix))]
    let _ = ctx;
}
