//! `jira-auth token` and `jira-auth header`, and `valid_config`: the one path by which every
//! command gets an access token that is valid now, refreshing it safely across processes.

use anyhow::Context as _;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::{Ctx, rfc3339};
use crate::cli::{StoreKind, TokenArgs};
use crate::error::{CliError, Exit};
use crate::oauth::http::HttpError;
use crate::oauth::{self, Endpoints, OAuthError, TokenSet};
use crate::say;
use crate::store::cache::{self, CachedToken};
use crate::store::index::{Index, ProfileInfo};
use crate::store::{self, AuthConfig, SecretStore, Site, lock};

/// Atlassian's reuse interval: a rotated refresh token keeps working this long.
const REUSE_INTERVAL: Duration = Duration::minutes(10);

/// Atlassian expires a refresh token after 90 days without use; warn this long before.
pub(crate) const INACTIVITY_EXPIRY_DAYS: i64 = 90;
pub(crate) const INACTIVITY_WARN_DAYS: i64 = 80;

pub fn run_token(ctx: &Ctx, args: TokenArgs) -> anyhow::Result<()> {
    let (tok, endpoints) = valid_token(ctx, args.min_ttl)?;
    let out = if ctx.global.json {
        let doc = json!({
            "access_token": tok.access_token.expose_secret(),
            "expires_at": rfc3339(tok.expires_at),
            "cloud_id": tok.site.cloud_id,
            "site_url": tok.site.url,
            "api_base_url": api_base_url(&tok.site, &endpoints),
        });
        SecretString::from(format!(
            "{}\n",
            serde_json::to_string_pretty(&doc).expect("a Value always serializes")
        ))
    } else {
        SecretString::from(format!("{}\n", tok.access_token.expose_secret()))
    };
    print_secret(&out)
}

pub fn run_header(ctx: &Ctx, args: TokenArgs) -> anyhow::Result<()> {
    let (tok, _) = valid_token(ctx, args.min_ttl)?;
    print_secret(&SecretString::from(format!(
        "Bearer {}\n",
        tok.access_token.expose_secret()
    )))
}

/// The REST base for a site, e.g. `https://api.atlassian.com/ex/jira/CLOUD_ID`.
pub fn api_base_url(site: &Site, endpoints: &Endpoints) -> String {
    endpoints
        .api(&format!("ex/jira/{}", site.cloud_id))
        .to_string()
}

/// Prints a token (write_stdout: no panic on a closed pipe, `jira-auth token | head -c0`).
fn print_secret(text: &SecretString) -> anyhow::Result<()> {
    crate::fault_point("before-print");
    super::write_stdout(text.expose_secret())
}

/// The selected profile with an access token valid for more than `min_ttl` seconds, and the
/// endpoints to use it with. A token that is fresh enough costs no lock and no request;
/// otherwise the refresh happens under the profile's lock, and is skipped if another process
/// refreshed while we waited.
pub fn valid_config(ctx: &Ctx, min_ttl: u64) -> anyhow::Result<(AuthConfig, Endpoints)> {
    let endpoints = Endpoints::from_env()?;
    let index = ctx.index()?;
    let (profile, info) = ctx.existing_profile(&index)?;
    let cfg = valid_config_of(
        ctx,
        &profile,
        StoreKind::from(info.store),
        &endpoints,
        min_ttl,
    )?;
    Ok((cfg, endpoints))
}

/// What `token`, `header` and `exec` need, as `valid_config` gives it, but answered from the
/// kernel-keyring cache when that holds a token valid for more than `min_ttl`: no keychain
/// connection, no lock, no request (see store::cache).
pub fn valid_token(ctx: &Ctx, min_ttl: u64) -> anyhow::Result<(CachedToken, Endpoints)> {
    let endpoints = Endpoints::from_env()?;
    let index = ctx.index()?;
    let (profile, info) = ctx.existing_profile(&index)?;
    let kind = StoreKind::from(info.store);
    if kind == StoreKind::Keychain
        && let Some(tok) = cache::get(&ctx.config_dir, &profile)
        && tok.expires_at - OffsetDateTime::now_utc() > ttl(min_ttl)
    {
        warn_if_inactive(&tok, OffsetDateTime::now_utc());
        return Ok((tok, endpoints));
    }
    let cfg = valid_config_of(ctx, &profile, kind, &endpoints, min_ttl)?;
    Ok((CachedToken::of(&cfg), endpoints))
}

fn ttl(secs: u64) -> Duration {
    Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2))
}

