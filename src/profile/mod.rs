//! The profile lifecycle, written once: saving a new or replaced profile, removing one,
//! changing one in place, each under the profile's lock, with the index and the
//! kernel-keyring cache kept in step with the store; and (session.rs) a credential that is
//! valid now, renewed safely across processes.
//!
//! The order of every change is the same: lock the profile, read what the index says now,
//! change the store, then the index, then the cache. Secrets go first and the index second,
//! so the index never lists a profile whose secrets are not there yet; the lock makes a
//! `token` refreshing at the same moment wait, so neither can save over the other's result.
//! Commands call these methods and never the lock, the index or the cache.

mod access;
mod legacy;
pub(crate) mod session;
mod standing;
pub(crate) mod stateless;

use std::path::{Path, PathBuf};

use crate::atlassian::ApiError;
use crate::net::Endpoints;
use crate::oauth::OAuthError;
use crate::store::cache::{Cache, CachedToken};
use crate::store::index::{self, Index, ProfileInfo};
use crate::store::{
    self, AuthConfig, InvalidProfileName, Kind, SecretStore, StoreError, StoreSettings, lock,
};

pub(crate) use access::{Access, api_base_url};
pub(crate) use session::{Session, Usable};
pub(crate) use stateless::ServiceAccountEnv;
pub(crate) use store::index::{Refusal, Refused};

/// Atlassian expires a refresh token after 90 days without use; warn this long before.
/// A credential with this little left, or less, is renewed before it is given out: a request
/// made with it must not meet its expiry on the way. The default of `--min-ttl`, and what
/// every command that uses a credential itself (status, doctor, scopes check, sites) asks for.
pub(crate) const RENEWAL_MARGIN: std::time::Duration = std::time::Duration::from_secs(60);

pub(crate) const INACTIVITY_EXPIRY_DAYS: i64 = 90;
pub(crate) const INACTIVITY_WARN_DAYS: i64 = 80;

/// The profiles of one config dir.
pub struct Profiles {
    store: StoreSettings,
    cache: Cache,
}

/// A profile the index lists.
#[derive(Debug, Clone)]
pub struct Found {
    pub name: String,
    pub info: ProfileInfo,
}

/// What happened to one profile on `remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Its credentials (or its index entry) were there and are gone.
    Removed,
    /// Nothing of it was anywhere.
    Nothing,
    /// Its index entry had a name no profile can have: only the entry was removed, and no
    /// credentials were looked for (the name must not become a path).
    InvalidEntry,
}

/// Something the user should hear about that did not stop the command.
#[derive(Debug)]
pub(crate) enum Notice {
    /// The refresh token has not been used for `days` days; it dies at 90.
    RefreshTokenIdle { profile: String, days: i64 },
    /// The credentials were renewed and stored, but the index (what `status` shows) was
    /// not updated.
    IndexNotUpdated(StoreError),
    /// Atlassian sent no refresh token with a new grant.
    NoRefreshToken,
}

