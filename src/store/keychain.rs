//! The OS keychain backend through keyring v4 (keyring-core plus the platform's store crate).
//!
//! A profile's item is service `jira-auth`, account `PROFILE@NAMESPACE`, where NAMESPACE
//! names the config dir (`store::namespace`): the keychain is shared by every config dir of
//! the user, the profile names are not. Releases before 0.2 used the account `PROFILE`
//! alone, one item per name for all config dirs; such an item is read through
//! `load_legacy` and moved by the profile layer, which alone can tell whose it is.
//!
//! keyring errors are mapped here and never formatted with `{:?}`: some variants carry the
//! raw stored bytes, which are our secrets.

use std::sync::Arc;

use keyring_core::{CredentialStore, Entry, Error as KError};
use rand::Rng as _;
use secrecy::ExposeSecret;

use super::chunked::{Chunked, ReadError, WINDOWS_ENTRY_LIMIT};
use super::{AuthConfig, Kind, SERVICE, SecretStore, StoreError, StoreSettings};

pub(crate) const BACKEND: &str = if cfg!(target_os = "macos") {
    "macOS Keychain"
} else if cfg!(windows) {
    "Windows Credential Manager"
} else {
    "Secret Service keyring"
};

/// Prefix of the account `probe` writes; never a valid profile name (profiles cannot start
/// with '.'). Each probe adds a random suffix: two processes probing at once must not
/// delete each other's item.
const PROBE_PREFIX: &str = ".jira-auth-probe-";

pub(crate) struct Keychain {
    store: Arc<CredentialStore>,
    /// Largest value one keychain entry takes; larger ones are split (store::chunked).
    entry_limit: Option<usize>,
    /// The config dir's name (`store::namespace`), part of every profile's account.
    namespace: String,
}

impl Keychain {
    pub(crate) fn open(settings: &StoreSettings) -> Result<Keychain, StoreError> {
        Ok(Keychain {
            store: platform_store()?,
            entry_limit: effective_limit(
                settings.keychain_entry_bytes,
                cfg!(windows).then_some(WINDOWS_ENTRY_LIMIT),
            ),
            namespace: super::namespace(&settings.config_dir),
        })
    }

    /// The account of `profile` in this config dir. '@' is in no profile name, so it never
    /// collides with an account of the old, shared form.
    fn account(&self, profile: &str) -> String {
        account(profile, &self.namespace)
    }

    fn entry(&self, account: &str) -> Result<Entry, StoreError> {
        Entry::new_in_store(&self.store, SERVICE, account).map_err(map_err)
    }

    fn chunked(&self) -> Chunked<'_> {
        Chunked::new(&self.store, SERVICE, self.entry_limit)
    }
}

