//! Atlassian's side of jira-auth, emulated on loopback: the Cloud emulator ([`emulator`]:
//! auth.atlassian.com with its consent page, api.atlassian.com, service accounts, API tokens
//! and the sites' own hosts), a Jira Data Center instance ([`datacenter`]), and the sandbox's
//! own user agent that answers a consent page when nobody is at a browser ([`user`]). Both
//! emulated Jiras answer a small rehearsal surface of Jira's REST API (src/jira/: serverInfo,
//! fields, projects, issues, comments, search with a JQL subset, over seeded issues) for real
//! clients to be tried against, behind the credential checks of each; a rehearsal surface,
//! not a Jira clone. Faithful
//! to what Atlassian documents (the protocol facts are in jira-auth's `docs/protocol.md`),
//! unpleasant parts included.
//!
//! jira-auth serves it as `jira-auth sandbox` and inside `init --sandbox`, and its tests run
//! against it: one emulator, so the two never drift apart. The knobs only tests turn (fault
//! injection beyond the sandbox's scenarios, revocations, clocks, held-back answers, the
//! counters and secrets tests read) exist only with the `testing` feature.
//!
//! Every server is hyper's HTTP/1.1 on a tokio runtime of the crate's own, on a thread of its
//! own ([`http`]); the API is blocking: a server is up when its constructor returns, and
//! stops when dropped. Nothing here reaches beyond loopback, prints, or reads the environment.

pub mod composio;
pub mod datacenter;
pub mod emulator;
pub mod http;
mod jira;
pub mod user;

/// A new secret (`PREFIX` + 32 hex digits), kept in `issued`: the tests look for every
/// secret an emulator gave out in what jira-auth printed.
fn secret(prefix: &str, issued: &mut Vec<String>) -> String {
    let value = format!("{prefix}{:032x}", rand::random::<u128>());
    issued.push(value.clone());
    value
}