/// The step a store failure interrupted: the context of its message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Reading the index (which holds no secret).
    Index,
    Lock,
    Open,
    Probe,
    Read,
    Save,
    SaveIndex,
    Delete,
    /// Saving tokens a refresh just rotated: the old refresh token still works for Atlassian's
    /// reuse interval, so running again recovers.
    SaveRenewed,
    /// The change is in the store, but the index still shows the old values.
    IndexAfterChange,
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(transparent)]
    InvalidName(#[from] InvalidProfileName),
    #[error("no profile named '{name}'")]
    NotFound { name: String },
    #[error("profile '{name}' is listed but its credentials are missing from the {store}")]
    CredentialsMissing { name: String, store: Kind },
    /// Earlier builds kept one keychain item per profile name for every config dir: the one
    /// found holds another config dir's profile of this name (another site or client).
    #[error(
        "the keychain item of profile '{name}' holds another config directory's profile of that name (earlier jira-auth builds kept one item per name for all config directories)"
    )]
    OthersLegacyItem { name: String },
    /// A Composio hand-off (`jira-auth composio init`): Composio holds its grant, and
    /// jira-auth has no token to give out or renew.
    #[error(
        "profile '{name}' is an app handed to Composio: Composio holds its grant, so jira-auth has no token of it"
    )]
    HeldByComposio { name: String },
    #[error("profile '{name}' was removed while this command waited for it")]
    RemovedWhileWaiting { name: String },
    #[error(
        "the access token of profile '{name}' has expired and there is no refresh token to renew it"
    )]
    NoRefreshToken { name: String },
    /// Atlassian (or, `data_center`, the Jira instance) refused the last renewal, and the
    /// access token is stale now.
    #[error(
        "{} refused to renew the token of profile '{name}' at {}: it no longer accepts its {}",
        if *.data_center { "Jira" } else { "Atlassian" },
        standing::when(.refusal.at),
        match .refusal.what { Refused::RefreshToken => "refresh token", Refused::ClientSecret => "client secret" }
    )]
    Refused {
        name: String,
        refusal: Refusal,
        data_center: bool,
    },
    #[error("{source}")]
    Store {
        step: Step,
        #[source]
        source: StoreError,
    },
    /// Renewing the access token failed. `maybe_rotated`: the request may have reached
    /// Atlassian and rotated the stored refresh token, its answer lost on the way back.
    #[error("{source}")]
    Renew {
        #[source]
        source: OAuthError,
        maybe_rotated: bool,
        /// At a Data Center instance, whose refresh tokens may rotate with no reuse interval.
        data_center: bool,
    },
    /// The site of a stateless credential could not be found (its tenant_info).
    #[error(transparent)]
    Site(#[from] ApiError),
    /// A Cloud profile made with other Atlassian servers than this run's endpoints name: its
    /// secrets go only to the servers it was made with, so nothing is sent.
    #[error(
        "profile '{name}' was made with the servers {} and {}, not this run's {} and {}: its secrets go only to its own",
        .made_with.auth, .made_with.api, .this_run.auth, .this_run.api
    )]
    OtherServers {
        name: String,
        made_with: Box<Endpoints>,
        this_run: Box<Endpoints>,
        /// The profile is a sandbox's (`Site::is_sandbox`).
        sandbox: bool,
    },
}

impl ProfileError {
    fn store(step: Step) -> impl FnOnce(StoreError) -> ProfileError {
        move |source| ProfileError::Store { step, source }
    }
}

impl Profiles {
    pub fn new(store: StoreSettings, cache_enabled: bool) -> Profiles {
        let cache = Cache::new(&store.config_dir, cache_enabled);
        Profiles { store, cache }
    }

    pub fn config_dir(&self) -> &Path {
        &self.store.config_dir
    }

    /// Every profile the index lists, and the default: what `status` shows without a store.
    pub fn index(&self) -> Result<Index, ProfileError> {
        Index::load(self.config_dir()).map_err(ProfileError::store(Step::Index))
    }

    /// The profile to use: `wanted` (--profile), else the index's default, else `default`.
    pub fn select(&self, wanted: Option<&str>, index: &Index) -> Result<String, ProfileError> {
        let name = match wanted {
            Some(p) => p.trim().to_string(),
            None => index.default_profile(),
        };
        store::check_profile_name(&name)?;
        Ok(name)
    }

    /// The selected profile, which must exist.
    pub fn find(&self, wanted: Option<&str>) -> Result<Found, ProfileError> {
        let index = self.index()?;
        let name = self.select(wanted, &index)?;
        match index.profiles.get(&name) {
            Some(info) => Ok(Found {
                info: info.clone(),
                name,
            }),
            None => Err(ProfileError::NotFound { name }),
        }
    }

    /// Checks that the files of this config dir are safe to use (`store::trust`): the config
    /// dir and the index, and, for a profile in the file store, its credentials file. What
    /// every command refuses, before any of them meets it (`doctor`). Returns what it checked.
    pub fn check_files(&self, found: Option<&Found>) -> Result<Vec<PathBuf>, ProfileError> {
        let dir = self.config_dir();
        let mut checked = vec![dir.to_path_buf(), index::path(dir)];
        for path in &checked {
            store::trust::check_not_shared(path).map_err(ProfileError::store(Step::Index))?;
        }
        if let Some(found) = found.filter(|f| f.info.store == Kind::File) {
            let file = store::file::path(dir, &found.name);
            if file.exists() {
                store::trust::check_secrets_file(&file).map_err(ProfileError::store(Step::Read))?;
                checked.push(file);
            }
        }
        Ok(checked)
    }

    /// Proves the store can write, read back and delete, before anything depends on it (a
    /// dead keychain found after consent would waste the user's consent).
    pub fn probe(&self, kind: Kind) -> Result<(), ProfileError> {
        self.open(kind)?
            .probe()
            .map_err(ProfileError::store(Step::Probe))
    }

