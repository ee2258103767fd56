//! The worlds' other credentials, as a script would set them up: `init` of the service
//! account and of the API tokens every world has (see `TestEnv`'s fields), and stateless mode.

use std::process::Command;

use super::emulator::USER_EMAIL;
use super::env::{DC_CLIENT_ID, DC_SA_CLIENT_ID, SA_CLIENT_ID, TestEnv};
use jira_auth_emulator::datacenter::DataCenter;

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

    /// The Data Center instance of a world built with [`TestEnvBuilder::data_center`].
    pub fn dc(&self) -> &DataCenter {
        self.dc.as_ref().expect("a world with .data_center(…)")
    }

    /// `init --method pat` of the world's personal access token on its Data Center instance
    /// (its base URL as --site), every value by environment, in the file store.
    pub fn init_pat(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["init", "--no-input", "--method", "pat", "--store", "file"])
            .env("JIRA_AUTH_SITE", self.dc().base_url())
            .env("JIRA_AUTH_PAT", &self.dc_pat);
        cmd
    }

    /// `init` of the Data Center instance's own OAuth 2.0 (its application link), as a script
    /// would: `--preset read-write` (WRITE), the file store.
    pub fn init_dc_oauth(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["init", "--no-input", "--store", "file"])
            .args(["--client-id", DC_CLIENT_ID, "--preset", "read-write"])
            .args(["--port", &self.port.to_string()])
            .env("JIRA_AUTH_SITE", self.dc().base_url())
            .env("JIRA_AUTH_TIMEOUT", "20")
            .env("JIRA_AUTH_CLIENT_SECRET", &self.dc_secret);
        cmd
    }

    /// `init --method service-account` of the Data Center instance's service account (its
    /// base URL as --site, `JIRA_AUTH_SCOPES=READ`), every value by environment, in the file store.
    pub fn init_dc_service_account(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["init", "--no-input", "--method", "service-account"])
            .args(["--store", "file"])
            .env("JIRA_AUTH_SCOPES", "READ")
            .env("JIRA_AUTH_CLIENT_ID", DC_SA_CLIENT_ID)
            .env("JIRA_AUTH_SITE", self.dc().base_url())
            .env("JIRA_AUTH_CLIENT_SECRET", &self.dc_sa_secret);
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
