//! The profile layer in-process: `Profiles::save/update/remove` on the file store of a
//! temporary config dir, and renewal (`Session::valid_token`) against the emulator on
//! loopback, through the public API of `Profiles` and `Session` alone. (The command line's
//! view of the same, keychain included, is tests/cases/.)

use std::time::Duration as StdDuration;

use jira_auth_emulator::emulator::{Client, Emulator, Endpoint, ServiceAccount as EmuAccount};
use secrecy::{ExposeSecret, SecretString};
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};
use url::Url;

use super::*;
use crate::net::{Endpoints, Net};
use crate::store::model::{OAuthGrant, ServiceAccount};
use crate::store::{Credential, Site};

const CLIENT_ID: &str = "JiraAuthUnitClient0123456789abcd";
const REDIRECT: &str = "http://127.0.0.1:8976/callback";
const SCOPES: [&str; 3] = ["read:jira-work", "read:me", "offline_access"];
const SA_CLIENT_ID: &str = "JiraAuthUnitServiceAccount012345";

/// An emulated Atlassian with the app (and a service account) registered, and the profiles
/// of a config dir of its own.
struct World {
    emu: Emulator,
    client_secret: String,
    sa_secret: String,
    _dir: TempDir,
    profiles: Profiles,
    net: Net,
    endpoints: Endpoints,
}

fn world() -> World {
    let emu = Emulator::start();
    let client_secret = format!("ATOA{}", random());
    emu.register_client(Client::new(CLIENT_ID, &client_secret, REDIRECT, &SCOPES));
    let sa_secret = format!("ATSA{}", random());
    emu.register_service_account(EmuAccount::new(
        SA_CLIENT_ID,
        &sa_secret,
        &["read:jira-work"],
    ));
    let dir = tempfile::tempdir().expect("a temporary directory");
    let profiles = Profiles::new(
        StoreSettings {
            config_dir: dir.path().join("config"),
            keychain_entry_bytes: None,
        },
        // The kernel-keyring cache is the CLI tests' (it needs keyutils).
        false,
    );
    let endpoints = Endpoints {
        auth: Url::parse(&emu.auth_url()).unwrap(),
        api: Url::parse(&emu.api_url()).unwrap(),
    };
    World {
        emu,
        client_secret,
        sa_secret,
        _dir: dir,
        profiles,
        net: Net::new(StdDuration::from_secs(10)),
        endpoints,
    }
}

fn random() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn site() -> Site {
    Site::cloud(
        "1324a887-45db-1bf4-1e99-ef0ff456d421".into(),
        "https://acme.atlassian.net".into(),
        "acme".into(),
        crate::oauth::AuthServer::record(&crate::net::Endpoints::atlassian()),
    )
}

impl World {
    /// A profile of an OAuth grant the emulator holds (refresh token `refresh`, an access
    /// token with `left` to live), as `init` would have stored it.
    fn oauth_profile(&self, name: &str, left: Duration) -> (AuthConfig, String) {
        let (access, refresh) = (format!("at-{}", random()), format!("rt-{}", random()));
        let scopes: Vec<String> = SCOPES.iter().map(|s| s.to_string()).collect();
        let lives = StdDuration::try_from(left).unwrap_or(StdDuration::ZERO);
        self.emu
            .adopt_grant(CLIENT_ID, &scopes, Some(&refresh), Some((&access, lives)));
        let now = OffsetDateTime::now_utc();
        let grant = OAuthGrant {
            client_id: CLIENT_ID.into(),
            client_secret: SecretString::from(self.client_secret.clone()),
            redirect_uri: REDIRECT.into(),
            scopes_requested: scopes.clone(),
            scopes_granted: scopes,
            access_token: SecretString::from(access),
            access_token_expires_at: now + left,
            refresh_token: Some(SecretString::from(refresh.clone())),
            refresh_token_issued_at: Some(now),
            previous_refresh_token: None,
            previous_rotated_at: None,
        };
        let cfg = AuthConfig::new(name.into(), site(), Credential::OAuth(grant));
        (cfg, refresh)
    }

    fn session(&self, name: &str) -> Session<'_> {
        Session::open(&self.profiles, &self.net, &self.endpoints, Some(name)).unwrap()
    }

    fn stored(&self, name: &str) -> AuthConfig {
        let found = self.profiles.find(Some(name)).unwrap();
        self.profiles.load(&found).unwrap()
    }
}

fn oauth(cfg: &AuthConfig) -> &OAuthGrant {
    match &cfg.credential {
        Credential::OAuth(grant) => grant,
        _ => panic!("not an OAuth profile"),
    }
}