    pub fn open(&self, kind: Kind) -> Result<Box<dyn SecretStore>, ProfileError> {
        store::open(kind, &self.store).map_err(ProfileError::store(Step::Open))
    }

    /// The stored config of a listed profile, without a lock: a snapshot.
    pub fn load(&self, found: &Found) -> Result<AuthConfig, ProfileError> {
        let store = self.open(found.info.store)?;
        self.load_from(store.as_ref(), &found.name, &found.info, None)
    }

    /// Reads the profile from `store`; a keychain read offers its token to the cache (never
    /// replacing a newer one another process has just put there). `info` is what the index
    /// says of it; `held`, the profile's lock when the caller holds it.
    fn load_from(
        &self,
        store: &dyn SecretStore,
        name: &str,
        info: &ProfileInfo,
        held: Option<&lock::ProfileLock>,
    ) -> Result<AuthConfig, ProfileError> {
        let cfg = match store.load(name) {
            Ok(Some(cfg)) => cfg,
            Ok(None) => self.adopt_legacy(store, name, info, held)?,
            Err(e) => {
                if matches!(e, StoreError::Locked { .. }) {
                    self.keychain_locked(name);
                }
                return Err(ProfileError::store(Step::Read)(e));
            }
        };
        if store.kind() == Kind::Keychain {
            self.cache.put(&cfg, true);
        }
        Ok(cfg)
    }

    /// Stores a new or replaced profile in `kind`'s store (init, login). Secrets first, index
    /// second; a copy in the other store (re-init with another `--store`) is deleted after.
    pub fn save(&self, cfg: &AuthConfig, kind: Kind) -> Result<(), ProfileError> {
        let _lock = self.lock(&cfg.profile)?;
        let store = self.open(kind)?;
        store.save(cfg).map_err(ProfileError::store(Step::Save))?;
        self.cache_after_save(cfg, kind);
        let previous = Index::update(self.config_dir(), |index| {
            let previous = index.profiles.get(&cfg.profile).cloned();
            index.upsert(&cfg.profile, ProfileInfo::of(cfg, kind));
            previous
        })
        .map_err(ProfileError::store(Step::SaveIndex))?;
        let Some(old) = previous else {
            return Ok(());
        };
        // What the replaced profile left elsewhere: a copy in the other store, the item an
        // earlier build kept in the keychain.
        let other = if old.store == kind {
            None
        } else {
            store::open(old.store, &self.store).ok()
        };
        if let Some(other) = &other {
            let _ = other.delete(&cfg.profile);
        }
        if old.store == Kind::Keychain {
            let keychain = other.as_deref().unwrap_or(store.as_ref());
            self.drop_legacy(keychain, &cfg.profile, &old);
        }
        Ok(())
    }

    /// Changes a stored profile in place (`sites use`), under its lock and on the config as
    /// it is under the lock, never on an older copy: a `token` may have rotated the refresh
    /// token meanwhile, and saving the spent one back would end the grant. `change` says
    /// whether it changed anything; only then is the profile saved. Returns the config as
    /// it is now.
    pub fn update(
        &self,
        name: &str,
        change: impl FnOnce(&mut AuthConfig) -> bool,
    ) -> Result<AuthConfig, ProfileError> {
        let lock = self.lock(name)?;
        let found = self.find(Some(name))?;
        let store = self.open(found.info.store)?;
        let mut cfg = self.load_from(store.as_ref(), name, &found.info, Some(&lock))?;
        if change(&mut cfg) {
            cfg.updated_at = time::OffsetDateTime::now_utc();
            store.save(&cfg).map_err(ProfileError::store(Step::Save))?;
            self.cache_after_save(&cfg, found.info.store);
            self.index_upsert(&cfg, found.info.store)
                .map_err(ProfileError::store(Step::IndexAfterChange))?;
        }
        Ok(cfg)
    }

    /// Makes `name`, which must exist, the default profile; returns the one it replaces.
    pub fn set_default(&self, name: &str) -> Result<Option<String>, ProfileError> {
        store::check_profile_name(name)?;
        let changed = Index::update(self.config_dir(), |index| {
            index
                .profiles
                .contains_key(name)
                .then(|| index.default.replace(name.to_string()))
        })
        .map_err(ProfileError::store(Step::SaveIndex))?;
        changed.ok_or_else(|| ProfileError::NotFound {
            name: name.to_string(),
        })
    }

