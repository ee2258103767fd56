//! The test cases, one module per area.

mod api_token;
mod cache;
mod completions;
mod doctor;
mod help;
mod init;
mod init_failures;
mod interactive;
mod listener;
mod login;
mod methods;
mod network;
mod profiles;
mod scopes_check;
mod scopes_list;
mod secrets;
mod service_account;
mod sites;
mod stateless;
mod token;
