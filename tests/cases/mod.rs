//! The test cases, one module per area.

mod api_token;
mod architecture;
mod cache;
mod completions;
mod composio;
#[cfg(unix)]
mod datacenter;
mod doctor;
mod documents;
#[cfg(unix)]
mod exec;
mod exit_codes;
mod help;
mod index;
mod init;
mod init_failures;
mod jira_clients;
// A Unix pseudo-terminal (expectrl's Windows sessions are ConPTY, with another API).
#[cfg(unix)]
mod interactive;
mod keychain;
mod listener;
mod login;
mod methods;
mod network;
mod profiles;
#[cfg(unix)]
mod proxy;
#[cfg(unix)]
mod proxy_clients;
mod python_tools;
mod readme;
#[cfg(unix)]
mod real_browser;
mod reference;
mod remote;
mod sandbox;
mod scopes_check;
mod scopes_list;
mod secrets;
mod servers;
mod service_account;
mod sites;
mod smaller;
mod stateless;
mod status;
mod terminal;
mod token;
mod trust;
// The Windows build under Wine, on Linux: scripts/test-windows.sh.
#[cfg(unix)]
mod windows;
