//! The checks of `doctor` that ask the site: a Data Center instance's serverInfo, the site
//! in accessible-resources (Cloud OAuth grants only), `/myself` where the credential's REST
//! API answers (`/rest/api/3/myself` on Cloud, `/rest/api/2/myself` on Data Center), `/me`
//! of the User Identity API (Cloud). Each notes the first server `Date` it sees, for the
//! clock check.

use std::future::Future;

use secrecy::SecretString;

use super::check::{Check, Facts};
use crate::atlassian::datacenter;
use crate::atlassian::{self, ApiError, Dated};
use crate::commands::{Ctx, fix_for, login_command};
use crate::error::Code;
use crate::net::{Http, Net};
use crate::profile::api_base_url;
use crate::store::{Deployment, Method, Site};

/// The scope `/myself` documents: classic "read users" (granular apps: read:user:jira).
const MYSELF_SCOPE: &str = "read:jira-user";

/// One API call on this run's network; the network failing to set up is an API failure like
/// any other, reported by the check, not a crash.
fn call<'a, T, F>(net: &'a Net, f: impl FnOnce(&'a Http) -> F) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>>,
{
    let http = net.http()?;
    net.block_on(f(http))?
}

fn note_date<T>(facts: &mut Facts, answer: &Dated<T>) {
    if facts.date.is_none()
        && let Some(date) = answer.date
    {
        facts.date = Some((date, answer.received_at));
    }
}

/// What a live check needs of the profile, when the token check passed.
struct Ready {
    token: SecretString,
    /// The whole `Authorization` value, and where the credential's REST API answers.
    header: SecretString,
    api_base: String,
    method: Method,
    profile: String,
    site: Site,
    requested: Vec<String>,
    granted: Vec<String>,
}

fn ready(ctx: &Ctx, facts: &Facts) -> Option<Ready> {
    let cfg = facts.cfg.as_ref().filter(|_| facts.token_ok)?;
    let c = &cfg.credential;
    let (secret, scheme) = c.secret();
    Some(Ready {
        token: secret.clone(),
        header: scheme.authorization(secret),
        api_base: api_base_url(cfg, ctx.endpoints()),
        method: c.method(),
        profile: cfg.profile.clone(),
        site: cfg.site.clone(),
        requested: c.scopes_requested().to_vec(),
        granted: c.scopes_granted().to_vec(),
    })
}

fn api_failure(name: &'static str, e: ApiError, profile: &str, method: Method) -> Check {
    let fix = match method {
        Method::OAuth => format!("run `jira-auth login --profile {profile}`"),
        other => format!(
            "set it up again: `jira-auth init --force --profile {profile} --method {}`",
            other.as_str()
        ),
    };
    Check::from_error(name, e, &fix)
}

/// A Data Center profile's instance answers serverInfo (no credentials needed): it is up,
/// and still Data Center. Needs only the stored profile.
pub(super) fn server(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "server";
    let Some(site) = facts.cfg.as_ref().map(|c| c.site.clone()) else {
        return Check::skip(NAME, "no readable profile");
    };
    let Some(base) = site.data_center_base() else {
        return Check::skip(
            NAME,
            "a Jira Cloud site: Atlassian runs it (serverInfo is a Data Center check)",
        );
    };
    match call(ctx.net, |http| datacenter::server_info(http, base)) {
        Ok(answer) => {
            note_date(facts, &answer);
            let info = &answer.value;
            let version = info.version.as_deref().unwrap_or("of an unknown version");
            if info.deployment() == Deployment::Cloud {
                return Check::warn(
                    NAME,
                    format!(
                        "{} now says it is Jira Cloud (deploymentType Cloud)",
                        site.url
                    ),
                    "if the instance moved to Cloud, set the profile up again for the Cloud site: `jira-auth init --force --site SITE`",
                );
            }
            Check::pass(
                NAME,
                format!(
                    "{} answers /rest/api/2/serverInfo: Jira {version}, deploymentType {}",
                    site.url, info.deployment_type
                ),
            )
        }
        Err(ApiError::Unauthorized(_)) => Check::warn(
            NAME,
            format!("{} answers serverInfo only with credentials", site.url),
            "nothing to do if the checks below pass: the instance hides what it is from anonymous users",
        ),
        Err(e) => Check::from_error(
            NAME,
            e,
            &format!(
                "check that {} opens in a browser on this machine (VPN, proxy, the context path)",
                site.url
            ),
        ),
    }
}

pub(super) fn site(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "site";
    let Some(Ready {
        token,
        method,
        profile: p,
        site,
        ..
    }) = ready(ctx, facts)
    else {
        return Check::skip(NAME, "no valid access token");
    };
    if site.is_data_center() {
        return Check::skip(
            NAME,
            "accessible-resources is Jira Cloud's; a Data Center site is its base URL",
        );
    }
    if method != Method::OAuth {
        // accessible-resources may refuse service-account tokens and never takes API tokens:
        // `myself` proves the site instead.
        return Check::skip(
            NAME,
            format!(
                "accessible-resources lists the sites of OAuth grants; this {} profile's site was given at init",
                method.as_str()
            ),
        );
    }
    let endpoints = ctx.endpoints();
    match call(ctx.net, |http| {
        atlassian::accessible_resources_dated(http, endpoints, &token)
    }) {
        Ok(answer) => {
            note_date(facts, &answer);
            let found = answer.value.iter().find(|r| r.id == site.cloud_id).cloned();
            let check = match &found {
                Some(r) => Check::pass(
                    NAME,
                    format!("{} ({}) is in accessible-resources", r.name, r.url),
                ),
                None => {
                    let others: Vec<String> = answer
                        .value
                        .iter()
                        .map(|r| format!("{} ({})", r.name, r.url))
                        .collect();
                    let covers = if others.is_empty() {
                        "no site at all".to_string()
                    } else {
                        others.join(", ")
                    };
                    Check::fail(
                        NAME,
                        Code::SiteNotInGrant,
                        format!(
                            "{} ({}, cloud id {}) is no longer in accessible-resources; the grant covers {covers}",
                            site.name, site.url, site.cloud_id
                        ),
                        format!(
                            "run `jira-auth login --profile {p}` and grant access to the site on the consent page (if the app was removed from the site, a site admin must allow it again)"
                        ),
                    )
                }
            };
            facts.site = Some(found);
            check
        }
        Err(e) => api_failure(NAME, e, &p, method),
    }
}

pub(super) fn myself(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "myself";
    let Some(Ready {
        header,
        api_base,
        method,
        profile: p,
        requested,
        ..
    }) = ready(ctx, facts)
    else {
        return Check::skip(NAME, "no valid access token");
    };
    if matches!(facts.site, Some(None)) {
        return Check::skip(NAME, "the site is not in accessible-resources");
    }
    let data_center = facts
        .cfg
        .as_ref()
        .and_then(|c| Some((c, c.site.data_center_base()?)));
    if let Some((cfg, base)) = data_center {
        return match crate::commands::data_center_myself(ctx, cfg, base) {
            Ok(me) => Check::pass(
                NAME,
                format!(
                    "GET /rest/api/2/myself answers 200 (as {})",
                    me.display_name
                ),
            ),
            Err(e) => {
                let fix = e
                    .hints()
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("see `jira-auth status --check --profile {p}`"));
                let detail = e.lines().collect::<Vec<_>>().join(": ");
                Check::fail(NAME, e.code(), detail, fix)
            }
        };
    }
    match call(ctx.net, |http| {
        atlassian::site::myself_at(http, &api_base, &header)
    }) {
        Ok(answer) => {
            note_date(facts, &answer);
            Check::pass(
                NAME,
                format!(
                    "GET /rest/api/3/myself answers 200 (as {})",
                    answer.value.display_name
                ),
            )
        }
        Err(ApiError::ScopeMismatch(_)) => Check::fail(
            NAME,
            Code::ScopeMissing,
            format!(
                "GET /rest/api/3/myself answered 401 \"scope does not match\": the token lacks {MYSELF_SCOPE} (granular apps: read:user:jira)"
            ),
            match method {
                Method::OAuth => format!(
                    "{}, then run `{}`",
                    fix_for(MYSELF_SCOPE),
                    login_command(&p, &requested, &[MYSELF_SCOPE.to_string()])
                ),
                other => format!(
                    "its scopes are chosen where it was made (admin.atlassian.com for a service account's credential, id.atlassian.com for an API token): add {MYSELF_SCOPE} there, then `jira-auth init --force --profile {p} --method {}`",
                    other.as_str()
                ),
            },
        ),
        Err(e) => api_failure(NAME, e, &p, method),
    }
}

