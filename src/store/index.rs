//! The non-secret index of profiles (`profiles.json` in the config dir): names, the default,
//! and what `status` shows, so listing profiles never needs the keychain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::file::write_private_atomic;
use super::{Account, AuthConfig, Kind, Method, Site, StoreError};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Index {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileInfo>,
}

/// What `status` shows of a profile without opening its store. Fields that only some
/// methods have are `None` for the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub store: Kind,
    pub method: Method,
    #[serde(default)]
    pub client_id: Option<String>,
    pub site: Site,
    #[serde(default)]
    pub scopes_requested: Vec<String>,
    #[serde(default)]
    pub scopes_granted: Vec<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub access_token_expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub has_refresh_token: bool,
    /// When the refresh token was issued, i.e. last used: Atlassian expires it after 90 days
    /// without use. (Absent in indexes written before it was recorded.)
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When the profile was set up (for an API token: when it was stored, which bounds when
    /// Atlassian expires it). Absent in indexes written before it was recorded.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub created_at: Option<OffsetDateTime>,
    /// Where the REST API answers, when that is not the gateway of the site's cloud id (an
    /// API token, classic or scoped, keeps the base that accepted it).
    #[serde(default)]
    pub api_base_url: Option<String>,
    /// The account an API token belongs to.
    #[serde(default)]
    pub email: Option<String>,
    /// Who consented (see `AuthConfig::account`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// Atlassian refused the last renewal: recorded so that `status` and `doctor` can say so
    /// without asking again. Gone with the next renewal or consent, which rewrite the entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
}

/// A renewal Atlassian refused.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Refusal {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub what: Refused,
}

/// What Atlassian refused.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Refused {
    /// The refresh token (`invalid_grant`: revoked, expired, reused).
    RefreshToken,
    /// The client secret (`access_denied`: regenerated in the console).
    ClientSecret,
}

impl ProfileInfo {
    pub fn of(cfg: &AuthConfig, store: Kind) -> ProfileInfo {
        let c = &cfg.credential;
        ProfileInfo {
            store,
            method: c.method(),
            client_id: c.client_id().map(str::to_string),
            site: cfg.site.clone(),
            scopes_requested: c.scopes_requested().to_vec(),
            scopes_granted: c.scopes_granted().to_vec(),
            redirect_uri: c.oauth().map(|g| g.redirect_uri.clone()),
            access_token_expires_at: c.expires_at(),
            has_refresh_token: c.has_refresh_token(),
            refresh_token_issued_at: c.grant_renewed_at(),
            updated_at: cfg.updated_at,
            created_at: Some(cfg.created_at),
            api_base_url: match c {
                super::Credential::ApiToken(t) => Some(t.api_base_url.clone()),
                _ => None,
            },
            email: match c {
                super::Credential::ApiToken(t) => Some(t.email.clone()),
                _ => None,
            },
            account: cfg.account.clone(),
            refused: None,
        }
    }
}

pub(crate) fn path(dir: &Path) -> PathBuf {
    dir.join("profiles.json")
}

/// An index is a JSON object. serde would read a struct from an array too (`[]` as an empty
/// index), so the shape is checked first. Messages may quote the text: it holds no secret.
fn parse(bytes: &[u8]) -> Result<Index, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_eof() {
            format!("it ends too early ({e}): it was cut short, or is empty")
        } else {
            format!("it is not JSON ({e})")
        }
    })?;
    if !value.is_object() {
        return Err("it is not a JSON object".to_string());
    }
    serde_json::from_slice(bytes).map_err(|e| format!("it is not a profile index ({e})"))
}

