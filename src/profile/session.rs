//! A credential that is valid now: the one path by which every command gets one.
//!
//! A token that is fresh enough costs no lock and no request (and, for `token`, `header` and
//! `exec`, not even the keychain: the kernel-keyring cache answers). Otherwise the renewal
//! happens under the profile's lock, and is skipped when another process renewed while we
//! waited: Atlassian rotates refresh tokens and revokes the whole grant when a rotated one is
//! used after its reuse interval, so two processes refreshing at once could log the user out.
//! The renewed credential is stored before anyone sees it: the refresh token that went out
//! is on its way out, so the new one must not exist only in memory.

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::access::Access;
use super::{Found, INACTIVITY_WARN_DAYS, Notice, ProfileError, Profiles, Refusal, Refused, Step};
use crate::fault;
use crate::net::{Endpoints, HttpError, Net};
use crate::oauth::{AuthServer, Client, OAuthError, TokenSet};
use crate::store::index::ProfileInfo;
use crate::store::model::{OAuthGrant, ServiceAccount};
use crate::store::{AuthConfig, Credential, Kind, Method, SecretStore, Site};

/// Atlassian's reuse interval: a rotated refresh token keeps working this long.
const REUSE_INTERVAL: Duration = Duration::minutes(10);

/// A value, and what the user should be told about how it was had.
pub(crate) struct Usable<T> {
    pub value: T,
    pub notices: Vec<Notice>,
}

/// One profile of `profiles`, made usable with the network and endpoints of this run.
pub(crate) struct Session<'a> {
    pub(super) profiles: &'a Profiles,
    net: &'a Net,
    pub(super) endpoints: &'a Endpoints,
    pub(super) found: Found,
}

