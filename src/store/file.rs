//! The file backend (`--store file`) and the private, atomic file writes it shares with the index.

use std::io::Write;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};

use super::trust::{check_secrets_file, ensure_own_private_dir, ensure_private_dir};
use super::{AuthConfig, Kind, SecretStore, StoreError};

pub(crate) struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    pub(crate) fn new(dir: PathBuf) -> FileStore {
        FileStore { dir }
    }

    fn path(&self, profile: &str) -> PathBuf {
        self.dir.join(format!("{profile}.json"))
    }
}

/// Where the file store of `config_dir` keeps `profile`.
pub(crate) fn path(config_dir: &Path, profile: &str) -> PathBuf {
    FileStore::new(config_dir.join(DIR)).path(profile)
}

/// The file store's directory in the config dir.
pub(crate) const DIR: &str = "credentials";

/// Writes `bytes` to `path` so that a reader sees the old file or the new one, never a part:
/// a 0600 temporary file in the same directory, flushed to disk, then renamed over.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let dir = path.parent().expect("a file path has a parent");
    ensure_private_dir(dir)?;
    let io =
        |what: &str, e: std::io::Error| StoreError::Io(format!("{what} {}: {e}", path.display()));
    // tempfile creates the file 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| io("cannot create a temporary file for", e))?;
    tmp.write_all(bytes).map_err(|e| io("cannot write", e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| io("cannot flush", e))?;
    tmp.persist(path)
        .map_err(|e| io("cannot replace", e.error))?;
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename itself durable.
        let _ = d.sync_all();
    }
    Ok(())
}

impl SecretStore for FileStore {
    fn kind(&self) -> Kind {
        Kind::File
    }

    fn probe(&self) -> Result<(), StoreError> {
        ensure_own_private_dir(&self.dir)?;
        let probe = self.dir.join(".probe");
        write_private_atomic(&probe, b"probe")?;
        std::fs::remove_file(&probe)
            .map_err(|e| StoreError::Io(format!("cannot remove {}: {e}", probe.display())))
    }

    fn load(&self, profile: &str) -> Result<Option<AuthConfig>, StoreError> {
        let path = self.path(profile);
        if !path.exists() {
            return Ok(None);
        }
        check_secrets_file(&path)?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| StoreError::Io(format!("cannot read {}: {e}", path.display())))?;
        let text = SecretString::from(text);
        AuthConfig::from_json(profile, text.expose_secret())
            .map(Some)
            .map_err(|e| match e {
                // Where it is, so that it can be looked at or mended.
                StoreError::Corrupt { profile, detail } => StoreError::Corrupt {
                    profile,
                    detail: format!("{detail} (in {})", path.display()),
                },
                other => other,
            })
    }

    fn save(&self, cfg: &AuthConfig) -> Result<(), StoreError> {
        ensure_own_private_dir(&self.dir)?;
        write_private_atomic(
            &self.path(&cfg.profile),
            cfg.to_secret_json().expose_secret().as_bytes(),
        )
    }

    fn delete(&self, profile: &str) -> Result<bool, StoreError> {
        match std::fs::remove_file(self.path(profile)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::Io(format!(
                "cannot remove the profile file: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::tests::sample;

    #[test]
    fn save_load_delete_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("credentials"));
        store.probe().unwrap();
        assert!(store.load("p").unwrap().is_none());
        store.save(&sample("p")).unwrap();
        let mut back = store.load("p").unwrap().unwrap();
        let grant = crate::store::model::tests::grant(&mut back);
        assert_eq!(grant.client_secret.expose_secret(), "csecret-value");
        assert!(store.delete("p").unwrap());
        assert!(!store.delete("p").unwrap());
        assert!(store.load("p").unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private_and_exposed_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        let store = FileStore::new(creds.clone());
        store.save(&sample("p")).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&creds.join("p.json")), 0o600);
        assert_eq!(mode(&creds), 0o700);
        std::fs::set_permissions(creds.join("p.json"), std::fs::Permissions::from_mode(0o644))
            .unwrap();
        let err = store.load("p").err().unwrap();
        assert!(err.to_string().contains("readable by other users"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_store_dir_open_to_others_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let creds = dir.path().join("credentials");
        std::fs::create_dir(&creds).unwrap();
        std::fs::set_permissions(&creds, std::fs::Permissions::from_mode(0o777)).unwrap();
        let store = FileStore::new(creds.clone());
        store.save(&sample("p")).unwrap();
        let mode = std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        // A file where the directory should be is refused, not written through.
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        assert!(ensure_own_private_dir(&file).is_err());
    }

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        write_private_atomic(&path, b"old old old").unwrap();
        write_private_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
