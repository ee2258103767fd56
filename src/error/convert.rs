//! The conversions: what each domain failure means for the user, as an exit code, a context
//! and hints.

use crate::atlassian::{ApiError, Resource, SiteError, describe_all};
use crate::net::HttpError;
use crate::oauth::OAuthError;
use crate::oauth::callback::ListenError;
use crate::oauth::redirect::RedirectError;
use crate::profile::{ProfileError, Refused, Step};
use crate::scopes::{ScopeError, Unknown};
use crate::settings::SettingsError;
use crate::store::{InvalidProfileName, StoreError};
use crate::ui::{OutputError, PromptError};

use super::{CliError, Code};

impl From<SettingsError> for CliError {
    fn from(e: SettingsError) -> CliError {
        let hint = e.hint;
        let err = CliError::of(Code::Usage, e);
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    }
}

impl From<OutputError> for CliError {
    fn from(e: OutputError) -> CliError {
        CliError::of(Code::Internal, e)
    }
}

impl From<InvalidProfileName> for CliError {
    fn from(e: InvalidProfileName) -> CliError {
        CliError::of(Code::Usage, e)
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> CliError {
        let code = match &e {
            StoreError::Locked { .. } => Code::StoreLocked,
            StoreError::Corrupt { .. } => Code::StoreCorrupt,
            StoreError::Exposed { .. }
            | StoreError::NotOwned { .. }
            | StoreError::Writable { .. } => Code::StoreUntrusted,
            StoreError::IndexInvalid { .. } | StoreError::IndexUnreadable { .. } => {
                Code::IndexInvalid
            }
            StoreError::Unavailable { .. } | StoreError::Io(_) | StoreError::Refused(_) => {
                Code::StoreUnavailable
            }
        };
        let hints: Vec<String> = match &e {
            StoreError::Unavailable { .. } | StoreError::Locked { .. } => vec![
                if cfg!(target_os = "linux") {
                    "start and unlock a Secret Service keyring (GNOME Keyring or KWallet): e.g. log in to a desktop session, or run `gnome-keyring-daemon --unlock` inside a D-Bus session"
                } else {
                    "unlock the system keychain and run the command again"
                }
                .to_string(),
                "or keep the credentials in a 0600 file instead: --store file (or JIRA_AUTH_STORE=file)".into(),
            ],
            StoreError::Corrupt { profile, .. } => vec![format!(
                "remove it with `jira-auth logout --profile {profile}` and run `jira-auth init` again"
            )],
            StoreError::Exposed { .. } => {
                vec!["run `chmod 600` on it and rotate the client secret, or remove it".into()]
            }
            StoreError::NotOwned { path, .. } => vec![format!(
                "jira-auth uses only files of yours there: find out who put it there, then remove it (`rm -r {}`) and set up the profiles that need it again",
                shell_quote(&path.display().to_string())
            )],
            StoreError::Writable { path, .. } => vec![format!(
                "run `chmod go-w {}`, and check that nothing in it was replaced",
                shell_quote(&path.display().to_string())
            )],
            // The index is configuration, not the credential store: a usage error, like a
            // setting that makes no sense, and its fix must not need the index itself.
            StoreError::IndexInvalid { path, .. } => {
                let p = shell_quote(&path.display().to_string());
                return CliError::of(code, e)
                    .hint("the index holds no secret, only which profiles exist, their sites and the default; nothing was changed")
                    .hint(format!(
                        "fix it by hand, or move it aside with `mv {p} {p}.broken` and set each profile up again with `jira-auth init --profile NAME` (its stored credentials are replaced)"
                    ));
            }
            StoreError::IndexUnreadable { path, .. } => {
                let p = shell_quote(&path.display().to_string());
                return CliError::of(code, e).hint(format!(
                    "check its owner and permissions with `ls -l {p}`: it must be a file you can read and write (it holds no secret)"
                ));
            }
            StoreError::Io(_) | StoreError::Refused(_) => Vec::new(),
        };
        with_hints(CliError::of(code, e), hints)
    }
}

/// `text` as one shell word, for commands a hint asks to run.
fn shell_quote(text: &str) -> String {
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain && !text.is_empty() {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

impl From<HttpError> for CliError {
    fn from(e: HttpError) -> CliError {
        let (code, hint) = match &e {
            HttpError::Setup(_) => (Code::Internal, None),
            HttpError::MaybeConsumed { .. } => (
                Code::AtlassianUnavailable,
                Some("run `jira-auth init` (or `jira-auth login` for an existing profile) again: it asks for a new code".to_string()),
            ),
            HttpError::RateLimited { retry_after, .. } => {
                let wait = match retry_after {
                    Some(s) => format!("wait {s} s (what Atlassian's Retry-After asked for)"),
                    None => "wait a minute".to_string(),
                };
                (
                    Code::RateLimited,
                    Some(format!(
                        "{wait}, then run the command again; every run that uses this app's client id counts against the same rate limit"
                    )),
                )
            }
            HttpError::Tls { .. } => (
                Code::TlsFailed,
                Some("a proxy or firewall that intercepts HTTPS, or a server that is not HTTPS, causes this; jira-auth trusts the operating system's CA certificates".to_string()),
            ),
            HttpError::Unavailable { .. } => (
                Code::AtlassianUnavailable,
                Some("check your network or proxy, and https://status.atlassian.com; then run the command again".to_string()),
            ),
        };
        with_hints(CliError::of(code, e), hint)
    }
}

impl From<OAuthError> for CliError {
    fn from(e: OAuthError) -> CliError {
        let code = match &e {
            OAuthError::SecretRejected | OAuthError::StoredSecretRejected => {
                Code::ClientSecretRejected
            }
            OAuthError::ServiceAccountRejected
            | OAuthError::StoredServiceAccountRejected
            | OAuthError::NotAServiceAccount(_)
            | OAuthError::DcServiceAccountRejected
            | OAuthError::DcStoredServiceAccountRejected => Code::ServiceAccountRejected,
            OAuthError::DcScopeRefused(_) => Code::AuthorizationFailed,
            OAuthError::ClientRejected(_) => Code::ClientRejected,
            OAuthError::CodeRejected(_) => Code::CodeRejected,
            OAuthError::RefreshRejected(_) | OAuthError::DcRefreshRejected(_) => {
                Code::RefreshTokenRejected
            }
            OAuthError::DcClientRejected | OAuthError::DcStoredClientRejected => {
                Code::ClientSecretRejected
            }
            OAuthError::DcCodeRejected(_) => Code::CodeRejected,
            OAuthError::Unexpected { .. } | OAuthError::Protocol(_) | OAuthError::Http(_) => {
                Code::BadResponse
            }
        };
        let hints: Vec<String> = match &e {
            OAuthError::Http(_) => {
                let OAuthError::Http(h) = e else { unreachable!() };
                return CliError::from(h);
            }
            OAuthError::SecretRejected => vec![
                "copy the Secret again from the developer console → your app → Settings (a regenerated secret replaces the old one)".into(),
                "this is not a consent problem: consent succeeded; only the secret is wrong".into(),
            ],
            OAuthError::StoredSecretRejected => vec![
                "the app's secret was probably regenerated in the developer console (your app → Settings), which ends the old one".into(),
                "run `jira-auth init --force` with the new secret; the stored profile was kept".into(),
            ],
            OAuthError::ServiceAccountRejected => vec![
                "check the client id and secret of the service account's OAuth 2.0 credential (admin.atlassian.com → Directory → Service accounts → the account → Credentials): --client-id or JIRA_AUTH_CLIENT_ID, and JIRA_AUTH_CLIENT_SECRET or --client-secret-stdin".into(),
                "Atlassian shows the secret once, when the credential is created: if it is lost, create new credentials there (and revoke the old ones)".into(),
            ],
            OAuthError::StoredServiceAccountRejected => vec![
                "the credential was probably revoked, or the service account deactivated, in admin.atlassian.com (Directory → Service accounts)".into(),
                "create new credentials there and run `jira-auth init --force --method service-account` with them; the stored profile was kept".into(),
            ],
            OAuthError::NotAServiceAccount(_) => vec![
                "this looks like the client id of an OAuth 2.0 (3LO) app of the developer console: set that up with --method oauth (the default)".into(),
                "a service account's OAuth 2.0 credential is created in admin.atlassian.com → Directory → Service accounts → the account → Create credentials → OAuth 2.0".into(),
            ],
            OAuthError::ClientRejected(_) => vec![
                "check the Client ID, and that the app's callback URL in the developer console (Authorization → OAuth 2.0 (3LO)) is exactly the redirect URI jira-auth uses: 127.0.0.1 and localhost differ, and so do ports".into(),
            ],
            OAuthError::CodeRejected(desc) => {
                let mut hints = Vec::new();
                if desc.to_ascii_lowercase().contains("redirect") {
                    hints.push("the redirect URI sent with the code must be the one the consent used, and registered for the app exactly".into());
                }
                hints.push("codes are single-use and short-lived: run `jira-auth init` (or `jira-auth login`) again to get a new one".into());
                hints
            }
            OAuthError::DcClientRejected => vec![
                "copy the Client ID and Client secret again from Jira: Administration → Applications → Application links → the incoming link (jira-auth) → Credentials; nothing was stored".into(),
                "this is not a consent problem: consent succeeded; only the client's credentials are wrong".into(),
            ],
            OAuthError::DcStoredClientRejected => vec![
                "the application link was probably deleted, or its secret regenerated, in Jira (Administration → Applications → Application links)".into(),
                "run `jira-auth init --force` with its current credentials; the stored profile was kept".into(),
            ],
            OAuthError::DcServiceAccountRejected => vec![
                "check the service account's client id and secret (Jira: Administration → Service accounts → the account → its OAuth 2.0 credentials): --client-id or JIRA_AUTH_CLIENT_ID, and JIRA_AUTH_CLIENT_SECRET or --client-secret-stdin; nothing was stored".into(),
                "Jira shows the secret once: if it is lost, generate new credentials for the service account there".into(),
            ],
            OAuthError::DcStoredServiceAccountRejected => vec![
                "the service account's credentials were probably regenerated, or the account deactivated or deleted, in Jira (Administration → Service accounts)".into(),
                "run `jira-auth init --force --method service-account` with its current credentials; the stored profile was kept".into(),
            ],
            OAuthError::DcScopeRefused(_) => vec![
                "a Jira Data Center service account can have READ or WRITE only, and no more than its administrator allowed it (Administration → Service accounts → the account): run `jira-auth init --force --method service-account --scopes READ` or ask for WRITE there".into(),
            ],
            OAuthError::DcCodeRejected(_) => vec![
                "a Data Center code lives 10 s and works once; jira-auth exchanges it at once, so a slow network or proxy between here and Jira, a code used by someone else, or a PKCE verifier that does not match is the cause".into(),
                "run `jira-auth init` (or `jira-auth login`) again; a Jira administrator can allow more time with the system property atlassian.oauth2.provider.max.client.delay.seconds".into(),
            ],
            OAuthError::DcRefreshRejected(_) => vec![
                "the refresh token was revoked (Profile → Authorized applications in Jira), expired (90 days) or spent: run `jira-auth login` to consent again; the stored profile was kept".into(),
            ],
            OAuthError::RefreshRejected(_) => vec![
                "run `jira-auth login` (or `jira-auth init --force`) to consent again; the stored profile was kept".into(),
            ],
            OAuthError::Unexpected { .. } | OAuthError::Protocol(_) => {
                return with_hints(CliError::of(code, e), [PROXY_HINT_AUTH]);
            }
        };
        with_hints(CliError::of(code, e), hints)
    }
}

const PROXY_HINT_AUTH: &str = "a proxy may be answering instead of Atlassian; check JIRA_AUTH_AUTH_URL / JIRA_AUTH_API_URL and your proxy, then run the command again";

impl From<ApiError> for CliError {
    fn from(e: ApiError) -> CliError {
        let (code, hint) = match &e {
            ApiError::Http(_) => {
                let ApiError::Http(h) = e else { unreachable!() };
                return CliError::from(h);
            }
            ApiError::Unauthorized(_) => (
                Code::TokenRejected,
                "run `jira-auth login` to consent again",
            ),
            ApiError::ScopeMismatch(_) => (
                Code::ScopeMissing,
                "tick the scope for the app in the developer console (Permissions), then run `jira-auth login` to consent to it; `jira-auth scopes check` shows which scopes are missing and where to tick them",
            ),
            ApiError::Protocol { .. } => (
                Code::BadResponse,
                "a proxy may be answering instead of Atlassian; check JIRA_AUTH_API_URL and your proxy, then run the command again",
            ),
            ApiError::NotFound(_) => (
                Code::SiteNotInGrant,
                "run `jira-auth login` and pick the site on the consent page",
            ),
            ApiError::UnknownSite { .. } => {
                return CliError::of(Code::SiteUnknown, e)
                    .hint("name the site as your browser's address bar shows it when you use Jira: acme, acme.atlassian.net or https://acme.atlassian.net (--site or JIRA_AUTH_SITE)")
                    .hint("or give its cloud id with --cloud-id (JIRA_AUTH_CLOUD_ID): admin.atlassian.com → Apps → Sites → the site shows it after /s/ in the address bar");
            }
            ApiError::AlwaysCloud { .. } => {
                return CliError::of(Code::DeploymentMismatch, e).hint(
                    "drop --deployment (or JIRA_AUTH_DEPLOYMENT), or say --deployment cloud",
                );
            }
            ApiError::NotJira { .. } => {
                return CliError::of(Code::DeploymentUnknown, e)
                    .hint("give the address your browser shows for Jira's start page, context path included (e.g. https://jira.example.com/jira): jira-auth asks <that>/rest/api/2/serverInfo")
                    .hint("if the instance answers only with credentials, say which it is with --deployment data-center (or JIRA_AUTH_DEPLOYMENT)");
            }
            ApiError::PatRejected { .. } => {
                return CliError::of(Code::PatRejected, e)
                    .hint("check that the token was copied whole, and that it is neither expired nor revoked: in Jira, your avatar → Profile → Personal Access Tokens")
                    .hint("a personal access token belongs to one Data Center instance: create it on the one --site names; nothing was stored");
            }
            ApiError::ApiTokenRejected { .. } => {
                return CliError::of(Code::ApiTokenRejected, e)
                    .hint("the email must be the one of the Atlassian account that created the token (a service account's token goes with the service account's email)")
                    .hint("check that the token was copied whole and is neither expired nor revoked (https://id.atlassian.com/manage-profile/security/api-tokens; Atlassian expires every token at most a year after its creation)");
            }
        };
        CliError::of(code, e).hint(hint)
    }
}

impl From<SiteError> for CliError {
    fn from(e: SiteError) -> CliError {
        let (code, sites) = match &e {
            SiteError::NotASite { .. } => {
                return CliError::of(Code::SiteInvalid, e).hint(
                    "name the site by its subdomain (acme), its URL (https://acme.atlassian.net) or its cloud id",
                );
            }
            SiteError::NoSites => {
                return CliError::of(Code::SiteNotInGrant, e)
                    .hint("on the consent page, pick the site to grant access to (resource-level grants need a site)")
                    .hint("check that your account can use Jira on that site");
            }
            SiteError::NoMatch { sites, .. } => (Code::SiteNotFound, sites),
            SiteError::Ambiguous { sites, .. } | SiteError::Several { sites } => {
                (Code::SiteAmbiguous, sites)
            }
        };
        CliError::new(code, format!("{e}; the sites are:\n{}", site_lines(sites)))
            .hint("choose one with --site SUBDOMAIN|URL|CLOUD_ID (or JIRA_AUTH_SITE)")
    }
}

/// "  acme  https://acme.atlassian.net  (cloud id …)", one line per site.
pub fn site_lines(sites: &[Resource]) -> String {
    describe_all(sites)
        .into_iter()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl From<ListenError> for CliError {
    fn from(e: ListenError) -> CliError {
        let hint = format!(
            "stop what uses port {}, or pick another with --port N and set the app's callback URL in the developer console to match (now {})",
            e.port, e.redirect
        );
        let err = CliError::of(Code::PortUnavailable, e).hint(hint);
        if cfg!(windows) {
            err.hint("Windows reserves some port ranges (see `netsh interface ipv4 show excludedportrange protocol=tcp`)")
        } else {
            err
        }
    }
}

/// A `--redirect-uri` (or `JIRA_AUTH_REDIRECT_URI`) that cannot be the callback.
pub fn redirect_flag(raw: &str, e: RedirectError) -> CliError {
    let sep = if matches!(e, RedirectError::NotAUrl(_)) {
        " "
    } else {
        ": "
    };
    // A password in the URL is not repeated back.
    let shown = match (&e, url::Url::parse(raw)) {
        (RedirectError::UserInfo, Ok(mut url)) => {
            let _ = url.set_username("");
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => raw.to_string(),
    };
    CliError::usage(format!("--redirect-uri {shown}{sep}{e}"))
}

impl From<ScopeError> for CliError {
    fn from(e: ScopeError) -> CliError {
        let code = match &e {
            ScopeError::Unknown { .. } | ScopeError::NotAScope(_) => Code::ScopeUnknown,
            ScopeError::Empty | ScopeError::UnknownPreset { .. } => Code::Usage,
            ScopeError::NotForDataCenter { .. } | ScopeError::DataCenterOnCloud(_) => {
                Code::ScopeWrongDeployment
            }
        };
        let hints: Vec<String> = match &e {
            ScopeError::Unknown { policy, .. } => {
                let mut hints = vec!["`jira-auth scopes list --search WORD` shows every scope jira-auth knows, with its console tab".to_string()];
                if *policy == Unknown::RefuseWithHatch {
                    hints.push("for a scope Atlassian added after this jira-auth was built, check the name, then pass --allow-unknown-scopes (or JIRA_AUTH_ALLOW_UNKNOWN_SCOPES=1) to request it anyway".into());
                }
                hints
            }
            ScopeError::NotAScope(scope) => {
                // Upper case is the one shape mistake with an obvious intent.
                let mut hints: Vec<String> =
                    crate::scopes::did_you_mean(&scope.to_ascii_lowercase())
                        .into_iter()
                        .collect();
                hints.push("separate scopes with commas or spaces".into());
                hints
            }
            ScopeError::NotForDataCenter { .. } => vec![
                "a Data Center site takes --scopes READ, WRITE, ADMIN or SYSTEM_ADMIN (each capped by the user's own permissions), or --preset read-only, read-write or admin".into(),
                "Cloud scopes (read:jira-work…) are for *.atlassian.net sites; if this is one, check --site (or say --deployment cloud)".into(),
            ],
            ScopeError::DataCenterOnCloud(_) => vec![
                "a Cloud site takes Cloud scopes: `jira-auth scopes list` shows them, or use --preset read-only, read-write or admin".into(),
                "if the site is Jira Data Center, give its base URL as --site (e.g. https://jira.example.com/jira)".into(),
            ],
            ScopeError::Empty | ScopeError::UnknownPreset { .. } => Vec::new(),
        };
        with_hints(CliError::of(code, e), hints)
    }
}

impl From<PromptError> for CliError {
    fn from(e: PromptError) -> CliError {
        match &e {
            PromptError::Interrupted => CliError::new(Code::Interrupted, "interrupted"),
            // The person chose to stop: as an interruption, nothing done.
            PromptError::Cancelled => {
                CliError::new(Code::Cancelled, "cancelled; nothing was changed")
            }
            PromptError::NoTerminal(_) => CliError::of(Code::MissingInput, e)
                .hint("pass the value with its flag or env var, and --no-input"),
            PromptError::Off(_) => CliError::of(Code::MissingInput, e),
        }
    }
}

impl From<ProfileError> for CliError {
    fn from(e: ProfileError) -> CliError {
        match e {
            ProfileError::InvalidName(e) => CliError::from(e),
            ProfileError::NotFound { ref name } => {
                let hint = format!("create it with `jira-auth init --profile {name}`");
                CliError::of(Code::ProfileNotFound, e).hint(hint)
            }
            ProfileError::CredentialsMissing { ref name, .. } => {
                let hint = format!("run `jira-auth init --force --profile {name}` to set it up again");
                CliError::of(Code::ProfileUnusable, e).hint(hint)
            }
            ProfileError::OthersLegacyItem { ref name } => {
                let hint = format!(
                    "run `jira-auth init --force --profile {name}` to set it up again here; the other config directory keeps its own"
                );
                CliError::of(Code::ProfileUnusable, e).hint(hint)
            }
            ProfileError::RemovedWhileWaiting { ref name } => {
                let hint = format!("create it again with `jira-auth init --profile {name}`");
                CliError::of(Code::ProfileNotFound, e).hint(hint)
            }
            ProfileError::Refused {
                ref name,
                ref refusal,
                data_center,
            } => {
                let (code, hint) = match (refusal.what, data_center) {
                    (Refused::RefreshToken, _) => (
                        Code::RefreshTokenRejected,
                        format!(
                            "run `jira-auth login --profile {name}` to consent again; the stored profile was kept"
                        ),
                    ),
                    (Refused::ClientSecret, true) => (
                        Code::ClientSecretRejected,
                        format!(
                            "the application link was probably deleted or its secret regenerated in Jira: run `jira-auth init --force --profile {name}` with its current credentials"
                        ),
                    ),
                    (Refused::ClientSecret, false) => (
                        Code::ClientSecretRejected,
                        format!(
                            "the app's secret was probably regenerated in the developer console: run `jira-auth init --force --profile {name}` with the new one"
                        ),
                    ),
                };
                CliError::of(code, e).hint(hint)
            }
            ProfileError::NoRefreshToken { .. } => CliError::of(Code::NoRefreshToken, e).hint(
                "run `jira-auth login` (or `jira-auth init --force`) to consent again, with the offline_access scope",
            ),
            ProfileError::Store { step, source } => {
                let err = CliError::from(source);
                match step_context(step) {
                    Some(what) => err.context(what),
                    None => err,
                }
            }
            ProfileError::Site(e) => CliError::from(e),
            ProfileError::Renew {
                source,
                maybe_rotated,
                data_center,
            } => {
                let err = CliError::from(source);
                if maybe_rotated && data_center {
                    // Data Center documents no reuse interval: a rotated-out token may be
                    // dead at once.
                    err.hint("run the command again now: if Jira did receive this refresh and rotates refresh tokens, the stored refresh token may no longer work, and the profile needs `jira-auth login`")
                } else if maybe_rotated {
                    err.hint("run the command again within 10 minutes, even if nothing needs a token now: if Atlassian did receive this refresh, the stored refresh token stops working after that and the profile needs `jira-auth login`")
                } else {
                    err
                }
            }
        }
    }
}

/// What the profile layer was doing, as the first line of its store failure.
fn step_context(step: Step) -> Option<&'static str> {
    match step {
        Step::Lock => Some("waiting for the profile's refresh lock"),
        Step::Save => Some("saving the profile's credentials"),
        Step::SaveIndex => Some("saving the profile index"),
        Step::SaveRenewed => Some(
            "saving the refreshed tokens (the previous refresh token keeps working for about 10 minutes; run the command again)",
        ),
        Step::IndexAfterChange => Some(
            "the change is stored with the profile's credentials, but the profile index (what `status` shows) still has the old values; run the command again",
        ),
        Step::Index | Step::Open | Step::Probe | Step::Read | Step::Delete => None,
    }
}

fn with_hints(err: CliError, hints: impl IntoIterator<Item = impl Into<String>>) -> CliError {
    hints.into_iter().fold(err, |e, h| e.hint(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Exit;

    #[test]
    fn context_comes_first_and_the_source_becomes_its_cause() {
        let err = CliError::from(StoreError::Locked {
            backend: "keychain",
            detail: "dismissed".into(),
        })
        .context("saving profile");
        assert_eq!(err.exit(), Exit::Store);
        let text = err.render();
        assert!(
            text.starts_with(
                "error: saving profile\n  caused by: the keychain is locked or refused access: dismissed\n  hint: "
            ),
            "{text}"
        );
        assert!(
            text.ends_with("--store file (or JIRA_AUTH_STORE=file)"),
            "{text}"
        );
    }

    #[test]
    fn missing_names_flag_and_env() {
        let e = CliError::missing("client id", "--client-id", "JIRA_AUTH_CLIENT_ID");
        assert_eq!(e.exit(), Exit::Usage);
        assert_eq!(
            e.render(),
            "error: missing client id: pass --client-id or set JIRA_AUTH_CLIENT_ID\n  hint: nothing is prompted with --no-input, JIRA_AUTH_NO_INPUT=1, or when stdin is not a terminal"
        );
    }

    #[test]
    fn each_token_failure_has_its_exit_code_and_hint() {
        let e = CliError::from(OAuthError::CodeRejected("Invalid redirect_uri".into()));
        assert_eq!(e.exit(), Exit::AuthNeeded);
        assert!(e.hints()[0].contains("redirect URI"), "{:?}", e.hints());
        assert!(e.hints()[1].contains("single-use"));
        let e = CliError::from(OAuthError::CodeRejected(
            "Invalid authorization code".into(),
        ));
        assert_eq!(e.hints().len(), 1);
        let e = CliError::from(OAuthError::Http(HttpError::MaybeConsumed {
            what: "t".into(),
            detail: "timed out".into(),
        }));
        assert_eq!(e.exit(), Exit::Unavailable);
        assert!(e.hints()[0].contains("jira-auth init"), "{:?}", e.hints());
        let e = CliError::from(OAuthError::Http(HttpError::RateLimited {
            what: "t".into(),
            retry_after: Some(7),
            attempts: 4,
        }));
        assert_eq!(e.exit(), Exit::Unavailable);
        assert!(e.message().contains("Retry-After: 7 s") && e.hints()[0].contains("wait 7 s"));
        let e = CliError::from(OAuthError::Unexpected {
            status: 200,
            what: "not JSON".into(),
        });
        assert_eq!(
            e.message(),
            "unexpected response from Atlassian (HTTP 200, not JSON)"
        );
        assert_eq!(e.exit(), Exit::Unavailable);
    }

    #[test]
    fn a_renewal_that_may_have_rotated_says_to_come_back_within_ten_minutes() {
        let unavailable = HttpError::Unavailable {
            what: "the Atlassian token endpoint".into(),
            detail: "reset".into(),
            attempts: 4,
            sent: true,
        };
        let e = CliError::from(ProfileError::Renew {
            source: OAuthError::Http(unavailable),
            maybe_rotated: true,
            data_center: false,
        });
        assert_eq!(e.exit(), Exit::Unavailable);
        assert!(e.hints().last().unwrap().contains("within 10 minutes"));
        // Data Center documents no reuse interval: no promise of 10 minutes there.
        let e = CliError::from(ProfileError::Renew {
            source: OAuthError::Http(HttpError::Unavailable {
                what: "the Jira Data Center token endpoint".into(),
                detail: "reset".into(),
                attempts: 4,
                sent: true,
            }),
            maybe_rotated: true,
            data_center: true,
        });
        let hint = e.hints().last().unwrap();
        assert!(hint.contains("run the command again now"), "{hint}");
        assert!(!hint.contains("10 minutes"), "{hint}");
    }

    #[test]
    fn unknown_scopes_say_how_to_look_them_up_and_request_them_anyway() {
        let e = CliError::from(
            crate::scopes::parse_request("read:brand-new:jira", Unknown::RefuseWithHatch)
                .unwrap_err(),
        );
        assert_eq!(e.exit(), Exit::Usage);
        assert!(e.hints()[0].contains("scopes list --search"));
        assert!(
            e.hints()[1].contains("--allow-unknown-scopes")
                && e.hints()[1].contains("JIRA_AUTH_ALLOW_UNKNOWN_SCOPES=1")
        );
        let e = CliError::from(crate::scopes::parse_list("read:brand-new:jira").unwrap_err());
        assert!(
            !e.hints()
                .iter()
                .any(|h| h.contains("--allow-unknown-scopes"))
        );
        let e = CliError::from(crate::scopes::parse_list("Read:Jira-Work").unwrap_err());
        assert_eq!(e.hints()[0], "did you mean read:jira-work?");
    }

    #[test]
    fn data_center_failures_have_their_exit_codes_and_a_next_step() {
        let cases: Vec<(CliError, Exit, &str)> = vec![
            (
                ApiError::PatRejected {
                    site: "https://j".into(),
                }
                .into(),
                Exit::AuthNeeded,
                "Personal Access Tokens",
            ),
            (
                ApiError::NotJira {
                    url: "https://j".into(),
                    detail: "d".into(),
                }
                .into(),
                Exit::Usage,
                "context path",
            ),
            (
                ApiError::AlwaysCloud {
                    url: "https://a.atlassian.net".into(),
                }
                .into(),
                Exit::Usage,
                "--deployment",
            ),
            (
                OAuthError::DcCodeRejected("invalid_grant".into()).into(),
                Exit::AuthNeeded,
                "10 s",
            ),
            (
                OAuthError::DcClientRejected.into(),
                Exit::AuthNeeded,
                "Application links",
            ),
            (
                OAuthError::DcRefreshRejected(String::new()).into(),
                Exit::AuthNeeded,
                "jira-auth login",
            ),
            (
                crate::scopes::datacenter::parse_request("read:jira-work")
                    .unwrap_err()
                    .into(),
                Exit::Usage,
                "READ, WRITE, ADMIN or SYSTEM_ADMIN",
            ),
        ];
        for (e, exit, hint) in cases {
            assert_eq!(e.exit(), exit, "{}", e.render());
            assert!(e.hints().iter().any(|h| h.contains(hint)), "{}", e.render());
        }
        // The code's description is not repeated when it says no more than its name.
        assert_eq!(
            OAuthError::DcCodeRejected("invalid_grant".into()).to_string(),
            "Jira refused the authorization code (invalid_grant)"
        );
    }

    #[test]
    fn sites_that_cannot_be_chosen_are_listed() {
        let site = |id: &str, name: &str| Resource {
            id: id.into(),
            name: name.into(),
            url: format!("https://{name}.atlassian.net"),
            scopes: vec![],
            avatar_url: None,
        };
        let e = CliError::from(SiteError::NoMatch {
            wanted: "three".into(),
            sites: vec![site("a", "one"), site("b", "two")],
        });
        assert_eq!(e.exit(), Exit::Usage);
        assert_eq!(
            e.message(),
            "no accessible site matches 'three'; the sites are:\n  one  https://one.atlassian.net  (cloud id a)\n  two  https://two.atlassian.net  (cloud id b)"
        );
        assert_eq!(CliError::from(SiteError::NoSites).exit(), Exit::AuthNeeded);
    }
}