    /// Removes a profile's secrets, cached token and index entry. Idempotent: a profile that
    /// is not there is `Removal::Nothing`.
    pub fn remove(&self, name: &str) -> Result<Removal, ProfileError> {
        // The index is a hand-editable file: a name jira-auth would never have written must
        // not become a path (lock file, credentials file, possibly outside the config dir).
        // Only its index entry goes, so that `logout --all` still gets to the end.
        if store::check_profile_name(name).is_err() {
            Index::update(self.config_dir(), |index| index.remove(name))
                .map_err(ProfileError::store(Step::SaveIndex))?;
            return Ok(Removal::InvalidEntry);
        }
        // Held until the index entry is gone: a `token` refreshing this profile right now
        // would otherwise save its new tokens (and index entry) after the delete and bring
        // the profile back. Taken after it, that `token` finds nothing.
        let lock = self.lock(name)?;
        // Read again under the lock: an init that held it may have moved the profile.
        let known = self.index()?.profiles.get(name).cloned();
        // Whatever happens with the store below, no cached token outlives a logout.
        self.cache.remove(name);
        let mut any = false;
        match known {
            // The index says where the secrets are: failing to reach that store is an error,
            // never a silent "done" that leaves secrets behind.
            Some(info) => {
                let store = self.open(info.store)?;
                any |= store
                    .delete(name)
                    .map_err(ProfileError::store(Step::Delete))?;
                any |= self.drop_legacy(store.as_ref(), name, &info);
            }
            // Unknown to the index: clean what may be left in either store, and do not fail
            // on a keychain that is not there (nothing of ours can be in it then).
            None => {
                for kind in [Kind::File, Kind::Keychain] {
                    match store::open(kind, &self.store).and_then(|s| s.delete(name)) {
                        Ok(deleted) => any |= deleted,
                        Err(StoreError::Unavailable { .. }) => {}
                        Err(e) => return Err(ProfileError::store(Step::Delete)(e)),
                    }
                }
            }
        }
        any |= Index::update(self.config_dir(), |index| index.remove(name))
            .map_err(ProfileError::store(Step::SaveIndex))?;
        // Nothing of the profile is left to guard, nor should its lock file be.
        lock.remove();
        Ok(if any {
            Removal::Removed
        } else {
            Removal::Nothing
        })
    }

    /// Records that Atlassian refused to renew `name`'s token, for `status` and `doctor`; the
    /// next renewal or consent rewrites the entry without it. Best effort: the refusal itself
    /// is what the command reports.
    fn record_refusal(&self, name: &str, refusal: Refusal) {
        let recorded = Index::update(self.config_dir(), |index| {
            if let Some(info) = index.profiles.get_mut(name) {
                info.refused = Some(refusal);
            }
        });
        if let Err(e) = recorded {
            tracing::debug!("the refused renewal of '{name}' was not recorded: {e}");
        }
    }

    /// The keychain refused to read `name` (locked, or access dismissed): its cached token
    /// goes too, or `token` would keep handing it out until it expires, as if the keychain
    /// were still open. Returns whether one was cached.
    pub fn keychain_locked(&self, name: &str) -> bool {
        let cached = self.cache.holds(name);
        self.cache.remove(name);
        if cached {
            tracing::info!("the keychain is locked: dropped the cached access token of '{name}'");
        }
        cached
    }

    /// The profile's token in the kernel-keyring cache, if the cache holds one.
    pub fn cached(&self, name: &str) -> Option<CachedToken> {
        self.cache.get(name)
    }

    pub fn cache_enabled(&self) -> bool {
        self.cache.enabled()
    }

    /// Blocks until this process holds the profile's lock.
    fn lock(&self, name: &str) -> Result<lock::ProfileLock, ProfileError> {
        lock::lock(self.config_dir(), name).map_err(ProfileError::store(Step::Lock))
    }

    /// Under the index's lock: other profiles' entries may change at the same time.
    fn index_upsert(&self, cfg: &AuthConfig, kind: Kind) -> Result<(), StoreError> {
        Index::update(self.config_dir(), |index| {
            index.upsert(&cfg.profile, ProfileInfo::of(cfg, kind))
        })
    }

    /// A keychain profile's new token goes to the cache; one now in the file store must not
    /// leave a keychain-era token there, even when the keychain could not be reached.
    fn cache_after_save(&self, cfg: &AuthConfig, kind: Kind) {
        match kind {
            Kind::Keychain => self.cache.put(cfg, false),
            Kind::File => self.cache.remove(&cfg.profile),
        }
    }
}

#[cfg(test)]
mod tests;
