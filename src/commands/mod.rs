//! One module per subcommand, and the context they share.

pub mod completions;
mod consent;
pub mod doctor;
pub mod exec;
pub mod init;
pub mod login;
pub mod logout;
pub mod man;
pub mod scopes;
pub mod sites;
pub mod status;
pub mod token;

use std::path::PathBuf;

use secrecy::SecretString;

use crate::cli::GlobalArgs;
use crate::error::{CliError, Exit};
use crate::store::index::{Index, ProfileInfo};
use crate::store::{self};
use crate::ui::Prompter;

/// What every command receives: resolved global options and its I/O, as values.
pub struct Ctx {
    pub global: GlobalArgs,
    pub config_dir: PathBuf,
    pub prompter: Box<dyn Prompter>,
    /// JIRA_AUTH_CLIENT_SECRET, taken out of the environment at start-up so that child
    /// processes (the browser) do not inherit it.
    pub env_client_secret: Option<SecretString>,
}

impl Ctx {
    /// The profile named by --profile / JIRA_AUTH_PROFILE, else the index's default.
    pub fn profile(&self, index: &Index) -> Result<String, CliError> {
        let name = match &self.global.profile {
            Some(p) => p.trim().to_string(),
            None => index.default_profile(),
        };
        store::check_profile_name(&name)?;
        Ok(name)
    }

    /// The selected profile's name and index entry; a profile that does not exist is
    /// "authentication needed" (3), with the command that creates it.
    pub fn existing_profile<'a>(
        &self,
        index: &'a Index,
    ) -> Result<(String, &'a ProfileInfo), CliError> {
        let name = self.profile(index)?;
        match index.profiles.get(&name) {
            Some(info) => Ok((name, info)),
            None => Err(
                CliError::new(Exit::AuthNeeded, format!("no profile named '{name}'"))
                    .hint(format!("create it with `jira-auth init --profile {name}`")),
            ),
        }
    }

    pub fn index(&self) -> Result<Index, CliError> {
        Ok(Index::load(&self.config_dir)?)
    }
}

/// Prints a JSON document on stdout: the one thing scripts parse. A failed write is said on
/// stderr instead of panicking as println! would (the exit code still tells the outcome).
pub fn print_json(value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).expect("a Value always serializes") + "\n";
    if let Err(e) = write_stdout(&text) {
        crate::say!("error: {e:#}");
    }
}

/// The single-threaded runtime and the HTTP client every network-using command runs on.
pub fn runtime_and_http() -> anyhow::Result<(tokio::runtime::Runtime, crate::oauth::http::Http)> {
    use anyhow::Context as _;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let http = crate::oauth::http::Http::new()
        .map_err(crate::oauth::OAuthError::from)
        .map_err(CliError::from)?;
    Ok((rt, http))
}

/// Writes data to stdout. Lists, scripts and pages are made to be piped into `head` or
/// `grep -m1`: a reader that stops early is not an error (print! would panic on the broken
/// pipe).
pub fn write_stdout(data: impl AsRef<[u8]>) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(data.as_ref()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to stdout"))
        }
        _ => Ok(()),
    }
}

/// "in 59 min", "3 min ago": how people read an expiry.
pub fn relative(at: time::OffsetDateTime) -> String {
    let secs = (at - time::OffsetDateTime::now_utc()).whole_seconds();
    let (n, past) = (secs.unsigned_abs(), secs < 0);
    let text = if n < 90 {
        format!("{n} s")
    } else if n < 90 * 60 {
        format!("{} min", (n + 30) / 60)
    } else if n < 48 * 3600 {
        format!("{} h", (n + 1800) / 3600)
    } else {
        format!("{} days", (n + 43200) / 86400)
    };
    if past {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time always formats")
}
