//! `jira-auth doctor`: every check from the credential store to a live API call.

use super::Ctx;
use crate::error::{CliError, Exit};

pub fn run(_ctx: &Ctx) -> anyhow::Result<()> {
    Err(CliError::new(Exit::Unexpected, "not built yet").into())
}
