//! Test support shared by the integration tests: HTTP plumbing, the Atlassian emulator and the fake browser.

pub mod broken;
pub mod browser;
pub mod emulator;
pub mod env;
pub mod http;
pub mod methods;
pub mod screen;
pub mod waiting;
