//! The credential every forwarded request leaves with: held here while it is fresh, asked of
//! the command's thread (which renews it through the profile's `Session`, as `token` does:
//! one refresh at a time across processes, the kernel cache, the rotation rules) when it is
//! not, by one request at a time while the others wait for its answer. An upstream 401
//! forces a renewal at most once per [`FORCED_RENEWAL_INTERVAL`].

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use tokio::sync::{Mutex, oneshot};

/// A 401 from upstream renews the credential at most this often: a server that refuses
/// every token must not turn each request into a refresh.
pub(crate) const FORCED_RENEWAL_INTERVAL: Duration = Duration::from_secs(30);

/// A credential as the command's thread hands it over.
pub(crate) struct Fresh {
    /// The whole `Authorization` value (`Bearer …`, `Basic …`).
    pub header: SecretString,
    /// `None` for a secret that does not expire (API token, PAT).
    pub expires_at: Option<OffsetDateTime>,
}

/// Why no credential could be had, in words without secrets (a `CliError`'s).
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub code: &'static str,
    pub message: String,
    pub hints: Vec<String>,
}

/// What the proxy asks of the command's thread.
pub(crate) enum Want {
    /// A credential valid for more than `min_ttl`.
    Valid { min_ttl: Duration },
    /// Upstream refused `rejected`: a credential other than it, renewed if need be; the
    /// same one when there is nothing newer to have (a static secret).
    Replace { rejected: SecretString },
}

pub(crate) struct Ask {
    pub want: Want,
    pub reply: oneshot::Sender<Result<Fresh, Failure>>,
}

/// The credential in use, with when it is to be renewed.
#[derive(Clone)]
pub(crate) struct Current {
    pub header: SecretString,
    /// Renew from this instant on (`None`: never by time).
    renew_at: Option<Instant>,
    /// Bumped by each new credential: a 401 with an older one needs no renewal.
    pub generation: u64,
}

struct State {
    current: Option<Current>,
    last_forced: Option<Instant>,
    generation: u64,
}

pub(crate) struct Credentials {
    asker: super::Asker,
    /// The margin `--min-ttl` asks for; a token that lives less than twice as long gets half
    /// its life as margin, or it would be renewed by every request.
    min_ttl: Duration,
    state: Mutex<State>,
    /// A snapshot for the fast path: a fresh credential costs no wait on `state`.
    fast: std::sync::RwLock<Option<Current>>,
}

impl Credentials {
    pub(crate) fn new(asker: super::Asker, min_ttl: Duration) -> Credentials {
        Credentials {
            asker,
            min_ttl,
            state: Mutex::new(State {
                current: None,
                last_forced: None,
                generation: 0,
            }),
            fast: std::sync::RwLock::new(None),
        }
    }

    /// A credential to send now.
    pub(crate) async fn get(&self) -> Result<Current, Failure> {
        if let Some(current) = self.fast_fresh() {
            return Ok(current);
        }
        let mut state = self.state.lock().await;
        // Another request may have renewed while this one waited.
        if let Some(current) = state.current.as_ref().filter(|c| is_fresh(c)) {
            return Ok(current.clone());
        }
        // A held credential is renewed with at most `min_ttl` left, so the profile layer,
        // asked for `min_ttl`, sees it as stale too and does not answer with it again.
        let fresh = self
            .ask(Want::Valid {
                min_ttl: self.min_ttl,
            })
            .await?;
        Ok(self.adopt(&mut state, fresh))
    }

    /// Upstream answered 401 to `used`: a credential to retry with, or `None` when there is
    /// none other (a static secret, or a renewal forced too recently).
    pub(crate) async fn after_unauthorized(&self, used: &Current) -> Option<Current> {
        let mut state = self.state.lock().await;
        if let Some(current) = state
            .current
            .as_ref()
            .filter(|c| c.generation != used.generation && is_fresh(c))
        {
            return Some(current.clone());
        }
        if state
            .last_forced
            .is_some_and(|at| at.elapsed() < FORCED_RENEWAL_INTERVAL)
        {
            tracing::debug!("upstream refused the credential; a renewal was forced recently");
            return None;
        }
        state.last_forced = Some(Instant::now());
        tracing::debug!("upstream refused the credential; renewing it");
        let fresh = self
            .ask(Want::Replace {
                rejected: used.header.clone(),
            })
            .await
            .ok()?;
        if fresh.header.expose_secret() == used.header.expose_secret() {
            return None;
        }
        Some(self.adopt(&mut state, fresh))
    }

    fn fast_fresh(&self) -> Option<Current> {
        let fast = self.fast.read().unwrap_or_else(|e| e.into_inner());
        fast.as_ref().filter(|c| is_fresh(c)).cloned()
    }

    async fn ask(&self, want: Want) -> Result<Fresh, Failure> {
        let (reply, answer) = oneshot::channel();
        let gone = || Failure {
            code: "internal",
            message: "the proxy is stopping".into(),
            hints: Vec::new(),
        };
        if !(self.asker)(Ask { want, reply }) {
            return Err(gone());
        }
        answer.await.map_err(|_| gone())?
    }

    fn adopt(&self, state: &mut State, fresh: Fresh) -> Current {
        state.generation += 1;
        let renew_at = fresh.expires_at.map(|at| {
            let left = Duration::try_from(at - OffsetDateTime::now_utc()).unwrap_or_default();
            let margin = self.min_ttl.min(left / 2);
            Instant::now() + (left - margin)
        });
        let current = Current {
            header: fresh.header,
            renew_at,
            generation: state.generation,
        };
        state.current = Some(current.clone());
        *self.fast.write().unwrap_or_else(|e| e.into_inner()) = Some(current.clone());
        current
    }
}

fn is_fresh(current: &Current) -> bool {
    current.renew_at.is_none_or(|at| Instant::now() < at)
}
