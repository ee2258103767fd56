//! Writes a ready-to-use profile into the keychain and the index of JIRA_AUTH_CONFIG_DIR,
//! through the same profile layer `init` saves with (so the kernel-keyring cache is filled as
//! it would be), for scripts/bench.sh: `jira-auth token` can then be timed without an
//! Atlassian to talk to. METHOD is `oauth` (the default) or `service-account` (an access
//! token valid for a day), or `api-token` (a static secret, which is never cached).
//! Benchmark data only: the "tokens" are random strings.
//!
//! Run by scripts/bench.sh as `target/release/examples/seed_profile PROFILE [METHOD]`.

// A command-line tool of the benchmark's: it reads its environment and prints its outcome.
#![allow(clippy::print_stderr, clippy::disallowed_methods)]

use std::process::ExitCode;

use jira_auth::Kind;
use jira_auth::Profiles;
use jira_auth::error::CliError;
use jira_auth::model::{
    ApiToken, AuthConfig, CONFIG_VERSION, Credential, Method, OAuthGrant, ServiceAccount, Site,
};
use jira_auth::settings::{Env, Settings};
use rand::Rng as _;
use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

fn random(len: usize) -> String {
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn seed(profile: String, method: Method) -> Result<(), CliError> {
    let settings = Settings::resolve(&Env::capture())?;
    let now = OffsetDateTime::now_utc();
    // Atlassian's access tokens are JWTs of about this size.
    let jwt = || SecretString::from(format!("eyJ{}", random(1400)));
    let scopes = vec!["read:jira-work".to_string(), "offline_access".to_string()];
    let credential = match method {
        Method::OAuth => Credential::OAuth(OAuthGrant {
            client_id: random(32),
            client_secret: SecretString::from(random(64)),
            redirect_uri: "http://127.0.0.1:8976/callback".into(),
            scopes_requested: scopes.clone(),
            scopes_granted: scopes,
            access_token: jwt(),
            access_token_expires_at: now + Duration::days(1),
            refresh_token: Some(SecretString::from(random(400))),
            refresh_token_issued_at: Some(now),
            previous_refresh_token: None,
            previous_rotated_at: None,
        }),
        Method::ServiceAccount => Credential::ServiceAccount(ServiceAccount {
            client_id: random(32),
            client_secret: SecretString::from(random(64)),
            scopes_requested: vec![],
            scopes_granted: vec!["read:jira-work".into()],
            access_token: jwt(),
            access_token_expires_at: now + Duration::days(1),
        }),
        Method::ApiToken => Credential::ApiToken(ApiToken {
            email: "bench@example.com".into(),
            // Today's API tokens are about this long (ATATT…).
            token: SecretString::from(format!("ATATT{}", random(187))),
            api_base_url: "https://bench.atlassian.net".into(),
        }),
        Method::Pat | Method::Composio => {
            return Err(CliError::usage(
                "pat and composio profiles are not supported yet",
            ));
        }
    };
    let cfg = AuthConfig {
        version: CONFIG_VERSION,
        profile: profile.clone(),
        site: Site::cloud(
            "11111111-2222-4333-8444-555555555555".into(),
            "https://bench.atlassian.net".into(),
            "bench".into(),
            jira_auth::model::CloudServers {
                auth: settings.endpoints.auth.clone(),
                api: settings.endpoints.api.clone(),
            },
        ),
        credential,
        account: None,
        created_at: now,
        updated_at: now,
    };
    Profiles::new(settings.store.clone(), settings.cache).save(&cfg, Kind::Keychain)?;
    eprintln!(
        "seeded {} profile '{profile}' in {}",
        method.as_str(),
        settings.config_dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let profile = std::env::args().nth(1).unwrap_or_else(|| "bench".into());
    let method = match std::env::args().nth(2) {
        None => Method::OAuth,
        Some(name) => match Method::from_name(&name) {
            Some(m) => m,
            None => {
                eprintln!("unknown method '{name}': oauth, service-account or api-token");
                return ExitCode::from(2);
            }
        },
    };
    match seed(profile, method) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.render());
            ExitCode::from(e.exit().code())
        }
    }
}
