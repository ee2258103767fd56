//! The test cases, one module per area.

mod cache;
mod completions;
mod doctor;
#[cfg(unix)]
mod exec;
mod help;
mod index;
mod init;
mod init_failures;
mod interactive;
mod keychain;
mod listener;
mod login;
mod network;
mod profiles;
mod scopes_check;
mod scopes_list;
mod secrets;
mod sites;
mod smaller;
mod status;
mod token;
mod trust;