/// Windows caps an entry at 2,560 bytes; the other keychains take our configs whole. A
/// limit from the settings may lower the platform's, never raise it: entries larger than what
/// Windows takes would fail at every save, refreshed tokens included.
fn effective_limit(forced: Option<usize>, platform: Option<usize>) -> Option<usize> {
    match (forced.filter(|n| *n > 0), platform) {
        (Some(f), Some(p)) => Some(f.min(p)),
        (f, p) => f.or(p),
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<CredentialStore>, StoreError> {
    let s = zbus_secret_service_keyring_store::Store::new().map_err(map_err)?;
    Ok(s)
}

#[cfg(target_os = "macos")]
fn platform_store() -> Result<Arc<CredentialStore>, StoreError> {
    let s = apple_native_keyring_store::keychain::Store::new().map_err(map_err)?;
    Ok(s)
}

#[cfg(windows)]
fn platform_store() -> Result<Arc<CredentialStore>, StoreError> {
    let s = windows_native_keyring_store::Store::new().map_err(map_err)?;
    Ok(s)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn platform_store() -> Result<Arc<CredentialStore>, StoreError> {
    Err(StoreError::Unavailable {
        backend: "OS keychain",
        detail: "no keychain support on this platform".into(),
    })
}

/// Maps keyring's errors to ours with a short, secret-free description.
fn map_err(e: KError) -> StoreError {
    match e {
        KError::PlatformFailure(inner) => StoreError::Unavailable {
            backend: BACKEND,
            detail: short(&inner.to_string()),
        },
        KError::NoStorageAccess(inner) => StoreError::Locked {
            backend: BACKEND,
            detail: short(&inner.to_string()),
        },
        KError::BadEncoding(_) | KError::BadDataFormat(_, _) => StoreError::Corrupt {
            profile: "?".into(),
            detail: "the keychain item is not in jira-auth's format".into(),
        },
        KError::TooLong(what, limit) => StoreError::Refused(format!(
            "the {BACKEND} refused the item: {what} is longer than {limit}"
        )),
        KError::Ambiguous(items) => StoreError::Refused(format!(
            "the {BACKEND} holds {} items for this profile; remove the extra ones",
            items.len()
        )),
        KError::NoEntry => StoreError::Io("no such keychain item".into()),
        other => StoreError::Refused(format!(
            "the {BACKEND} failed: {}",
            short(&other.to_string())
        )),
    }
}

fn short(s: &str) -> String {
    let s = s.trim();
    if s.chars().count() > 200 {
        s.chars().take(200).collect::<String>() + "…"
    } else {
        s.to_string()
    }
}

impl SecretStore for Keychain {
    fn kind(&self) -> Kind {
        Kind::Keychain
    }

    fn probe(&self) -> Result<(), StoreError> {
        let value: String = (0..32)
            .map(|_| format!("{:02x}", rand::rng().random::<u8>()))
            .collect();
        let entry = self.entry(&format!("{PROBE_PREFIX}{}", &value[..16]))?;
        entry.set_password(&value).map_err(map_err)?;
        let back = entry.get_password().map_err(map_err);
        // Remove the probe whatever happened, so nothing is left behind.
        let _ = entry.delete_credential();
        if back? != value {
            return Err(StoreError::Refused(format!(
                "the {BACKEND} did not give back what was written"
            )));
        }
        Ok(())
    }

    fn load(&self, profile: &str) -> Result<Option<AuthConfig>, StoreError> {
        self.read(&self.account(profile), profile)
    }

    fn load_legacy(&self, profile: &str) -> Result<Option<AuthConfig>, StoreError> {
        self.read(profile, profile)
    }

    fn delete_legacy(&self, profile: &str) -> Result<bool, StoreError> {
        self.chunked().delete(profile).map_err(map_err)
    }

    fn save(&self, cfg: &AuthConfig) -> Result<(), StoreError> {
        // Replaced whole (split where the keychain needs it): a reader sees the old config
        // or the new one.
        let json = cfg.to_secret_json();
        self.chunked()
            .write(&self.account(&cfg.profile), json.expose_secret().as_bytes())
            .map_err(map_err)
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        self.chunked()
            .delete(&self.account(profile))
            .map_err(map_err)
    }
}

impl Keychain {
    /// The config stored at `account`, for `profile`.
    fn read(&self, account: &str, profile: &str) -> Result<Option<AuthConfig>, StoreError> {
        let bytes = match self.chunked().read(account) {
            Ok(Some(bytes)) => bytes,
            Ok(None) => return Ok(None),
            Err(ReadError::Keyring(e)) => return Err(with_profile(map_err(e), profile)),
            Err(ReadError::Inconsistent) => {
                return Err(StoreError::Corrupt {
                    profile: profile.to_string(),
                    detail: "its keychain entries are incomplete".into(),
                });
            }
        };
        let json = std::str::from_utf8(&bytes).map_err(|_| StoreError::Corrupt {
            profile: profile.to_string(),
            detail: "the keychain item is not text".into(),
        })?;
        let cfg = AuthConfig::from_json(profile, json).map_err(|e| with_profile(e, profile))?;
        Ok(Some(cfg))
    }
}

/// `PROFILE@NAMESPACE`: what tests and people look the item up by
/// (`secret-tool lookup service jira-auth username PROFILE@NAMESPACE`).
pub(crate) fn account(profile: &str, namespace: &str) -> String {
    format!("{profile}@{namespace}")
}

fn with_profile(e: StoreError, profile: &str) -> StoreError {
    match e {
        StoreError::Corrupt { detail, .. } => StoreError::Corrupt {
            profile: profile.to_string(),
            detail,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_limit_variable_lowers_the_platform_limit_but_never_raises_it() {
        let windows = Some(WINDOWS_ENTRY_LIMIT);
        assert_eq!(effective_limit(None, windows), windows);
        assert_eq!(effective_limit(Some(300), windows), Some(300));
        assert_eq!(effective_limit(Some(100000), windows), windows);
        assert_eq!(effective_limit(Some(0), windows), windows);
        assert_eq!(effective_limit(None, None), None);
        assert_eq!(effective_limit(Some(300), None), Some(300));
    }
}
