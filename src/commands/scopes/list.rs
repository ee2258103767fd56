//! `jira-auth scopes list`.

use crate::cli::ScopesListArgs;
use crate::commands::Ctx;
use crate::error::{CliError, Exit};

pub fn run(_ctx: &Ctx, _args: ScopesListArgs) -> anyhow::Result<()> {
    Err(CliError::new(Exit::Unexpected, "not built yet").into())
}
