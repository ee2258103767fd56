//! What is stored per profile (`AuthConfig`), where (keychain or file), and the non-secret index.

pub mod cache;
pub mod chunked;
pub mod file;
pub mod index;
pub mod keychain;
pub mod lock;

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::cli::StoreKind;
use crate::error::{CliError, Exit};

/// The keychain service name; the account is the profile name.
pub const SERVICE: &str = "jira-auth";

/// Everything a profile needs to produce access tokens for months.
#[derive(Serialize, Deserialize)]
pub struct AuthConfig {
    pub version: u32,
    pub profile: String,
    /// "oauth2" today; API tokens and service accounts later.
    pub method: String,
    pub grant: String,
    pub client_id: String,
    #[serde(serialize_with = "expose")]
    pub client_secret: SecretString,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    pub redirect_uri: String,
    pub site: Site,
    #[serde(serialize_with = "expose")]
    pub access_token: SecretString,
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
    #[serde(serialize_with = "expose_opt", default)]
    pub refresh_token: Option<SecretString>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
    /// The refresh token that the current one replaced, kept while Atlassian still honours
    /// it (its reuse interval), so a rejected newest token is not the end of the profile.
    #[serde(serialize_with = "expose_opt", default)]
    pub previous_refresh_token: Option<SecretString>,
    /// When `previous_refresh_token` was rotated out.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub previous_rotated_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

pub const CONFIG_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Site {
    pub cloud_id: String,
    pub url: String,
    pub name: String,
}

// Serialization into the store is the one place secrets are meant to leave memory.
fn expose<S: serde::Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.expose_secret())
}

fn expose_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(v.expose_secret()),
        None => s.serialize_none(),
    }
}

impl AuthConfig {
    /// The serialized form, held as a secret so it is zeroized after use.
    pub fn to_secret_json(&self) -> SecretString {
        SecretString::from(serde_json::to_string(self).expect("AuthConfig always serializes"))
    }

    pub fn from_json(profile: &str, json: &str) -> Result<AuthConfig, StoreError> {
        // serde_json's message for a type error can quote a value; report position only.
        let cfg: AuthConfig = serde_json::from_str(json).map_err(|e| StoreError::Corrupt {
            profile: profile.to_string(),
            detail: format!("line {}, column {}", e.line(), e.column()),
        })?;
        if cfg.version > CONFIG_VERSION {
            return Err(StoreError::Corrupt {
                profile: profile.to_string(),
                detail: format!(
                    "written by a newer jira-auth (format {}); upgrade jira-auth",
                    cfg.version
                ),
            });
        }
        Ok(cfg)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the {backend} is not available: {detail}")]
    Unavailable {
        backend: &'static str,
        detail: String,
    },
    #[error("the {backend} is locked or refused access: {detail}")]
    Locked {
        backend: &'static str,
        detail: String,
    },
    #[error("the stored profile '{profile}' cannot be read: {detail}")]
    Corrupt { profile: String, detail: String },
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Refused(String),
    /// A setting (environment variable) for the store that makes no sense.
    #[error("{0}")]
    BadSetting(String),
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        let message = e.to_string();
        match e {
            StoreError::Unavailable { .. } | StoreError::Locked { .. } => {
                let mut err = CliError::new(Exit::Store, message);
                if cfg!(target_os = "linux") {
                    err = err.hint("start and unlock a Secret Service keyring (GNOME Keyring or KWallet): e.g. log in to a desktop session, or run `gnome-keyring-daemon --unlock` inside a D-Bus session");
                } else {
                    err = err.hint("unlock the system keychain and run the command again");
                }
                err.hint("or keep the credentials in a 0600 file instead: --store file (or JIRA_AUTH_STORE=file)")
            }
            StoreError::Corrupt { profile, .. } => CliError::new(Exit::Store, message)
                .hint(format!("remove it with `jira-auth logout --profile {profile}` and run `jira-auth init` again")),
            StoreError::Io(_) | StoreError::Refused(_) => CliError::new(Exit::Store, message),
            StoreError::BadSetting(_) => CliError::usage(message),
        }
    }
}

