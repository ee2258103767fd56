//! `jira-auth login`: consent again for an existing profile with its stored client id,
//! secret and callback URL — the way back after its refresh token died.

use std::time::Duration;

use anyhow::Context as _;
use url::Url;

use super::Ctx;
use super::consent::{self, Plan};
use crate::cli::{LoginArgs, StoreKind};
use crate::error::{CliError, Exit};
use crate::oauth::Endpoints;
use crate::say;
use crate::scopes;
use crate::store;
use crate::ui::browser;

pub fn run(ctx: &Ctx, args: LoginArgs) -> anyhow::Result<()> {
    let endpoints = Endpoints::from_env()?;
    let index = ctx.index()?;
    let (profile, info) = ctx.existing_profile(&index)?;
    // The profile stays where it is: login renews it, moving it is init's job.
    let store_kind = StoreKind::from(info.store);
    let store = store::open(store_kind, &ctx.config_dir).map_err(CliError::from)?;
    // A dead keychain found after consent would waste the user's consent: check it first.
    store
        .probe()
        .map_err(CliError::from)
        .context("checking the credential store before asking for consent")?;
    let Some(old) = store.load(&profile).map_err(CliError::from)? else {
        return Err(CliError::new(
            Exit::AuthNeeded,
            format!(
                "profile '{profile}' is listed but its credentials are missing from the {}",
                store::kind_name(store_kind)
            ),
        )
        .hint(format!(
            "run `jira-auth init --force --profile {profile}` to set it up again"
        ))
        .into());
    };

    let scopes = consent::chosen_scopes(&args.scopes)?
        .unwrap_or_else(|| scopes::with_offline_access(old.scopes_requested.clone()));
    if let Some(warning) = scopes::too_many(&scopes) {
        say!("{warning}");
    }
    let redirect = Url::parse(&old.redirect_uri).map_err(|e| {
        CliError::new(
            Exit::AuthNeeded,
            format!("the stored callback URL of profile '{profile}' is not a URL: {e}"),
        )
        .hint(format!(
            "run `jira-auth init --force --profile {profile}` to set it up again"
        ))
    })?;
    let plan = Plan {
        profile: profile.clone(),
        store_kind,
        redirect,
        scopes,
        client_id: old.client_id.clone(),
        client_secret: old.client_secret.clone(),
        site: args.site.clone(),
        open_browser: !args.consent.no_browser && browser::available(),
        timeout: Duration::from_secs(args.consent.timeout),
        command: "login",
    };

    let cfg = consent::authorize(
        ctx,
        &endpoints,
        &plan,
        Some(&old.site.cloud_id),
        Some(old.created_at),
    )?;
    // consent::save takes the refresh lock: a `token` running meanwhile cannot save its
    // result over the new grant.
    consent::save(ctx, store.as_ref(), &cfg)?;
    consent::summary(ctx, &cfg, &endpoints, store_kind);
    Ok(())
}
