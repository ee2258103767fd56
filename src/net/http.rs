//! The one HTTP client: TLS with the OS roots, no redirects, timeouts, and bounded retries.
//!
//! Every request to Atlassian or a Jira server goes through `send`, which retries what is safe to retry
//! (connection failures, 5xx, 429 with a capped `Retry-After`) a bounded number of times and
//! never returns a response body in an error: Atlassian bodies can carry tokens. A request
//! that may be acted on only once (the authorization-code exchange) is retried only when it
//! surely never reached the server, or the server said it did not act on it.

use std::time::Duration;

use rand::Rng;
use reqwest::{Client, RequestBuilder, Response, StatusCode};

/// Retries after the first attempt; with the backoff below the worst case is a few seconds,
/// not minutes, because a person is usually waiting.
const MAX_RETRIES: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(250);
/// A server may ask for a long pause; beyond this we give up rather than hang a script.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Connecting takes at most this long (or the request timeout, when that is shorter).
/// The whole attempt may take both: were the two limits to end together, a connect that
/// never completed would look like a request that may have been sent.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether a request may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Sending it twice does no harm (an Atlassian refresh is safe too: its reuse interval
    /// accepts a refresh token sent again within 10 minutes).
    Safe,
    /// The server may act on it only once (an authorization code): resend only after a
    /// failure to connect, a 429 or a 503, where the server cannot have used it.
    Once,
}

/// Who a request goes to, for what its failures say: Atlassian (its own hosts, or those the
/// settings put in their place), or a self-hosted Jira (Data Center) at this base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    Atlassian,
    Jira(String),
    /// Composio's backend (`jira-auth composio`).
    Composio,
}

impl std::fmt::Display for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Peer::Atlassian => f.write_str("Atlassian"),
            Peer::Jira(base) => write!(f, "the Jira server {base}"),
            Peer::Composio => f.write_str("Composio"),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The server could not be reached or kept failing after every retry. `sent`: some
    /// attempt may have reached the server (it answered, or failed after connecting); when
    /// false, none ever left this machine.
    #[error("{what}: {detail} (after {})", attempts_text(*.attempts))]
    Unavailable {
        what: String,
        peer: Peer,
        detail: String,
        attempts: u32,
        sent: bool,
    },
    /// 429 on every attempt, or a `Retry-After` longer than we are willing to wait.
    #[error(
        "{what}: rate limited by {peer} (429 Too Many Requests{}) after {}",
        retry_after_text(*.retry_after),
        attempts_text(*.attempts)
    )]
    RateLimited {
        what: String,
        peer: Peer,
        retry_after: Option<u64>,
        attempts: u32,
    },
    /// TLS failed: not retried, as a certificate or an intercepting proxy does not change
    /// within seconds.
    #[error("{what}: TLS handshake with {host} failed: {detail}")]
    Tls {
        what: String,
        host: String,
        detail: String,
    },
    /// A single-use request failed after it was sent: the server may have used it.
    #[error(
        "{what}: {detail} after the authorization code was sent; the code may have been used, and a code works only once, so it was not sent again"
    )]
    MaybeConsumed { what: String, detail: String },
    /// The client could not be built (TLS roots missing and similar).
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
}

fn attempts_text(n: u32) -> String {
    if n == 1 {
        "1 attempt".into()
    } else {
        format!("{n} attempts")
    }
}

fn retry_after_text(secs: Option<u64>) -> String {
    secs.map(|s| format!(", Retry-After: {s} s"))
        .unwrap_or_default()
}

#[derive(Clone)]
pub struct Http {
    client: Client,
    timeout: Duration,
}

