//! Minimal blocking HTTP/1.1 server plumbing (one thread per connection, `Connection: close`)
//! and URL-encoding helpers for the emulator, and for the servers tests build beside it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Largest request head (request line + headers) we accept; anything bigger is answered 431.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest request body we accept; the emulators only ever receive small forms and JSON.
pub(super) const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A client that stalls this long is dropped, so a misbehaving CLI cannot pin a thread forever.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server calls for every parsed request.
pub type Handler = Arc<dyn Fn(&Request) -> Response + Send + Sync>;

/// One parsed HTTP request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target up to (not including) `?`, not percent-decoded.
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
        parse_urlencoded(&String::from_utf8_lossy(&self.body))
    }
}

/// A response to send; `Content-Length`, `Connection: close` and (unless set) `Date` are added
/// when written.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(status: u16, value: serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: value.to_string().into_bytes(),
        }
    }

    pub fn html(status: u16, html: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: html.as_bytes().to_vec(),
        }
    }

    pub fn text(status: u16, text: &str) -> Response {
        Response {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: text.as_bytes().to_vec(),
        }
    }

    /// A 302 with an empty body, as an authorization server sends it.
    pub fn redirect(location: &str) -> Response {
        Response {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: Vec::new(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The serialized response; framing headers are ours so the handler cannot get them wrong.
    fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        let framing = ["content-length", "connection"];
        for (name, value) in &self.headers {
            if !framing.contains(&name.to_ascii_lowercase().as_str()) {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
        }
        // A handler may set its own Date (a server with a wrong clock); else the true time.
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("date"))
        {
            head.push_str(&format!("Date: {}\r\n", http_date(SystemTime::now())));
        }
        head.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        head.push_str("Connection: close\r\n\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&self.body);
        bytes
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// A running server on 127.0.0.1 with an OS-chosen port; it stops accepting when dropped.
pub struct HttpServer {
    addr: SocketAddr,
    stopping: Arc<AtomicBool>,
    accept_thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    pub fn start(handler: Handler) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener
            .local_addr()
            .expect("local_addr of a bound listener");
        let stopping = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stopping);
        let accept_thread = thread::Builder::new()
            .name(format!("http-accept-{}", addr.port()))
            .spawn(move || accept_loop(listener, handler, flag))
            .expect("spawn accept thread");
        HttpServer {
            addr,
            stopping,
            accept_thread: Some(accept_thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // accept() has no timeout: a connection of our own is what wakes it up to see the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.accept_thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_loop(listener: TcpListener, handler: Handler, stopping: Arc<AtomicBool>) {
    for stream in listener.incoming() {
        if stopping.load(Ordering::SeqCst) {
            break;
        }
        match stream {
            Ok(stream) => {
                let handler = Arc::clone(&handler);
                let _ = thread::Builder::new()
                    .name("http-conn".into())
                    .spawn(move || serve_connection(stream, &handler));
            }
            // Transient (e.g. EMFILE under a parallel test run): back off instead of spinning.
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
    // The listener is dropped here, so later connection attempts are refused.
}

fn serve_connection(mut stream: TcpStream, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let response = match read_request(&mut stream) {
        Ok(Some(request)) => handler(&request),
        Ok(None) => return, // closed or timed out before a full request: nobody to answer
        Err(response) => response,
    };
    let _ = stream.write_all(&response.to_bytes());
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
}

/// Reads one request. `Ok(None)` when the peer went away; `Err` carries the error response.
fn read_request(stream: &mut TcpStream) -> Result<Option<Request>, Response> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = find_head_end(&buf) {
            break pos;
        }
        if buf.len() > MAX_HEAD_BYTES {
            return Err(Response::text(431, "request head too large"));
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    if head_end > MAX_HEAD_BYTES {
        return Err(Response::text(431, "request head too large"));
    }
    let mut request =
        parse_head(&buf[..head_end]).map_err(|message| Response::text(400, &message))?;
    if request
        .header("transfer-encoding")
        .is_some_and(|te| !te.eq_ignore_ascii_case("identity"))
    {
        return Err(Response::text(
            501,
            "chunked request bodies are not supported",
        ));
    }
    let length = match request.header("content-length") {
        None => 0,
        Some(value) => value
            .parse::<usize>()
            .map_err(|_| Response::text(400, "bad Content-Length"))?,
    };
    if length > MAX_BODY_BYTES {
        return Err(Response::text(413, "request body too large"));
    }
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return Ok(None),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
        }
    }
    // No pipelining: anything past Content-Length is ignored.
    body.truncate(length);
    request.body = body;
    Ok(Some(request))
}

pub(super) fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// Parses the request line and headers (without the final blank line); the body is left empty.
pub fn parse_head(head: &[u8]) -> Result<Request, String> {
    let head = std::str::from_utf8(head).map_err(|_| "request head is not UTF-8".to_string())?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("malformed request line {request_line:?}"));
    };
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") {
        return Err(format!("malformed request line {request_line:?}"));
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, parse_urlencoded(query)),
        None => (target, Vec::new()),
    };
    let mut headers = Vec::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("malformed header line {line:?}"));
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("malformed header name {name:?}"));
        }
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Request {
        method: method.to_string(),
        path: path.to_string(),
        query,
        headers,
        body: Vec::new(),
    })
}

