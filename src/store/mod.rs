//! Where profiles are kept: the `AuthConfig` model (model.rs), the two places its secrets can
//! live (the OS keychain, split where the keychain needs it, or a private file), the
//! non-secret index, the lock files, and the kernel-keyring access-token cache. No network,
//! no command-line types: the profile layer puts these together.

pub(crate) mod cache;
pub(crate) mod chunked;
pub(crate) mod file;
pub(crate) mod index;
pub(crate) mod keychain;
pub(crate) mod lock;
pub mod model;
mod namespace;
pub(crate) mod trust;

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub(crate) use model::{
    Account, AuthConfig, CONFIG_VERSION, CloudServers, Credential, Deployment, Method, OAuthGrant,
    SANDBOX_CLOUD_ID_PREFIX, Site,
};
pub(crate) use namespace::namespace;

/// The keychain service name; the account is the profile name and the config dir's
/// namespace (keychain.rs).
pub(crate) const SERVICE: &str = "jira-auth";

/// The two places a profile's secrets can live: the one name for `--store`, the index, the
/// reports and the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager)
    Keychain,
    /// A 0600 JSON file in the config directory (JIRA_AUTH_CONFIG_DIR)
    File,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Keychain => "keychain",
            Kind::File => "file",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the stores need to know of the settings.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    /// Where the index, the locks and the file store live.
    pub config_dir: PathBuf,
    /// Split keychain items larger than this (it can only lower Windows' limit).
    pub keychain_entry_bytes: Option<usize>,
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
    /// A credentials file that other users can read: it may have been copied or chmod-ed,
    /// and an exposed credential is neither used nor silently fixed.
    #[error("{} is readable by other users (mode {mode:o}); its secrets may be exposed", .path.display())]
    Exposed { path: PathBuf, mode: u32 },
    /// The profile index cannot be read: it holds no secret, but it lists the profiles.
    #[error("cannot read the profile index {}: {detail}", .path.display())]
    IndexUnreadable { path: PathBuf, detail: String },
    /// The profile index is not one (truncated, hand-edited, another file's content).
    #[error("the profile index {} is damaged: {detail}", .path.display())]
    IndexInvalid { path: PathBuf, detail: String },
    /// A file or directory that another user owns, where jira-auth only trusts its own.
    #[error("{} belongs to another user (uid {owner})", .path.display())]
    NotOwned { path: PathBuf, owner: u32 },
    /// The config dir or the index, writable by other users: they could replace what it holds.
    #[error("{} is writable by other users (mode {mode:o}): they could replace what it holds", .path.display())]
    Writable { path: PathBuf, mode: u32 },
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Refused(String),
}

/// A place that keeps `AuthConfig`s, each written as a whole.
pub trait SecretStore {
    fn kind(&self) -> Kind;
    /// Proves the store can write, read back and delete, before anything depends on it.
    fn probe(&self) -> Result<(), StoreError>;
    fn load(&self, profile: &str) -> Result<Option<AuthConfig>, StoreError>;
    fn save(&self, cfg: &AuthConfig) -> Result<(), StoreError>;
    /// True when something was there to delete.
    fn delete(&self, profile: &str) -> Result<bool, StoreError>;
    /// The profile as an older release stored it, where that differs (the keychain's item
    /// shared by every config dir); `None` where nothing was ever stored differently.
    fn load_legacy(&self, _profile: &str) -> Result<Option<AuthConfig>, StoreError> {
        Ok(None)
    }
    /// Deletes what `load_legacy` reads; true when something was there.
    fn delete_legacy(&self, _profile: &str) -> Result<bool, StoreError> {
        Ok(false)
    }
}

pub(crate) fn open(
    kind: Kind,
    settings: &StoreSettings,
) -> Result<Box<dyn SecretStore>, StoreError> {
    Ok(match kind {
        Kind::Keychain => Box::new(keychain::Keychain::open(settings)?),
        Kind::File => Box::new(file::FileStore::new(settings.config_dir.join(file::DIR))),
    })
}

/// A profile name that cannot be a keychain account and a file name.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "invalid profile name '{0}': use 1-64 letters, digits, '-', '_' or '.' (not starting with '.')"
)]
pub struct InvalidProfileName(pub String);

/// Profile names become keychain accounts and file names: keep them plain.
pub(crate) fn check_profile_name(name: &str) -> Result<(), InvalidProfileName> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(InvalidProfileName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names() {
        for ok in ["default", "work-2", "a.b_c"] {
            assert!(check_profile_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(check_profile_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_read_and_print_as_their_flag_values() {
        for kind in [Kind::Keychain, Kind::File] {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<Kind>(&json).unwrap(), kind);
            let flag = <Kind as clap::ValueEnum>::from_str(kind.as_str(), false).unwrap();
            assert_eq!(flag, kind);
        }
    }
}
