//! `jira-auth completions SHELL`: a completion script generated from the clap definitions, so
//! it can never disagree with `--help`.

use clap::CommandFactory;

use super::Result;
use crate::cli::Cli;
use crate::ui::Ui;

pub(crate) fn run(ui: &Ui, shell: clap_complete::Shell) -> Result {
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    // Generated into memory first: clap_complete panics on a failed write, and a reader that
    // stops early (`| head`) must not turn into a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut script);
    Ok(ui.print(&String::from_utf8_lossy(&script))?)
}
