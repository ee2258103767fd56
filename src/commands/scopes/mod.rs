//! `jira-auth scopes …`: dispatch to `list` (the catalog) and `check` (required vs granted).

mod check;
mod list;

use super::{Ctx, Result};
use crate::cli::ScopesCommand;

pub(crate) fn run(ctx: &Ctx, cmd: ScopesCommand) -> Result {
    match cmd {
        ScopesCommand::List(args) => list::run(ctx, args),
        ScopesCommand::Check(args) => check::run(ctx, args),
    }
}
