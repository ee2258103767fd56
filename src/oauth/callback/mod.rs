//! The loopback listener that catches the browser's return from consent.
//!
//! It is bound before the consent URL is shown (so the browser can never arrive first) and
//! keeps its socket until the answer arrives: no bind-release-rebind race. It answers only a
//! GET on the callback path with the right `Host` and `state`; everything else gets an error
//! page and the listener keeps waiting for the real callback. A refused request for the
//! callback path is reported (`Rejected`, never with what it held), so that a wait that ends
//! without the callback can say that one came and why it was refused. An address pasted
//! instead (a browser on another machine) is judged by the same decision (`Expected`).

mod request;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};

use super::RedirectUri;
#[cfg(any(fuzzing, test))]
pub use request::fuzz_request;
use request::{Check, Outcome, Scan, judge, page_error, scan_head};
pub(crate) use request::{PasteRefused, Rejected};

/// A client gets this long to send its request head, then it is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections handled at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 16;

/// What came back from the authorization server.
pub(crate) enum Callback {
    Code(SecretString),
    Denied { error: String, description: String },
}

pub(crate) struct Listener {
    sockets: Vec<TcpListener>,
    path: String,
    /// `Host` header values a browser following the redirect URI sends.
    hosts: Vec<String>,
    port: u16,
}

impl Listener {
    /// Binds the loopback address(es) of the redirect URI.
    pub(crate) async fn bind(redirect: &RedirectUri) -> Result<Listener, ListenError> {
        let port = redirect.port();
        let mut sockets = Vec::new();
        let mut first_err = None;
        for ip in redirect.listen_addrs() {
            match TcpListener::bind(SocketAddr::new(ip, port)).await {
                Ok(s) => sockets.push(s),
                // A family this machine lacks (IPv6 turned off) is no loss while the other
                // one listens: no browser can reach us through it either.
                Err(e) if family_missing(&e) => {
                    tracing::debug!(%ip, port, error = %e, "cannot bind callback address");
                    first_err.get_or_insert(e);
                }
                // Anything else (the port taken on one of localhost's addresses) would send
                // a browser that resolves localhost that way to whoever holds it, code and
                // all, while we wait in vain on the other: fail as if both were taken.
                Err(e) => return Err(ListenError::new(redirect, &e)),
            }
        }
        if sockets.is_empty() {
            let e = first_err.expect("at least one address was tried");
            return Err(ListenError::new(redirect, &e));
        }
        Ok(Listener {
            sockets,
            path: redirect.path().to_string(),
            hosts: vec![redirect.host_header()],
            port,
        })
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// This run's callback (its `state`) as the listener checks it, for an address pasted
    /// instead of the callback.
    pub(crate) fn expected(&self, state: &str) -> Expected {
        Expected(self.check(state))
    }

    fn check(&self, state: &str) -> Check {
        Check {
            path: self.path.clone(),
            hosts: self.hosts.clone(),
            state: state.to_string(),
        }
    }

    /// Waits for the one real callback. Wrong requests are answered and otherwise ignored;
    /// those for the callback path are also sent to `rejected`. The caller bounds the wait
    /// with a timeout.
    pub(crate) async fn wait(
        self,
        state: &str,
        rejected: mpsc::UnboundedSender<Rejected>,
    ) -> Callback {
        let (tx, mut rx) = mpsc::channel::<Callback>(1);
        let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let check = Arc::new(self.check(state));
        let mut tasks = tokio::task::JoinSet::new();
        for socket in self.sockets {
            let tx = tx.clone();
            let rejected = rejected.clone();
            let limit = limit.clone();
            let check = check.clone();
            tasks.spawn(async move {
                loop {
                    let Ok(permit) = limit.clone().acquire_owned().await else {
                        return;
                    };
                    let Ok((stream, _)) = socket.accept().await else {
                        // Out of file descriptors and the like: do not spin on it.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    };
                    let tx = tx.clone();
                    let rejected = rejected.clone();
                    let check = check.clone();
                    tokio::spawn(async move {
                        match serve(stream, &check).await {
                            Outcome::Callback(cb) => {
                                let _ = tx.send(cb).await;
                            }
                            Outcome::Rejected(why) => {
                                let _ = rejected.send(why);
                            }
                            Outcome::Ignored => {}
                        }
                        drop(permit);
                    });
                }
            });
        }
        drop(tx);
        let cb = rx
            .recv()
            .await
            .expect("accept loops never end while we wait");
        tasks.abort_all();
        cb
    }
}

/// What an address pasted instead of the callback must be: this run's callback.
pub(crate) struct Expected(Check);

impl Expected {
    /// The callback the browser would have brought, had it come to the listener; else why
    /// not (never with what the address held).
    pub(crate) fn judge(&self, address: &str) -> Result<Callback, PasteRefused> {
        request::judge_address(address, &self.0)
    }
}

/// Whether a bind failed because the address family is not there at all (IPv6 disabled,
/// no `::1` on the loopback interface), as opposed to the port being unavailable.
pub(crate) fn family_missing(e: &std::io::Error) -> bool {
    // EAFNOSUPPORT has no ErrorKind of its own.
    const EAFNOSUPPORT: i32 = if cfg!(windows) {
        10047 // WSAEAFNOSUPPORT
    } else if cfg!(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    )) {
        47
    } else {
        97 // Linux
    };
    e.kind() == std::io::ErrorKind::AddrNotAvailable || e.raw_os_error() == Some(EAFNOSUPPORT)
}

/// The callback port cannot be listened on.
#[derive(Debug, thiserror::Error)]
#[error("{}", match .reason {
    ListenFailure::InUse => format!("cannot listen for the callback: port {} is already in use", .port),
    ListenFailure::PermissionDenied => format!("cannot listen for the callback on port {}: permission denied", .port),
    ListenFailure::Other(e) => format!("cannot listen for the callback on port {}: {e}", .port),
})]
pub struct ListenError {
    pub port: u16,
    /// The callback URL, as the developer console must have it.
    pub redirect: String,
    pub reason: ListenFailure,
}

