//! The worlds' other credentials, as a script would set them up: `init` of the service
//! account and of the API tokens every world has (see `TestEnv`'s fields), and stateless mode.

use std::process::Command;

use super::emulator::USER_EMAIL;
use super::env::{SA_CLIENT_ID, TestEnv};

impl TestEnv {
    /// `init --method service-account` of the world's service account and first site, every
    /// value given as a script would, by environment (so that a test can still pass its own
    /// `--site` or `--client-id`).
    pub fn init_service_account(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["init", "--no-input", "--method", "service-account"])
            .env("JIRA_AUTH_CLIENT_ID", SA_CLIENT_ID)
            .env("JIRA_AUTH_SITE", &self.site_url)
            .env("JIRA_AUTH_CLIENT_SECRET", &self.sa_secret);
        cmd
    }

    /// `init --method api-token` of `token` (the user's: [`USER_EMAIL`]) on the world's first
    /// site, every value by environment, as [`Self::init_service_account`].
    pub fn init_api_token(&self, token: &str) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["init", "--no-input", "--method", "api-token"])
            .env("JIRA_AUTH_EMAIL", USER_EMAIL)
            .env("JIRA_AUTH_SITE", &self.site_url)
            .env("JIRA_AUTH_API_TOKEN", token);
        cmd
    }

    /// `jira-auth ARGS…` in stateless mode: the service account of the world in the
    /// environment (`JIRA_AUTH_METHOD=service-account`, its client id and secret, the first
    /// site's address), and no profile named.
    pub fn stateless(&self, args: &[&str]) -> Command {
        let mut cmd = self.cmd();
        cmd.env_remove("JIRA_AUTH_PROFILE")
            .env("JIRA_AUTH_METHOD", "service-account")
            .env("JIRA_AUTH_CLIENT_ID", SA_CLIENT_ID)
            .env("JIRA_AUTH_CLIENT_SECRET", &self.sa_secret)
            .env("JIRA_AUTH_SITE", &self.site_url)
            .args(args);
        cmd
    }
}
