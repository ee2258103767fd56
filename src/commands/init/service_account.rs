//! `jira-auth init --method service-account`: an Atlassian service account's OAuth 2.0
//! credential (client credentials). No browser, no consent, no refresh token, and no
//! accessible-resources (it may refuse service-account tokens): the site is named by
//! `--site` (its cloud id then comes from its tenant_info) or `--cloud-id`. The first token
//! is minted here, which proves the client id and secret before anything is stored.

use super::input::{self, Console};
use crate::cli::InitArgs;
use crate::commands::{Ctx, Result, saved};
use crate::error::Context as _;
use crate::oauth;
use crate::store::model::ServiceAccount;
use crate::store::{AuthConfig, Credential, Kind};

pub(super) fn run(ctx: &Ctx, args: InitArgs, profile: String, store: Kind) -> Result {
    let ui = ctx.ui;
    input::cloud_only("service-account", args.deployment)?;
    let target = input::init_target(ui, args.site.as_deref(), args.cloud_id.as_deref())?;
    let client_id = input::client_id(ui, args.client_id.as_deref(), Console::Admin)?;
    let client_secret =
        input::client_secret(ctx, args.client_secret_stdin, &client_id, Console::Admin)?;
    ctx.profiles
        .probe(store)
        .context("checking the credential store")?;
    let site = input::resolve_cloud_site(ctx, &target, "service-account", args.site.as_deref())?;

    let http = ctx.net.http()?;
    let tokens = ctx
        .net
        .block_on(oauth::client_credentials(
            http,
            &ctx.settings.endpoints,
            &client_id,
            &client_secret,
        ))?
        .context("getting the service account's first access token (nothing was stored)")?;
    let credential = Credential::ServiceAccount(ServiceAccount {
        client_id,
        client_secret,
        scopes_granted: tokens.scopes,
        access_token: tokens.access_token,
        access_token_expires_at: tokens.expires_at,
    });
    let cfg = AuthConfig::new(profile, site, credential);
    ctx.profiles.save(&cfg, store)?;
    saved::summary(ctx, &cfg, store, None)
}
