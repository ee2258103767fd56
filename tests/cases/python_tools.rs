//! The Python environments the client tests rely on hold exactly what `.ci/python/` pins: a
//! stale or hand-edited environment would make those tests try other versions than the ones
//! the documents name.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::python;

/// `name==version` of every package a lock file pins (lower case, `_` and `.` as `-`, as
/// `pip freeze` normalises them after this change).
fn normalised(line: &str) -> Option<String> {
    let (name, version) = line.split_once("==")?;
    let name = name.trim().to_lowercase().replace(['_', '.'], "-");
    let version = version.split_whitespace().next()?.trim_end_matches('\\');
    Some(format!("{name}=={version}"))
}

#[test]
fn each_python_environment_holds_exactly_its_lock() {
    let locks = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/python");
    let mut checked = 0;
    for entry in std::fs::read_dir(&locks).unwrap() {
        let lock = entry.unwrap().path();
        if lock.extension().and_then(|e| e.to_str()) != Some("txt") {
            continue;
        }
        let name = lock.file_stem().unwrap().to_str().unwrap().to_owned();
        let Some(dir) = python::env(&name) else {
            return;
        };
        let pinned: BTreeSet<String> = std::fs::read_to_string(&lock)
            .unwrap()
            .lines()
            .filter(|line| !line.starts_with([' ', '#']))
            .filter_map(normalised)
            .collect();
        assert!(!pinned.is_empty(), "{} pins nothing", lock.display());
        let out = Command::new(dir.join("bin/python"))
            .args([
                "-m",
                "pip",
                "freeze",
                "--all",
                "--disable-pip-version-check",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "pip freeze in {}", dir.display());
        let installed: BTreeSet<String> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(normalised)
            // The venv's own installer, which no lock pins.
            .filter(|pin| !pin.starts_with("pip==") && !pin.starts_with("setuptools=="))
            .collect();
        assert_eq!(
            installed,
            pinned,
            "the environment {} against {}",
            dir.display(),
            lock.display()
        );
        checked += 1;
    }
    assert!(checked >= 4, "found {checked} locks in {}", locks.display());
}
