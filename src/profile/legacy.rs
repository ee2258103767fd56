//! Keychain items an earlier build stored: one per profile name, shared by every config dir
//! of the user (the account was the profile name alone). Such an item is moved to this config
//! dir's own item on first read when it is this profile's, and left for the config dir it
//! belongs to otherwise; a replaced or removed profile takes its old item with it.

use super::{ProfileError, Profiles, Step};
use crate::store::index::ProfileInfo;
use crate::store::{AuthConfig, SecretStore, lock};

impl Profiles {
    /// The profile as an earlier build stored it, in the keychain item every config dir
    /// shared, moved to this config dir's own item: when it is this profile's (the method,
    /// client and site the index lists), else it is left for the config dir it belongs to.
    /// Moving writes, so it happens under the profile's lock (taken here unless `held`): a
    /// refresh saving meanwhile must not be overwritten with the older copy.
    pub(super) fn adopt_legacy(
        &self,
        store: &dyn SecretStore,
        name: &str,
        info: &ProfileInfo,
        held: Option<&lock::ProfileLock>,
    ) -> Result<AuthConfig, ProfileError> {
        let read = ProfileError::store(Step::Read);
        let missing = || ProfileError::CredentialsMissing {
            name: name.to_string(),
            store: store.kind(),
        };
        let Some(old) = store.load_legacy(name).map_err(read)? else {
            return Err(missing());
        };
        if !belongs(&old, info) {
            return Err(ProfileError::OthersLegacyItem {
                name: name.to_string(),
            });
        }
        let _lock = match held {
            Some(_) => None,
            None => Some(self.lock(name)?),
        };
        // Again under the lock: whoever held it may have moved (and renewed) it already.
        let read = ProfileError::store(Step::Read);
        if let Some(cfg) = store.load(name).map_err(read)? {
            return Ok(cfg);
        }
        let read = ProfileError::store(Step::Read);
        let Some(old) = store
            .load_legacy(name)
            .map_err(read)?
            .filter(|c| belongs(c, info))
        else {
            return Err(missing());
        };
        store.save(&old).map_err(ProfileError::store(Step::Save))?;
        if let Err(e) = store.delete_legacy(name) {
            // Harmless but untidy: this config dir reads its own item from now on, and
            // `logout` deletes the old one too.
            tracing::debug!("the old keychain item of '{name}' was copied but not deleted: {e}");
        }
        tracing::info!(
            "moved the keychain item of profile '{name}' to this config directory's own"
        );
        Ok(old)
    }

    /// Deletes the item an earlier build stored for this profile, when it is this profile's;
    /// true when it did.
    pub(super) fn drop_legacy(
        &self,
        store: &dyn SecretStore,
        name: &str,
        info: &ProfileInfo,
    ) -> bool {
        match store.load_legacy(name) {
            Ok(Some(old)) if belongs(&old, info) => store.delete_legacy(name).unwrap_or(false),
            _ => false,
        }
    }
}

/// Whether `cfg` is the profile `info` describes: the same method, client and site. (An
/// item shared by several config dirs holds whichever of their profiles was saved last.)
fn belongs(cfg: &AuthConfig, info: &ProfileInfo) -> bool {
    let c = &cfg.credential;
    c.method() == info.method
        && c.client_id() == info.client_id.as_deref()
        && cfg.site.cloud_id == info.site.cloud_id
}