fn valid_config_of(
    ctx: &Ctx,
    profile: &str,
    kind: StoreKind,
    endpoints: &Endpoints,
    min_ttl: u64,
) -> anyhow::Result<AuthConfig> {
    let store = store::open(kind, &ctx.config_dir).map_err(CliError::from)?;
    let min_ttl = ttl(min_ttl);

    let seen = load(store.as_ref(), profile)?;
    if fresh(&seen, min_ttl) {
        warn_if_inactive(&CachedToken::of(&seen), OffsetDateTime::now_utc());
        return Ok(seen);
    }

    let _lock = lock::lock(&ctx.config_dir, profile)
        .map_err(CliError::from)
        .context("waiting for the profile's refresh lock")?;
    // Whoever held the lock meanwhile may have removed the profile (logout) or moved it to
    // the other store (init --force --store): the index, read again under the lock, says.
    let kind_now = match ctx.index()?.profiles.get(profile) {
        Some(info) => StoreKind::from(info.store),
        None => {
            return Err(CliError::new(
                Exit::AuthNeeded,
                format!("profile '{profile}' was removed while this command waited for it"),
            )
            .hint(format!(
                "create it again with `jira-auth init --profile {profile}`"
            ))
            .into());
        }
    };
    let store = if kind_now == kind {
        store
    } else {
        store::open(kind_now, &ctx.config_dir).map_err(CliError::from)?
    };
    // Whoever held the lock before us may have refreshed already: their result is in the
    // store, and refreshing again would spend the refresh token they just rotated out.
    // "Already refreshed" is a token other than the one we saw, still valid: with a
    // --min-ttl longer than a token lives, freshness alone would refresh once per waiter.
    let cfg = load(store.as_ref(), profile)?;
    let replaced = cfg.access_token.expose_secret() != seen.access_token.expose_secret()
        && fresh(&cfg, Duration::ZERO);
    if fresh(&cfg, min_ttl) || replaced {
        tracing::debug!("another process refreshed the token while we waited");
        warn_if_inactive(&CachedToken::of(&cfg), OffsetDateTime::now_utc());
        return Ok(cfg);
    }
    tracing::debug!(
        profile,
        expires_at = %rfc3339(cfg.access_token_expires_at),
        "the access token expires too soon; refreshing it"
    );
    refresh_and_save(ctx, store.as_ref(), kind_now, endpoints, cfg)
}

/// Only called when this run does not refresh: a refresh resets Atlassian's inactivity
/// clock, so warning after one would be wrong.
fn warn_if_inactive(cfg: &CachedToken, now: OffsetDateTime) {
    if let Some(days) = inactive_days(cfg, now) {
        say!(
            "warning: the refresh token of profile '{}' has not been used for {days} days; it expires after {INACTIVITY_EXPIRY_DAYS} days without use — run `jira-auth token` regularly or `jira-auth login`",
            cfg.profile
        );
    }
}

/// Whole days since the refresh token was issued (last used), when that is past the warning
/// threshold; `None` without a refresh token, as nothing can then expire from inactivity.
fn inactive_days(cfg: &CachedToken, now: OffsetDateTime) -> Option<i64> {
    if !cfg.has_refresh_token {
        return None;
    }
    let days = (now - cfg.refresh_token_issued_at?).whole_days();
    (days > INACTIVITY_WARN_DAYS).then_some(days)
}

fn fresh(cfg: &AuthConfig, min_ttl: Duration) -> bool {
    cfg.access_token_expires_at - OffsetDateTime::now_utc() > min_ttl
}

/// The stored config of a profile the index lists; missing credentials are "authentication
/// needed", with the command that sets the profile up again.
pub(super) fn load(store: &dyn SecretStore, profile: &str) -> anyhow::Result<AuthConfig> {
    match store.load(profile).map_err(CliError::from)? {
        Some(cfg) => Ok(cfg),
        None => Err(CliError::new(
            Exit::AuthNeeded,
            format!(
                "profile '{profile}' is listed but its credentials are missing from the {}",
                store::kind_name(store.kind())
            ),
        )
        .hint(format!(
            "run `jira-auth init --force --profile {profile}` to set it up again"
        ))
        .into()),
    }
}

