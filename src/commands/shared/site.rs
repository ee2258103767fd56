//! Which site `init` sets up, from a flag, the environment or a prompt: a Jira Cloud site
//! with its cloud id (`Target`: a site, a cloud id or both that agree; tenant_info), or a
//! Data Center instance (its deployment detected, never guessed), and the words for a method
//! pointed at the other deployment. Stateless mode checks its environment with `target`.

use crate::atlassian::datacenter::{self, Detected};
use crate::atlassian::site::{self, SiteRef, SiteUrl, is_cloud_id, parse_site};
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Code};
use crate::store::{Deployment, Site};
use crate::ui::Ui;

/// Where a service account's or an API token's site is: its address, its cloud id, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Target {
    pub site: Option<SiteUrl>,
    pub cloud_id: Option<String>,
}

/// Reads a site value (`shown` is how the error names it: `--site acme corp` or
/// `JIRA_AUTH_SITE=acme corp`) and a cloud id value. A site given as a cloud id counts as the
/// cloud id; two cloud ids must agree.
pub(crate) fn target(site: Option<(&str, &str)>, cloud_id: Option<(&str, &str)>) -> Result<Target> {
    let mut out = Target::default();
    if let Some((shown, raw)) = cloud_id {
        let id = raw.trim();
        if !is_cloud_id(id) {
            return Err(CliError::new(
                Code::SiteInvalid,
                format!(
                    "{shown}: not a cloud id (a UUID such as 1324a887-45db-1bf4-1e99-ef0ff456d421)"
                ),
            ));
        }
        out.cloud_id = Some(id.to_ascii_lowercase());
    }
    if let Some((shown, raw)) = site {
        match parse_site(raw)
            .map_err(|e| CliError::new(Code::SiteInvalid, format!("{shown}: {e}")))?
        {
            SiteRef::Url(url) => out.site = Some(url),
            SiteRef::CloudId(id) => match &out.cloud_id {
                Some(other) if *other != id => {
                    return Err(CliError::usage(format!(
                        "{shown} and the cloud id {other} name two different sites"
                    )));
                }
                _ => out.cloud_id = Some(id),
            },
        }
    }
    Ok(out)
}

/// `--site` and `--cloud-id` of `init`, one of which must be given (else it is asked for).
pub(in crate::commands) fn init_target(
    ui: &Ui,
    site: Option<&str>,
    cloud_id: Option<&str>,
) -> Result<Target> {
    let asked;
    let site = match (site, cloud_id) {
        (None, None) if ui.prompter().interactive() => {
            asked = ui.prompter().input(
                "Jira site (acme, https://acme.atlassian.net, or its cloud id)",
                &|s| parse_site(s).map(|_| ()).map_err(|e| e.to_string()),
            )?;
            Some(asked.as_str())
        }
        _ => site,
    };
    let shown_site = site.map(|s| format!("--site {s}"));
    let shown_id = cloud_id.map(|s| format!("--cloud-id {s}"));
    let target = target(
        shown_site.as_deref().zip(site),
        shown_id.as_deref().zip(cloud_id),
    )?;
    if target.site.is_none() && target.cloud_id.is_none() {
        return Err(missing_site());
    }
    Ok(target)
}

fn missing_site() -> CliError {
    CliError::missing(
        "site",
        "--site SITE (or --cloud-id ID)",
        "JIRA_AUTH_SITE (or JIRA_AUTH_CLOUD_ID)",
    )
}

/// The site to store: its cloud id as given, else from the site's tenant_info. A site known
/// by its cloud id alone has no address to show.
pub(in crate::commands) fn resolve_site(ctx: &Ctx, target: &Target) -> Result<Site> {
    let cloud_id = match (&target.cloud_id, &target.site) {
        (Some(id), _) => id.clone(),
        (None, Some(url)) => {
            let http = ctx.net.http()?;
            ctx.net.block_on(site::tenant_info(http, url))??
        }
        (None, None) => return Err(missing_site()),
    };
    Ok(Site::cloud(
        cloud_id,
        target
            .site
            .as_ref()
            .map(SiteUrl::origin)
            .unwrap_or_default(),
        target
            .site
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_default(),
        crate::oauth::AuthServer::record(ctx.endpoints()),
    ))
}

