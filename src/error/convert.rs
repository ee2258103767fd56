//! The conversions: what each domain failure means for the user, as an exit code, a context
//! and hints.

use crate::net::Endpoints;
use crate::oauth::callback::ListenError;
use crate::oauth::redirect::RedirectError;
use crate::profile::{ProfileError, Refused, Step};
use crate::scopes::{ScopeError, Unknown};
use crate::settings::{API_URL, AUTH_URL, SettingsError};
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

/// Names each endpoint variable whose server is not the profile's (unset ones as the
/// Atlassian host they default to), the profile's own servers, and the ways out.
fn other_servers(
    name: &str,
    made_with: &Endpoints,
    this_run: &Endpoints,
    sandbox: bool,
) -> CliError {
    let text = |u: &url::Url| u.as_str().trim_end_matches('/').to_string();
    let real = Endpoints::atlassian();
    let pairs = [
        (AUTH_URL, &made_with.auth, &this_run.auth, &real.auth),
        (API_URL, &made_with.api, &this_run.api, &real.api),
    ];
    let differing: Vec<String> = pairs
        .iter()
        .filter(|(_, own, now, _)| text(own) != text(now))
        .map(|(var, _, now, default)| {
            if text(now) == text(default) {
                format!("{var} unset (Atlassian's {})", text(now))
            } else {
                format!("{var}={}", text(now))
            }
        })
        .collect();
    let own = if made_with.are_atlassians() {
        format!(
            "Atlassian's own servers ({}, {})",
            text(&made_with.auth),
            text(&made_with.api)
        )
    } else {
        format!(
            "the servers {} and {}",
            text(&made_with.auth),
            text(&made_with.api)
        )
    };
    let mut e = CliError::new(
        Code::OtherServers,
        format!(
            "profile '{name}' was made with {own}, and its secrets go only there; this run has {}: nothing was sent",
            differing.join(" and ")
        ),
    );
    if !this_run.are_atlassians() {
        let set: Vec<&str> = pairs
            .iter()
            .filter(|(_, _, now, default)| text(now) != text(default))
            .map(|(var, ..)| *var)
            .collect();
        e = e.hint(format!(
            "to use profile '{name}' from this shell, unset them first (a shell that sourced `jira-auth sandbox`'s lines keeps them): `unset {}`",
            set.join(" ")
        ));
    }
    if sandbox {
        e = e.hint(format!(
            "profile '{name}' is a sandbox's: without these variables it is answered offline by a sandbox restored from it, never sent anywhere"
        ));
    } else if !made_with.are_atlassians() {
        e = e.hint(format!(
            "or name its own servers: `{AUTH_URL}={} {API_URL}={} jira-auth …`",
            text(&made_with.auth),
            text(&made_with.api)
        ));
    }
    e.hint("for the servers this run names, make a profile of its own: `jira-auth init --profile NAME`")
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
            ProfileError::HeldByComposio { ref name } => {
                let status = format!(
                    "`jira-auth composio status --profile {name}` checks the auth config and its connected accounts"
                );
                CliError::of(Code::MethodMismatch, e)
                    .hint("app code reaches Jira through Composio's SDK with the auth config id; a token of jira-auth's own needs a profile of its own (`jira-auth init --profile NAME`, with a second app: one callback URL per app)")
                    .hint(status)
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
            ProfileError::OtherServers {
                ref name,
                ref made_with,
                ref this_run,
                sandbox,
            } => other_servers(name, made_with, this_run, sandbox),
            ProfileError::Renew {
                source,
                maybe_rotated,
                data_center,
            } => {
                let unusable = matches!(source, crate::oauth::OAuthError::Unusable { .. });
                let err = CliError::from(source);
                if maybe_rotated && data_center {
                    // Data Center documents no reuse interval: a rotated-out token may be
                    // dead at once.
                    err.hint("run the command again now: if Jira did receive this refresh and rotates refresh tokens, the stored refresh token may no longer work, and the profile needs `jira-auth login`")
                } else if maybe_rotated {
                    err.hint("run the command again within 10 minutes, even if nothing needs a token now: if Atlassian did receive this refresh, the stored refresh token stops working after that and the profile needs `jira-auth login`")
                } else if unusable {
                    err.hint("the profile was kept, with the new refresh token the answer brought if any: run the command again")
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
            "saving the refreshed tokens; run the command again now (the refresh token that was sent may stop working: Atlassian honours it for about 10 minutes more, a Data Center instance perhaps not at all)",
        ),
        Step::IndexAfterChange => Some(
            "the change is stored with the profile's credentials, but the profile index (what `status` shows) still has the old values; run the command again",
        ),
        Step::Index | Step::Open | Step::Probe | Step::Read | Step::Delete => None,
    }
}

pub(super) fn with_hints(
    err: CliError,
    hints: impl IntoIterator<Item = impl Into<String>>,
) -> CliError {
    hints.into_iter().fold(err, |e, h| e.hint(h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::atlassian::{ApiError, Resource, SiteError};
    use crate::error::Exit;
    use crate::net::{Endpoints, HttpError, Peer};
    use crate::oauth::{AuthServer, OAuthError};

    fn atlassian() -> AuthServer {
        AuthServer::atlassian(&Endpoints::atlassian())
    }

    fn data_center() -> AuthServer {
        AuthServer::data_center(&url::Url::parse("https://jira.example.com").unwrap())
    }

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
        let e = CliError::from(OAuthError::CodeRejected {
            by: atlassian(),
            desc: "Invalid redirect_uri".into(),
        });
        assert_eq!(e.exit(), Exit::AuthNeeded);
        assert!(e.hints()[0].contains("redirect URI"), "{:?}", e.hints());
        assert!(e.hints()[1].contains("single-use"));
        let e = CliError::from(OAuthError::CodeRejected {
            by: atlassian(),
            desc: "Invalid authorization code".into(),
        });
        assert_eq!(e.hints().len(), 1);
        let e = CliError::from(OAuthError::Http(HttpError::MaybeConsumed {
            what: "t".into(),
            detail: "timed out".into(),
        }));
        assert_eq!(e.exit(), Exit::Unavailable);
        assert!(e.hints()[0].contains("jira-auth init"), "{:?}", e.hints());
        let e = CliError::from(OAuthError::Http(HttpError::RateLimited {
            what: "t".into(),
            peer: Peer::Atlassian,
            retry_after: Some(7),
            attempts: 4,
        }));
        assert_eq!(e.exit(), Exit::Unavailable);
        assert!(e.message().contains("Retry-After: 7 s") && e.hints()[0].contains("wait 7 s"));
        let e = CliError::from(OAuthError::Unexpected {
            by: atlassian(),
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
            peer: Peer::Atlassian,
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
                peer: Peer::Jira("https://jira.example.com".into()),
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
        // Nor Atlassian's status page: the instance is named instead.
        let all = e.render();
        assert!(!all.contains("atlassian.com"), "{all}");
        assert!(all.contains("https://jira.example.com is up"), "{all}");
        let e = CliError::from(HttpError::RateLimited {
            what: "Jira /rest/api/2/myself".into(),
            peer: Peer::Jira("https://jira.example.com".into()),
            retry_after: None,
            attempts: 4,
        });
        assert!(
            e.message()
                .contains("rate limited by the Jira server https://jira.example.com"),
            "{}",
            e.message()
        );
        assert!(!e.render().contains("Atlassian"), "{}", e.render());
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
                OAuthError::CodeRejected {
                    by: data_center(),
                    desc: "invalid_grant".into(),
                }
                .into(),
                Exit::AuthNeeded,
                "10 s",
            ),
            (
                OAuthError::ClientRefused {
                    by: data_center(),
                    stored: false,
                }
                .into(),
                Exit::AuthNeeded,
                "Application links",
            ),
            (
                OAuthError::RefreshRejected {
                    by: data_center(),
                    desc: String::new(),
                }
                .into(),
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
            OAuthError::CodeRejected {
                by: data_center(),
                desc: "invalid_grant".into(),
            }
            .to_string(),
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
