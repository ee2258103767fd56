//! The emulators' HTTP plumbing: hyper's HTTP/1.1 server (one request per connection,
//! `Connection: close`) on a tokio runtime of the crate's own, which runs on a thread of its
//! own, so that the API stays blocking: a handler is a plain function of a [`Request`] to a
//! [`Response`], and [`HttpServer::start`] returns once the port is bound. Form bodies and
//! queries are url's `form_urlencoded`, dates `time`'s.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, mpsc};
use std::thread;
use std::time::{Duration, SystemTime};

use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// hyper's read buffer for a request head (request line + headers): a head that does not fit
/// is answered 431.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest request body we accept; the emulators only ever receive small forms and JSON.
pub(crate) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A client that stalls this long is dropped, so a misbehaving CLI cannot pin a task forever.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more wait in the listen queue until one ends. Far more than
/// the tests' 32-way races open, and a bound on what a flood of connections can take.
pub(crate) const MAX_CONNECTIONS: usize = 64;

/// What the server calls for every request.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// A handler whose answer may be held back: the response, and how long the server waits
/// before it sends it (other requests are served meanwhile).
pub(crate) type HeldBackHandler = Arc<dyn Fn(&Request) -> (Response, Duration) + Send + Sync>;

/// One request, as the handlers read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target's path, not percent-decoded.
    pub path: String,
    /// Query parameters, percent-decoded with `+` as space.
    pub query: Vec<(String, String)>,
    /// Header names are lower-cased; values are trimmed.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// First query parameter with this name.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as `application/x-www-form-urlencoded` (whatever the Content-Type says:
    /// callers decide which content types they accept).
    pub fn form(&self) -> Vec<(String, String)> {
        parse_urlencoded(&self.body)
    }
}

/// A response to send; `Content-Length`, `Connection: close` and (unless set) `Date` are the
/// server's.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: Option<&str>, body: Vec<u8>) -> Response {
        Response {
            status,
            headers: content_type
                .map(|ct| vec![("Content-Type".to_string(), ct.to_string())])
                .unwrap_or_default(),
            body,
        }
    }

    pub fn json(status: u16, value: serde_json::Value) -> Response {
        Response::new(
            status,
            Some("application/json"),
            value.to_string().into_bytes(),
        )
    }

    pub fn html(status: u16, html: &str) -> Response {
        Response::new(
            status,
            Some("text/html; charset=utf-8"),
            html.as_bytes().to_vec(),
        )
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response::new(
            status,
            Some("text/plain; charset=utf-8"),
            text.as_bytes().to_vec(),
        )
    }

    /// A response without a body (`204 No Content`).
    pub fn empty(status: u16) -> Response {
        Response::new(status, None, Vec::new())
    }

    /// A 302 with an empty body, as an authorization server sends it.
    pub fn redirect(location: &str) -> Response {
        Response::new(302, None, Vec::new()).with_header("Location", location)
    }

    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// hyper's response; the framing headers are the server's, so a handler cannot get
    /// them wrong.
    fn into_hyper(self) -> hyper::Response<Full<Bytes>> {
        let mut response = hyper::Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() =
            hyper::StatusCode::from_u16(self.status).unwrap_or(hyper::StatusCode::OK);
        let headers = response.headers_mut();
        for (name, value) in &self.headers {
            let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) else {
                continue;
            };
            if name != hyper::header::CONTENT_LENGTH && name != hyper::header::CONNECTION {
                headers.append(name, value);
            }
        }
        response
    }
}

/// The runtime every server and the sandbox's user agent run on: one thread of its own,
/// started on first use, for the life of the process.
pub(crate) fn runtime() -> &'static Handle {
    static HANDLE: OnceLock<Handle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("the emulator's tokio runtime");
        let handle = runtime.handle().clone();
        thread::Builder::new()
            .name("jira-auth-emulator".into())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .expect("spawn the emulator's runtime thread");
        handle
    })
}

/// A running server on 127.0.0.1 with an OS-chosen port; it stops accepting when dropped.
pub struct HttpServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    stopped: mpsc::Receiver<()>,
}

impl HttpServer {
    pub fn start(handler: Handler) -> HttpServer {
        HttpServer::holding_back(Arc::new(move |req: &Request| {
            (handler(req), Duration::ZERO)
        }))
    }

