//! `jira-auth token` and `jira-auth header`: a valid credential on stdout, renewed first when
//! it expires within `--min-ttl` (the profile layer decides how, and under which lock), from
//! the profile or, in stateless mode, from the environment.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{Ctx, Result};
use crate::cli::{MinTtlArgs, TokenArgs};
use crate::profile::Access;
use crate::ui::document;

pub(crate) fn run_token(ctx: &Ctx, args: TokenArgs) -> Result {
    let access = valid(ctx, &args.ttl)?;
    let text = if ctx.json {
        #[derive(Serialize)]
        struct Report<'a> {
            access_token: &'a str,
            #[serde(with = "time::serde::rfc3339::option")]
            expires_at: Option<time::OffsetDateTime>,
            cloud_id: &'a str,
            site_url: &'a str,
            api_base_url: &'a str,
        }
        let report = Report {
            access_token: access.secret.expose_secret(),
            expires_at: access.expires_at,
            cloud_id: &access.site.cloud_id,
            site_url: &access.site.url,
            api_base_url: &access.api_base_url,
        };
        // The one document with a secret: printed here, as a secret, not kept by the Ui
        // until the end as other reports are (nothing can fail after it).
        SecretString::from(document::text(&report))
    } else {
        SecretString::from(format!("{}\n", access.secret.expose_secret()))
    };
    Ok(ctx.ui.print_secret(&text)?)
}

pub(crate) fn run_header(ctx: &Ctx, args: &MinTtlArgs) -> Result {
    let access = valid(ctx, args)?;
    let line = SecretString::from(format!("{}\n", access.header().expose_secret()));
    Ok(ctx.ui.print_secret(&line)?)
}

fn valid(ctx: &Ctx, args: &MinTtlArgs) -> Result<Access> {
    ctx.valid_access(args.min_ttl)
}
