//! The one HTTP client: TLS with the OS roots, no redirects, timeouts, and bounded retries.
//!
//! Every request to Atlassian goes through `send`, which retries what is safe to retry
//! (connection failures, 5xx, 429 with a capped `Retry-After`) a bounded number of times and
//! never returns a response body in an error: Atlassian bodies can carry tokens.

use std::time::Duration;

use rand::Rng;
use reqwest::{Client, RequestBuilder, Response, StatusCode};

/// Retries after the first attempt; with the backoff below the worst case is a few seconds,
/// not minutes, because a person is usually waiting.
const MAX_RETRIES: u32 = 3;
const BASE_BACKOFF: Duration = Duration::from_millis(250);
/// A server may ask for a long pause; beyond this we give up rather than hang a script.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server could not be reached or kept failing after every retry.
    #[error("{what}: {detail} (after {attempts} attempts)")]
    Unavailable {
        what: String,
        detail: String,
        attempts: u32,
    },
    /// The client could not be built (TLS roots missing and similar).
    #[error("cannot set up HTTPS: {0}")]
    Setup(String),
}

#[derive(Clone)]
pub struct Http {
    client: Client,
}

impl Http {
    pub fn new() -> Result<Http, HttpError> {
        let client = Client::builder()
            // A redirect from a token endpoint is never legitimate, and following one could
            // send credentials elsewhere (oauth2's docs warn of SSRF).
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("jira-auth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Setup(e.to_string()))?;
        Ok(Http { client })
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends the request built by `build` (called again for each attempt), retrying
    /// connection failures, 5xx and 429. Other statuses, 4xx included, are returned as they
    /// are for the caller to interpret.
    pub async fn send(
        &self,
        what: &str,
        build: impl Fn(&Client) -> RequestBuilder,
    ) -> Result<Response, HttpError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = build(&self.client).send().await;
            let (retry_after, detail) = match outcome {
                Ok(resp) if !is_retryable(resp.status()) => return Ok(resp),
                Ok(resp) => (
                    retry_after(&resp),
                    format!("the server answered {}", resp.status()),
                ),
                Err(e) => (None, describe_transport_error(&e)),
            };
            tracing::debug!(what, attempt, %detail, "request failed");
            if attempt > MAX_RETRIES {
                return Err(HttpError::Unavailable {
                    what: what.to_string(),
                    detail,
                    attempts: attempt,
                });
            }
            tokio::time::sleep(retry_after.unwrap_or_else(|| backoff(attempt))).await;
        }
    }

    /// The bridge the oauth2 crate calls for token requests.
    pub async fn oauth_call(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let resp = self
            .send("the Atlassian token endpoint", |c| {
                let mut rb = c.request(parts.method.clone(), &url).body(body.clone());
                for (name, value) in &parts.headers {
                    rb = rb.header(name, value);
                }
                rb
            })
            .await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.map_err(|e| HttpError::Unavailable {
            what: "the Atlassian token endpoint".into(),
            detail: describe_transport_error(&e),
            attempts: 1,
        })?;
        let mut out = oauth2::http::Response::builder().status(status.as_u16());
        for (name, value) in &headers {
            out = out.header(name.as_str(), value.as_bytes());
        }
        out.body(bytes.to_vec())
            .map_err(|e| HttpError::Setup(format!("bad response head: {e}")))
    }
}

fn is_retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// `Retry-After` in seconds (the form Atlassian sends), capped.
fn retry_after(resp: &Response) -> Option<Duration> {
    let secs: u64 = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Exponential backoff with full jitter on top, so that many clients do not retry in step.
fn backoff(attempt: u32) -> Duration {
    let base = BASE_BACKOFF * 2u32.pow(attempt.saturating_sub(1).min(6));
    let jitter = rand::rng().random_range(0..=BASE_BACKOFF.as_millis() as u64);
    base + Duration::from_millis(jitter)
}

/// A short cause without the body or headers; reqwest's own text names the URL, which
/// never carries a secret in our requests.
pub fn describe_transport_error(e: &reqwest::Error) -> String {
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_body() || e.is_decode() {
        "broken response"
    } else {
        "request failed"
    };
    let mut detail = kind.to_string();
    let mut source = std::error::Error::source(e);
    // The innermost cause is what names DNS/TLS/refused; stop at three levels.
    let mut depth = 0;
    while let Some(s) = source {
        depth += 1;
        if depth > 3 {
            break;
        }
        detail = format!("{kind}: {s}");
        source = s.source();
    }
    detail
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

    #[test]
    fn only_5xx_and_429_are_retried() {
        assert!(is_retryable(StatusCode::SERVICE_UNAVAILABLE));
        assert!(is_retryable(StatusCode::TOO_MANY_REQUESTS));
        assert!(!is_retryable(StatusCode::UNAUTHORIZED));
        assert!(!is_retryable(StatusCode::FORBIDDEN));
        assert!(!is_retryable(StatusCode::OK));
    }
}