/// A place that keeps `AuthConfig`s, each written as a whole.
pub trait SecretStore {
    fn kind(&self) -> StoreKind;
    /// Proves the store can write, read back and delete, before anything depends on it.
    fn probe(&self) -> Result<(), StoreError>;
    fn load(&self, profile: &str) -> Result<Option<AuthConfig>, StoreError>;
    fn save(&self, cfg: &AuthConfig) -> Result<(), StoreError>;
    /// True when something was there to delete.
    fn delete(&self, profile: &str) -> Result<bool, StoreError>;
}

/// The directory for the index and the file store.
pub fn config_dir() -> Result<PathBuf, CliError> {
    if let Some(d) = std::env::var_os("JIRA_AUTH_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().map_err(|e| {
        CliError::usage(format!("cannot find the config directory: {e}"))
            .hint("set JIRA_AUTH_CONFIG_DIR")
    })?;
    Ok(base.config_dir().join("jira-auth"))
}

pub fn open(kind: StoreKind, dir: &std::path::Path) -> Result<Box<dyn SecretStore>, StoreError> {
    Ok(match kind {
        StoreKind::Keychain => Box::new(keychain::Keychain::open(dir)?),
        StoreKind::File => Box::new(file::FileStore::new(dir.join("credentials"))),
    })
}

pub fn kind_name(kind: StoreKind) -> &'static str {
    match kind {
        StoreKind::Keychain => "keychain",
        StoreKind::File => "file",
    }
}

/// Profile names become keychain accounts and file names: keep them plain.
pub fn check_profile_name(name: &str) -> Result<(), CliError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(CliError::usage(format!(
            "invalid profile name '{name}': use 1-64 letters, digits, '-', '_' or '.' (not starting with '.')"
        )))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn sample(profile: &str) -> AuthConfig {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        AuthConfig {
            version: CONFIG_VERSION,
            profile: profile.into(),
            method: "oauth2".into(),
            grant: "authorization_code".into(),
            client_id: "cid".into(),
            client_secret: SecretString::from("csecret-value"),
            scopes_requested: vec!["read:jira-work".into(), "offline_access".into()],
            scopes_granted: vec!["read:jira-work".into(), "offline_access".into()],
            redirect_uri: "http://127.0.0.1:8976/callback".into(),
            site: Site {
                cloud_id: "id".into(),
                url: "https://acme.atlassian.net".into(),
                name: "acme".into(),
            },
            access_token: SecretString::from("at-value"),
            access_token_expires_at: now,
            refresh_token: Some(SecretString::from("rt-value")),
            refresh_token_issued_at: Some(now),
            previous_refresh_token: None,
            previous_rotated_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn auth_config_round_trips_through_json() {
        let cfg = sample("p");
        let json = cfg.to_secret_json();
        let back = AuthConfig::from_json("p", json.expose_secret()).unwrap();
        assert_eq!(back.client_secret.expose_secret(), "csecret-value");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "rt-value");
        assert_eq!(back.access_token_expires_at, cfg.access_token_expires_at);
        assert_eq!(back.site, cfg.site);
    }

    #[test]
    fn corrupt_json_error_does_not_quote_content() {
        let e = AuthConfig::from_json("p", r#"{"version": "SECRETVALUE"}"#)
            .err()
            .unwrap();
        assert!(!e.to_string().contains("SECRETVALUE"), "{e}");
    }

    #[test]
    fn debug_of_secrets_is_redacted() {
        let s = SecretString::from("tok-123");
        assert!(!format!("{s:?}").contains("tok-123"));
    }

    #[test]
    fn profile_names() {
        for ok in ["default", "work-2", "a.b_c"] {
            assert!(check_profile_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
    }
}