impl Http {
    /// `timeout`: how long one attempt may wait for its answer once connected.
    pub fn new(timeout: Duration) -> Result<Http, HttpError> {
        let client = Client::builder()
            // A redirect from a token endpoint is never legitimate, and following one could
            // send credentials elsewhere (oauth2's docs warn of SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(CONNECT_TIMEOUT.min(timeout) + timeout)
            .user_agent(concat!("jira-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(Http { client, timeout })
    }

    /// The client `jira-auth proxy` forwards with: the same TLS and no redirects, but no
    /// retries (the proxy's client decides) and no limit on a whole exchange (bodies stream
    /// for as long as they take); `timeout` bounds the wait for each part of an answer.
    pub fn relay(timeout: Duration) -> Result<Client, HttpError> {
        Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .read_timeout(timeout)
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A short cause for a transport error met outside `send` (reading a body).
    pub fn describe(&self, e: &reqwest::Error) -> String {
        classify(e, self.timeout).text()
    }

    /// Sends the request built by `build` (called again for each attempt), retrying
    /// connection failures, 5xx and 429 as `policy` allows. Other statuses, 4xx included,
    /// are returned as they are for the caller to interpret.
    pub async fn send(
        &self,
        what: &str,
        peer: &Peer,
        policy: Retry,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, HttpError> {
        let mut attempt = 0;
        let mut sent = false;
        loop {
            attempt += 1;
            let outcome = build(&self.client).send().await;
            if let Ok(resp) = &outcome {
                // Status and URL only: headers and bodies can carry tokens.
                tracing::debug!(what, attempt, status = %resp.status(), url = %resp.url(), "answered");
            }
            let (wait, detail) = match outcome {
                Ok(resp) if !is_retryable(resp.status()) => return Ok(resp),
                Ok(resp) => {
                    sent = true;
                    let status = resp.status();
                    if policy == Retry::Once
                        && status != StatusCode::TOO_MANY_REQUESTS
                        && status != StatusCode::SERVICE_UNAVAILABLE
                    {
                        return Err(HttpError::MaybeConsumed {
                            what: what.to_string(),
                            detail: format!("the server answered {status}"),
                        });
                    }
                    let asked = retry_after(&resp);
                    let too_long = asked.is_some_and(|d| d > MAX_RETRY_AFTER);
                    if status == StatusCode::TOO_MANY_REQUESTS
                        && (attempt > MAX_RETRIES || too_long)
                    {
                        return Err(HttpError::RateLimited {
                            what: what.to_string(),
                            peer: peer.clone(),
                            retry_after: asked.map(|d| d.as_secs()),
                            attempts: attempt,
                        });
                    }
                    // A 503 may ask for a pause too; the same cap holds, or a script would
                    // hang for as long as the server cares to say.
                    if too_long {
                        return Err(HttpError::Unavailable {
                            what: what.to_string(),
                            peer: peer.clone(),
                            detail: format!(
                                "the server answered {status} and asked to wait {} s (Retry-After)",
                                asked.unwrap_or_default().as_secs()
                            ),
                            attempts: attempt,
                            sent,
                        });
                    }
                    (asked, format!("the server answered {status}"))
                }
                Err(e) => {
                    let failure = classify(&e, self.timeout);
                    match failure.kind {
                        Kind::Tls => {
                            return Err(HttpError::Tls {
                                what: what.to_string(),
                                host: failure.host,
                                detail: failure.detail,
                            });
                        }
                        // Connecting failed: the request never left this machine.
                        Kind::Dns | Kind::Connect => {}
                        Kind::Other if policy == Retry::Once => {
                            return Err(HttpError::MaybeConsumed {
                                what: what.to_string(),
                                detail: failure.text(),
                            });
                        }
                        Kind::Other => sent = true,
                    }
                    (None, failure.text())
                }
            };
            tracing::debug!(what, attempt, %detail, "request failed");
            if attempt > MAX_RETRIES {
                return Err(HttpError::Unavailable {
                    what: what.to_string(),
                    peer: peer.clone(),
                    detail,
                    attempts: attempt,
                    sent,
                });
            }
            tokio::time::sleep(wait.unwrap_or_else(|| backoff(attempt))).await;
        }
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// `Retry-After` in seconds (the form Atlassian sends).
fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs))
}

/// Exponential backoff with full jitter on top, so that many clients do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = BASE_BACKOFF * 2u32.pow(attempt.saturating_sub(1).min(6));
    let jitter = rand::rng().random_range(0..=BASE_BACKOFF.as_millis() as u64);
    base + Duration::from_millis(jitter)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dns,
    Tls,
    /// Connecting (TCP) failed or timed out: nothing was sent.
    Connect,
    /// Anything after the connection was up: a timeout, a reset, a broken response.
    Other,
}

struct Failure {
    kind: Kind,
    host: String,
    detail: String,
}

impl Failure {
    fn text(&self) -> String {
        match self.kind {
            Kind::Dns => format!(
                "cannot resolve {} (DNS lookup failed: {})",
                self.host, self.detail
            ),
            Kind::Tls => format!("TLS handshake with {} failed: {}", self.host, self.detail),
            Kind::Connect | Kind::Other => self.detail.clone(),
        }
    }
}

/// Sorts a transport error and says what happened, without the body or headers. reqwest's
/// own text names the URL, which never carries a secret in our requests.
fn classify(e: &reqwest::Error, timeout: Duration) -> Failure {
    let host = e
        .url()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| "the server".into());
    let innermost = innermost(e);
    let (kind, detail) = if let Some(tls) = find_tls_error(e) {
        (Kind::Tls, tls)
    } else if e.is_connect() && chain(e).any(|s| s.to_string().starts_with("dns error")) {
        (Kind::Dns, innermost)
    } else if e.is_connect() && e.is_timeout() {
        (
            Kind::Connect,
            format!(
                "cannot connect to {host}: no answer within {} s",
                secs(CONNECT_TIMEOUT.min(timeout))
            ),
        )
    } else if e.is_connect() {
        (
            Kind::Connect,
            format!("cannot connect to {host}: {innermost}"),
        )
    } else if e.is_timeout() {
        (
            Kind::Other,
            format!(
                "{host} did not answer within {} s (timed out)",
                secs(timeout)
            ),
        )
    } else if e.is_body() || e.is_decode() {
        (
            Kind::Other,
            format!("broken response from {host}: {innermost}"),
        )
    } else {
        (
            Kind::Other,
            format!("request to {host} failed: {innermost}"),
        )
    };
    Failure { kind, host, detail }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", d.as_secs())
    } else {
        format!("{s:.1}")
    }
}

