//! The test cases, one module per area.

mod init;
mod init_failures;
mod interactive;
mod login;
mod network;
mod profiles;
mod secrets;
mod token;
