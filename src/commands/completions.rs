//! `jira-auth completions SHELL`: a completion script generated from the clap definitions, so
//! it can never disagree with `--help`.

use clap::CommandFactory;

use crate::cli::{Cli, GlobalArgs};
use crate::error::CliError;

pub fn run(global: &GlobalArgs, shell: clap_complete::Shell) -> anyhow::Result<()> {
    if global.json {
        return Err(
            CliError::usage("`completions` prints a shell script; it has no --json form")
                .hint("drop --json")
                .into(),
        );
    }
    let mut cmd = Cli::command();
    let name = cmd.get_name().to_string();
    // Generated into memory first: clap_complete panics on a failed write, and a reader that
    // stops early (`| head`) must not turn into a panic.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, name, &mut script);
    super::write_stdout(&script)
}
