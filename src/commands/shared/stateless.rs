//! Stateless mode of `token`, `header` and `exec`: with `JIRA_AUTH_METHOD=service-account`
//! the credential is the service account the environment names, and no profile is read or
//! written, even when one exists. A CI job's environment is then the whole truth: a profile
//! left on a reused runner cannot stand in for the credential the job names (as `GH_TOKEN`
//! beats gh's stored login, and `AWS_ACCESS_KEY_ID` the AWS CLI's profiles). Naming a
//! profile as well is a contradiction, and refused.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::input::{Console, check_client_id, check_secret};
use super::site::target;
use crate::atlassian::datacenter;
use crate::commands::{Ctx, Result};
use crate::error::{CliError, Code, Exit};
use crate::profile::{Access, ServiceAccountEnv};
use crate::settings::{CLIENT_ID, CLIENT_SECRET, CLOUD_ID, METHOD, SITE, StatelessEnv};
use crate::store::Deployment;

pub(in crate::commands) fn access(
    ctx: &Ctx,
    env: &StatelessEnv,
    min_ttl: Duration,
) -> Result<Access> {
    let sa = account(ctx, env)?;
    match ctx
        .profiles
        .stateless_token(ctx.net, &ctx.settings.endpoints, &sa, min_ttl)
    {
        Ok(access) => Ok(access),
        Err(e) => {
            let e = CliError::from(e);
            // "Not a Jira Cloud site" may be a Data Center instance: say what to do there
            // instead. Asked only then, so a Cloud site costs no extra request.
            match env.site.as_deref() {
                Some(raw) if e.exit() == Exit::Usage && is_data_center(ctx, raw) => {
                    Err(data_center_is_not_stateless(raw))
                }
                _ => Err(e),
            }
        }
    }
}

/// Whether `raw` is a Data Center base URL that its serverInfo confirms.
fn is_data_center(ctx: &Ctx, raw: &str) -> bool {
    let Some(Ok(base)) = datacenter::parse_base(raw) else {
        return false;
    };
    let Ok(http) = ctx.net.http() else {
        return false;
    };
    matches!(
        ctx.net.block_on(datacenter::detect(http, &base, None)),
        Ok(Ok(found)) if found.deployment == Deployment::DataCenter
    )
}

/// Stateless mode mints at Atlassian; a Data Center service account is a profile's.
fn data_center_is_not_stateless(raw: &str) -> CliError {
    CliError::new(
        Code::DeploymentMismatch,
        format!(
            "{SITE}={raw} is Jira Data Center, and stateless mode ({METHOD}=service-account) is for Jira Cloud service accounts only"
        ),
    )
    .hint(format!(
        "store the Data Center service account once as a profile: unset {METHOD}, run `jira-auth init --method service-account --scopes READ` (or WRITE) with {SITE}, {CLIENT_ID} and {CLIENT_SECRET} set, then `jira-auth token` (a CI job can use --store file)"
    ))
}

/// The service account of the environment, every variable checked; all that are missing
/// are named at once.
fn account(ctx: &Ctx, env: &StatelessEnv) -> Result<ServiceAccountEnv> {
    let mode = format!("stateless mode ({METHOD}=service-account)");
    if let Some(profile) = &ctx.global.profile {
        return Err(CliError::usage(format!(
            "{mode} uses no profile, but --profile (or JIRA_AUTH_PROFILE) names '{profile}'"
        ))
        .hint(format!(
            "unset {METHOD} to use the profile, or drop --profile and JIRA_AUTH_PROFILE to use the service account of the environment"
        )));
    }
    let secret = ctx.settings.secrets.client_secret.as_ref();
    let site_var = format!("{SITE} (or {CLOUD_ID})");
    let missing: Vec<&str> = [
        (env.client_id.is_none(), CLIENT_ID),
        (secret.is_none(), CLIENT_SECRET),
        (env.site.is_none() && env.cloud_id.is_none(), &site_var),
    ]
    .into_iter()
    .filter_map(|(absent, name)| absent.then_some(name))
    .collect();
    let (Some(raw_id), Some(secret), []) = (&env.client_id, secret, missing.as_slice()) else {
        return Err(CliError::new(
            Code::MissingInput,
            format!(
                "{mode} needs {}, which {} not set",
                and_list(&missing),
                if missing.len() == 1 { "is" } else { "are" }
            ),
        )
        .hint("set them, in CI from the job's secrets (README: \"Jira in CI\"); or unset JIRA_AUTH_METHOD to use a stored profile"));
    };
    let client_id = check_client_id(raw_id, Console::Admin)
        .map_err(|e| CliError::usage(format!("{CLIENT_ID}: {e}")))?;
    let client_secret = SecretString::from(secret.expose_secret().trim().to_string());
    check_secret(
        client_secret.expose_secret(),
        Some(&client_id),
        Console::Admin,
    )
    .map_err(|e| CliError::usage(format!("{CLIENT_SECRET}: {e}")))?;
    let shown_site = env.site.as_ref().map(|s| format!("{SITE}={s}"));
    let shown_id = env.cloud_id.as_ref().map(|s| format!("{CLOUD_ID}={s}"));
    let where_ = target(
        shown_site.as_deref().zip(env.site.as_deref()),
        shown_id.as_deref().zip(env.cloud_id.as_deref()),
    )?;
    Ok(ServiceAccountEnv {
        client_id,
        client_secret,
        site: where_.site,
        cloud_id: where_.cloud_id,
    })
}

/// "A", "A and B", "A, B and C".
fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_sentences() {
        assert_eq!(and_list(&["A"]), "A");
        assert_eq!(and_list(&["A", "B"]), "A and B");
        assert_eq!(and_list(&["A", "B", "C"]), "A, B and C");
    }
}