impl Index {
    /// The index of `dir`; an empty one when there is none yet. One that cannot be read or
    /// is not an index is an error, never an empty index: the next save would replace it
    /// and lose the list of profiles whose credentials are still stored.
    pub fn load(dir: &Path) -> Result<Index, StoreError> {
        let p = path(dir);
        // Whoever can change these decides which profiles exist and where they are read from.
        super::trust::check_not_shared(dir)?;
        super::trust::check_not_shared(&p)?;
        let bytes = match std::fs::read(&p) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Index::default()),
            Err(e) => {
                return Err(StoreError::IndexUnreadable {
                    path: p,
                    detail: e.to_string(),
                });
            }
        };
        parse(&bytes).map_err(|detail| StoreError::IndexInvalid { path: p, detail })
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

    /// Adds or replaces a profile. The first becomes the default; so does the first real
    /// profile made while the default is a sandbox's (`init --sandbox` tried first must not
    /// leave `token` answering with sandbox tokens once a real profile exists).
    pub fn upsert(&mut self, name: &str, info: ProfileInfo) {
        // Nor must an app handed to Composio, which gives out no token, stay the default
        // once a profile that does exists.
        let gives_tokens =
            |i: &ProfileInfo| !i.site.is_sandbox() && i.method != super::Method::Composio;
        let real = gives_tokens(&info);
        self.profiles.insert(name.to_string(), info);
        let current = self.default.as_deref().and_then(|d| self.profiles.get(d));
        if current.is_none_or(|d| real && !gives_tokens(d)) {
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
    use crate::store::model::tests::sample;

    #[test]
    fn first_profile_becomes_default_and_removal_moves_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut idx = Index::load(dir.path()).unwrap();
        assert_eq!(idx.default_profile(), "default");
        idx.upsert("work", ProfileInfo::of(&sample("work"), Kind::File));
        idx.upsert("home", ProfileInfo::of(&sample("home"), Kind::Keychain));
        assert_eq!(idx.default.as_deref(), Some("work"));
        idx.save(dir.path()).unwrap();
        let mut idx = Index::load(dir.path()).unwrap();
        assert_eq!(idx.profiles["home"].store, Kind::Keychain);
        assert!(idx.remove("work"));
        assert_eq!(idx.default.as_deref(), Some("home"));
        assert!(!idx.remove("work"));
        assert!(idx.remove("home"));
        assert_eq!(idx.default, None);
    }

    #[test]
    fn a_sandbox_profile_is_the_default_only_until_a_real_one_comes() {
        let sandbox = || {
            let mut info = ProfileInfo::of(&sample("sandbox"), Kind::File);
            info.site.cloud_id = format!("{}000000000001", crate::store::SANDBOX_CLOUD_ID_PREFIX);
            assert!(info.site.is_sandbox());
            info
        };
        let mut idx = Index::default();
        idx.upsert("sandbox", sandbox());
        assert_eq!(idx.default.as_deref(), Some("sandbox"), "the only profile");
        idx.upsert("try", sandbox());
        assert_eq!(idx.default.as_deref(), Some("sandbox"));
        idx.upsert("work", ProfileInfo::of(&sample("work"), Kind::File));
        assert_eq!(idx.default.as_deref(), Some("work"), "the first real one");
        idx.upsert("home", ProfileInfo::of(&sample("home"), Kind::File));
        idx.upsert("sandbox", sandbox());
        assert_eq!(idx.default.as_deref(), Some("work"), "a real default stays");
    }

    #[test]
    fn index_holds_no_secret() {
        let dir = tempfile::tempdir().unwrap();
        Index::update(dir.path(), |idx| {
            idx.upsert("p", ProfileInfo::of(&sample("p"), Kind::File))
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
                        idx.upsert(&name, ProfileInfo::of(&sample(&name), Kind::File))
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

    #[test]
    fn an_index_written_by_jira_auth_0_1_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            path(dir.path()),
            r#"{"default":"p","profiles":{"p":{"store":"keychain","method":"oauth2",
              "client_id":"cid","site":{"cloud_id":"c","url":"https://a.atlassian.net","name":"a"},
              "scopes_requested":["read:jira-work"],"scopes_granted":["read:jira-work"],
              "redirect_uri":"http://127.0.0.1:8976/callback",
              "access_token_expires_at":"2026-01-01T00:00:00Z","has_refresh_token":true,
              "updated_at":"2025-12-01T00:00:00Z"}}}"#,
        )
        .unwrap();
        let idx = Index::load(dir.path()).unwrap();
        let p = &idx.profiles["p"];
        assert_eq!(p.method, Method::OAuth);
        assert_eq!(p.client_id.as_deref(), Some("cid"));
        assert_eq!(p.store, Kind::Keychain);
        assert!(p.access_token_expires_at.is_some() && p.refresh_token_issued_at.is_none());
    }
}