fn secret(value: &Option<SecretString>) -> Option<&str> {
    value.as_ref().map(|s| s.expose_secret())
}

#[test]
fn save_lists_the_profile_and_remove_leaves_nothing() {
    let w = world();
    let (cfg, refresh) = w.oauth_profile("work", Duration::hours(1));
    w.profiles.save(&cfg, Kind::File).unwrap();

    let index = w.profiles.index().unwrap();
    assert_eq!(
        index.default.as_deref(),
        Some("work"),
        "the first is the default"
    );
    let found = w.profiles.find(None).unwrap();
    assert_eq!(
        (found.name.as_str(), found.info.store),
        ("work", Kind::File)
    );
    let stored = w.stored("work");
    assert_eq!(
        secret(&oauth(&stored).refresh_token),
        Some(refresh.as_str())
    );
    assert_eq!(stored.site, cfg.site);
    let files = w.profiles.check_files(Some(&found)).unwrap();
    assert!(
        !files.is_empty(),
        "the config dir and the secrets file are checked"
    );

    let (other, _) = w.oauth_profile("home", Duration::hours(1));
    w.profiles.save(&other, Kind::File).unwrap();
    assert_eq!(
        w.profiles.set_default("home").unwrap().as_deref(),
        Some("work")
    );

    assert_eq!(w.profiles.remove("work").unwrap(), Removal::Removed);
    assert!(matches!(
        w.profiles.find(Some("work")),
        Err(ProfileError::NotFound { .. })
    ));
    assert_eq!(w.profiles.remove("work").unwrap(), Removal::Nothing);
    let index = w.profiles.index().unwrap();
    assert_eq!(index.profiles.keys().collect::<Vec<_>>(), ["home"]);
    let left: Vec<String> = walk(w.profiles.config_dir())
        .into_iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert!(
        left.iter().all(|text| !text.contains(&refresh)),
        "no file keeps the removed profile's refresh token"
    );
}

#[test]
fn update_saves_only_a_change_and_on_the_config_as_stored_now() {
    let w = world();
    let (cfg, _) = w.oauth_profile("work", Duration::hours(1));
    w.profiles.save(&cfg, Kind::File).unwrap();
    let before = w.stored("work");

    let unchanged = w.profiles.update("work", |_| false).unwrap();
    assert_eq!(unchanged.updated_at, before.updated_at);

    // Another process (a `token`) renewed meanwhile: update starts from its result.
    let mut renewed = w.stored("work");
    let Credential::OAuth(grant) = &mut renewed.credential else {
        unreachable!()
    };
    grant.refresh_token = Some(SecretString::from("rt-rotated-elsewhere"));
    w.profiles.save(&renewed, Kind::File).unwrap();

    let changed = w
        .profiles
        .update("work", |cfg| {
            cfg.site.name = "beta".into();
            true
        })
        .unwrap();
    assert!(changed.updated_at >= before.updated_at);
    let stored = w.stored("work");
    assert_eq!(stored.site.name, "beta");
    assert_eq!(
        secret(&oauth(&stored).refresh_token),
        Some("rt-rotated-elsewhere"),
        "the rotated token survives the change"
    );
    let info = &w.profiles.index().unwrap().profiles["work"];
    assert_eq!(info.site.name, "beta");
    assert!(matches!(
        w.profiles.update("nobody", |_| true),
        Err(ProfileError::NotFound { .. })
    ));
}

#[test]
fn a_stale_token_is_refreshed_at_the_emulator_and_stored_before_it_is_given() {
    let w = world();
    // Under --min-ttl 60: due for renewal.
    let (cfg, refresh) = w.oauth_profile("work", Duration::seconds(30));
    w.profiles.save(&cfg, Kind::File).unwrap();

    let usable = w.session("work").valid_token(RENEWAL_MARGIN).unwrap();
    assert_eq!(w.emu.hits(Endpoint::Token), 1);
    let new_access = usable.value.secret.expose_secret().to_string();
    assert_ne!(new_access, oauth(&cfg).access_token.expose_secret());
    assert!(w.emu.issued_secrets().contains(&new_access));

    let stored = w.stored("work");
    let grant = oauth(&stored);
    assert_eq!(grant.access_token.expose_secret(), new_access);
    assert!(grant.access_token_expires_at > OffsetDateTime::now_utc() + Duration::minutes(50));
    let rotated = secret(&grant.refresh_token).unwrap();
    assert_ne!(rotated, refresh, "Atlassian rotates refresh tokens");
    assert!(w.emu.issued_secrets().iter().any(|s| s == rotated));
    assert_eq!(
        secret(&grant.previous_refresh_token),
        Some(refresh.as_str()),
        "the spent token is kept for the reuse interval"
    );

    // Fresh now: answered from the store, nothing asked.
    let again = w.session("work").valid_token(RENEWAL_MARGIN).unwrap();
    assert_eq!(again.value.secret.expose_secret(), new_access);
    assert_eq!(w.emu.hits(Endpoint::Token), 1);
    // The API takes it.
    let me = reqwest::blocking::Client::new()
        .get(format!("{}/me", w.emu.api_url()))
        .bearer_auth(&new_access)
        .send()
        .unwrap();
    assert_eq!(me.status(), 200);
}

