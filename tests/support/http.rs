//! The emulator's blocking HTTP/1.1 plumbing and URL-encoding helpers, from the crate
//! (`jira_auth::sandbox::http`): the fake browser and the broken servers of `broken.rs` use
//! them too.

pub use jira_auth::sandbox::http::*;