impl<'a> Session<'a> {
    /// The selected profile (`wanted`, else the default), which must exist.
    pub(crate) fn open(
        profiles: &'a Profiles,
        net: &'a Net,
        endpoints: &'a Endpoints,
        wanted: Option<&str>,
    ) -> Result<Session<'a>, ProfileError> {
        let found = profiles.find(wanted)?;
        if found.info.method == Method::Composio {
            return Err(ProfileError::HeldByComposio { name: found.name });
        }
        Ok(Session {
            found,
            profiles,
            net,
            endpoints,
        })
    }

    pub(crate) fn name(&self) -> &str {
        &self.found.name
    }

    pub(crate) fn info(&self) -> &ProfileInfo {
        &self.found.info
    }

    /// What `token`, `header` and `exec` need, valid for more than `min_ttl` seconds,
    /// answered from the kernel-keyring cache when that holds such a token: no keychain
    /// connection, no lock, no request.
    pub(crate) fn valid_token(
        &self,
        min_ttl: std::time::Duration,
    ) -> Result<Usable<Access>, ProfileError> {
        let now = OffsetDateTime::now_utc();
        if self.found.info.store == Kind::Keychain
            && let Some(tok) = self.profiles.cached(self.name())
            && tok.expires_at - now > min_ttl
        {
            let notices = idle_notice(
                tok.has_refresh_token,
                tok.refresh_token_issued_at,
                &tok.profile,
                now,
            );
            return Ok(Usable {
                value: self.cached_access(tok),
                notices,
            });
        }
        let usable = self.valid_config(min_ttl)?;
        Ok(Usable {
            value: self.access(&usable.value),
            notices: usable.notices,
        })
    }

    /// The whole stored config with a credential valid for more than `min_ttl` seconds.
    pub(crate) fn valid_config(
        &self,
        min_ttl: std::time::Duration,
    ) -> Result<Usable<AuthConfig>, ProfileError> {
        let name = self.name();
        let kind = self.found.info.store;
        let store = self.profiles.open(kind)?;

        let seen = self
            .profiles
            .load_from(store.as_ref(), name, &self.found.info, None)?;
        if fresh(&seen, min_ttl) {
            return Ok(idle_checked(seen));
        }

        let lock = self.profiles.lock(name)?;
        // Whoever held the lock meanwhile may have removed the profile (logout) or moved it
        // to the other store (init --force --store): the index, read again under the lock,
        // says.
        let Some(info_now) = self.profiles.index()?.profiles.get(name).cloned() else {
            return Err(ProfileError::RemovedWhileWaiting {
                name: name.to_string(),
            });
        };
        let kind_now = info_now.store;
        let store = if kind_now == kind {
            store
        } else {
            self.profiles.open(kind_now)?
        };
        // Whoever held the lock before us may have renewed already: their result is in the
        // store, and refreshing again would spend the refresh token they just rotated out.
        // "Already renewed" is a token other than the one we saw, still valid: with a
        // --min-ttl longer than a token lives, freshness alone would renew once per waiter.
        let cfg = self
            .profiles
            .load_from(store.as_ref(), name, &info_now, Some(&lock))?;
        let replaced = cfg.credential.secret().0.expose_secret()
            != seen.credential.secret().0.expose_secret()
            && fresh(&cfg, std::time::Duration::ZERO);
        if fresh(&cfg, min_ttl) || replaced {
            tracing::debug!("another process renewed the token while we waited");
            return Ok(idle_checked(cfg));
        }
        tracing::debug!(
            profile = name,
            "the access token expires too soon; renewing it"
        );
        self.renew_and_save(store.as_ref(), kind_now, cfg)
    }

    /// Renews the credential as its method does (this is the one place that decides) and
    /// stores the result before anyone sees it.
    fn renew_and_save(
        &self,
        store: &dyn SecretStore,
        kind: Kind,
        cfg: AuthConfig,
    ) -> Result<Usable<AuthConfig>, ProfileError> {
        let name = cfg.profile.clone();
        // Times are taken when a request goes out, not when its answer is in: Atlassian
        // rotates the token on receipt, and retries can take many seconds, so counting its
        // reuse interval (and the inactivity clock) from the send time keeps our view of
        // both on the safe side.
        let credential = match cfg.credential {
            Credential::OAuth(grant) => match self.renew_grant(&name, grant, &cfg.site) {
                Ok(grant) => Credential::OAuth(grant),
                Err(Failed { error, kept: None }) => return Err(self.recorded(&name, error)),
                Err(Failed {
                    error,
                    kept: Some(kept),
                }) => {
                    return Err(self.keep_rotated(
                        store,
                        kind,
                        AuthConfig {
                            credential: Credential::OAuth(*kept),
                            updated_at: OffsetDateTime::now_utc(),
                            ..cfg
                        },
                        error,
                    ));
                }
            },
            Credential::ServiceAccount(sa) => Credential::ServiceAccount(
                self.mint(sa, &cfg.site)
                    .map_err(|e| self.recorded(&name, e))?,
            ),
            // Never stale (no expiry), so never here; kept as it is should that change.
            // Composio's profiles never get here: `Session::open` refuses them.
            static_secret @ (Credential::ApiToken(_) | Credential::Pat(_)) => static_secret,
            held @ Credential::Composio(_) => held,
        };
        fault::point("after-refresh");
        let new = AuthConfig {
            credential,
            updated_at: OffsetDateTime::now_utc(),
            ..cfg
        };
        store
            .save(&new)
            .map_err(ProfileError::store(Step::SaveRenewed))?;
        self.profiles.cache_after_save(&new, kind);
        // The index only mirrors what `status` shows: stale is tolerable, a failed command
        // is not.
        let notices = match self.profiles.index_upsert(&new, kind) {
            Ok(()) => Vec::new(),
            Err(e) => vec![Notice::IndexNotUpdated(e)],
        };
        Ok(Usable {
            value: new,
            notices,
        })
    }

    /// A refresh whose answer had an unusable access token but a sound new refresh token:
    /// the refresh spent the stored one, so the new one is the grant now. It is stored (the
    /// stale access token with it), and the error says so; if it cannot be stored, the
    /// stored one still works for the reuse interval, which the error's hint says instead.
    fn keep_rotated(
        &self,
        store: &dyn SecretStore,
        kind: Kind,
        kept: AuthConfig,
        error: ProfileError,
    ) -> ProfileError {
        let ProfileError::Renew {
            source,
            data_center,
            ..
        } = error
        else {
            return error;
        };
        match store.save(&kept) {
            Ok(()) => {
                self.profiles.cache_after_save(&kept, kind);
                let _ = self.profiles.index_upsert(&kept, kind);
                ProfileError::Renew {
                    source,
                    maybe_rotated: false,
                    data_center,
                }
            }
            Err(e) => {
                tracing::warn!("the rotated refresh token could not be stored: {e}");
                ProfileError::Renew {
                    source,
                    maybe_rotated: true,
                    data_center,
                }
            }
        }
    }

    /// A failed renewal, recorded in the index when Atlassian refused it (as opposed to not
    /// answering), so that `status` and `doctor` can say so without asking again.
    fn recorded(&self, name: &str, e: ProfileError) -> ProfileError {
        let what = match &e {
            ProfileError::Renew {
                source: OAuthError::RefreshRejected { .. },
                ..
            } => Refused::RefreshToken,
            ProfileError::Renew {
                source: OAuthError::ClientRefused { stored: true, .. },
                ..
            } => Refused::ClientSecret,
            _ => return e,
        };
        self.profiles.record_refusal(
            name,
            Refusal {
                at: OffsetDateTime::now_utc(),
                what,
            },
        );
        e
    }

    /// Refreshes with the stored refresh token, or, if it is rejected, with the previous one
    /// while its reuse interval lasts, at the site's authorization server.
    fn renew_grant(
        &self,
        name: &str,
        grant: OAuthGrant,
        site: &Site,
    ) -> Result<OAuthGrant, Failed> {
        let Some(current) = grant.refresh_token.clone() else {
            return Err(ProfileError::NoRefreshToken {
                name: name.to_string(),
            }
            .into());
        };
        let server = AuthServer::of(site, self.endpoints);
        let dc = server.is_data_center();
        let client = Client {
            id: &grant.client_id,
            secret: &grant.client_secret,
        };
        let call = |token: &SecretString| -> Result<TokenSet, OAuthError> {
            let http = self.net.http()?;
            self.net
                .block_on(server.refresh(http, client, token, &grant.redirect_uri))?
        };
        let sent = OffsetDateTime::now_utc();
        let (tokens, used, sent) = match call(&current) {
            Ok(tokens) => (tokens, current, sent),
            Err(refused) if refused.refuses_the_refresh_token() => {
                let again = OffsetDateTime::now_utc();
                match previous_in_leeway(&grant, again) {
                    Some(previous) => {
                        tracing::info!(
                            "the newest refresh token was rejected; trying the previous one, still within the reuse interval"
                        );
                        match call(&previous) {
                            Ok(tokens) => (tokens, previous, again),
                            Err(e) => return Err(failed_refresh(e, dc, grant, previous, again)),
                        }
                    }
                    None => return Err(renew_error(refused, dc).into()),
                }
            }
            Err(e) => return Err(failed_refresh(e, dc, grant, current, sent)),
        };
        Ok(renewed(grant, tokens, used, sent))
    }

    /// A new access token from the service account's client credentials, at the site's
    /// authorization server (a Data Center instance is asked for the scopes stored for it).
    fn mint(&self, sa: ServiceAccount, site: &Site) -> Result<ServiceAccount, ProfileError> {
        let server = AuthServer::of(site, self.endpoints);
        // Nothing rotates here: a lost answer costs nothing but the request.
        let failed = |source| ProfileError::Renew {
            source,
            maybe_rotated: false,
            data_center: server.is_data_center(),
        };
        let client = Client {
            id: &sa.client_id,
            secret: &sa.client_secret,
        };
        let tokens = mint(self.net, &server, client, &sa.scopes_requested)
            .map_err(|e| match e {
                // The credential worked when the profile was made: it was revoked since.
                OAuthError::ServiceAccountRefused { by, .. } => {
                    OAuthError::ServiceAccountRefused { by, stored: true }
                }
                other => other,
            })
            .map_err(failed)?;
        Ok(ServiceAccount {
            access_token: tokens.access_token,
            access_token_expires_at: tokens.expires_at,
            scopes_granted: if tokens.scopes.is_empty() {
                sa.scopes_granted
            } else {
                tokens.scopes
            },
            ..sa
        })
    }
}

