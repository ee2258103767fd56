//! The proxy's connections and requests: hyper's HTTP/1.1 server, bounded (connections,
//! head size, head timeout), and each request that judge.rs lets through forwarded with
//! reqwest to the upstream base, bodies streamed both ways.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt as _, Full, Limited, combinators::UnsyncBoxBody};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use secrecy::ExposeSecret;
use tokio::sync::oneshot;

use super::credentials::{Credentials, Current, Failure};
use super::judge::{self, Key, Own, Refusal};
use super::{
    Asker, Config, HEAD_TIMEOUT, Listener, MAX_CONNECTIONS, MAX_HEAD_BYTES, REPLAYABLE_BODY_BYTES,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = UnsyncBoxBody<Bytes, BoxError>;

/// What every connection of one proxy shares.
pub(super) struct Shared {
    upstream: url::Url,
    own: Own,
    key: Key,
    client: reqwest::Client,
    upstream_timeout: Duration,
    credentials: Credentials,
}

impl Shared {
    pub(super) fn new(config: Config, asker: Asker) -> Shared {
        Shared {
            upstream: config.upstream,
            own: config.own,
            key: config.key,
            client: config.client,
            upstream_timeout: config.upstream_timeout,
            credentials: Credentials::new(asker, config.min_ttl),
        }
    }
}

pub(super) async fn serve(
    listener: Listener,
    shared: Arc<Shared>,
    mut stopping: oneshot::Receiver<()>,
) {
    let listener = match Accepting::new(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::debug!("the proxy cannot listen: {e}");
            return;
        }
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        // A free slot first: at the bound, connections wait in the kernel's queue.
        let slot = tokio::select! {
            _ = &mut stopping => break,
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
        };
        tokio::select! {
            _ = &mut stopping => break,
            accepted = listener.accept() => match accepted {
                Ok(io) => {
                    let shared = Arc::clone(&shared);
                    tokio::spawn(async move {
                        connection(io, shared).await;
                        drop(slot);
                    });
                }
                // Out of file descriptors and the like: back off rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
}

enum Accepting {
    Tcp(tokio::net::TcpListener),
    #[cfg(unix)]
    Unix(tokio::net::UnixListener),
}

/// One accepted connection, of either kind.
enum Io {
    Tcp(tokio::net::TcpStream),
    #[cfg(unix)]
    Unix(tokio::net::UnixStream),
}

impl Accepting {
    fn new(listener: Listener) -> std::io::Result<Accepting> {
        Ok(match listener {
            Listener::Tcp(l) => {
                l.set_nonblocking(true)?;
                Accepting::Tcp(tokio::net::TcpListener::from_std(l)?)
            }
            #[cfg(unix)]
            Listener::Unix(l) => {
                l.set_nonblocking(true)?;
                Accepting::Unix(tokio::net::UnixListener::from_std(l)?)
            }
        })
    }

    async fn accept(&self) -> std::io::Result<Io> {
        match self {
            Accepting::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                let _ = stream.set_nodelay(true);
                Ok(Io::Tcp(stream))
            }
            #[cfg(unix)]
            Accepting::Unix(l) => Ok(Io::Unix(l.accept().await?.0)),
        }
    }
}

async fn connection(io: Io, shared: Arc<Shared>) {
    let service = service_fn(move |request: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        async move { Ok::<_, Infallible>(handle(&shared, request).await) }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .max_buf_size(MAX_HEAD_BYTES)
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    let _ = match io {
        Io::Tcp(s) => builder.serve_connection(TokioIo::new(s), service).await,
        #[cfg(unix)]
        Io::Unix(s) => builder.serve_connection(TokioIo::new(s), service).await,
    };
}

/// A request body as it will be sent upstream.
enum Outgoing {
    Empty,
    /// Small enough to be held, and so sent again after a 401.
    Held(Bytes),
    /// Streamed: sent once.
    Streamed(Incoming),
}

impl Outgoing {
    fn replayable(&self) -> Option<reqwest::Body> {
        match self {
            Outgoing::Empty => Some(reqwest::Body::from(Bytes::new())),
            Outgoing::Held(bytes) => Some(reqwest::Body::from(bytes.clone())),
            Outgoing::Streamed(_) => None,
        }
    }
}

async fn handle(shared: &Shared, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    // hyper bounds what it buffers, but a head that arrives in one read can exceed that.
    let head_bytes = parts.uri.to_string().len()
        + parts
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len() + 4)
            .sum::<usize>();
    if head_bytes > MAX_HEAD_BYTES {
        return error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "proxy_head_too_large",
            "the request's headers are too large",
        );
    }
    if let Err(refusal) = judge::judge(
        &parts.method,
        &parts.uri,
        &parts.headers,
        &shared.own,
        &shared.key,
    ) {
        tracing::debug!(method = %parts.method, code = refusal.code(), "refused");
        return refused(refusal);
    }
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", hyper::http::uri::PathAndQuery::as_str);
    let url = match judge::upstream_url(&shared.upstream, target) {
        Ok(url) => url,
        Err(refusal) => return refused(refusal),
    };
    let outgoing = match hyper::body::Body::size_hint(&body).exact() {
        Some(0) => Outgoing::Empty,
        Some(n) if n <= REPLAYABLE_BODY_BYTES as u64 => {
            let collected = tokio::time::timeout(
                HEAD_TIMEOUT,
                Limited::new(body, REPLAYABLE_BODY_BYTES).collect(),
            )
            .await;
            match collected {
                Ok(Ok(c)) => Outgoing::Held(c.to_bytes()),
                _ => {
                    return error(
                        StatusCode::REQUEST_TIMEOUT,
                        "proxy_body_incomplete",
                        "the request body did not arrive whole",
                    );
                }
            }
        }
        _ => Outgoing::Streamed(body),
    };
    let headers = forwarded_request_headers(&parts.headers);
    let credential = match shared.credentials.get().await {
        Ok(c) => c,
        Err(failure) => return no_credential(&failure),
    };
    let replay = outgoing.replayable();
    let body = match outgoing {
        Outgoing::Empty => reqwest::Body::from(Bytes::new()),
        Outgoing::Held(bytes) => reqwest::Body::from(bytes),
        Outgoing::Streamed(incoming) => reqwest::Body::wrap(incoming),
    };
    let first = send(
        shared,
        &parts.method,
        &url,
        &headers,
        &credential,
        body,
        replay.is_some(),
    )
    .await;
    let answer = match (first, replay) {
        (Ok(resp), Some(again)) if resp.status() == reqwest::StatusCode::UNAUTHORIZED => {
            match shared.credentials.after_unauthorized(&credential).await {
                Some(renewed) => {
                    tracing::debug!("retrying once with the renewed credential");
                    send(shared, &parts.method, &url, &headers, &renewed, again, true).await
                }
                None => Ok(resp),
            }
        }
        (first, _) => first,
    };
    match answer {
        Ok(resp) => {
            tracing::debug!(method = %parts.method, path = url.path(), status = %resp.status(), "forwarded");
            answered(resp)
        }
        Err(response) => response,
    }
}

async fn send(
    shared: &Shared,
    method: &hyper::Method,
    url: &url::Url,
    headers: &HeaderMap,
    credential: &Current,
    body: reqwest::Body,
    bounded: bool,
) -> Result<reqwest::Response, Response<Body>> {
    let mut authorization = HeaderValue::from_str(credential.header.expose_secret())
        .map_err(|_| error(StatusCode::BAD_GATEWAY, "internal", "unusable credential"))?;
    authorization.set_sensitive(true);
    let request = shared
        .client
        .request(method.clone(), url.clone())
        .headers(headers.clone())
        .header(header::AUTHORIZATION, authorization)
        .body(body);
    // A streamed upload takes as long as its client sends: only the reads of the answer
    // are bounded then (the client's read timeout); otherwise the whole wait for the head.
    let limit = if bounded {
        shared.upstream_timeout
    } else {
        Duration::MAX
    };
    match tokio::time::timeout(limit, request.send()).await {
        Ok(Ok(resp)) => Ok(resp),
        Ok(Err(e)) if e.is_timeout() => Err(upstream_slow(shared)),
        Ok(Err(e)) => {
            let what = if e.is_connect() {
                "cannot connect to"
            } else {
                "lost the connection to"
            };
            Err(error(
                StatusCode::BAD_GATEWAY,
                "proxy_upstream_unavailable",
                &format!(
                    "jira-auth proxy {what} {} (the Jira server is down or unreachable); try again later",
                    origin(&shared.upstream)
                ),
            ))
        }
        Err(_) => Err(upstream_slow(shared)),
    }
}

fn upstream_slow(shared: &Shared) -> Response<Body> {
    error(
        StatusCode::GATEWAY_TIMEOUT,
        "proxy_upstream_timeout",
        &format!(
            "{} did not answer within {} s (JIRA_AUTH_HTTP_TIMEOUT)",
            origin(&shared.upstream),
            shared.upstream_timeout.as_secs_f32()
        ),
    )
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// Upstream's answer, streamed, without its hop-by-hop headers and its cookies (a session
/// cookie is a credential that would outlive the token, kept by a client that must hold
/// none).
fn answered(resp: reqwest::Response) -> Response<Body> {
    let resp: hyper::http::Response<reqwest::Body> = resp.into();
    let (mut parts, body) = resp.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    parts.headers.remove(header::SET_COOKIE);
    Response::from_parts(parts, body.map_err(BoxError::from).boxed_unsync())
}

/// The client's headers minus what is the proxy's or the connection's: its `Authorization`
/// (the proxy key), `Cookie`, `Host` and `Origin`, `Proxy-*`, `Expect`, and the hop-by-hop
/// headers (those `Connection` names too).
fn forwarded_request_headers(incoming: &HeaderMap) -> HeaderMap {
    let mut headers = incoming.clone();
    strip_hop_by_hop(&mut headers);
    for name in [
        header::AUTHORIZATION,
        header::COOKIE,
        header::HOST,
        header::ORIGIN,
        header::PROXY_AUTHORIZATION,
        header::EXPECT,
    ] {
        headers.remove(name);
    }
    headers
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

fn refused(refusal: Refusal) -> Response<Body> {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut resp = error(status, refusal.code(), refusal.message());
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"jira-auth proxy\""),
        );
    }
    resp
}

fn no_credential(failure: &Failure) -> Response<Body> {
    let mut message = format!("jira-auth proxy has no credential: {}", failure.message);
    for hint in &failure.hints {
        message.push_str("; ");
        message.push_str(hint);
    }
    error(StatusCode::BAD_GATEWAY, failure.code, &message)
}

/// An answer of the proxy's own, in Jira's error shape (`errorMessages`, which clients show)
/// with the machine-readable code beside it.
fn error(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "errorMessages": [message],
        "errors": {},
        "jira_auth": {"code": code},
    });
    let mut resp = Response::new(
        Full::new(Bytes::from(body.to_string()))
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_credentials_and_hop_by_hop_headers_stay_here() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("authorization", "Bearer key"),
            ("cookie", "JSESSIONID=x"),
            ("host", "127.0.0.1:1"),
            ("connection", "close, x-private"),
            ("x-private", "1"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("proxy-authorization", "Basic x"),
            ("content-type", "application/json"),
            ("x-atlassian-token", "no-check"),
        ] {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        let out = forwarded_request_headers(&h);
        let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["content-type", "x-atlassian-token"]);
    }
}
