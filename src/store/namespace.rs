//! The name of one config dir in the stores every config dir of the user shares: the OS
//! keychain and the kernel keyring. Two setups of the same user (a second install, a test's
//! JIRA_AUTH_CONFIG_DIR) each have an index of their own, so each must have keychain items
//! and cached tokens of their own too: a profile `default` in one must never read, replace or
//! delete the `default` of another.
//!
//! The name is a hash of the directory's canonical path (symlinks, `..` and trailing slashes
//! resolved): one setup spelled two ways must have one name, or a logout through one spelling
//! would leave the credentials of the other behind.

use std::path::{Path, PathBuf};

/// 16 hex digits naming `config_dir`. Stable across builds and platforms: changing it would
/// orphan every stored keychain item.
pub(crate) fn namespace(config_dir: &Path) -> String {
    format!(
        "{:016x}",
        fnv1a(canonical(config_dir).as_os_str().as_encoded_bytes())
    )
}

/// The canonical form of `dir`, also before it exists (the first `init` names its items
/// before the directory is made): the nearest existing ancestor canonicalized, the rest
/// appended as it is (a part that does not exist yet cannot be a symlink).
fn canonical(dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    let mut missing = Vec::new();
    let mut existing = absolute.as_path();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            return missing.iter().rev().fold(real, |p, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                missing.push(name.to_os_string());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// FNV-1a 64: stable across builds and platforms (std's hasher is not), and only a namespace,
/// not a security boundary.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_separate_config_dirs() {
        let a = namespace(Path::new("/tmp/a"));
        assert_eq!(a.len(), 16);
        assert_ne!(a, namespace(Path::new("/tmp/b")));
        assert_eq!(a, namespace(Path::new("/tmp/a")));
    }

    #[test]
    fn one_config_dir_spelled_differently_has_one_namespace() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("config");
        // Before it exists, as the first `init` sees it, and after.
        let before = namespace(&dir);
        std::fs::create_dir(&dir).unwrap();
        let ns = namespace(&dir);
        assert_eq!(
            before, ns,
            "the same before and after the directory is made"
        );
        let mut slash = dir.clone().into_os_string();
        slash.push("/");
        assert_eq!(ns, namespace(Path::new(&slash)), "trailing slash");
        assert_eq!(ns, namespace(&dir.join("..").join("config")), "..");
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(&dir, &link).unwrap();
            assert_eq!(ns, namespace(&link), "symlink");
            // Under a symlinked parent, before the directory exists.
            let real_parent = tmp.path().join("real");
            std::fs::create_dir(&real_parent).unwrap();
            let linked_parent = tmp.path().join("linked");
            std::os::unix::fs::symlink(&real_parent, &linked_parent).unwrap();
            assert_eq!(
                namespace(&linked_parent.join("new")),
                namespace(&real_parent.join("new"))
            );
        }
    }

    #[test]
    fn fnv1a_is_the_published_function() {
        // Test vectors of FNV-1a 64.
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
