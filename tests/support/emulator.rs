//! The Atlassian emulator, as the tests name it: the jira-auth-emulator crate's
//! (`jira_auth_emulator::emulator`, with its `testing` knobs), the one `jira-auth sandbox` and
//! `init --sandbox` serve, so that the sandbox and the tests can never drift apart. What a
//! test's world holds is described by `env.rs`'s builder.

/// The emulated Composio (crates/jira-auth-emulator/src/composio.rs), connecting through an
/// Atlassian emulator.
pub use jira_auth_emulator::composio::Composio;
pub use jira_auth_emulator::emulator::*;
