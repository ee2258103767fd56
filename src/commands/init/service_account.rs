//! `jira-auth init --method service-account`: a service account's OAuth 2.0 credential
//! (client credentials). No browser, no consent, no refresh token. On Jira Cloud the
//! account is Atlassian's (admin.atlassian.com), no accessible-resources (it may refuse
//! service-account tokens): the site is named by `--site` (its cloud id then comes from its
//! tenant_info) or `--cloud-id`. On Jira Data Center (a `--site` base URL whose serverInfo
//! says so, or `--deployment data-center`) the account is the instance's own, its token
//! comes from the instance's token endpoint with READ or WRITE, and `/rest/api/2/myself`
//! says who it is. The first token is minted here either way, which proves the client id
//! and secret before anything is stored.

use secrecy::SecretString;

use super::datacenter::{Grantee, resolve_scopes};
use crate::atlassian::datacenter::Detected;
use crate::cli::InitArgs;
use crate::commands::shared::input::{self, Console};
use crate::commands::shared::saved;
use crate::commands::shared::site::{self, Deployed};
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Context as _};
use crate::oauth::{AuthServer, Client, TokenSet};
use crate::store::model::ServiceAccount;
use crate::store::{AuthConfig, Credential, Deployment, Kind, Site};

pub(super) fn run(ctx: &Ctx, args: InitArgs, profile: String, store: Kind) -> Result {
    if args.deployment == Some(Deployment::DataCenter) {
        let detected = site::data_center_site(
            ctx,
            args.site.as_deref(),
            args.deployment,
            "service-account",
        )?;
        let creds = credentials(ctx, &args, Console::DataCenterServiceAccount, store)?;
        return data_center(ctx, args, profile, store, detected, creds);
    }
    let ui = ctx.ui;
    let target = site::init_target(ui, args.site.as_deref(), args.cloud_id.as_deref())?;
    let (client_id, client_secret) = credentials(ctx, &args, Console::Admin, store)?;
    let site = match site::resolve_site_or_data_center(
        ctx,
        &target,
        args.site.as_deref(),
        args.deployment,
    )? {
        Deployed::Cloud(site) => site,
        Deployed::DataCenter(detected) => {
            let creds = (client_id, client_secret);
            return data_center(ctx, args, profile, store, detected, creds);
        }
    };
    let given: Vec<&str> = [
        (args.scopes.scopes.is_some(), "--scopes (JIRA_AUTH_SCOPES)"),
        (args.scopes.preset.is_some(), "--preset (JIRA_AUTH_PRESET)"),
    ]
    .into_iter()
    .filter_map(|(set, name)| set.then_some(name))
    .collect();
    if !given.is_empty() {
        return Err(CliError::usage(format!(
            "--method service-account on Jira Cloud does not use {}: a Cloud service account gets its scopes in admin.atlassian.com",
            given.join(", ")
        ))
        .hint("drop it (or unset the variable); scopes are for a Jira Data Center service account (--site its base URL)"));
    }

    let http = ctx.net.http()?;
    let server = AuthServer::atlassian(&ctx.settings.endpoints);
    let client = Client {
        id: &client_id,
        secret: &client_secret,
    };
    let tokens = ctx
        .net
        .block_on(server.client_credentials(http, client, &[]))?
        .context(FIRST_TOKEN)?;
    let credential = credential(client_id, client_secret, Vec::new(), tokens);
    let cfg = AuthConfig::new(profile, site, credential);
    ctx.profiles.save(&cfg, store)?;
    saved::summary(ctx, &cfg, store, None)
}

const FIRST_TOKEN: &str = "getting the service account's first access token (nothing was stored)";

/// A Jira Data Center service account: READ or WRITE, the first token from the instance,
/// then who it is (`/rest/api/2/myself`, a service account's own user).
fn data_center(
    ctx: &Ctx,
    args: InitArgs,
    profile: String,
    store: Kind,
    detected: Detected,
    (client_id, client_secret): (String, SecretString),
) -> Result {
    if args.cloud_id.is_some() {
        return Err(CliError::usage(
            "--cloud-id is Jira Cloud's: a Jira Data Center site has none",
        )
        .hint("drop --cloud-id (or unset JIRA_AUTH_CLOUD_ID); --site names the instance"));
    }
    let scopes = resolve_scopes(ctx.ui, &args, Grantee::ServiceAccount)?;
    let site = Site::data_center(&detected.base);
    let server = AuthServer::of(&site, &ctx.settings.endpoints);
    let http = ctx.net.http()?;
    let client = Client {
        id: &client_id,
        secret: &client_secret,
    };
    let tokens = ctx
        .net
        .block_on(server.client_credentials(http, client, &scopes))?
        .context(FIRST_TOKEN)?;
    let myself = ctx
        .net
        .block_on(server.who_am_i(http, &tokens.access_token, &scopes, ""))?
        .context("asking Jira who the service account is (nothing was stored)")?;
    let credential = credential(client_id, client_secret, scopes, tokens);
    let mut cfg = AuthConfig::new(profile, site, credential);
    cfg.account = Some(myself);
    ctx.profiles.save(&cfg, store)?;
    saved::summary(ctx, &cfg, store, None)
}

/// The client id and secret, then a probe of the store: a dead keychain is found before a
/// token is minted.
fn credentials(
    ctx: &Ctx,
    args: &InitArgs,
    console: Console,
    store: Kind,
) -> Result<(String, SecretString)> {
    let client_id = input::client_id(ctx.ui, args.client_id.as_deref(), console)?;
    let client_secret = input::client_secret(ctx, args.client_secret_stdin, &client_id, console)?;
    ctx.profiles
        .probe(store)
        .context("checking the credential store")?;
    Ok((client_id, client_secret))
}

fn credential(
    client_id: String,
    client_secret: SecretString,
    scopes_requested: Vec<String>,
    tokens: TokenSet,
) -> Credential {
    Credential::ServiceAccount(ServiceAccount {
        client_id,
        client_secret,
        scopes_requested,
        scopes_granted: tokens.scopes,
        access_token: tokens.access_token,
        access_token_expires_at: tokens.expires_at,
    })
}
