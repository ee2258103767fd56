//! Lock files in the config dir: `locks/PROFILE.lock` serializes a profile's refreshes across
//! processes, `locks/.index.lock` the read-modify-write of the profile index.
//!
//! Atlassian rotates refresh tokens and treats reuse of a rotated one (after its reuse
//! interval) as theft, revoking the whole family; two processes refreshing the same profile
//! at once could therefore log the user out. Holding this lock around "load, refresh, save"
//! makes the second process find the first one's result instead of refreshing again.

use std::fs::{File, OpenOptions};
use std::path::Path;

use super::StoreError;
use super::trust::ensure_own_private_dir;

/// An exclusive advisory lock on one profile, released when dropped (or when the process
/// dies: the OS releases it with the file descriptor, so a crash never leaves it stuck).
#[derive(Debug)]
pub struct ProfileLock(#[allow(dead_code)] File);

/// Blocks until this process holds the profile's lock.
pub fn lock(config_dir: &Path, profile: &str) -> Result<ProfileLock, StoreError> {
    lock_named(config_dir, profile)
}

/// Blocks until this process holds the index's lock. Its name starts with '.', which no
/// profile name may, so it never shares a file with a profile's lock.
pub fn lock_index(config_dir: &Path) -> Result<ProfileLock, StoreError> {
    lock_named(config_dir, ".index")
}

fn lock_named(config_dir: &Path, name: &str) -> Result<ProfileLock, StoreError> {
    let dir = config_dir.join("locks");
    ensure_own_private_dir(&dir)?;
    let path = dir.join(format!("{name}.lock"));
    let mut opts = OpenOptions::new();
    // The file's content is never used; write access is what some platforms need to lock.
    opts.create(true).truncate(false).read(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = opts
        .open(&path)
        .map_err(|e| StoreError::Io(format!("cannot open {}: {e}", path.display())))?;
    file.lock()
        .map_err(|e| StoreError::Io(format!("cannot lock {}: {e}", path.display())))?;
    Ok(ProfileLock(file))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn second_holder_waits_for_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path(), "p").unwrap();
        let (tx, rx) = mpsc::channel();
        let d = dir.path().to_path_buf();
        let t = std::thread::spawn(move || {
            // A separate open file description, so the lock conflicts as between processes.
            let _second = lock(&d, "p").unwrap();
            tx.send(()).unwrap();
        });
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
        drop(first);
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        t.join().unwrap();
        // Another profile's lock is independent.
        let _a = lock(dir.path(), "a").unwrap();
        let _b = lock(dir.path(), "b").unwrap();
    }
}
