//! The non-secret index of profiles (`profiles.json` in the config dir): names, the default,
//! and what `status` shows, so listing profiles never needs the keychain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::file::write_private_atomic;
use super::{AuthConfig, Site, StoreError};
use crate::cli::StoreKind;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub store: StoreName,
    pub method: String,
    pub client_id: String,
    pub site: Site,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    pub redirect_uri: String,
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
    pub has_refresh_token: bool,
    /// When the refresh token was issued, i.e. last used: Atlassian expires it after 90 days
    /// without use. (Absent in indexes written before it was recorded.)
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreName {
    Keychain,
    File,
}

impl From<StoreKind> for StoreName {
    fn from(k: StoreKind) -> StoreName {
        match k {
            StoreKind::Keychain => StoreName::Keychain,
            StoreKind::File => StoreName::File,
        }
    }
}

impl From<StoreName> for StoreKind {
    fn from(k: StoreName) -> StoreKind {
        match k {
            StoreName::Keychain => StoreKind::Keychain,
            StoreName::File => StoreKind::File,
        }
    }
}

impl ProfileInfo {
    pub fn of(cfg: &AuthConfig, store: StoreKind) -> ProfileInfo {
        ProfileInfo {
            store: store.into(),
            method: cfg.method.clone(),
            client_id: cfg.client_id.clone(),
            site: cfg.site.clone(),
            scopes_requested: cfg.scopes_requested.clone(),
            scopes_granted: cfg.scopes_granted.clone(),
            redirect_uri: cfg.redirect_uri.clone(),
            access_token_expires_at: cfg.access_token_expires_at,
            has_refresh_token: cfg.refresh_token.is_some(),
            refresh_token_issued_at: cfg.refresh_token_issued_at,
            updated_at: cfg.updated_at,
        }
    }
}

pub fn path(dir: &Path) -> PathBuf {
    dir.join("profiles.json")
}

impl Index {
    pub fn load(dir: &Path) -> Result<Index, StoreError> {
        let p = path(dir);
        match std::fs::read_to_string(&p) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                StoreError::Io(format!(
                    "{} is not valid ({e}); fix or remove it (it holds no secret)",
                    p.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
            Err(e) => Err(StoreError::Io(format!("cannot read {}: {e}", p.display()))),
        }
    }

    /// Loads, changes and saves the index under its lock: two processes changing different
    /// profiles at once (an `init` beside a `token` refresh) must not drop each other's entry.
    pub fn update<R>(dir: &Path, change: impl FnOnce(&mut Index) -> R) -> Result<R, StoreError> {
        let _lock = super::lock::lock_index(dir)?;
        let mut index = Index::load(dir)?;
        let out = change(&mut index);
        index.save(dir)?;
        Ok(out)
    }

    fn save(&self, dir: &Path) -> Result<(), StoreError> {
        let text = serde_json::to_vec_pretty(self).expect("the index always serializes");
        write_private_atomic(&path(dir), &text)
    }

    /// The profile to use when none is named: the marked default, else `default`.
    pub fn default_profile(&self) -> String {
        self.default
            .clone()
            .unwrap_or_else(|| "default".to_string())
    }

    pub fn upsert(&mut self, name: &str, info: ProfileInfo) {
        self.profiles.insert(name.to_string(), info);
        if self
            .default
            .as_deref()
            .is_none_or(|d| !self.profiles.contains_key(d))
        {
            self.default = Some(name.to_string());
        }
    }

    pub fn remove(&mut self, name: &str) -> bool {
        let had = self.profiles.remove(name).is_some();
        if self.default.as_deref() == Some(name) {
            // The next profile in name order becomes the default, so that there is one while
            // any profile remains.
            self.default = self.profiles.keys().next().cloned();
        }
        had
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::sample;

    #[test]
    fn first_profile_becomes_default_and_removal_moves_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Index::load(dir.path()).unwrap();
        assert_eq!(idx.default_profile(), "default");
        idx.upsert("work", ProfileInfo::of(&sample("work"), StoreKind::File));
        idx.upsert(
            "home",
            ProfileInfo::of(&sample("home"), StoreKind::Keychain),
        );
        assert_eq!(idx.default.as_deref(), Some("work"));
        idx.save(dir.path()).unwrap();
        let mut idx = Index::load(dir.path()).unwrap();
        assert_eq!(idx.profiles["home"].store, StoreName::Keychain);
        assert!(idx.remove("work"));
        assert_eq!(idx.default.as_deref(), Some("home"));
        assert!(!idx.remove("work"));
        assert!(idx.remove("home"));
        assert_eq!(idx.default, None);
    }

    #[test]
    fn index_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        Index::update(dir.path(), |idx| {
            idx.upsert("p", ProfileInfo::of(&sample("p"), StoreKind::File))
        })
        .unwrap();
        let text = std::fs::read_to_string(path(dir.path())).unwrap();
        for secret in ["csecret-value", "at-value", "rt-value"] {
            assert!(!text.contains(secret));
        }
        assert!(text.contains("acme.atlassian.net"));
    }

    #[test]
    fn concurrent_updates_of_different_profiles_keep_every_entry() {
        let dir = tempfile::tempdir().unwrap();
        let threads: Vec<_> = (0..16)
            .map(|i| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    let name = format!("p{i}");
                    Index::update(&d, |idx| {
                        idx.upsert(&name, ProfileInfo::of(&sample(&name), StoreKind::File))
                    })
                    .unwrap();
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(Index::load(dir.path()).unwrap().profiles.len(), 16);
    }
}
