//! `jira-auth man`: the man page (roff), generated from the same clap definitions as `--help`.

use anyhow::Context as _;
use clap::CommandFactory;

use crate::cli::{Cli, GlobalArgs};
use crate::error::CliError;

pub fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    if global.json {
        return Err(
            CliError::usage("`man` prints a roff page; it has no --json form")
                .hint("drop --json")
                .into(),
        );
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .context("rendering the man page")?;
    super::write_stdout(&page)
}
