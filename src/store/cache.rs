//! The access-token cache in the Linux kernel keyring, in front of the Secret Service.
//!
//! `jira-auth token` runs once per API request in scripts; a Secret Service lookup costs a
//! D-Bus connection and a key exchange (~10 ms) each time, a kernel keyring read ~1 ms. The
//! cache holds only what `token`, `header` and `exec` print: the access token, its expiry and
//! the site. Never the refresh token or the client secret: losing the cache costs one
//! Secret Service read, losing those costs a consent.
//!
//! Keys live in the user keyring (@u: per user, in memory only, gone at reboot), are readable
//! by their possessors only (processes of the user whose session keyring links @u: the normal
//! login session), and expire in the kernel with the token. Where keyutils is refused
//! (seccomp in containers, a session keyring that does not link @u, quota), every call here
//! quietly does nothing and the Secret Service answers instead.
//!
//! Only tokens that expire within the hour are cached (OAuth, service accounts, stateless
//! mode's): the kernel drops the key when the token dies. Static secrets (API tokens) are
//! not: the kernel keyring is readable without the keychain being unlocked, and what it
//! holds must stop working on its own soon after a lock or a logout; an API token works for
//! up to a year. Which profile writes or drops what, and when, is the profile layer's
//! decision; this is the mechanism.

use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AuthConfig, Site};

/// What a cache hit gives: enough for `token --json`, `header` and `exec`.
#[derive(Serialize, Deserialize)]
pub struct CachedToken {
    pub profile: String,
    #[serde(serialize_with = "super::model::expose")]
    pub access_token: SecretString,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub site: Site,
    /// Whether a refresh token stands behind this access token, and since when: the
    /// inactivity warning needs both, and neither is a secret.
    pub has_refresh_token: bool,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
}

impl CachedToken {
    /// What the cache would hold for `cfg`; `None` for a secret that does not expire.
    pub fn of(cfg: &AuthConfig) -> Option<CachedToken> {
        let c = &cfg.credential;
        Some(CachedToken {
            profile: cfg.profile.clone(),
            access_token: c.secret().0.clone(),
            expires_at: c.expires_at()?,
            site: cfg.site.clone(),
            has_refresh_token: c.has_refresh_token(),
            refresh_token_issued_at: c.grant_renewed_at(),
        })
    }
}

/// The kernel key's description: the config directory's namespace is part of it, so two
/// setups of the same user (a test's JIRA_AUTH_CONFIG_DIR, a second install) never see each
/// other's tokens (see `store::namespace`).
pub(crate) fn description(config_dir: &Path, profile: &str) -> String {
    format!("jira-auth:v1:{}:{profile}", super::namespace(config_dir))
}

