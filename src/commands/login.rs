//! `jira-auth login`: consent again for an existing profile with its stored client id,
//! secret and callback URL — the way back after its refresh token died.

use super::shared::consent::{self, Plan};
use super::shared::saved;
use super::{Ctx, Result};
use crate::cli::LoginArgs;
use crate::error::{CliError, Code, Context as _};
use crate::oauth::{AuthServer, RedirectUri};
use crate::scopes;

pub(crate) fn run(ctx: &Ctx, args: LoginArgs) -> Result {
    // Before anything else: a consent that could only time out fails at once.
    let way = consent::Way::decide(ctx, &args.consent)?;
    // A --site that names no site at all would only be found out after the consent.
    if let Some(site) = &args.site {
        crate::atlassian::check_site_form(site)?;
    }
    let found = ctx.profiles.find(ctx.wanted())?;
    ctx.note_other_store(&found.name, found.info.store);
    ctx.answer_for(&found)?;
    let profile = found.name.clone();
    // The profile stays where it is: login renews it, moving it is init's job.
    let store_kind = found.info.store;
    // A dead keychain found after consent would waste the user's consent: check it first.
    ctx.profiles
        .probe(store_kind)
        .context("checking the credential store before asking for consent")?;
    let old = ctx.profiles.load(&found)?;
    let Some(grant) = old.credential.oauth() else {
        return Err(CliError::new(
            Code::MethodMismatch,
            format!(
                "profile '{profile}' uses {}, which has no consent to give again",
                old.credential.method().as_str()
            ),
        )
        .hint(format!(
            "set it up again with `jira-auth init --force --profile {profile}`"
        )));
    };

    let server = AuthServer::of(&old.site, ctx.endpoints());
    if old.site.is_data_center() && args.site.is_some() {
        return Err(CliError::usage(format!(
            "profile '{profile}' is of the Data Center instance {}; --site cannot move it elsewhere",
            old.site.url
        ))
        .hint("set up another instance with `jira-auth init --profile NAME --site URL`"));
    }
    let scopes = match consent::chosen_scopes(ctx.ui, &args.scopes, old.site.deployment())? {
        Some(chosen) => chosen,
        None if old.site.is_data_center() => grant.scopes_requested.clone(),
        None => scopes::with_offline_access(grant.scopes_requested.clone()),
    };
    consent::warn_if_too_many(ctx.ui, &scopes);
    let redirect = RedirectUri::parse(&grant.redirect_uri).map_err(|e| {
        CliError::new(
            Code::ProfileUnusable,
            format!(
                "the stored callback URL of profile '{profile}' cannot be used: {}: {e}",
                grant.redirect_uri
            ),
        )
        .hint(format!(
            "run `jira-auth init --force --profile {profile}` to set it up again"
        ))
    })?;
    let plan = Plan {
        profile: profile.clone(),
        redirect,
        scopes,
        client_id: grant.client_id.clone(),
        client_secret: grant.client_secret.clone(),
        site: args.site.clone(),
        way,
        command: "login",
        server,
    };

    let cfg = consent::authorize(ctx, &plan, Some(&old.site.cloud_id), Some(old.created_at))?;
    // The profile layer takes the refresh lock: a `token` running meanwhile cannot save its
    // result over the new grant.
    ctx.profiles.save(&cfg, store_kind)?;
    saved::summary(ctx, &cfg, store_kind, None)
}
