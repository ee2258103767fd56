//! `jira-auth switch [NAME]`: makes a profile the default, as `gh auth switch` does: the one
//! `token`, `exec` and the rest use without --profile.

use serde::Serialize;

use super::{Ctx, Result};
use crate::cli::SwitchArgs;
use crate::error::{CliError, Code};

#[derive(Serialize)]
struct Report {
    default: String,
    /// The default before, when there was one.
    previous: Option<String>,
}

pub(crate) fn run(ctx: &Ctx, args: SwitchArgs) -> Result {
    let index = ctx.profiles.index()?;
    let name = match args.name {
        Some(name) => name.trim().to_string(),
        None => {
            let names: Vec<String> = index.profiles.keys().cloned().collect();
            let p = ctx.ui.prompter();
            if names.is_empty() {
                return Err(CliError::from(crate::profile::ProfileError::NotFound {
                    name: index.default_profile(),
                }));
            }
            if !p.interactive() {
                return Err(CliError::new(
                    Code::MissingInput,
                    format!(
                        "missing the profile to switch to: give its name, one of {}",
                        names.join(", ")
                    ),
                ));
            }
            let current = names
                .iter()
                .position(|n| Some(n) == index.default.as_ref())
                .unwrap_or(0);
            names[p.select("Default profile", &names, current)?].clone()
        }
    };
    let previous = ctx.profiles.set_default(&name)?;
    if previous.as_deref() == Some(name.as_str()) {
        say!(ctx.ui, "'{name}' is already the default profile.");
    } else {
        match &previous {
            Some(old) => say!(ctx.ui, "The default profile is now '{name}' (was '{old}')."),
            None => say!(ctx.ui, "The default profile is now '{name}'."),
        }
    }
    if ctx.json {
        ctx.ui.print_json(&Report {
            default: name,
            previous,
        });
    }
    Ok(())
}