/// A service account's new access token (client credentials), on this run's network.
pub(super) fn mint(
    net: &Net,
    server: &AuthServer,
    client: Client<'_>,
    scopes: &[String],
) -> Result<TokenSet, OAuthError> {
    let http = net.http()?;
    net.block_on(server.client_credentials(http, client, scopes))?
}

/// A grant's failed renewal, with what must be stored of it anyway.
struct Failed {
    error: ProfileError,
    /// The grant with the refresh token the failed answer rotated in (its access token
    /// unusable, the stale one kept): to be stored, or the grant is lost.
    kept: Option<Box<OAuthGrant>>,
}

impl From<ProfileError> for Failed {
    fn from(error: ProfileError) -> Failed {
        Failed { error, kept: None }
    }
}

/// A refresh that spent `used` and failed; an answer whose only fault is its access token
/// brought a new refresh token, kept in a grant to store.
fn failed_refresh(
    e: OAuthError,
    dc: bool,
    grant: OAuthGrant,
    used: SecretString,
    sent: OffsetDateTime,
) -> Failed {
    let OAuthError::Unusable {
        by,
        what,
        rotated: Some(rotated),
    } = e
    else {
        return renew_error(e, dc).into();
    };
    let access_token = grant.access_token.clone();
    let stale_at = grant.access_token_expires_at;
    let tokens = TokenSet {
        access_token,
        expires_at: stale_at,
        refresh_token: Some(rotated),
        scopes: Vec::new(),
    };
    Failed {
        kept: Some(Box::new(renewed(grant, tokens, used, sent))),
        error: ProfileError::Renew {
            source: OAuthError::Unusable {
                by,
                what,
                rotated: None,
            },
            maybe_rotated: true,
            data_center: dc,
        },
    }
}

