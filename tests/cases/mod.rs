//! The test cases, one module per area.

mod cache;
mod init;
mod init_failures;
mod interactive;
mod login;
mod profiles;
mod token;
