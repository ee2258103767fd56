//! The emulator's HTTP plumbing (hyper on the crate's runtime) and its request and response
//! types, from the jira-auth-emulator crate: the fake browser's tests serve with it, and the
//! broken servers of `broken.rs` answer with its responses.

pub use jira_auth_emulator::http::*;
