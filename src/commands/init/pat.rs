//! `jira-auth init --method pat`: a Jira Data Center personal access token (Jira 8.14+,
//! created under the avatar → Profile → Personal Access Tokens), sent as
//! `Authorization: Bearer <PAT>`. The site must be Data Center (its serverInfo says so, or
//! `--deployment data-center`); the token is proven on `/rest/api/2/myself` before it is
//! stored: one the instance refuses is exit 3, and nothing is stored.

use crate::atlassian::datacenter::verify_pat;
use crate::cli::InitArgs;
use crate::commands::shared::saved;
use crate::commands::shared::{input, site};
use crate::commands::{Ctx, Result};
use crate::error::Context as _;
use crate::store::model::PersonalAccessToken;
use crate::store::{AuthConfig, Credential, Kind};

pub(super) fn run(ctx: &Ctx, args: InitArgs, profile: String, store: Kind) -> Result {
    let detected = site::data_center_site(ctx, args.site.as_deref(), args.deployment, "pat")?;
    let token = input::pat(ctx, args.pat_stdin)?;
    ctx.profiles
        .probe(store)
        .context("checking the credential store")?;
    let http = ctx.net.http()?;
    let myself = ctx
        .net
        .block_on(verify_pat(http, &detected.base, &token))?
        .context("checking the personal access token (nothing was stored)")?;
    let mut cfg = AuthConfig::new(
        profile,
        crate::store::Site::data_center(&detected.base),
        Credential::Pat(PersonalAccessToken { token }),
    );
    cfg.account = Some(myself.value.account());
    ctx.profiles.save(&cfg, store)?;
    saved::summary(ctx, &cfg, store, None)
}
