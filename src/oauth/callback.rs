//! The loopback listener that catches the browser's return from consent.
//!
//! It is bound before the consent URL is shown (so the browser can never arrive first) and
//! keeps its socket until the answer arrives: no bind-release-rebind race. It answers only a
//! GET on the callback path with the right `Host` and `state`; everything else gets an error
//! page and the listener keeps waiting for the real callback.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use subtle::ConstantTimeEq;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use url::Url;

use crate::error::{CliError, Exit};

/// Request heads larger than this get 431: a real callback is well under 2 KB.
const MAX_HEAD: usize = 8 * 1024;
/// A client gets this long to send its request head, then it is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections handled at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 16;

/// What came back from the authorization server.
pub enum Callback {
    Code(SecretString),
    Denied { error: String, description: String },
}

pub struct Listener {
    sockets: Vec<TcpListener>,
    path: String,
    /// `Host` header values a browser following the redirect URI sends.
    hosts: Vec<String>,
    port: u16,
}

impl Listener {
    /// Binds the loopback address(es) of the redirect URI.
    pub async fn bind(redirect: &Url) -> Result<Listener, CliError> {
        let port = redirect.port_or_known_default().unwrap_or(80);
        let Some(addrs) = loopback_addrs(redirect) else {
            return Err(CliError::usage(format!(
                "the redirect URI {redirect} is not on this machine: use http://127.0.0.1:PORT/..., http://localhost:PORT/... or http://[::1]:PORT/..."
            )));
        };
        let mut sockets = Vec::new();
        let mut first_err = None;
        for ip in addrs {
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
                Err(e) => return Err(bind_error(port, redirect, &e)),
            }
        }
        if sockets.is_empty() {
            let e = first_err.expect("at least one address was tried");
            return Err(bind_error(port, redirect, &e));
        }
        let host = redirect.host_str().unwrap_or_default().to_ascii_lowercase();
        let mut hosts = vec![format!("{host}:{port}")];
        if redirect.port().is_none() {
            hosts.push(host);
        }
        Ok(Listener {
            sockets,
            path: redirect.path().to_string(),
            hosts,
            port,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Waits for the one real callback. Wrong requests are answered and ignored; the caller
    /// bounds the wait with a timeout.
    pub async fn wait(self, state: &str) -> Callback {
        let (tx, mut rx) = mpsc::channel::<Callback>(1);
        let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let check = Arc::new(Check {
            path: self.path,
            hosts: self.hosts,
            state: state.to_string(),
        });
        let mut tasks = tokio::task::JoinSet::new();
        for socket in self.sockets {
            let tx = tx.clone();
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
                    let check = check.clone();
                    tokio::spawn(async move {
                        if let Some(cb) = serve(stream, &check).await {
                            let _ = tx.send(cb).await;
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

/// The addresses to listen on for a redirect URI; `None` when it is not on this machine.
pub fn loopback_addrs(redirect: &Url) -> Option<Vec<IpAddr>> {
    match redirect.host()? {
        url::Host::Ipv4(ip) if ip.is_loopback() => Some(vec![IpAddr::V4(ip)]),
        url::Host::Ipv6(ip) if ip.is_loopback() => Some(vec![IpAddr::V6(ip)]),
        // Browsers may resolve localhost to either family: listen on both.
        url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => Some(vec![
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::LOCALHOST),
        ]),
        _ => None,
    }
}

/// Whether a bind failed because the address family is not there at all (IPv6 disabled,
/// no `::1` on the loopback interface), as opposed to the port being unavailable.
pub fn family_missing(e: &std::io::Error) -> bool {
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

fn bind_error(port: u16, redirect: &Url, e: &std::io::Error) -> CliError {
    let base = match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            format!("cannot listen for the callback: port {port} is already in use")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot listen for the callback on port {port}: permission denied")
        }
        _ => format!("cannot listen for the callback on port {port}: {e}"),
    };
    let mut err = CliError::new(Exit::Usage, base)
        .hint(format!(
            "stop what uses port {port}, or pick another with --port N and set the app's callback URL in the developer console to match (now {redirect})"
        ));
    if cfg!(windows) {
        err = err.hint(
            "Windows reserves some port ranges (see `netsh interface ipv4 show excludedportrange protocol=tcp`)",
        );
    }
    err
}

pub(crate) struct Check {
    pub(crate) path: String,
    pub(crate) hosts: Vec<String>,
    pub(crate) state: String,
}

/// For the fuzz target (`fuzz/`), which is another crate: the whole request path, from raw
/// bytes to a decision, checked for the invariants that must hold for any input. Built only
/// with `--cfg fuzzing` (which cargo-fuzz sets) and in unit tests, which keep it compiling.
#[cfg(any(fuzzing, test))]
pub fn fuzz_request(data: &[u8]) {
    let check = Check {
        path: "/callback".into(),
        hosts: vec!["127.0.0.1:8976".into()],
        state: "fuzz-state".into(),
    };
    let head = match scan_head(data) {
        Scan::Complete(end) => &data[..end],
        Scan::TooLarge => return,
        Scan::NeedMore => data,
    };
    let _ = parse_head(head);
    let (status, _, body, outcome) = decide(head, &check);
    assert!(
        outcome.is_none() || status == 200,
        "a callback only with 200"
    );
    assert!(
        !body.contains("<script"),
        "nothing from the request is reflected unescaped"
    );
    if let Some(Callback::Code(_)) = outcome {
        let text = String::from_utf8_lossy(head);
        assert!(text.starts_with("GET /callback"), "only a GET on the path");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_query(text);
    }
}

/// Answers one connection. Returns the callback when this request was the real one.
async fn serve(mut stream: TcpStream, check: &Check) -> Option<Callback> {
    let head = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) => head,
        Ok(Err(HeadError::TooLarge)) => {
            let page = page_error("The request was too large.");
            let reply = respond(&mut stream, 431, "Request Header Fields Too Large", page);
            let _ = tokio::time::timeout(READ_TIMEOUT, reply).await;
            return None;
        }
        Ok(Err(HeadError::Io)) | Err(_) => return None,
    };
    let (status, reason, body, outcome) = decide(&head, check);
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

/// Where reading a request head stands after the bytes received so far.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Scan {
    /// The head is `buf[..n]`, at most `MAX_HEAD` bytes; `\r\n\r\n` follows it.
    Complete(usize),
    NeedMore,
    /// The head is, or will be, longer than `MAX_HEAD`.
    TooLarge,
}

/// Decides on the bytes received so far, so that memory stays bounded: once `buf` holds
/// `MAX_HEAD + 4` bytes without the blank line, no valid head can follow.
pub(crate) fn scan_head(buf: &[u8]) -> Scan {
    match buf.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(end) if end <= MAX_HEAD => Scan::Complete(end),
        Some(_) => Scan::TooLarge,
        None if buf.len() >= MAX_HEAD + 4 => Scan::TooLarge,
        None => Scan::NeedMore,
    }
}

/// A parsed request head: just what the callback needs.
#[derive(Debug, PartialEq)]
pub(crate) struct Head {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) host: Option<String>,
}

/// Parses an HTTP/1.x request head (without its final blank line). `None` for anything
/// malformed.
pub(crate) fn parse_head(raw: &[u8]) -> Option<Head> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut lines = text.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let version = parts.next()?;
    if parts.next().is_some() || !version.starts_with("HTTP/1.") || method.is_empty() {
        return None;
    }
    let mut host = None;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if name.eq_ignore_ascii_case("host") {
            if host.is_some() {
                return None; // two Host headers: ambiguous, refuse
            }
            host = Some(value.trim().to_ascii_lowercase());
        }
    }
    Some(Head {
        method,
        target,
        host,
    })
}

