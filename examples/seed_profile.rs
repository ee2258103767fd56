//! Writes a ready-to-use profile (an access token valid for a day) into the keychain and the
//! index of JIRA_AUTH_CONFIG_DIR, through the same profile layer `init` saves with (so the
//! kernel-keyring cache is filled as it would be), for scripts/bench.sh: `jira-auth token`
//! can then be timed without an Atlassian to talk to. Benchmark data only: the "tokens" are
//! random strings.
//!
//! Run by scripts/bench.sh as `cargo run --release --example seed_profile -- PROFILE`.

use std::process::ExitCode;

use jira_auth::error::CliError;
use jira_auth::profile::Profiles;
use jira_auth::settings::{Env, Settings};
use jira_auth::store::{AuthConfig, CONFIG_VERSION, Credential, Kind, OAuthGrant, Site};
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

fn seed(profile: String) -> Result<(), CliError> {
    let settings = Settings::resolve(&Env::capture())?;
    let now = OffsetDateTime::now_utc();
    let cfg = AuthConfig {
        version: CONFIG_VERSION,
        profile: profile.clone(),
        site: Site {
            cloud_id: "11111111-2222-4333-8444-555555555555".into(),
            url: "https://bench.atlassian.net".into(),
            name: "bench".into(),
        },
        credential: Credential::OAuth(OAuthGrant {
            client_id: random(32),
            client_secret: SecretString::from(random(64)),
            redirect_uri: "http://127.0.0.1:8976/callback".into(),
            scopes_requested: vec!["read:jira-work".into(), "offline_access".into()],
            scopes_granted: vec!["read:jira-work".into(), "offline_access".into()],
            // Atlassian's access tokens are JWTs of about this size.
            access_token: SecretString::from(format!("eyJ{}", random(1400))),
            access_token_expires_at: now + Duration::days(1),
            refresh_token: Some(SecretString::from(random(400))),
            refresh_token_issued_at: Some(now),
            previous_refresh_token: None,
            previous_rotated_at: None,
        }),
        account: None,
        created_at: now,
        updated_at: now,
    };
    Profiles::new(settings.store.clone(), settings.cache).save(&cfg, Kind::Keychain)?;
    eprintln!(
        "seeded profile '{profile}' in {}",
        settings.config_dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let profile = std::env::args().nth(1).unwrap_or_else(|| "bench".into());
    match seed(profile) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.render());
            ExitCode::from(e.exit().code())
        }
    }
}
