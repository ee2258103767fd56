//! Lock files in the config dir: `locks/PROFILE.lock` serializes a profile's refreshes across
//! processes, `locks/.index.lock` the read-modify-write of the profile index.
//!
//! Atlassian rotates refresh tokens and treats reuse of a rotated one (after its reuse
//! interval) as theft, revoking the whole family; two processes refreshing the same profile
//! at once could therefore log the user out. Holding this lock around "load, refresh, save"
//! makes the second process find the first one's result instead of refreshing again.
//!
//! A removed profile's lock file is removed too (`ProfileLock::remove`), by its holder. A
//! process that opened the file before it was unlinked may then get the lock on a file no
//! longer at its path, which guards nothing; so a lock counts only when the path still names
//! the locked file, and otherwise is taken again on the file that is there now.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use super::StoreError;
use super::trust::ensure_own_private_dir;

/// An exclusive advisory lock on one profile, released when dropped (or when the process
/// dies: the OS releases it with the file descriptor, so a crash never leaves it stuck).
#[derive(Debug)]
pub(crate) struct ProfileLock {
    /// Held open for the lock; never read or written.
    _file: File,
    path: PathBuf,
}

impl ProfileLock {
    /// Removes the lock file while holding it, then releases the lock: for a profile that is
    /// gone, so that `locks/` does not keep a file per name ever used. (On Windows an open
    /// file cannot be removed; it is left there.)
    pub(crate) fn remove(self) {
        if cfg!(unix)
            && let Err(e) = std::fs::remove_file(&self.path)
        {
            tracing::debug!("lock file {} not removed: {e}", self.path.display());
        }
    }
}

/// Blocks until this process holds the profile's lock.
pub(crate) fn lock(config_dir: &Path, profile: &str) -> Result<ProfileLock, StoreError> {
    lock_named(config_dir, profile)
}

/// Blocks until this process holds the index's lock. Its name starts with '.', which no
/// profile name may, so it never shares a file with a profile's lock.
pub(crate) fn lock_index(config_dir: &Path) -> Result<ProfileLock, StoreError> {
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
    loop {
        let file = opts
            .open(&path)
            .map_err(|e| StoreError::Io(format!("cannot open {}: {e}", path.display())))?;
        file.lock()
            .map_err(|e| StoreError::Io(format!("cannot lock {}: {e}", path.display())))?;
        if still_at(&file, &path) {
            return Ok(ProfileLock { _file: file, path });
        }
    }
}

/// Whether `path` still names `file` (its holder may have removed it while we waited).
#[cfg(unix)]
fn still_at(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(held), Ok(there)) => held.dev() == there.dev() && held.ino() == there.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_at(_file: &File, _path: &Path) -> bool {
    true
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

    #[cfg(unix)]
    #[test]
    fn a_waiter_on_a_removed_lock_file_locks_the_one_there_now() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("locks").join("p.lock");
        let first = lock(dir.path(), "p").unwrap();
        let (tx, rx) = mpsc::channel();
        let d = dir.path().to_path_buf();
        let t = std::thread::spawn(move || {
            let second = lock(&d, "p").unwrap();
            tx.send(()).unwrap();
            // Held: a third taker must wait for it, whatever happened to the first file.
            std::thread::sleep(Duration::from_millis(300));
            drop(second);
        });
        std::thread::sleep(Duration::from_millis(100));
        first.remove();
        rx.recv_timeout(Duration::from_secs(5)).unwrap();
        assert!(path.exists(), "the waiter made and locked a new file");
        let started = std::time::Instant::now();
        let third = lock(dir.path(), "p").unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(150),
            "two holders at once"
        );
        third.remove();
        assert!(!path.exists());
        t.join().unwrap();
    }
}
