//! `jira-auth man`: the man page (roff), generated from the same clap definitions as `--help`.

use clap::CommandFactory;

use super::Result;
use crate::cli::{Cli, GlobalArgs};
use crate::error::CliError;
use crate::ui::Ui;

pub fn run(global: &GlobalArgs, ui: &Ui) -> Result {
    if global.json {
        return Err(
            CliError::usage("`man` prints a roff page; it has no --json form").hint("drop --json"),
        );
    }
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| CliError::unexpected(format!("rendering the man page: {e}")))?;
    Ok(ui.print(&String::from_utf8_lossy(&page))?)
}
