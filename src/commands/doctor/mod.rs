//! `jira-auth doctor`: every check from the credential store to a live API call, each with a
//! status (pass / warn / fail / skip) and, when it is not a pass, the fix.
//!
//! Checks run in a fixed order and each one runs whenever what it needs is there: a failed
//! store does not stop the callback-port check, and a check whose input is missing is a
//! "skip" that says why. Network failures are failed checks, never an abort: support staff
//! need the whole picture in one run.
//!
//! Exit code: 0 unless a check failed (warnings alone are 0); otherwise the code of the
//! FIRST failed check, as `Exit::TABLE` defines it (store 6, profile/token/site 3,
//! scopes 4, network 5, clock 1). The first failure is usually the cause of the later ones
//! (no profile → no token → no site), so its code is the most specific answer for a script.

mod check;
mod files;
mod live;
mod local;
mod token;

use check::{Facts, Report, Status};

use super::{Ctx, Result};
use crate::error::CliError;

pub(crate) fn run(ctx: &Ctx) -> Result {
    // An app handed to Composio has none of these to check (no token, no callback here):
    // `jira-auth composio status` asks Composio instead.
    if let Ok(found) = ctx.profiles.find(ctx.wanted())
        && found.info.method == crate::store::Method::Composio
    {
        return Err(crate::profile::ProfileError::HeldByComposio { name: found.name }.into());
    }
    let mut facts = Facts::default();
    let checks = vec![
        files::files(ctx),
        local::store(ctx, &mut facts),
        local::profile(ctx, &mut facts),
        token::token(ctx, &mut facts),
        token::cache(ctx, &facts),
        token::renewal_age(&facts),
        live::server(ctx, &mut facts),
        live::site(ctx, &mut facts),
        live::myself(ctx, &mut facts),
        live::me(ctx, &mut facts),
        local::scopes(&facts),
        local::clock(&facts),
        local::callback_port(&facts),
    ];
    let report = Report {
        profile: facts.profile.as_deref(),
        ok: !checks.iter().any(|c| c.status == Status::Fail),
        checks: &checks,
    };
    if ctx.json {
        ctx.ui.print_json(&report);
    } else {
        ctx.ui.print(&report.render(ctx.ui))?;
    }
    let failed: Vec<&check::Check> = checks.iter().filter(|c| c.status == Status::Fail).collect();
    match failed.first() {
        None => Ok(()),
        Some(first) => {
            let names: Vec<&str> = failed.iter().map(|c| c.name).collect();
            Err(CliError::new(
                first.code.expect("a failed check has a code"),
                format!(
                    "{} check{} failed: {}",
                    failed.len(),
                    if failed.len() == 1 { "" } else { "s" },
                    names.join(", ")
                ),
            ))
        }
    }
}