/// `--site` as a Data Center base URL: asked for when missing and there is someone to ask,
/// then detected (`atlassian::datacenter::detect`, which `--deployment` overrides). `method`
/// is `--method`'s name, for the errors: what --site names must be Data Center for it.
pub(in crate::commands) fn data_center_site(
    ctx: &Ctx,
    site: Option<&str>,
    wanted: Option<Deployment>,
    method: &str,
) -> Result<Detected> {
    let asked;
    let raw = match site {
        Some(raw) => raw,
        None if ctx.ui.prompter().interactive() => {
            asked = ctx.ui.prompter().input(
                "Jira Data Center base URL (e.g. https://jira.example.com/jira)",
                &|s| match datacenter::parse_base(s) {
                    Some(Ok(_)) => Ok(()),
                    Some(Err(e)) => Err(e.to_string()),
                    None => {
                        Err("that names a Jira Cloud site; give the Data Center base URL".into())
                    }
                },
            )?;
            asked.as_str()
        }
        None => {
            return Err(CliError::missing(
                "Jira Data Center base URL",
                "--site URL",
                "JIRA_AUTH_SITE",
            ));
        }
    };
    let base = match datacenter::parse_base(raw) {
        Some(parsed) => {
            parsed.map_err(|e| CliError::new(Code::SiteInvalid, format!("--site {raw}: {e}")))?
        }
        None => {
            return Err(CliError::new(
                Code::DeploymentMismatch,
                format!(
                    "--site {raw} names a Jira Cloud site, and {}",
                    data_center_because(method)
                ),
            )
            .hint(cloud_instead(method)));
        }
    };
    let detected = detect(ctx, &base, wanted)?;
    if detected.deployment == Deployment::Cloud {
        return Err(CliError::new(
            Code::DeploymentMismatch,
            format!(
                "{} is Jira Cloud, and {}",
                datacenter::base_text(&detected.base),
                data_center_because(method)
            ),
        )
        .hint(cloud_instead(method)));
    }
    Ok(detected)
}

/// The Data Center site of a method that works on both deployments, when it is one: a
/// `--site` that may be a base URL is asked (serverInfo), `--deployment data-center` without
/// one has it asked for. `None`: the site is Cloud's (or `--site` names a Cloud site), and
/// the Cloud path goes on.
pub(in crate::commands) fn data_center_if_so(
    ctx: &Ctx,
    site: Option<&str>,
    wanted: Option<Deployment>,
    method: &str,
) -> Result<Option<Detected>> {
    let maybe_base = site.and_then(datacenter::parse_base);
    if wanted != Some(Deployment::DataCenter) && maybe_base.is_none() {
        return Ok(None);
    }
    let detected = match maybe_base {
        Some(parsed) => {
            let raw = site.unwrap_or_default();
            let base = parsed
                .map_err(|e| CliError::new(Code::SiteInvalid, format!("--site {raw}: {e}")))?;
            detect(ctx, &base, wanted)?
        }
        None => data_center_site(ctx, site, wanted, method)?,
    };
    Ok((detected.deployment == Deployment::DataCenter).then_some(detected))
}

/// Why the site must be Data Center: the method, or `--deployment`.
fn data_center_because(method: &str) -> String {
    match method {
        "pat" => "--method pat is for Jira Data Center".into(),
        _ => "--deployment data-center says the site is Jira Data Center".into(),
    }
}

fn cloud_instead(method: &str) -> String {
    match method {
        "pat" => "on Jira Cloud, use an API token: --method api-token (personal access tokens are Data Center's)".into(),
        _ => "give the Data Center instance's base URL as --site (e.g. https://jira.example.com/jira), or drop --deployment for a Cloud site".into(),
    }
}

/// Which deployment `base` is: `atlassian::datacenter::detect` on this run's network.
pub(in crate::commands) fn detect(
    ctx: &Ctx,
    base: &url::Url,
    wanted: Option<Deployment>,
) -> Result<Detected> {
    let http = ctx.net.http()?;
    let detected = ctx.net.block_on(datacenter::detect(http, base, wanted))??;
    if let Some(info) = &detected.info {
        tracing::debug!(
            deployment_type = info.deployment_type.as_str(),
            version = info.version.as_deref().unwrap_or("?"),
            "serverInfo answered"
        );
    }
    Ok(detected)
}

/// `--deployment data-center` (or a site that is Data Center) for a method that is Cloud's
/// alone (a service account, an API token): refused, naming what works there.
pub(in crate::commands) fn cloud_only(method: &str, wanted: Option<Deployment>) -> Result {
    if wanted == Some(Deployment::DataCenter) {
        return Err(data_center_for_cloud_method(method, None));
    }
    Ok(())
}

