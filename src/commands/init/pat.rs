//! `jira-auth init --method pat`: a Jira Data Center personal access token (Jira 8.14+,
//! created under the avatar → Profile → Personal Access Tokens), sent as
//! `Authorization: Bearer <PAT>`. The site must be Data Center (its serverInfo says so, or
//! `--deployment data-center`); the token is proven on `/rest/api/2/myself` before it is
//! stored: one the instance refuses is exit 3, and nothing is stored.

use super::input;
use crate::atlassian::datacenter::{base_name, base_text, verify_pat};
use crate::cli::InitArgs;
use crate::commands::{Ctx, Result, saved};
use crate::error::Context as _;
use crate::store::model::PersonalAccessToken;
use crate::store::{Account, AuthConfig, Credential, Deployment, Kind, Site};

pub(super) fn run(ctx: &Ctx, args: InitArgs, profile: String, store: Kind) -> Result {
    let detected = input::data_center_site(ctx, args.site.as_deref(), args.deployment, "pat")?;
    let token = input::pat(ctx, args.pat_stdin)?;
    ctx.profiles
        .probe(store)
        .context("checking the credential store")?;
    let http = ctx.net.http()?;
    let myself = ctx
        .net
        .block_on(verify_pat(http, &detected.base, &token))?
        .context("checking the personal access token (nothing was stored)")?;
    let site = Site {
        cloud_id: String::new(),
        url: base_text(&detected.base),
        name: base_name(&detected.base),
        deployment: Deployment::DataCenter,
    };
    let mut cfg = AuthConfig::new(
        profile,
        site,
        Credential::Pat(PersonalAccessToken { token }),
    );
    let who = myself.value;
    cfg.account = Some(Account {
        account_id: who.key.unwrap_or_else(|| who.name.clone()),
        name: if who.display_name.is_empty() {
            who.name
        } else {
            who.display_name
        },
        email: who.email_address,
    });
    ctx.profiles.save(&cfg, store)?;
    saved::summary(ctx, &cfg, store, None)
}