#[cfg(target_os = "linux")]
mod imp {
    use linux_keyutils::{KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use secrecy::zeroize::Zeroizing;

    use super::CachedToken;

    fn user_keyring() -> Option<KeyRing> {
        KeyRing::from_special_id(KeyRingIdentifier::User, false)
            .inspect_err(|e| tracing::debug!("kernel keyring cache unavailable: {e}"))
            .ok()
    }

    pub(super) fn get(description: &str) -> Option<CachedToken> {
        let key = user_keyring()?
            .search(description)
            .inspect_err(|e| tracing::debug!("kernel keyring cache miss ({description}): {e}"))
            .ok()?;
        let bytes = Zeroizing::new(key.read_to_vec().ok()?);
        // A value we cannot parse (an older format) is a miss, not an error.
        serde_json::from_slice(&bytes).ok()
    }

    pub(super) fn put(description: &str, token: &CachedToken, ttl_secs: usize) {
        let Some(ring) = user_keyring() else { return };
        let json = Zeroizing::new(serde_json::to_vec(token).expect("CachedToken serializes"));
        // add_key replaces the payload of an existing key of that description in place, so
        // a concurrent reader gets the old token or the new one.
        let result = ring.add_key(description, json.as_slice()).and_then(|key| {
            let perms = KeyPermissionsBuilder::builder()
                .posessor(Permission::ALL)
                .user(Permission::VIEW)
                .build();
            key.set_perms(perms)?;
            key.set_timeout(ttl_secs)
        });
        match result {
            Ok(()) => tracing::debug!("access token cached in the kernel keyring ({description})"),
            Err(e) => tracing::debug!("kernel keyring cache not written: {e}"),
        }
    }

    pub(super) fn remove(description: &str) {
        if let Some(key) = user_keyring().and_then(|r| r.search(description).ok()) {
            // Invalidate, not unlink: the key disappears from every keyring at once.
            if let Err(e) = key.invalidate() {
                tracing::debug!("kernel keyring cache entry not removed: {e}");
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::CachedToken;
    pub(super) fn get(_: &str) -> Option<CachedToken> {
        None
    }
    pub(super) fn put(_: &str, _: &CachedToken, _: usize) {}
    pub(super) fn remove(_: &str) {}
}

/// The cache of one config dir. Turned off (`JIRA_AUTH_NO_CACHE`), it reads and writes
/// nothing, but still removes stale entries when a profile changes.
pub(crate) struct Cache {
    config_dir: PathBuf,
    enabled: bool,
}

impl Cache {
    pub(crate) fn new(config_dir: &Path, enabled: bool) -> Cache {
        Cache {
            config_dir: config_dir.to_path_buf(),
            enabled,
        }
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled
    }

    /// The cached token of `profile`, if the cache is on and holds one.
    pub(crate) fn get(&self, profile: &str) -> Option<CachedToken> {
        if !self.enabled {
            return None;
        }
        let desc = description(&self.config_dir, profile);
        let hit = imp::get(&desc).filter(|t| t.profile == profile);
        if hit.is_some() {
            tracing::debug!("access token from the kernel keyring cache ({desc})");
        }
        hit
    }

    /// Caches the access token of `cfg` until it expires. `only_if_newer`: a reader that
    /// loaded the store must not replace a token another process has just refreshed.
    pub(crate) fn put(&self, cfg: &AuthConfig, only_if_newer: bool) {
        match CachedToken::of(cfg) {
            Some(token) => self.put_token(&token, only_if_newer),
            None => {
                // A new config (not a mere read) must not leave the old token behind, even
                // with the cache off for this run.
                if self.enabled || !only_if_newer {
                    imp::remove(&description(&self.config_dir, &cfg.profile));
                }
            }
        }
    }

    /// Caches `token` under its `profile` name (a profile's, or stateless mode's name for a
    /// credential) until it expires.
    pub(crate) fn put_token(&self, token: &CachedToken, only_if_newer: bool) {
        let desc = description(&self.config_dir, &token.profile);
        if !self.enabled {
            // A new config (not a mere read) must not leave the old token behind for a
            // later run that has the cache on.
            if !only_if_newer {
                imp::remove(&desc);
            }
            return;
        }
        let ttl = (token.expires_at - OffsetDateTime::now_utc()).whole_seconds();
        if ttl <= 0 {
            imp::remove(&desc);
            return;
        }
        if only_if_newer && imp::get(&desc).is_some_and(|c| c.expires_at >= token.expires_at) {
            return;
        }
        imp::put(&desc, token, usize::try_from(ttl).unwrap_or(usize::MAX));
    }

    /// Whether a token of `profile` is cached, whether or not the cache is on for reading.
    pub(crate) fn holds(&self, profile: &str) -> bool {
        imp::get(&description(&self.config_dir, profile)).is_some_and(|t| t.profile == profile)
    }

    /// Forgets the profile's cached token (logout, a replaced or moved profile).
    pub(crate) fn remove(&self, profile: &str) {
        imp::remove(&description(&self.config_dir, profile));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_separate_config_dirs_and_profiles() {
        let a = description(Path::new("/tmp/a"), "p");
        assert!(a.starts_with("jira-auth:v1:") && a.ends_with(":p"), "{a}");
        assert_ne!(a, description(Path::new("/tmp/b"), "p"));
        assert_ne!(a, description(Path::new("/tmp/a"), "q"));
        assert_eq!(a, description(Path::new("/tmp/a"), "p"));
    }

    #[test]
    fn cached_token_never_holds_the_refresh_token_or_client_secret() {
        let cfg = crate::store::model::tests::sample("p");
        let json = serde_json::to_string(&CachedToken::of(&cfg).unwrap()).unwrap();
        assert!(json.contains("at-value"));
        assert!(
            !json.contains("rt-value") && !json.contains("csecret-value"),
            "{json}"
        );
    }
}