fn chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

fn innermost(e: &reqwest::Error) -> String {
    chain(e)
        .last()
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// rustls' error, which hyper-rustls wraps in one or two `io::Error`s.
fn find_tls_error(e: &reqwest::Error) -> Option<String> {
    for s in chain(e) {
        if let Some(t) = s.downcast_ref::<rustls::Error>() {
            return Some(t.to_string());
        }
        let mut io = s.downcast_ref::<std::io::Error>();
        while let Some(inner) = io.and_then(|i| i.get_ref()) {
            if let Some(t) = inner.downcast_ref::<rustls::Error>() {
                return Some(t.to_string());
            }
            io = inner.downcast_ref::<std::io::Error>();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let first = backoff(1);
        let third = backoff(3);
        assert!(first >= BASE_BACKOFF && first <= BASE_BACKOFF * 2);
        assert!(third >= BASE_BACKOFF * 4 && third <= BASE_BACKOFF * 5);
        assert!(backoff(40) <= BASE_BACKOFF * 65);
    }

    fn send_once(url: String) -> Result<Response, HttpError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let http = Http::new(Duration::from_secs(30)).unwrap();
        rt.block_on(async {
            http.send("t", &Peer::Atlassian, Retry::Once, |c| c.post(url.as_str()))
                .await
        })
    }

    #[test]
    fn single_use_request_is_retried_when_it_never_left() {
        // A port nobody listens on: every connect is refused, nothing is sent.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        match send_once(format!("http://127.0.0.1:{port}/oauth/token")) {
            Err(HttpError::Unavailable {
                attempts, detail, ..
            }) => {
                assert_eq!(attempts, MAX_RETRIES + 1);
                assert!(
                    detail.starts_with("cannot connect to 127.0.0.1:"),
                    "{detail}"
                );
            }
            other => panic!("expected Unavailable, got {other:?}"),
        }
    }

    #[test]
    fn single_use_request_is_not_retried_once_it_arrived() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            // Reads the request, then hangs up without an answer.
            for mut stream in listener.incoming().flatten() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
            }
        });
        match send_once(format!("http://127.0.0.1:{port}/oauth/token")) {
            Err(HttpError::MaybeConsumed { .. }) => {}
            other => panic!("expected MaybeConsumed, got {other:?}"),
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn only_5xx_and_429_are_retried() {
        assert!(is_retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_retryable(StatusCode::UNAUTHORIZED));
        assert!(!is_retryable(StatusCode::FORBIDDEN));
        assert!(!is_retryable(StatusCode::OK));
    }
}
