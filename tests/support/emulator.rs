//! The Atlassian emulator, as the tests name it: the crate's own (`jira_auth::sandbox::emulator`,
//! the one `jira-auth sandbox` and `init --sandbox` serve), so that the sandbox and the tests
//! can never drift apart. What a test's world holds is described by `env.rs`'s builder.

pub use jira_auth::sandbox::emulator::*;
