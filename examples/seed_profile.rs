//! Writes a ready-to-use profile (an access token valid for a day) into the keychain and the
//! index of JIRA_AUTH_CONFIG_DIR, for scripts/bench.sh: `jira-auth token` can then be timed
//! without an Atlassian to talk to. Benchmark data only: the "tokens" are random strings.
//!
//! Run by scripts/bench.sh as `cargo run --release --example seed_profile -- PROFILE`.

use jira_auth::cli::StoreKind;
use jira_auth::store::index::{Index, ProfileInfo};
use jira_auth::store::{self, AuthConfig, CONFIG_VERSION, Site};
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

fn main() -> anyhow::Result<()> {
    let profile = std::env::args().nth(1).unwrap_or_else(|| "bench".into());
    let dir = store::config_dir()?;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0)?;
    let cfg = AuthConfig {
        version: CONFIG_VERSION,
        profile: profile.clone(),
        method: "oauth2".into(),
        grant: "authorization_code".into(),
        client_id: random(32),
        client_secret: SecretString::from(random(64)),
        scopes_requested: vec!["read:jira-work".into(), "offline_access".into()],
        scopes_granted: vec!["read:jira-work".into(), "offline_access".into()],
        redirect_uri: "http://127.0.0.1:8976/callback".into(),
        site: Site {
            cloud_id: "11111111-2222-4333-8444-555555555555".into(),
            url: "https://bench.atlassian.net".into(),
            name: "bench".into(),
        },
        // Atlassian's access tokens are JWTs of about this size.
        access_token: SecretString::from(format!("eyJ{}", random(1400))),
        access_token_expires_at: now + Duration::days(1),
        refresh_token: Some(SecretString::from(random(400))),
        refresh_token_issued_at: Some(now),
        previous_refresh_token: None,
        previous_rotated_at: None,
        created_at: now,
        updated_at: now,
    };
    let keychain = store::open(StoreKind::Keychain, &dir)?;
    keychain.save(&cfg)?;
    Index::update(&dir, |index| {
        index.upsert(&profile, ProfileInfo::of(&cfg, StoreKind::Keychain))
    })?;
    eprintln!("seeded profile '{profile}' in {}", dir.display());
    Ok(())
}