/// A failed renewal; one that may have reached Atlassian (the answer lost on the way) may
/// have rotated the stored refresh token, which then works for the reuse interval only.
fn renew_error(source: OAuthError, data_center: bool) -> ProfileError {
    // One that never left this machine (refused, DNS) rotated nothing.
    let maybe_rotated = matches!(
        source,
        OAuthError::Http(HttpError::Unavailable { sent: true, .. })
    );
    ProfileError::Renew {
        source,
        maybe_rotated,
        data_center,
    }
}

/// Outlives `min_ttl`, and not by more than any server gives a token: an expiry years
/// away (a year-9999 one in a damaged or hostile item) is not believed but renewed.
pub(super) fn fresh(cfg: &AuthConfig, min_ttl: std::time::Duration) -> bool {
    match cfg.credential.expires_at() {
        Some(at) => {
            let left = at - OffsetDateTime::now_utc();
            left > min_ttl && left <= crate::oauth::MAX_LIFETIME
        }
        None => true,
    }
}

/// A config used as it is, with the inactivity warning when it is due. Only when this run
/// does not refresh: a refresh resets Atlassian's inactivity clock.
fn idle_checked(cfg: AuthConfig) -> Usable<AuthConfig> {
    let c = &cfg.credential;
    let notices = idle_notice(
        c.has_refresh_token(),
        c.grant_renewed_at(),
        &cfg.profile,
        OffsetDateTime::now_utc(),
    );
    Usable {
        value: cfg,
        notices,
    }
}

fn idle_notice(
    has_refresh_token: bool,
    issued_at: Option<OffsetDateTime>,
    profile: &str,
    now: OffsetDateTime,
) -> Vec<Notice> {
    inactive_days(has_refresh_token, issued_at, now)
        .map(|days| Notice::RefreshTokenIdle {
            profile: profile.to_string(),
            days,
        })
        .into_iter()
        .collect()
}

