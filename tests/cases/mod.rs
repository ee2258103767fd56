//! The test cases, one module per area.

mod cache;
mod completions;
mod doctor;
mod help;
mod init;
mod init_failures;
// A Unix pseudo-terminal (expectrl's Windows sessions are ConPTY, with another API).
#[cfg(unix)]
mod interactive;
mod listener;
mod login;
mod network;
mod profiles;
mod scopes_check;
mod scopes_list;
mod secrets;
mod sites;
mod terminal;
mod token;
