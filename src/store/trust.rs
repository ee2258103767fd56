//! Which files jira-auth trusts. The config dir holds the index (which profiles exist and
//! where their secrets are), the file store's credentials and the lock files: another local
//! user who can write there can swap in a `credentials/` of their own and have jira-auth use,
//! refresh and hand out a credential they control (or have it write ours where they can read
//! it). So, on Unix:
//! - a file secrets are read from belongs to the current user and is private (0600);
//! - the directories that are jira-auth's alone (`credentials/`, `locks/`) belong to the
//!   current user, and are made 0700 when they are wider;
//! - the config dir and the index belong to the current user (the config dir may also be
//!   root's, as a system directory is) and are writable by their owner alone, unless the
//!   directory is sticky (as /tmp is: nobody can then rename or remove what is ours).
//!
//! What fails is refused, never silently fixed: it may already have been tampered with, and
//! the person should hear of it (`doctor` checks the same).

use std::path::Path;

use super::StoreError;

/// Refuses a secrets file that is not the current user's or that others can read: it may
/// have been planted, copied or chmod-ed, and an exposed credential is neither used nor
/// silently fixed.
#[cfg(unix)]
pub(crate) fn check_secrets_file(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let meta = metadata(path)?;
    owned(path, &meta, false)?;
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(StoreError::Exposed {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Refuses a config dir or index that another user could change (see the module doc).
/// Nothing to check where nothing exists yet: jira-auth then creates it, private.
#[cfg(unix)]
pub(crate) fn check_not_shared(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(unreadable(path, &e)),
    };
    owned(path, &meta, meta.is_dir())?;
    let mode = meta.mode() & 0o7777;
    let sticky_dir = meta.is_dir() && mode & 0o1000 != 0;
    if mode & 0o022 != 0 && !sticky_dir {
        return Err(StoreError::Writable {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

/// Creates `dir` (and parents) with mode 0700 where it has to create it.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| StoreError::Io(format!("cannot create {}: {e}", dir.display())))
}

/// As `ensure_private_dir`, for a directory that is jira-auth's alone (`credentials/`,
/// `locks/`): one that already existed with wider permissions (made by hand, or unpacked
/// from a backup) is made 0700; one that is not the current user's is refused.
pub(crate) fn ensure_own_private_dir(dir: &Path) -> Result<(), StoreError> {
    ensure_private_dir(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::symlink_metadata(dir).map_err(|e| unreadable(dir, &e))?;
        let mode = meta.mode() & 0o777;
        if !meta.is_dir() {
            return Err(StoreError::Refused(format!(
                "{} is not a directory (mode {mode:o}); remove it",
                dir.display()
            )));
        }
        owned(dir, &meta, false)?;
        if mode & 0o077 != 0 {
            let private = std::fs::Permissions::from_mode(0o700);
            std::fs::set_permissions(dir, private).map_err(|e| {
                StoreError::Refused(format!(
                    "{} is open to other users (mode {mode:o}) and cannot be made private ({e}); make it mode 700",
                    dir.display()
                ))
            })?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check_secrets_file(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(not(unix))]
pub(crate) fn check_not_shared(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(unix)]
fn metadata(path: &Path) -> Result<std::fs::Metadata, StoreError> {
    std::fs::metadata(path).map_err(|e| unreadable(path, &e))
}

#[cfg(unix)]
fn unreadable(path: &Path, e: &std::io::Error) -> StoreError {
    StoreError::Io(format!("cannot read {}: {e}", path.display()))
}

/// The current user's, or (`root_ok`, for a system directory) root's.
#[cfg(unix)]
fn owned(path: &Path, meta: &std::fs::Metadata, root_ok: bool) -> Result<(), StoreError> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    if owner == me || (root_ok && owner == 0) {
        return Ok(());
    }
    Err(StoreError::NotOwned {
        path: path.to_path_buf(),
        owner,
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn shared_config_dirs_and_indexes_are_refused_unless_sticky() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("config");
        assert!(check_not_shared(&dir).is_ok(), "nothing there yet");
        std::fs::create_dir(&dir).unwrap();
        for (mode, ok) in [(0o700, true), (0o755, true), (0o775, false), (0o777, false)] {
            chmod(&dir, mode);
            assert_eq!(check_not_shared(&dir).is_ok(), ok, "{mode:o}");
        }
        chmod(&dir, 0o1777);
        assert!(check_not_shared(&dir).is_ok(), "sticky, as /tmp");
        let index = dir.join("profiles.json");
        std::fs::write(&index, "{}").unwrap();
        chmod(&index, 0o666);
        let e = check_not_shared(&index).unwrap_err();
        assert!(matches!(e, StoreError::Writable { mode: 0o666, .. }), "{e}");
        chmod(&index, 0o644);
        assert!(check_not_shared(&index).is_ok());
    }

    #[test]
    fn secrets_files_must_be_private() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("p.json");
        std::fs::write(&file, "{}").unwrap();
        chmod(&file, 0o600);
        assert!(check_secrets_file(&file).is_ok());
        chmod(&file, 0o640);
        assert!(matches!(
            check_secrets_file(&file),
            Err(StoreError::Exposed { mode: 0o640, .. })
        ));
    }
}