#[derive(Debug)]
pub enum ListenFailure {
    InUse,
    PermissionDenied,
    Other(String),
}

impl ListenError {
    fn new(redirect: &RedirectUri, e: &std::io::Error) -> ListenError {
        ListenError {
            port: redirect.port(),
            redirect: redirect.to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::AddrInUse => ListenFailure::InUse,
                std::io::ErrorKind::PermissionDenied => ListenFailure::PermissionDenied,
                _ => ListenFailure::Other(e.to_string()),
            },
        }
    }
}

/// Answers one connection, and says what its request was.
async fn serve(mut stream: TcpStream, check: &Check) -> Outcome {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge)) => {
            let page = page_error("The request was too large.");
            let reply = respond(&mut stream, 431, "Request Header Fields Too Large", page);
            let _ = tokio::time::timeout(READ_TIMEOUT, reply).await;
            return Outcome::Ignored;
        }
        Ok(Err(HeadError::Io)) | Err(_) => return Outcome::Ignored,
    };
    let (status, reason, body, outcome) = judge(&head, check);
    // A client that stops reading must not hold its connection slot either. The callback
    // counts even if its page could not be delivered.
    let _ = tokio::time::timeout(READ_TIMEOUT, respond(&mut stream, status, reason, body)).await;
    outcome
}

enum HeadError {
    TooLarge,
    Io,
}

async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, HeadError> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| HeadError::Io)?;
        if n == 0 {
            return Err(HeadError::Io);
        }
        buf.extend_from_slice(&chunk[..n]);
        match scan_head(&buf) {
            Scan::Complete(end) => {
                buf.truncate(end);
                return Ok(buf);
            }
            Scan::TooLarge => return Err(HeadError::TooLarge),
            Scan::NeedMore => {}
        }
    }
}

async fn respond(stream: &mut TcpStream, status: u16, reason: &str, body: String) {
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    head.push_str("Content-Type: text/html; charset=utf-8\r\n");
    head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    // The page loads nothing and runs nothing; inline style is all it has.
    head.push_str("Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n");
    head.push_str("Cache-Control: no-store\r\nReferrer-Policy: no-referrer\r\nX-Content-Type-Options: nosniff\r\n");
    if status == 405 {
        head.push_str("Allow: GET\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body.as_bytes()).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_a_browser_sends_is_expected_for_each_loopback_form() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        for (redirect, host, sockets) in [
            (
                format!("http://127.0.0.1:{port}/cb"),
                format!("127.0.0.1:{port}"),
                1,
            ),
            (
                format!("http://[::1]:{port}/cb"),
                format!("[::1]:{port}"),
                1,
            ),
            (
                format!("http://LocalHost:{port}/cb"),
                format!("localhost:{port}"),
                2,
            ),
        ] {
            let listener = rt
                .block_on(Listener::bind(&RedirectUri::parse(&redirect).unwrap()))
                .unwrap_or_else(|e| panic!("{redirect}: {e}"));
            assert_eq!(listener.hosts, [host], "{redirect}");
            assert_eq!(listener.sockets.len(), sockets, "{redirect}");
            assert_eq!(listener.path, "/cb");
        }
        // A second listener on the same port is refused (the port is taken).
        let first = rt
            .block_on(Listener::bind(&RedirectUri::on_port(port).unwrap()))
            .unwrap();
        let again = rt.block_on(Listener::bind(&RedirectUri::on_port(port).unwrap()));
        assert!(matches!(
            again,
            Err(ListenError {
                reason: ListenFailure::InUse,
                ..
            })
        ));
        drop(first);
    }
}