    /// A server whose handler says how long to hold each answer back.
    pub(crate) fn holding_back(handler: HeldBackHandler) -> HttpServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("local_addr of a bound listener");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let (stop, stopping) = oneshot::channel();
        let (done, stopped) = mpsc::channel();
        runtime().spawn(async move {
            accept_loop(listener, handler, stopping).await;
            let _ = done.send(());
        });
        HttpServer {
            addr,
            stop: Some(stop),
            stopped,
        }
    }

    #[cfg(test)]
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Once this returns, the port refuses connections.
        let _ = self.stopped.recv_timeout(Duration::from_secs(5));
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    handler: HeldBackHandler,
    mut stopping: oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
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
                Ok((stream, _)) => {
                    let handler = Arc::clone(&handler);
                    tokio::spawn(async move {
                        serve_connection(stream, handler).await;
                        drop(slot);
                    });
                }
                // Transient (e.g. EMFILE under a parallel test run): back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
        }
    }
    // The listener is dropped here, so later connection attempts are refused.
}

async fn serve_connection(stream: tokio::net::TcpStream, handler: HeldBackHandler) {
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let handler = Arc::clone(&handler);
        async move {
            let (response, delay) = match read_request(request).await {
                Ok(request) => handler(&request),
                Err(response) => (response, Duration::ZERO),
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            Ok::<_, std::convert::Infallible>(response.into_hyper())
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .keep_alive(false)
        .max_buf_size(MAX_HEAD_BYTES)
        .timer(TokioTimer::new())
        .header_read_timeout(IO_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// The request with its whole body; the error response when it names another host than
/// this machine, or its body is too large or does not come.
async fn read_request(request: hyper::Request<Incoming>) -> Result<Request, Response> {
    let (parts, body) = request.into_parts();
    if let Some(refusal) = foreign(&parts.headers) {
        return Err(refusal);
    }
    let body = match tokio::time::timeout(IO_TIMEOUT, Limited::new(body, MAX_BODY_BYTES).collect())
        .await
    {
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return Err(Response::text(413, "request body too large"));
        }
        _ => return Err(Response::text(408, "the request body did not come")),
    };
    let headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).trim().to_string();
            (name.as_str().to_string(), value)
        })
        .collect();
    Ok(Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parse_urlencoded(parts.uri.query().unwrap_or_default().as_bytes()),
        headers,
        body,
    })
}

/// The answer to a request whose `Host` (or `Origin`, when sent) is not this machine: a web
/// page whose name was made to resolve to 127.0.0.1 (DNS rebinding) sends its own name in
/// both, and a page of another site its own `Origin`. Every client of the emulator names it
/// by a loopback address or `localhost`. `Origin: null` is let through: it is what a browser
/// sends for the consent page's own form, which is served with `Referrer-Policy: no-referrer`.
fn foreign(headers: &hyper::HeaderMap) -> Option<Response> {
    let names_this_machine = |url: &str| {
        url::Url::parse(url).is_ok_and(|url| match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        })
    };
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let host = header(hyper::header::HOST).unwrap_or_default();
    if !names_this_machine(&format!("http://{host}/")) {
        return Some(Response::text(
            421,
            "this server answers only for 127.0.0.1 and localhost",
        ));
    }
    match header(hyper::header::ORIGIN) {
        Some(origin) if origin != "null" && !names_this_machine(origin) => Some(Response::text(
            403,
            "requests from pages of other sites are refused",
        )),
        _ => None,
    }
}

/// `a=1&b=x+y%21` pairs, decoded; a key without `=` gets an empty value.
pub fn parse_urlencoded(input: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(input)
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// Everything but RFC 3986's unreserved characters.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes everything but RFC 3986 unreserved characters (so spaces become `%20`, as
/// Atlassian writes the parameters of its redirects).
pub fn percent_encode(input: &str) -> String {
    utf8_percent_encode(input, RESERVED).to_string()
}

/// The HTTP `Date` format (RFC 9110's IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(at: SystemTime) -> String {
    let format = time::format_description::parse_borrowed::<1>(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT",
    )
    .expect("a valid format description");
    time::OffsetDateTime::from(at)
        .format(&format)
        .expect("a date within the format's years")
}