/// Whole days since the refresh token was issued (last used), when that is past the warning
/// threshold; `None` without a refresh token, as nothing can then expire from inactivity.
fn inactive_days(
    has_refresh_token: bool,
    issued_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> Option<i64> {
    if !has_refresh_token {
        return None;
    }
    let days = (now - issued_at?).whole_days();
    (days > INACTIVITY_WARN_DAYS).then_some(days)
}

fn previous_in_leeway(grant: &OAuthGrant, now: OffsetDateTime) -> Option<SecretString> {
    match (&grant.previous_refresh_token, grant.previous_rotated_at) {
        (Some(previous), Some(at)) if now - at < REUSE_INTERVAL => Some(previous.clone()),
        _ => None,
    }
}

/// The grant after a successful refresh that spent `used`.
fn renewed(
    grant: OAuthGrant,
    tokens: TokenSet,
    used: SecretString,
    now: OffsetDateTime,
) -> OAuthGrant {
    let scopes_granted = if tokens.scopes.is_empty() {
        grant.scopes_granted.clone()
    } else {
        tokens.scopes
    };
    // Atlassian always rotates, Data Center may or may not: a response without a new
    // refresh token leaves the one we sent as the one to use next time.
    let (refresh_token, issued_at, previous, rotated_at) = match tokens.refresh_token {
        Some(new) => (Some(new), Some(now), Some(used), Some(now)),
        None => (
            Some(used),
            grant.refresh_token_issued_at,
            grant.previous_refresh_token.clone(),
            grant.previous_rotated_at,
        ),
    };
    OAuthGrant {
        access_token: tokens.access_token,
        access_token_expires_at: tokens.expires_at,
        refresh_token,
        refresh_token_issued_at: issued_at,
        previous_refresh_token: previous,
        previous_rotated_at: rotated_at,
        scopes_granted,
        ..grant
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::model::tests::{grant, sample};

    #[test]
    fn renewed_keeps_the_spent_token_as_previous() {
        let mut cfg = sample("p");
        let now = OffsetDateTime::now_utc();
        let tokens = TokenSet {
            access_token: SecretString::from("at-new"),
            expires_at: now + Duration::hours(1),
            refresh_token: Some(SecretString::from("rt-new")),
            scopes: vec![],
        };
        let Credential::OAuth(g) = std::mem::replace(
            &mut cfg.credential,
            Credential::Pat(crate::store::model::PersonalAccessToken {
                token: SecretString::from("x"),
            }),
        ) else {
            unreachable!()
        };
        let new = renewed(g, tokens, SecretString::from("rt-value"), now);
        assert_eq!(new.access_token.expose_secret(), "at-new");
        assert_eq!(new.refresh_token.unwrap().expose_secret(), "rt-new");
        assert_eq!(
            new.previous_refresh_token.unwrap().expose_secret(),
            "rt-value"
        );
        assert_eq!(new.previous_rotated_at, Some(now));
        assert_eq!(new.refresh_token_issued_at, Some(now));
        assert_eq!(new.scopes_granted, ["read:jira-work", "offline_access"]);
    }

    #[test]
    fn inactivity_warning_only_past_80_days() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            inactive_days(true, Some(now - Duration::days(85)), now),
            Some(85)
        );
        assert_eq!(
            inactive_days(true, Some(now - Duration::days(10)), now),
            None
        );
        assert_eq!(
            inactive_days(false, Some(now - Duration::days(85)), now),
            None
        );
        assert_eq!(inactive_days(true, None, now), None);
    }

    #[test]
    fn previous_token_only_within_the_reuse_interval() {
        let mut cfg = sample("p");
        let g = grant(&mut cfg);
        let now = OffsetDateTime::now_utc();
        assert!(previous_in_leeway(g, now).is_none());
        g.previous_refresh_token = Some(SecretString::from("rt-old"));
        g.previous_rotated_at = Some(now - Duration::minutes(9));
        assert!(previous_in_leeway(g, now).is_some());
        g.previous_rotated_at = Some(now - Duration::minutes(11));
        assert!(previous_in_leeway(g, now).is_none());
    }
}