/// Status, reason phrase, page, and the callback when this request was the real one.
pub(crate) type Decision = (u16, &'static str, String, Option<Callback>);

/// Everything the listener does with a request head, without the socket: pure, so that
/// property tests and the fuzz target can drive it with any bytes.
pub(crate) fn decide(raw: &[u8], check: &Check) -> Decision {
    let Some(head) = parse_head(raw) else {
        return (400, "Bad Request", page_error("Malformed request."), None);
    };
    match head.host.as_deref() {
        Some(h) if check.hosts.iter().any(|ok| ok == h) => {}
        _ => {
            return (
                400,
                "Bad Request",
                page_error("Unexpected Host header."),
                None,
            );
        }
    }
    let (path, query) = match head.target.split_once('?') {
        Some((p, q)) => (p, q),
        None => (head.target.as_str(), ""),
    };
    if path != check.path {
        return (404, "Not Found", page_error("Not found."), None);
    }
    if head.method != "GET" {
        return (
            405,
            "Method Not Allowed",
            page_error("Only GET is accepted here."),
            None,
        );
    }
    let Some(params) = parse_query(query) else {
        return (
            400,
            "Bad Request",
            page_error("Malformed or repeated query parameters."),
            None,
        );
    };
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let state_ok = get("state")
        .map(|s| bool::from(s.as_bytes().ct_eq(check.state.as_bytes())))
        .unwrap_or(false);
    if !state_ok {
        tracing::debug!("ignored a callback request with a missing or wrong state");
        return (
            400,
            "Bad Request",
            page_error(
                "This sign-in link does not belong to the jira-auth run that is waiting. Nothing was changed.",
            ),
            None,
        );
    }
    if let Some(error) = get("error") {
        let description = get("error_description").unwrap_or("").to_string();
        let body = page_denied(error, &description);
        return (
            200,
            "OK",
            body,
            Some(Callback::Denied {
                error: error.to_string(),
                description,
            }),
        );
    }
    match get("code") {
        Some(code) if !code.is_empty() => (
            200,
            "OK",
            page_success(),
            Some(Callback::Code(SecretString::from(code.to_string()))),
        ),
        _ => (
            400,
            "Bad Request",
            page_error("The callback carried no code."),
            None,
        ),
    }
}

/// Parses a query string; a repeated parameter makes the whole query invalid (which of two
/// `state` values would we trust?).
pub(crate) fn parse_query(query: &str) -> Option<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if out.iter().any(|(n, _)| *n == k) {
            return None;
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Some(out)
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

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body_html: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>jira-auth: {title}</title>\
<style>body{{font-family:system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#172b4d}}h1{{font-size:1.4em}}</style>\
</head><body><h1>{title}</h1>{body_html}</body></html>"
    )
}

fn page_success() -> String {
    page(
        "Signed in",
        "<p>jira-auth received the authorization. You can close this tab and return to the terminal.</p>",
    )
}

fn page_denied(error: &str, description: &str) -> String {
    page(
        "Authorization not granted",
        &format!(
            "<p>Atlassian answered <code>{}</code>: {}</p><p>Return to the terminal for what to do next.</p>",
            html_escape(error),
            html_escape(description)
        ),
    )
}

fn page_error(message: &str) -> String {
    page("jira-auth", &format!("<p>{}</p>", html_escape(message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check() -> Check {
        Check {
            path: "/callback".into(),
            hosts: vec!["127.0.0.1:8976".into()],
            state: "s3cr3t-state".into(),
        }
    }

    fn req(target: &str, host: &str) -> Vec<u8> {
        format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: t").into_bytes()
    }

    #[test]
    fn the_real_callback_yields_the_code() {
        let (status, _, body, cb) = decide(
            &req("/callback?code=abc&state=s3cr3t-state", "127.0.0.1:8976"),
            &check(),
        );
        assert_eq!(status, 200);
        assert!(body.contains("Signed in"));
        match cb {
            Some(Callback::Code(c)) => {
                assert_eq!(secrecy::ExposeSecret::expose_secret(&c), "abc")
            }
            _ => panic!("expected a code"),
        }
    }

    #[test]
    fn wrong_or_missing_state_is_ignored() {
        for target in ["/callback?code=abc&state=nope", "/callback?code=abc"] {
            let (status, _, _, cb) = decide(&req(target, "127.0.0.1:8976"), &check());
            assert_eq!(status, 400, "{target}");
            assert!(cb.is_none());
        }
    }

    #[test]
    fn other_paths_hosts_and_methods_are_refused() {
        let (s, ..) = decide(&req("/favicon.ico", "127.0.0.1:8976"), &check());
        assert_eq!(s, 404);
        let (s, ..) = decide(
            &req("/callback?code=a&state=s3cr3t-state", "evil.example:8976"),
            &check(),
        );
        assert_eq!(s, 400);
        let post = b"POST /callback?code=a&state=s3cr3t-state HTTP/1.1\r\nHost: 127.0.0.1:8976";
        let (s, ..) = decide(post, &check());
        assert_eq!(s, 405);
        let (s, ..) = decide(b"garbage", &check());
        assert_eq!(s, 400);
    }

    #[test]
    fn denial_is_reported_and_escaped() {
        let (status, _, body, cb) = decide(
            &req(
                "/callback?error=access_denied&error_description=%3Cscript%3Ex%3C%2Fscript%3E&state=s3cr3t-state",
                "127.0.0.1:8976",
            ),
            &check(),
        );
        assert_eq!(status, 200);
        assert!(!body.contains("<script>"));
        assert!(body.contains("&lt;script&gt;"));
        assert!(matches!(cb, Some(Callback::Denied { ref error, .. }) if error == "access_denied"));
    }

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(parse_query("state=a&state=b").is_none());
        assert_eq!(parse_query("a=1&b=%20").unwrap()[1].1, " ");
    }

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
                .block_on(Listener::bind(&Url::parse(&redirect).unwrap()))
                .unwrap_or_else(|e| panic!("{redirect}: {}", e.message));
            assert_eq!(listener.hosts, [host], "{redirect}");
            assert_eq!(listener.sockets.len(), sockets, "{redirect}");
            assert_eq!(listener.path, "/cb");
        }
        let remote = Url::parse("http://192.168.1.2:8976/cb").unwrap();
        assert!(rt.block_on(Listener::bind(&remote)).is_err());
    }

    #[test]
    fn head_parser_refuses_two_hosts_and_bad_versions() {
        assert!(parse_head(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b").is_none());
        assert!(parse_head(b"GET / SPDY/3").is_none());
        assert_eq!(
            parse_head(b"GET /x HTTP/1.0\r\nhOsT:  A:1 ")
                .unwrap()
                .host
                .as_deref(),
            Some("a:1")
        );
    }
}

/// Properties of the pure request path, over arbitrary and generated input.
#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    const STATE: &str = "s3cr3t-state";
    const HOST: &str = "127.0.0.1:8976";

    fn check() -> Check {
        Check {
            path: "/callback".into(),
            hosts: vec![HOST.into()],
            state: STATE.into(),
        }
    }

    fn enc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    fn head(method: &str, target: &str, host: &str) -> Vec<u8> {
        format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nAccept: */*").into_bytes()
    }

    /// Byte strings rich in the characters the parsers split on.
    fn http_ish() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(b"GET ".to_vec()),
            Just(b" HTTP/1.1".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r\n\r\n".to_vec()),
            Just(b"Host: 127.0.0.1:8976".to_vec()),
            Just(b"/callback?".to_vec()),
            Just(b"state=s3cr3t-state".to_vec()),
            Just(b"&code=".to_vec()),
            Just(b"%".to_vec()),
            Just(b":".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ];
        proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Nothing a client sends makes the listener panic, and a callback only ever
        /// comes with a 200 page.
        #[test]
        fn any_bytes_are_answered_without_panic(
            raw in prop_oneof![proptest::collection::vec(any::<u8>(), 0..2048), http_ish()]
        ) {
            let _ = parse_head(&raw);
            let _ = scan_head(&raw);
            let (status, _, body, outcome) = decide(&raw, &check());
            prop_assert!([200, 400, 404, 405].contains(&status));
            prop_assert!(outcome.is_none() || status == 200);
            prop_assert!(body.starts_with("<!doctype html>"));
            if let Ok(text) = std::str::from_utf8(&raw) {
                let _ = parse_query(text);
            }
        }

        /// A generated request yields the code exactly when it is a GET on the callback
        /// path, with the expected Host and state and a non-empty code.
        #[test]
        fn exactly_valid_gets_are_accepted(
            method in prop_oneof![
                Just("GET".to_string()), Just("POST".to_string()), Just("get".to_string()), "[A-Z]{1,7}"
            ],
            path in prop_oneof![
                Just("/callback".to_string()), Just("/callback/".to_string()),
                Just("/Callback".to_string()), "/[a-z]{0,10}"
            ],
            host in prop_oneof![
                Just(HOST.to_string()), Just("127.0.0.1:8977".to_string()),
                Just("localhost:8976".to_string()), "[a-z.]{1,12}"
            ],
            state in prop_oneof![Just(STATE.to_string()), Just(String::new()), ".{0,20}"],
            code in prop_oneof![Just(String::new()), ".{1,40}"],
            with_state in any::<bool>(),
        ) {
            let mut q = format!("code={}", enc(&code));
            if with_state {
                q.push_str(&format!("&state={}", enc(&state)));
            }
            let raw = head(&method, &format!("{path}?{q}"), &host);
            let (status, _, _, outcome) = decide(&raw, &check());
            let valid = method == "GET" && path == "/callback" && host == HOST
                && with_state && state == STATE && !code.is_empty();
            match outcome {
                Some(Callback::Code(c)) => {
                    prop_assert!(valid);
                    prop_assert_eq!(c.expose_secret(), code.as_str());
                    prop_assert_eq!(status, 200);
                }
                Some(Callback::Denied { .. }) => prop_assert!(false, "no error parameter was sent"),
                None => prop_assert!(!valid, "a valid callback was refused with {}", status),
            }
        }

        /// The state must match byte for byte, whatever encoding carried it.
        #[test]
        fn state_must_match_exactly(state in any::<String>()) {
            let raw = head("GET", &format!("/callback?code=c&state={}", enc(&state)), HOST);
            let (_, _, _, outcome) = decide(&raw, &check());
            prop_assert_eq!(outcome.is_some(), state == STATE);
        }

        /// What a browser percent-encodes comes back decoded, unchanged; repeated names
        /// make the whole query invalid.
        #[test]
        fn percent_decoding_round_trips(
            pairs in proptest::collection::vec((".{0,12}", ".{0,24}"), 0..6)
        ) {
            let mut ser = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &pairs {
                ser.append_pair(k, v);
            }
            let query = ser.finish();
            let distinct = pairs.iter().enumerate()
                .all(|(i, (k, _))| pairs[..i].iter().all(|(k2, _)| k2 != k));
            match parse_query(&query) {
                Some(parsed) => {
                    prop_assert!(distinct);
                    prop_assert_eq!(parsed, pairs);
                }
                None => prop_assert!(!distinct),
            }
        }

        /// Any error text Atlassian (or an attacker) puts in the query reaches the page
        /// escaped, never as markup.
        #[test]
        fn denial_text_is_never_reflected_raw(desc in ".{0,60}", err in "[a-z_<>\"'&]{1,20}") {
            let target = format!(
                "/callback?error={}&error_description={}&state={STATE}",
                enc(&err), enc(&desc)
            );
            let (status, _, body, outcome) = decide(&head("GET", &target, HOST), &check());
            prop_assert_eq!(status, 200);
            let is_denied = matches!(outcome, Some(Callback::Denied { .. }));
            prop_assert!(is_denied);
            let shown = body.split("<body>").nth(1).unwrap_or_default();
            prop_assert!(shown.contains(&html_escape(&desc)));
            prop_assert!(shown.contains(&html_escape(&err)));
            // The page's own markup: every '<' opens one of the tags page() writes.
            let tags = shown.matches('<').count();
            prop_assert_eq!(tags, 10, "{}", shown);
        }

        /// Heads up to MAX_HEAD bytes are read; longer ones are refused as soon as that is
        /// certain, however the bytes are split into reads.
        #[test]
        fn oversized_heads_are_refused(
            len in 0usize..(MAX_HEAD + 64),
            fill in prop_oneof![Just(b'a'), Just(b'\r'), Just(b'\n'), Just(b' ')],
            chunk in 1usize..2048,
        ) {
            // `fill` repeated never contains "\r\n\r\n" on its own.
            let mut data = vec![fill; len];
            data.extend_from_slice(b"\r\n\r\n");
            let mut buf = Vec::new();
            let mut outcome = Scan::NeedMore;
            for piece in data.chunks(chunk) {
                buf.extend_from_slice(piece);
                outcome = scan_head(&buf);
                if outcome != Scan::NeedMore {
                    break;
                }
                prop_assert!(buf.len() < MAX_HEAD + 4, "buffered past the limit");
            }
            let expected = if len <= MAX_HEAD { Scan::Complete(len) } else { Scan::TooLarge };
            // A fill of '\r' or '\n' can form the terminator with the appended one earlier.
            if fill == b'a' || fill == b' ' {
                prop_assert_eq!(outcome, expected);
            } else {
                prop_assert_ne!(outcome, Scan::NeedMore);
            }
        }
    }

    #[test]
    fn the_fuzz_entry_point_holds_on_sample_inputs() {
        fuzz_request(
            b"GET /callback?code=abc&state=fuzz-state HTTP/1.1\r\nHost: 127.0.0.1:8976\r\n\r\n",
        );
        fuzz_request(
            b"GET /callback?error=%3Cscript%3E&state=fuzz-state HTTP/1.1\r\nHost: 127.0.0.1:8976",
        );
        fuzz_request(&[0xff; 9000]);
        fuzz_request(b"");
    }

    #[test]
    fn head_at_the_limit_is_read_and_one_more_byte_is_not() {
        let mut at = vec![b'a'; MAX_HEAD];
        at.extend_from_slice(b"\r\n\r\n");
        assert_eq!(scan_head(&at), Scan::Complete(MAX_HEAD));
        let mut over = vec![b'a'; MAX_HEAD + 1];
        over.extend_from_slice(b"\r\n\r\n");
        assert_eq!(scan_head(&over), Scan::TooLarge);
        assert_eq!(scan_head(&over[..MAX_HEAD + 3]), Scan::NeedMore);
    }
}