#[test]
fn a_lost_newest_refresh_token_falls_back_to_the_previous_one_within_the_reuse_interval() {
    let w = world();
    let (mut cfg, refresh) = w.oauth_profile("work", Duration::seconds(-5));
    let Credential::OAuth(grant) = &mut cfg.credential else {
        unreachable!()
    };
    // The newest token is one the emulator never issued (its answer lost, say); the one it
    // replaced a minute ago is the emulator's.
    grant.refresh_token = Some(SecretString::from(format!("rt-{}", random())));
    grant.previous_refresh_token = Some(SecretString::from(refresh.clone()));
    grant.previous_rotated_at = Some(OffsetDateTime::now_utc() - Duration::minutes(1));
    w.profiles.save(&cfg, Kind::File).unwrap();

    w.session("work").valid_token(RENEWAL_MARGIN).unwrap();
    assert_eq!(
        w.emu.hits(Endpoint::Token),
        2,
        "the newest, then the previous"
    );
    let stored = w.stored("work");
    assert_eq!(
        secret(&oauth(&stored).previous_refresh_token),
        Some(refresh.as_str())
    );
    assert!(
        w.emu
            .issued_secrets()
            .iter()
            .any(|s| Some(s.as_str()) == secret(&oauth(&stored).refresh_token))
    );
}

#[test]
fn a_refused_refresh_is_an_error_recorded_in_the_index_and_nothing_is_saved() {
    let w = world();
    let (cfg, refresh) = w.oauth_profile("work", Duration::seconds(-5));
    w.profiles.save(&cfg, Kind::File).unwrap();
    // A password change: every refresh token stops working.
    w.emu.revoke_all_refresh_tokens();

    let err = w.session("work").valid_token(RENEWAL_MARGIN).err().unwrap();
    assert!(
        matches!(
            err,
            ProfileError::Renew {
                data_center: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(w.emu.hits(Endpoint::Token), 1);
    let info = &w.profiles.index().unwrap().profiles["work"];
    assert_eq!(
        info.refused.as_ref().map(|r| r.what),
        Some(Refused::RefreshToken)
    );
    let stored = w.stored("work");
    assert_eq!(
        secret(&oauth(&stored).refresh_token),
        Some(refresh.as_str())
    );
}

#[test]
fn a_service_account_mints_a_new_token_and_without_a_refresh_token_nothing_renews() {
    let w = world();
    let now = OffsetDateTime::now_utc();
    let sa = ServiceAccount {
        client_id: SA_CLIENT_ID.into(),
        client_secret: SecretString::from(w.sa_secret.clone()),
        scopes_requested: Vec::new(),
        scopes_granted: vec!["read:jira-work".into()],
        access_token: SecretString::from("at-expired-long-ago"),
        access_token_expires_at: now - Duration::hours(2),
    };
    let cfg = AuthConfig::new("ci".into(), site(), Credential::ServiceAccount(sa));
    w.profiles.save(&cfg, Kind::File).unwrap();
    let usable = w.session("ci").valid_token(RENEWAL_MARGIN).unwrap();
    let minted = usable.value.secret.expose_secret().to_string();
    assert!(w.emu.issued_secrets().contains(&minted));
    assert_eq!(w.emu.hits(Endpoint::Token), 1);
    let Credential::ServiceAccount(stored) = w.stored("ci").credential else {
        panic!("still a service account")
    };
    assert_eq!(stored.access_token.expose_secret(), minted);

    // An OAuth grant without offline_access has nothing to renew with.
    let (mut cfg, _) = w.oauth_profile("short", Duration::seconds(-5));
    let Credential::OAuth(grant) = &mut cfg.credential else {
        unreachable!()
    };
    grant.refresh_token = None;
    w.profiles.save(&cfg, Kind::File).unwrap();
    assert!(matches!(
        w.session("short").valid_token(RENEWAL_MARGIN),
        Err(ProfileError::NoRefreshToken { .. })
    ));
    assert_eq!(w.emu.hits(Endpoint::Token), 1, "nothing was asked");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
