//! `jira-auth logout`: remove a profile's secrets and its index entry; idempotent.

use serde::Serialize;

use super::{Ctx, Result};
use crate::cli::LogoutArgs;
use crate::profile::Removal;

#[derive(Serialize)]
struct Report {
    /// The profiles whose credentials (or index entry) were there and are gone.
    removed: Vec<String>,
}

pub(crate) fn run(ctx: &Ctx, args: LogoutArgs) -> Result {
    let index = ctx.profiles.index()?;
    let names: Vec<String> = if args.all {
        index.profiles.keys().cloned().collect()
    } else {
        vec![ctx.profiles.select(ctx.wanted(), &index)?]
    };
    let mut report = Report {
        removed: Vec::new(),
    };
    for name in &names {
        match ctx.profiles.remove(name)? {
            Removal::Removed => {
                say!(
                    ctx.ui,
                    "Logged out of '{name}': its credentials were deleted."
                );
                report.removed.push(name.clone());
            }
            Removal::Nothing => say!(ctx.ui, "Nothing to remove for '{name}'."),
            Removal::InvalidEntry => say!(
                ctx.ui,
                "warning: removed the index entry '{name}': not a valid profile name, so no credentials were looked for"
            ),
        }
    }
    if args.all && names.is_empty() {
        say!(ctx.ui, "No profiles to remove.");
    }
    if ctx.json {
        ctx.ui.print_json(&report);
    }
    Ok(())
}