pub(super) fn me(ctx: &Ctx, facts: &mut Facts) -> Check {
    const NAME: &str = "me";
    let Some(Ready {
        token,
        method,
        profile: p,
        requested,
        granted,
        ..
    }) = ready(ctx, facts)
    else {
        return Check::skip(NAME, "no valid access token");
    };
    if facts.cfg.as_ref().is_some_and(|c| c.site.is_data_center()) {
        return Check::skip(NAME, "the User Identity API (/me) is Jira Cloud's");
    }
    if !granted.iter().any(|s| s == "read:me") {
        return Check::skip(
            NAME,
            "read:me is not granted (only needed for the User Identity API)",
        );
    }
    let endpoints = ctx.endpoints();
    match call(ctx.net, |http| atlassian::me(http, endpoints, &token)) {
        Ok(answer) => {
            note_date(facts, &answer);
            Check::pass(
                NAME,
                format!("GET /me answers 200 (as {})", answer.value.name),
            )
        }
        Err(ApiError::ScopeMismatch(_)) => Check::fail(
            NAME,
            Code::ScopeMissing,
            "GET /me answered 401 \"scope does not match\" although the token lists read:me",
            format!(
                "{}, then run `{}`",
                fix_for("read:me"),
                login_command(&p, &requested, &["read:me".to_string()])
            ),
        ),
        Err(e) => api_failure(NAME, e, &p, method),
    }
}
