//! The machine-readable names of failures: `error.code` of the JSON error document, a
//! contract with scripts as much as the exit codes are. Each code has one exit code (its
//! row of `Exit::TABLE`), so a `CliError` is made from its code and its exit code
//! follows; the code says more precisely what happened.

use serde::Serialize;

use super::Exit;

/// One table, so that the enum, its names, exit codes and meanings cannot disagree.
macro_rules! codes {
    ($($variant:ident = $name:literal, $exit:ident, $meaning:literal;)*) => {
        /// Why a command failed, for scripts (`"code"` in `{"error": {"code", "message",
        /// "hints"}}`). Once released, the names are stable: codes are added, never renamed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in the order of docs/reference.md's table (by exit code).
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The name scripts see.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// The exit code this failure is.
            pub fn exit(self) -> Exit {
                match self {
                    $(Code::$variant => Exit::$exit,)*
                }
            }

            /// What it means, for the man page and docs/reference.md.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }
        }
    };
}

codes! {
    Internal = "internal", Unexpected, "a bug or an unexpected failure (writing stdout, an internal error)";
    ClockSkew = "clock_skew", Unexpected, "doctor: the local clock is more than 5 minutes off the server's";
    Usage = "usage", Usage, "a flag, an argument or a variable that makes no sense";
    MissingInput = "missing_input", Usage, "a value that must be given (its flag and variable are named) and cannot be asked";
    ProfileExists = "profile_exists", Usage, "init: the profile exists (--force replaces it)";
    IndexInvalid = "index_invalid", Usage, "the profile index (profiles.json) cannot be read or is damaged";
    ScopeUnknown = "scope_unknown", Usage, "a scope name that is not in the catalog, or not a scope";
    SiteInvalid = "site_invalid", Usage, "a site that is neither a subdomain, a URL nor a cloud id";
    SiteUnknown = "site_unknown", Usage, "an address that is no Jira Cloud site (its tenant_info says so)";
    SiteNotFound = "site_not_found", Usage, "no site the grant covers matches the one named";
    SiteAmbiguous = "site_ambiguous", Usage, "several sites match, or several are covered and none was named";
    PortUnavailable = "port_unavailable", Usage, "the callback port cannot be listened on";
    OtherServers = "other_servers", Usage, "JIRA_AUTH_AUTH_URL or JIRA_AUTH_API_URL name other servers than the profile was made with, which alone get its secrets";
    MethodMismatch = "method_mismatch", Usage, "the profile's method has no such thing (login of an API token)";
    DeploymentMismatch = "deployment_mismatch", Usage, "a method or option the site's deployment does not have (a PAT on Cloud, an API token on Data Center, stateless mode on Data Center, --deployment data-center for *.atlassian.net)";
    DeploymentUnknown = "deployment_unknown", Usage, "an address where no Jira answers /rest/api/2/serverInfo, or one that will not say whether it is Cloud or Data Center";
    ScopeWrongDeployment = "scope_wrong_deployment", Usage, "a scope of the other deployment (a Cloud scope for Data Center, or READ, WRITE… for Cloud)";
    BrowserUnavailable = "browser_unavailable", Usage, "no browser can be opened and nothing can be asked: init would wait for nothing";
    PasteInvalid = "paste_invalid", Usage, "the address read from stdin (--paste) is not this run's callback";
    ComposioInvalid = "composio_invalid", Usage, "Composio refused a request as invalid (its message is quoted)";
    ProfileNotFound = "profile_not_found", AuthNeeded, "no such profile (or none at all)";
    ProfileUnusable = "profile_unusable", AuthNeeded, "the profile's stored credentials are missing or cannot be used";
    ConsentDenied = "consent_denied", AuthNeeded, "consent was declined on the consent page";
    AuthorizationFailed = "authorization_failed", AuthNeeded, "the authorization server (Atlassian's, or a Data Center instance) returned an error";
    ClientIdRejected = "client_id_rejected", AuthNeeded, "the authorization server refused the client id or its callback URL";
    ClientSecretRejected = "client_secret_rejected", AuthNeeded, "the authorization server refused the client secret (Atlassian), or the application link's client id or secret (Data Center)";
    CodeRejected = "code_rejected", AuthNeeded, "Atlassian (or a Data Center instance: expired after 10 s, or a PKCE mismatch) refused the authorization code";
    RefreshTokenRejected = "refresh_token_rejected", AuthNeeded, "Atlassian (or a Data Center instance) refused the refresh token (expired or revoked)";
    RefreshTokenExpired = "refresh_token_expired", AuthNeeded, "doctor: the refresh token is past its 90 days (without use on Atlassian, since issue on Data Center)";
    NoRefreshToken = "no_refresh_token", AuthNeeded, "the profile has no refresh token";
    ServiceAccountRejected = "service_account_rejected", AuthNeeded, "Atlassian (or a Data Center instance) refused the service account's client id or secret";
    ApiTokenRejected = "api_token_rejected", AuthNeeded, "neither the site nor the gateway accepts the API token";
    PatRejected = "pat_rejected", AuthNeeded, "the Data Center instance refused the personal access token";
    AccessTokenRejected = "access_token_rejected", AuthNeeded, "Atlassian or the Jira server refused the access token";
    SiteNotInGrant = "site_not_in_grant", AuthNeeded, "the profile's site is not (or no longer) covered by the grant";
    ComposioKeyRejected = "composio_key_rejected", AuthNeeded, "Composio refused the project API key (COMPOSIO_API_KEY)";
    ComposioAuthConfigUnusable = "composio_auth_config_unusable", AuthNeeded, "the profile's Composio auth config is gone (deleted in the dashboard) or disabled";
    ComposioNotConnected = "composio_not_connected", AuthNeeded, "no ACTIVE Composio connected account for the user (none yet, or only failed, expired or revoked ones)";
    ComposioConnectionFailed = "composio_connection_failed", AuthNeeded, "the Composio connection ended FAILED or EXPIRED (a scope not ticked, a declined consent, an expired link)";
    ScopeMissing = "scope_missing", ScopeCheck, "a required scope is not granted";
    ServerUnavailable = "server_unavailable", Unavailable, "Atlassian, the Jira server or the network did not answer, after retries";
    RateLimited = "rate_limited", Unavailable, "the server's rate limit (Atlassian's or the Jira server's), after retries";
    TlsFailed = "tls_failed", Unavailable, "the TLS connection failed (an intercepting proxy, a non-HTTPS server)";
    BadResponse = "bad_response", Unavailable, "an answer that is not what Atlassian or Jira sends (a proxy?)";
    StoreUnavailable = "store_unavailable", Store, "the credential store cannot be reached or used";
    StoreLocked = "store_locked", Store, "the keychain is locked, or access to it was refused";
    StoreCorrupt = "store_corrupt", Store, "a stored profile cannot be read";
    StoreUntrusted = "store_untrusted", Store, "a file of the config dir is another user's, or writable by others";
    CallbackTimeout = "callback_timeout", Timeout, "no callback (or pasted address) before the timeout";
    CommandNotExecutable = "command_not_executable", CommandNotExecutable, "exec: the command was found but cannot be run";
    CommandNotFound = "command_not_found", CommandNotFound, "exec: the command was not found";
    Interrupted = "interrupted", Interrupted, "interrupted (Ctrl-C)";
    Cancelled = "cancelled", Interrupted, "a prompt was cancelled (Escape)";
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_listed_by_exit_code() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            let name = code.as_str();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
            assert_eq!(serde_json::to_value(code).unwrap(), serde_json::json!(name));
        }
        let exits: Vec<u8> = Code::ALL.iter().map(|c| c.exit().code()).collect();
        assert!(exits.is_sorted(), "{exits:?}");
    }

    #[test]
    fn every_failing_exit_code_has_a_code() {
        for (exit, _) in Exit::TABLE.iter().filter(|(e, _)| *e != Exit::Ok) {
            assert!(
                Code::ALL.iter().any(|c| c.exit() == *exit),
                "no code for exit {}",
                exit.code()
            );
        }
    }
}