/// The site is Jira Data Center, and `method` is Cloud's.
pub(in crate::commands) fn data_center_for_cloud_method(
    method: &str,
    site: Option<&str>,
) -> CliError {
    let what = match site {
        Some(url) => format!("{url} is Jira Data Center"),
        None => "--deployment data-center".to_string(),
    };
    CliError::new(
        Code::DeploymentMismatch,
        format!("{what}, and --method {method} is for Jira Cloud only"),
    )
    .hint("on Data Center, use a personal access token (--method pat) or the instance's OAuth 2.0 (--method oauth, the default)")
}

/// The site of a Cloud-only method: as [`resolve_site_or_data_center`], a Data Center
/// instance refused, naming what works there.
pub(in crate::commands) fn resolve_cloud_site(
    ctx: &Ctx,
    target: &Target,
    method: &str,
    raw_site: Option<&str>,
) -> Result<Site> {
    match resolve_site_or_data_center(ctx, target, raw_site, None)? {
        Deployed::Cloud(site) => Ok(site),
        Deployed::DataCenter(found) => Err(data_center_for_cloud_method(
            method,
            Some(&datacenter::base_text(&found.base)),
        )),
    }
}

/// Which deployment a site named for a method of both is.
pub(in crate::commands) enum Deployed {
    Cloud(Site),
    DataCenter(Detected),
}

/// As `resolve_site`, except that a site that turns out not to be Cloud's (its tenant_info
/// says nothing) is asked whether it is Data Center. Cloud first: a Cloud site costs no
/// more requests than before Data Center was known here.
pub(in crate::commands) fn resolve_site_or_data_center(
    ctx: &Ctx,
    target: &Target,
    raw_site: Option<&str>,
    wanted: Option<Deployment>,
) -> Result<Deployed> {
    match resolve_site(ctx, target) {
        Ok(site) => Ok(Deployed::Cloud(site)),
        // Only "not a Jira Cloud site" (a usage error) is worth a second question, and not
        // when --deployment cloud has answered it.
        Err(e) if e.exit() != crate::error::Exit::Usage || wanted == Some(Deployment::Cloud) => {
            Err(e)
        }
        Err(e) => {
            // The address as given: a Data Center instance answers under its context path.
            let Some(Ok(base)) = raw_site.and_then(datacenter::parse_base) else {
                return Err(e);
            };
            let http = ctx.net.http()?;
            match ctx.net.block_on(datacenter::detect(http, &base, None)) {
                Ok(Ok(found)) if found.deployment == Deployment::DataCenter => {
                    Ok(Deployed::DataCenter(found))
                }
                _ => Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_take_a_site_a_cloud_id_or_both_that_agree() {
        let id = "1324a887-45db-1bf4-1e99-ef0ff456d421";
        let t = target(Some(("--site acme", "acme")), None).unwrap();
        assert_eq!(t.site.unwrap().origin(), "https://acme.atlassian.net");
        assert_eq!(t.cloud_id, None);
        let t = target(Some(("--site X", id)), None).unwrap();
        assert_eq!((t.site, t.cloud_id.as_deref()), (None, Some(id)));
        let t = target(Some(("--site acme", "acme")), Some(("--cloud-id X", id))).unwrap();
        assert!(t.site.is_some() && t.cloud_id.as_deref() == Some(id));
        let e = target(None, Some(("--cloud-id nope", "nope"))).unwrap_err();
        assert!(
            e.message().starts_with("--cloud-id nope: not a cloud id"),
            "{}",
            e.message()
        );
        let other = "bbbbbbbb-0000-0000-0000-000000000002";
        let e = target(Some(("--site X", other)), Some(("--cloud-id Y", id))).unwrap_err();
        assert!(
            e.message().contains("two different sites"),
            "{}",
            e.message()
        );
        let e = target(
            Some(("JIRA_AUTH_SITE=http://example.com", "http://example.com")),
            None,
        )
        .unwrap_err();
        assert_eq!(
            e.message(),
            "JIRA_AUTH_SITE=http://example.com: plain http is only allowed for loopback hosts; use https"
        );
        let (ui, _) = Ui::captured("", crate::settings::terminal(&Default::default()));
        assert!(init_target(&ui, None, None).is_err());
    }
}
