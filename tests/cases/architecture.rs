//! The layer rules of ARCHITECTURE.md that a test can hold: which module of `src/` may name
//! which (`crate::X` outside its tests), that only `main.rs` and `settings.rs` read the
//! environment, and that no command module imports another (what they share is in
//! `commands/shared/`). A rule broken here is either a mistake or a new design: then change
//! ARCHITECTURE.md and this table together.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each layer, and the top-level modules of the crate it must never name.
const NEVER: &[(&str, &[&str])] = &[
    (
        "cli",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "net",
            "ui",
            "error",
            "settings",
        ],
    ),
    ("settings", &["commands", "profile", "oauth", "atlassian"]),
    ("error", &["commands"]),
    (
        "ui",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "scopes",
            "store",
            "net",
            "error",
            "cli",
            "sandbox",
        ],
    ),
    ("profile", &["commands", "ui", "error", "cli", "settings"]),
    (
        "oauth",
        &[
            "commands", "profile", "ui", "error", "cli", "settings", "sandbox",
        ],
    ),
    (
        "atlassian",
        &[
            "commands", "profile", "oauth", "ui", "error", "cli", "settings", "sandbox",
        ],
    ),
    (
        "scopes",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "store",
            "net",
            "ui",
            "error",
            "cli",
            "settings",
            "sandbox",
        ],
    ),
    (
        "store",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "net",
            "ui",
            "error",
            "cli",
            "settings",
            "sandbox",
        ],
    ),
    (
        "net",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "scopes",
            "store",
            "ui",
            "error",
            "cli",
            "settings",
            "sandbox",
        ],
    ),
    (
        "sandbox",
        &[
            "commands", "profile", "oauth", "ui", "error", "cli", "settings",
        ],
    ),
    (
        "composio",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "scopes",
            "store",
            "ui",
            "error",
            "cli",
            "settings",
            "sandbox",
        ],
    ),
    // The proxy's server knows HTTP and nothing of ours: its credential comes from the
    // command, through a callback, and its client from the net layer, as a value.
    (
        "proxy",
        &[
            "commands",
            "profile",
            "oauth",
            "atlassian",
            "scopes",
            "store",
            "net",
            "ui",
            "error",
            "cli",
            "settings",
            "sandbox",
        ],
    ),
];

/// The subcommands' modules under `src/commands/`, none of which may name another.
const COMMANDS: &[&str] = &[
    "completions",
    "composio",
    "doctor",
    "exec",
    "init",
    "login",
    "logout",
    "man",
    "proxy",
    "sandbox",
    "scopes",
    "sites",
    "status",
    "switch",
    "token",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, with its text up to its unit tests (`#[cfg(test)]`), which
/// may reach wherever they like.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    if dir.extension().is_some() {
        dirs.clear();
        let text = std::fs::read_to_string(dir).unwrap();
        out.push((dir.to_path_buf(), non_test(&text)));
    }
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, non_test(&text)));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {}", dir.display());
    out
}

fn non_test(text: &str) -> String {
    match text.find("#[cfg(test)]") {
        Some(at) => text[..at].to_string(),
        None => text.to_string(),
    }
}

/// The top-level modules `text` names as `crate::X`, outside comments.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let name: String = rest[at + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
            rest = &rest[at + 7..];
        }
        // `use crate::{a, b}`
        if let Some(at) = code.find("crate::{") {
            let list = &code[at + 8..];
            for name in list.split([',', '}']).map(|n| n.trim()) {
                let head: String = name
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !head.is_empty() {
                    found.insert(head);
                }
            }
        }
    }
    found
}

fn layer_path(layer: &str) -> PathBuf {
    let dir = src().join(layer);
    if dir.is_dir() {
        dir
    } else {
        src().join(format!("{layer}.rs"))
    }
}

#[test]
fn no_layer_names_a_module_it_must_never_import() {
    let mut broken = Vec::new();
    for (layer, never) in NEVER {
        for (path, text) in sources(&layer_path(layer)) {
            for name in named_modules(&text) {
                if never.contains(&name.as_str()) {
                    broken.push(format!("{} names crate::{name}", path.display()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn no_command_module_imports_another() {
    let commands = src().join("commands");
    let mut broken = Vec::new();
    for command in COMMANDS {
        let path = commands.join(command);
        let path = if path.is_dir() {
            path
        } else {
            commands.join(format!("{command}.rs"))
        };
        for (file, text) in sources(&path) {
            for other in COMMANDS.iter().filter(|o| *o != command) {
                let named = [
                    format!("crate::commands::{other}::"),
                    format!("crate::commands::{other};"),
                    format!("super::{other}::"),
                    format!("super::super::{other}::"),
                ];
                // `super::X` from a file directly under commands/ is a sibling command;
                // deeper down it is the command's own module.
                let direct = file.parent() == Some(commands.as_path());
                for n in &named {
                    let sibling =
                        !n.starts_with("super::") || direct || n.starts_with("super::super");
                    if sibling && text.contains(n.as_str()) {
                        broken.push(format!("{} names {n}", file.display()));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn only_main_and_settings_read_the_environment() {
    let mut readers = BTreeSet::new();
    for (path, text) in sources(&src()) {
        if text.contains("env::var(") || text.contains("env::var_os(") {
            readers.insert(path.strip_prefix(src()).unwrap().display().to_string());
        }
    }
    let allowed = BTreeSet::from(["main.rs".to_string(), "settings.rs".to_string()]);
    assert!(readers.is_subset(&allowed), "{readers:?}");
    // The check sees a reader where there is one.
    assert!(readers.contains("main.rs"), "{readers:?}");
}

/// The checker itself: it sees what it must see.
#[test]
fn the_import_reader_finds_paths_and_lists_and_skips_comments() {
    let found = named_modules(
        "use crate::net::Http;\nuse crate::{error, store::Site};\n// crate::ui\nlet x = crate::profile::f();",
    );
    assert_eq!(
        found,
        BTreeSet::from(["net", "error", "store", "profile"].map(String::from))
    );
}