/// Parses `a=1&b=x+y%21` pairs; a key without `=` gets an empty value.
pub fn parse_urlencoded(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(name), form_decode(value))
        })
        .collect()
}

/// Percent-decoding with `+` as space (form and query convention). Malformed escapes are kept
/// literally rather than rejected, as lenient servers do; invalid UTF-8 becomes U+FFFD.
pub fn form_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(hi), Some(lo)) => {
                        out.push(hi << 4 | lo);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters (so spaces become `%20`).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for byte in input.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// RFC 1123 date as used in the HTTP `Date` header, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(time: SystemTime) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut days = secs / 86_400;
    let secs_of_day = secs % 86_400;
    // 1970-01-01 was a Thursday, hence the table starting at "Thu".
    let weekday = WEEKDAYS[(days % 7) as usize];
    // Walking years then months is slower than a closed formula but obviously right.
    let mut year = 1970u64;
    loop {
        let year_days = if is_leap(year) { 366 } else { 365 };
        if days < year_days {
            break;
        }
        days -= year_days;
        year += 1;
    }
    let mut month = 0;
    loop {
        let month_days = match month {
            1 if is_leap(year) => 29,
            1 => 28,
            3 | 5 | 8 | 10 => 30,
            _ => 31,
        };
        if days < month_days {
            break;
        }
        days -= month_days;
        month += 1;
    }
    format!(
        "{weekday}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
        days + 1,
        MONTHS[month],
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

fn is_leap(year: u64) -> bool {
    (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn form_decode_handles_plus_escapes_and_malformed_input() {
        assert_eq!(
            form_decode("read%3Ajira-work+offline_access"),
            "read:jira-work offline_access"
        );
        assert_eq!(form_decode("a%20b%2Bc"), "a b+c");
        assert_eq!(form_decode("caf%C3%A9"), "café");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%4"), "%4");
        assert_eq!(form_decode("%zz%41"), "%zzA");
        assert_eq!(form_decode("%ff"), "\u{fffd}");
    }

    #[test]
    fn urlencoded_pairs_round_trip_through_percent_encode() {
        let pairs = parse_urlencoded("a=1&&b=&c&scope=read%3Ame+offline_access&e=x%3Dy");
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
        assert_eq!(form_decode(&encoded), tricky);
    }

    #[test]
    fn parse_head_splits_target_and_lowercases_header_names() {
        let head = b"GET /authorize?client_id=abc&scope=read%3Ame+offline_access HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Thing:  spaced value \r\nAuthorization: Bearer t0k";
        let request = parse_head(head).expect("valid head");
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/authorize");
        assert_eq!(request.query_param("client_id"), Some("abc"));
        assert_eq!(request.query_param("scope"), Some("read:me offline_access"));
        assert_eq!(request.query_param("missing"), None);
        assert_eq!(request.header("x-thing"), Some("spaced value"));
        assert_eq!(request.header("AUTHORIZATION"), Some("Bearer t0k"));
        assert_eq!(request.headers[0].0, "host");
    }

    #[test]
    fn parse_head_rejects_garbage() {
        for head in [
            &b"GET /x"[..],
            b"GET /x HTTP/1.1 extra",
            b"GET x HTTP/1.1",
            b"GET /x SPDY/3",
            b"GET /x HTTP/1.1\r\nno colon here",
            b"GET /x HTTP/1.1\r\nbad name: v",
            b"GET /\xff HTTP/1.1",
        ] {
            assert!(
                parse_head(head).is_err(),
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn http_date_formats_rfc_1123() {
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
    fn server_rejects_oversized_heads_and_malformed_requests() {
        let server = echo_server();
        let mut huge = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES + 10));
        huge.extend_from_slice(b"\r\n\r\n");
        assert!(raw_exchange(server.addr(), &huge).starts_with("HTTP/1.1 431 "));
        let answer = raw_exchange(server.addr(), b"BROKEN\r\n\r\n");
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        let answer = raw_exchange(
            server.addr(),
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        );
        assert!(answer.starts_with("HTTP/1.1 501 "), "{answer}");
        // A body arriving in a later packet than the head is still read in full.
        let mut stream = TcpStream::connect(server.addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(b"POST /p HTTP/1.1\r\nContent-Length: 7\r\n\r\na=")
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
        let redirect = Response::redirect("http://127.0.0.1:1/cb?code=x");
        assert_eq!(redirect.status, 302);
        assert_eq!(
            header(&redirect, "Location").unwrap(),
            "http://127.0.0.1:1/cb?code=x"
        );
        let bytes = String::from_utf8(redirect.to_bytes()).unwrap();
        assert!(bytes.starts_with("HTTP/1.1 302 Found\r\n"), "{bytes}");
        assert!(
            bytes.ends_with("Content-Length: 0\r\nConnection: close\r\n\r\n"),
            "{bytes}"
        );
    }
}