#[cfg(test)]
mod tests {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn form_decoding_handles_plus_escapes_and_malformed_input() {
        let decode = |s: &str| parse_urlencoded(format!("v={s}").as_bytes())[0].1.clone();
        assert_eq!(
            decode("read%3Ajira-work+offline_access"),
            "read:jira-work offline_access"
        );
        assert_eq!(decode("a%20b%2Bc"), "a b+c");
        assert_eq!(decode("caf%C3%A9"), "café");
        assert_eq!(decode("100%"), "100%");
        assert_eq!(decode("%4"), "%4");
        assert_eq!(decode("%zz%41"), "%zzA");
        assert_eq!(decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn urlencoded_pairs_round_trip_through_percent_encode() {
        let pairs = parse_urlencoded(b"a=1&&b=&c&scope=read%3Ame+offline_access&e=x%3Dy");
        let expected: Vec<(String, String)> = [
            ("a", "1"),
            ("b", ""),
            ("c", ""),
            ("scope", "read:me offline_access"),
            ("e", "x=y"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(pairs, expected);
        let tricky = "http://127.0.0.1:8421/callback?x=1&y=a b+c/é~";
        let encoded = percent_encode(tricky);
        assert!(
            !encoded.contains([' ', '&', '=', '?', '+', ':', '/']),
            "{encoded}"
        );
        assert!(encoded.ends_with("a%20b%2Bc%2F%C3%A9~"), "{encoded}");
        assert_eq!(
            parse_urlencoded(format!("v={encoded}").as_bytes())[0].1,
            tricky
        );
    }

    #[test]
    fn http_date_formats_imf_fixdate() {
        let at = |secs| http_date(UNIX_EPOCH + Duration::from_secs(secs));
        assert_eq!(at(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(at(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(at(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(at(1_735_689_599), "Tue, 31 Dec 2024 23:59:59 GMT");
        assert_eq!(at(4_102_444_800), "Fri, 01 Jan 2100 00:00:00 GMT");
    }

    fn echo_server() -> HttpServer {
        HttpServer::start(Arc::new(|req: &Request| {
            Response::json(
                200,
                serde_json::json!({
                    "method": req.method,
                    "path": req.path,
                    "query": req.query,
                    "content_type": req.header("content-type"),
                    "form": req.form(),
                }),
            )
            .with_header("X-Echo", "1")
        }))
    }

    #[test]
    fn server_round_trips_a_form_post_over_loopback() {
        let server = echo_server();
        assert!(server.url().starts_with("http://127.0.0.1:"));
        assert!(!server.url().ends_with('/'));
        let client = reqwest::blocking::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let response = client
            .post(format!("{}/oauth/token?x=a+b", server.url()))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body("grant_type=authorization_code&code=c%2Fd&redirect_uri=http%3A%2F%2F127.0.0.1%3A8421%2Fcallback")
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["connection"], "close");
        assert_eq!(headers["x-echo"], "1");
        assert!(headers["date"].to_str().unwrap().ends_with(" GMT"));
        let body: serde_json::Value = serde_json::from_slice(&response.bytes().unwrap()).unwrap();
        assert_eq!(body["method"], "POST");
        assert_eq!(body["path"], "/oauth/token");
        assert_eq!(body["query"], serde_json::json!([["x", "a b"]]));
        assert_eq!(body["content_type"], "application/x-www-form-urlencoded");
        assert_eq!(
            body["form"],
            serde_json::json!([
                ["grant_type", "authorization_code"],
                ["code", "c/d"],
                ["redirect_uri", "http://127.0.0.1:8421/callback"]
            ])
        );
    }

    fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        // The server may answer (431) before it has read everything we send; ignore write errors.
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    #[test]
    fn server_refuses_oversized_heads_bodies_and_malformed_requests() {
        let server = echo_server();
        let mut huge = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', 2 * MAX_HEAD_BYTES));
        huge.extend_from_slice(b"\r\n\r\n");
        let answer = raw_exchange(server.addr(), &huge);
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        let answer = raw_exchange(server.addr(), b"BROKEN\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        let mut big = format!(
            "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n",
            MAX_BODY_BYTES + 1
        )
        .into_bytes();
        big.extend(std::iter::repeat_n(b'a', MAX_BODY_BYTES + 1));
        let answer = raw_exchange(server.addr(), &big);
        assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
        // A body arriving in a later packet than the head is still read in full.
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"POST /p HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 7\r\n\r\na=")
            .unwrap();
        thread::sleep(Duration::from_millis(50));
        stream.write_all(b"1&b=2").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
        assert!(
            answer.contains(r#""form":[["a","1"],["b","2"]]"#),
            "{answer}"
        );
    }

    #[test]
    fn a_request_naming_another_host_or_from_another_site_is_refused() {
        let server = echo_server();
        let ask = |headers: &str| {
            raw_exchange(
                server.addr(),
                format!("GET /x HTTP/1.1\r\n{headers}\r\n").as_bytes(),
            )
        };
        for host in ["127.0.0.1", "localhost:8080", "127.0.0.2:1", "[::1]:9"] {
            let answer = ask(&format!("Host: {host}\r\n"));
            assert!(answer.starts_with("HTTP/1.1 200 "), "{host}: {answer}");
        }
        for host in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1.evil.example",
            "",
        ] {
            let answer = ask(&format!("Host: {host}\r\n"));
            assert!(answer.starts_with("HTTP/1.1 421 "), "{host}: {answer}");
        }
        for origin in ["http://127.0.0.1:4000", "null"] {
            let answer = ask(&format!("Host: 127.0.0.1\r\nOrigin: {origin}\r\n"));
            assert!(answer.starts_with("HTTP/1.1 200 "), "{origin}: {answer}");
        }
        for origin in ["https://evil.example", "http://127.0.0.1.evil.example"] {
            let answer = ask(&format!("Host: 127.0.0.1\r\nOrigin: {origin}\r\n"));
            assert!(answer.starts_with("HTTP/1.1 403 "), "{origin}: {answer}");
        }
    }

    #[test]
    fn connections_beyond_the_bound_wait_for_one_to_end() {
        let server = echo_server();
        let idle: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(server.addr()).unwrap())
            .collect();
        let addr = server.addr();
        let waiting = thread::spawn(move || {
            raw_exchange(addr, b"GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        });
        // Not served while every slot is taken (a slow machine can only make this pass
        // without the bound, never fail with it)...
        thread::sleep(Duration::from_millis(300));
        assert!(
            !waiting.is_finished(),
            "served beyond {MAX_CONNECTIONS} connections"
        );
        // ...and served as soon as one ends.
        drop(idle);
        let answer = waiting.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    }

    #[test]
    fn a_held_back_answer_does_not_hold_up_the_others() {
        // Held far longer than any machine takes to serve the other request: what is
        // asserted is the order, never a duration.
        const HOLD: Duration = Duration::from_secs(5);
        let server = HttpServer::holding_back(Arc::new(|req: &Request| match req.path.as_str() {
            "/slow" => (Response::text(200, "slow"), HOLD),
            _ => (Response::text(200, "fast"), Duration::ZERO),
        }));
        let slow = {
            let url = format!("{}/slow", server.url());
            thread::spawn(move || {
                let started = std::time::Instant::now();
                let body = reqwest::blocking::get(url).unwrap().text().unwrap();
                (body, started.elapsed())
            })
        };
        thread::sleep(Duration::from_millis(100));
        let fast = reqwest::blocking::get(format!("{}/fast", server.url()))
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(fast, "fast");
        assert!(
            !slow.is_finished(),
            "the fast answer came after the held one"
        );
        let (body, took) = slow.join().unwrap();
        assert_eq!(body, "slow");
        assert!(took >= HOLD, "{took:?}");
    }

    #[test]
    fn dropped_server_stops_accepting() {
        let server = echo_server();
        let addr = server.addr();
        drop(server);
        assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
    }

    #[test]
    fn response_constructors_set_content_types() {
        let header = |r: &Response, name: &str| {
            r.headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        let html = Response::html(400, "<p>x</p>");
        assert_eq!(
            header(&html, "Content-Type").unwrap(),
            "text/html; charset=utf-8"
        );
        let text = Response::text(200, "ok");
        assert_eq!(
            header(&text, "Content-Type").unwrap(),
            "text/plain; charset=utf-8"
        );
        let redirect = Response::redirect("http://127.0.0.1:1/cb?code=x")
            .with_header("Content-Length", "99")
            .with_header("Connection", "keep-alive");
        assert_eq!(redirect.status, 302);
        assert!(redirect.body.is_empty());
        assert_eq!(
            header(&redirect, "Location").unwrap(),
            "http://127.0.0.1:1/cb?code=x"
        );
        let sent = redirect.into_hyper();
        assert_eq!(sent.headers()["location"], "http://127.0.0.1:1/cb?code=x");
        assert!(sent.headers().get("content-length").is_none());
        assert!(sent.headers().get("connection").is_none());
    }
}
