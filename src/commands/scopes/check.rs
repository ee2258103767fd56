//! `jira-auth scopes check`.

use crate::cli::ScopesCheckArgs;
use crate::commands::Ctx;
use crate::error::{CliError, Exit};

pub fn run(_ctx: &Ctx, _args: ScopesCheckArgs) -> anyhow::Result<()> {
    Err(CliError::new(Exit::Unexpected, "not built yet").into())
}
