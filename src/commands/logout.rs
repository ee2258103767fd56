//! `jira-auth logout`: remove a profile's secrets and its index entry; idempotent.

use anyhow::Context as _;
use serde_json::json;

use super::{Ctx, print_json};
use crate::cli::{LogoutArgs, StoreKind};
use crate::error::CliError;
use crate::say;
use crate::store::index::Index;
use crate::store::{self, StoreError, lock};

pub fn run(ctx: &Ctx, args: LogoutArgs) -> anyhow::Result<()> {
    let index = ctx.index()?;
    let names: Vec<String> = if args.all {
        index.profiles.keys().cloned().collect()
    } else {
        vec![ctx.profile(&index)?]
    };
    let mut removed = Vec::new();
    for name in &names {
        // The index is a hand-editable file: a name jira-auth would never have written must
        // not become a path (lock file, credentials file, possibly outside the config dir).
        // Only its index entry goes, so that `logout --all` still gets to the end.
        if store::check_profile_name(name).is_err() {
            Index::update(&ctx.config_dir, |index| index.remove(name)).map_err(CliError::from)?;
            say!(
                "warning: removed the index entry '{name}': not a valid profile name, so no credentials were looked for"
            );
            continue;
        }
        // The refresh lock, held until the index entry is gone: a `token` refreshing this
        // profile right now would otherwise save its new tokens (and index entry) after the
        // delete and bring the profile back. Taken after it, that `token` finds nothing.
        let _lock = lock::lock(&ctx.config_dir, name)
            .map_err(CliError::from)
            .context("waiting for the profile's refresh lock")?;
        // Read again under the lock: an init that held it may have moved the profile.
        let known = ctx
            .index()?
            .profiles
            .get(name)
            .map(|p| StoreKind::from(p.store));
        let mut any = false;
        // Whatever happens with the store below, no cached token outlives a logout.
        store::cache::remove(&ctx.config_dir, name);
        match known {
            // The index says where the secrets are: failing to reach that store is an error,
            // never a silent "done" that leaves secrets behind.
            Some(kind) => {
                let store = store::open(kind, &ctx.config_dir).map_err(CliError::from)?;
                any |= store.delete(name).map_err(CliError::from)?;
            }
            // Unknown to the index: clean what may be left in either store, and do not fail
            // on a keychain that is not there (nothing of ours can be in it then).
            None => {
                for kind in [StoreKind::File, StoreKind::Keychain] {
                    match store::open(kind, &ctx.config_dir).and_then(|s| s.delete(name)) {
                        Ok(deleted) => any |= deleted,
                        Err(StoreError::Unavailable { .. }) => {}
                        Err(e) => return Err(CliError::from(e).into()),
                    }
                }
            }
        }
        any |=
            Index::update(&ctx.config_dir, |index| index.remove(name)).map_err(CliError::from)?;
        if any {
            say!("Logged out of '{name}': its credentials were deleted.");
            removed.push(name.clone());
        } else {
            say!("Nothing to remove for '{name}'.");
        }
    }
    if args.all && names.is_empty() {
        say!("No profiles to remove.");
    }
    if ctx.global.json {
        print_json(&json!({ "removed": removed }));
    }
    Ok(())
}
