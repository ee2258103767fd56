//! `jira-auth scopes list` and `jira-auth scopes check`.

use super::Ctx;
use crate::cli::ScopesCommand;
use crate::error::{CliError, Exit};

pub fn run(_ctx: &Ctx, cmd: ScopesCommand) -> anyhow::Result<()> {
    match cmd {
        ScopesCommand::List(_) | ScopesCommand::Check(_) => {
            Err(CliError::new(Exit::Unexpected, "not built yet").into())
        }
    }
}
