//! The real Python clients and servers (mcp-atlassian, pycontribs `jira`, OpenBao's `bao`,
//! Composio's SDK): each a virtual environment that scripts/test.sh makes from a hashed lock in
//! `.ci/python/` and hands over as `JIRA_AUTH_TEST_PYTHON_<NAME>` (.ci/python/README.md).

use std::path::PathBuf;

/// The environment made from `.ci/python/NAME.txt`: its directory (`bin/python`, the tools'
/// scripts in `bin/`). `None` when the tests run without it (a plain `cargo test`): the caller
/// returns, and the reason is printed. Under CI (`CI` set, as `.ci/run` does) a missing
/// environment fails the test instead: there, skipping would hide that nothing was tried.
pub fn env(name: &str) -> Option<PathBuf> {
    let variable = format!("JIRA_AUTH_TEST_PYTHON_{}", name.to_uppercase());
    match std::env::var_os(&variable).map(PathBuf::from) {
        Some(dir) if dir.join("bin/python").is_file() => Some(dir),
        found => {
            let why = match found {
                Some(dir) => format!("{variable}={} has no bin/python", dir.display()),
                None => format!("{variable} is not set"),
            };
            assert!(
                std::env::var_os("JIRA_AUTH_TEST_PYTHON_REQUIRED").is_none(),
                "{why}: run the tests with scripts/test.sh, which installs .ci/python/{name}.txt"
            );
            eprintln!("skipped: {why} (scripts/test.sh installs .ci/python/{name}.txt)");
            None
        }
    }
}
