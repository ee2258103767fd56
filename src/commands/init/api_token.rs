//! `jira-auth init --method api-token`: an Atlassian account's API token, sent as Basic
//! `email:token`, verified before it is stored. A classic token answers on the site's own
//! `/rest/api/3/myself`; a scoped one only through the API gateway
//! (`…/ex/jira/{cloudId}/rest/api/3/myself`); nothing tells the two apart but trying, so
//! the site is tried first, then the gateway, and the base that worked is what `exec` gives
//! as `JIRA_API_BASE_URL`. A token neither takes is exit 3, and nothing is stored.

use crate::atlassian::site::verify_api_token;
use crate::cli::InitArgs;
use crate::commands::shared::saved;
use crate::commands::shared::{input, site};
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Code, Context as _};
use crate::store::model::{ApiToken, Scheme};
use crate::store::{Account, AuthConfig, Credential, Kind};

pub(super) fn run(ctx: &Ctx, args: InitArgs, profile: String, store: Kind) -> Result {
    let ui = ctx.ui;
    site::cloud_only("api-token", args.deployment)?;
    let target = site::init_target(ui, args.site.as_deref(), args.cloud_id.as_deref())?;
    let Some(site_url) = target.site.clone() else {
        return Err(CliError::new(
            Code::MissingInput,
            "--method api-token needs the site's address, not only its cloud id: a classic API token answers only there",
        )
        .hint("pass --site acme (or https://acme.atlassian.net); --cloud-id may stay, to skip asking the site for it"));
    };
    let email = input::email(ui, args.email.as_deref())?;
    let token = input::api_token(ctx, args.api_token_stdin)?;
    ctx.profiles
        .probe(store)
        .context("checking the credential store")?;
    let site = site::resolve_cloud_site(ctx, &target, "api-token", args.site.as_deref())?;

    let authorization = Scheme::Basic {
        email: email.clone(),
    }
    .authorization(&token);
    let http = ctx.net.http()?;
    let verified = ctx
        .net
        .block_on(verify_api_token(
            http,
            &ctx.settings.endpoints,
            &site_url,
            &site.cloud_id,
            &email,
            &authorization,
        ))?
        .context("checking the API token (nothing was stored)")?;
    drop(authorization);
    let credential = Credential::ApiToken(ApiToken {
        email,
        token,
        api_base_url: verified.api_base_url.clone(),
    });
    let mut cfg = AuthConfig::new(profile, site, credential);
    // Whose token it is, as /myself said; the email is the one the token answered with.
    let email = match &cfg.credential {
        Credential::ApiToken(t) => t.email.clone(),
        _ => unreachable!("built as an API token above"),
    };
    cfg.account = verified.myself.as_ref().map(|m| Account {
        account_id: m.account_id.clone(),
        name: m.display_name.clone(),
        email: Some(email),
    });
    ctx.profiles.save(&cfg, store)?;
    saved::summary(ctx, &cfg, store, Some(&verified))
}