/// Refreshes with the stored refresh token (or, if Atlassian rejects it, with the previous
/// one while its reuse interval lasts) and stores the result before anyone sees it: the old
/// refresh token is now on its way out, so the new one must not exist only in memory.
fn refresh_and_save(
    ctx: &Ctx,
    store: &dyn SecretStore,
    kind: StoreKind,
    endpoints: &Endpoints,
    cfg: AuthConfig,
) -> anyhow::Result<AuthConfig> {
    let Some(current) = cfg.refresh_token.clone() else {
        return Err(CliError::new(
            Exit::AuthNeeded,
            format!(
                "the access token of profile '{}' has expired and there is no refresh token to renew it",
                cfg.profile
            ),
        )
        .hint("run `jira-auth login` (or `jira-auth init --force`) to consent again, with the offline_access scope")
        .into());
    };
    let (rt, http) = super::runtime_and_http()?;
    let call = |token: &SecretString| {
        rt.block_on(oauth::refresh(
            &http,
            endpoints,
            &cfg.client_id,
            &cfg.client_secret,
            token,
        ))
    };

    // Times are taken when a request goes out, not when its answer is in: Atlassian rotates
    // the token on receipt, and retries can take many seconds, so counting its reuse interval
    // (and the inactivity clock) from the send time keeps our view of both on the safe side.
    let sent = OffsetDateTime::now_utc();
    let (tokens, used, sent) = match call(&current) {
        Ok(tokens) => (tokens, current, sent),
        Err(OAuthError::RefreshRejected(why)) => {
            let again = OffsetDateTime::now_utc();
            match previous_in_leeway(&cfg, again) {
                Some(previous) => {
                    tracing::info!(
                        "the newest refresh token was rejected; trying the previous one, still within Atlassian's reuse interval"
                    );
                    (call(&previous).map_err(CliError::from)?, previous, again)
                }
                None => return Err(CliError::from(OAuthError::RefreshRejected(why)).into()),
            }
        }
        Err(e) => {
            // The refresh may have reached Atlassian and rotated the stored token, its answer
            // lost on the way back: that token then works for the reuse interval only, and
            // after it, sending it looks like theft and ends the grant.
            let maybe_rotated = matches!(e, OAuthError::Http(HttpError::Unavailable { .. }));
            let mut err = CliError::from(e);
            if maybe_rotated {
                err = err.hint("run the command again within 10 minutes, even if nothing needs a token now: if Atlassian did receive this refresh, the stored refresh token stops working after that and the profile needs `jira-auth login`");
            }
            return Err(err.into());
        }
    };
    drop(http);
    drop(rt);
    crate::fault_point("after-refresh");

    let new = renewed(cfg, tokens, used, sent);
    store
        .save(&new)
        .map_err(CliError::from)
        .context("saving the refreshed tokens (the previous refresh token keeps working for about 10 minutes; run the command again)")?;
    // The index only mirrors what `status` shows: stale is tolerable, a failed command is not.
    if let Err(e) = update_index(ctx, &new, kind) {
        say!("warning: the profile index was not updated: {e}");
    }
    Ok(new)
}

fn previous_in_leeway(cfg: &AuthConfig, now: OffsetDateTime) -> Option<SecretString> {
    match (&cfg.previous_refresh_token, cfg.previous_rotated_at) {
        (Some(previous), Some(at)) if now - at < REUSE_INTERVAL => Some(previous.clone()),
        _ => None,
    }
}

/// The config after a successful refresh that spent `used`.
fn renewed(
    cfg: AuthConfig,
    tokens: TokenSet,
    used: SecretString,
    now: OffsetDateTime,
) -> AuthConfig {
    let scopes_granted = if tokens.scopes.is_empty() {
        cfg.scopes_granted.clone()
    } else {
        tokens.scopes
    };
    // Atlassian always rotates; should a response carry no new refresh token, the one we
    // sent is still the one to use next time.
    let (refresh_token, issued_at, previous, rotated_at) = match tokens.refresh_token {
        Some(new) => (Some(new), Some(now), Some(used), Some(now)),
        None => (
            Some(used),
            cfg.refresh_token_issued_at,
            cfg.previous_refresh_token.clone(),
            cfg.previous_rotated_at,
        ),
    };
    AuthConfig {
        access_token: tokens.access_token,
        access_token_expires_at: tokens.expires_at,
        refresh_token,
        refresh_token_issued_at: issued_at,
        previous_refresh_token: previous,
        previous_rotated_at: rotated_at,
        scopes_granted,
        updated_at: now,
        ..cfg
    }
}

pub(super) fn update_index(ctx: &Ctx, cfg: &AuthConfig, kind: StoreKind) -> anyhow::Result<()> {
    // Under the index's lock: other profiles' entries may change while we refresh.
    Index::update(&ctx.config_dir, |index| {
        index.upsert(&cfg.profile, ProfileInfo::of(cfg, kind))
    })
    .map_err(CliError::from)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewed_keeps_the_spent_token_as_previous() {
        let cfg = crate::store::tests::sample("p");
        let now = OffsetDateTime::now_utc();
        let tokens = TokenSet {
            access_token: SecretString::from("at-new"),
            expires_at: now + Duration::hours(1),
            refresh_token: Some(SecretString::from("rt-new")),
            scopes: vec![],
        };
        let new = renewed(cfg, tokens, SecretString::from("rt-value"), now);
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
        let mut cfg = crate::store::tests::sample("p");
        let now = OffsetDateTime::now_utc();
        cfg.refresh_token_issued_at = Some(now - Duration::days(85));
        assert_eq!(inactive_days(&CachedToken::of(&cfg), now), Some(85));
        cfg.refresh_token_issued_at = Some(now - Duration::days(10));
        assert_eq!(inactive_days(&CachedToken::of(&cfg), now), None);
        cfg.refresh_token_issued_at = Some(now - Duration::days(85));
        cfg.refresh_token = None;
        assert_eq!(inactive_days(&CachedToken::of(&cfg), now), None);
    }

    #[test]
    fn previous_token_only_within_the_reuse_interval() {
        let mut cfg = crate::store::tests::sample("p");
        let now = OffsetDateTime::now_utc();
        assert!(previous_in_leeway(&cfg, now).is_none());
        cfg.previous_refresh_token = Some(SecretString::from("rt-old"));
        cfg.previous_rotated_at = Some(now - Duration::minutes(9));
        assert!(previous_in_leeway(&cfg, now).is_some());
        cfg.previous_rotated_at = Some(now - Duration::minutes(11));
        assert!(previous_in_leeway(&cfg, now).is_none());
    }
}
