//! Test support shared by the integration tests: the world builder (env.rs), the fake browser,
//! broken servers, screens; the Atlassian emulator and its HTTP plumbing are the
//! jira-auth-emulator crate's (a dev-dependency with its `testing` feature), re-exported as
//! `emulator` and `http`.

pub mod broken;
pub mod browser;
#[cfg(unix)]
pub mod chromium;
pub mod emulator;
pub mod env;
pub mod http;
pub mod methods;
#[cfg(unix)]
pub mod proxy;
pub mod python;
pub mod screen;
pub mod spawned;
pub mod waiting;
#[cfg(unix)]
pub mod wine;
