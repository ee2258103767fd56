//! `jira-auth proxy`'s server: a Jira REST endpoint on loopback (or a Unix socket) that
//! forwards each request to the profile's REST base with the profile's current credential.
//!
//! It runs on a tokio runtime of its own, on a thread of its own; the credential comes from
//! the command's thread, which owns the profile's `Session` (credentials.rs). What it lets
//! through is decided by judge.rs; forward.rs streams requests and answers both ways.
//!
//! Nothing here prints, prompts or reads the environment; it logs method, path and status
//! at debug level, never a header or a body.

mod credentials;
mod forward;
pub(crate) mod judge;

use std::sync::Arc;
use std::time::Duration;

pub(crate) use credentials::{Ask, Failure, Fresh, Want};
pub(crate) use judge::{Key, Own};
use tokio::sync::oneshot;
use url::Url;

/// Bytes of a request head (request line and headers) the proxy reads; more is a 431.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Connections served at once; more wait in the kernel's listen queue until one ends.
pub(crate) const MAX_CONNECTIONS: usize = 512;
/// A connection that has not sent a whole request head this long after it opened (or after
/// its previous answer, when kept alive) is closed: slowloris, and idle keep-alive.
pub(crate) const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// A request body up to this size is read before it is sent, so that it can be sent again
/// after a 401; larger ones stream and are sent once.
pub(crate) const REPLAYABLE_BODY_BYTES: usize = 64 * 1024;

/// How the proxy asks the command's thread for a credential: the ask is handed over, and
/// answered on its `reply`; `false` when nobody takes asks any more.
pub(crate) type Asker = Box<dyn Fn(Ask) -> bool + Send + Sync>;

/// Where the proxy listens.
pub(crate) enum Listener {
    Tcp(std::net::TcpListener),
    #[cfg(unix)]
    Unix(std::os::unix::net::UnixListener),
}

/// What the proxy serves.
pub(crate) struct Config {
    /// The profile's REST base: the gateway's `/ex/jira/CLOUD_ID`, a site, or a Data Center
    /// base with its context path.
    pub upstream: Url,
    pub own: Own,
    pub key: Key,
    /// How long upstream may take to answer (its head), and to send each part of its body.
    pub upstream_timeout: Duration,
    /// `--min-ttl`: renew a credential with this much left (or half its life, when shorter).
    pub min_ttl: Duration,
    /// The HTTP client for upstream (TLS, no redirects), from the net layer.
    pub client: reqwest::Client,
}

/// A proxy serving on its thread; dropping it stops it.
pub(crate) struct Running {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    /// Starts serving on `listener`; credentials are asked of `asker`.
    pub(crate) fn start(
        config: Config,
        listener: Listener,
        asker: Asker,
    ) -> std::io::Result<Running> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopping) = oneshot::channel();
        let shared = Arc::new(forward::Shared::new(config, asker));
        let thread = std::thread::Builder::new()
            .name("jira-auth-proxy".into())
            .spawn(move || {
                runtime.block_on(forward::serve(listener, shared, stopping));
            })?;
        Ok(Running {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
