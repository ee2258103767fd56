//! The network, shared by `oauth/` and `atlassian/` and knowing neither: the one HTTP client
//! (TLS, timeouts, bounded retries, `Retry-After`, failures sorted without bodies), where
//! Atlassian is, and `Net`, the runtime and client of one command run.

pub(crate) mod endpoints;
pub(crate) mod http;

use std::cell::OnceCell;
use std::future::Future;
use std::time::Duration;

pub(crate) use endpoints::Endpoints;
pub(crate) use http::{Http, HttpError, Peer, Retry};

/// The async runtime and the HTTP client of one command run, each built on first use: a
/// `token` answered from the cache builds neither, and a command that makes several calls
/// builds each once.
pub struct Net {
    timeout: Duration,
    runtime: OnceCell<Result<tokio::runtime::Runtime, HttpError>>,
    http: OnceCell<Result<Http, HttpError>>,
}

impl Net {
    /// `timeout`: how long one request may wait for its answer once connected.
    pub fn new(timeout: Duration) -> Net {
        Net {
            timeout,
            runtime: OnceCell::new(),
            http: OnceCell::new(),
        }
    }

    /// A single-threaded runtime: jira-auth does one thing at a time, and the callback
    /// listener's connections are small.
    pub fn runtime(&self) -> Result<&tokio::runtime::Runtime, HttpError> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|e| HttpError::Setup(format!("cannot start the async runtime: {e}")))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn http(&self) -> Result<&Http, HttpError> {
        self.http
            .get_or_init(|| Http::new(self.timeout))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Runs `future` to completion on the runtime.
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, HttpError> {
        Ok(self.runtime()?.block_on(future))
    }
}
