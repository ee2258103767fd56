//! Servers that misbehave on purpose, for the network-failure tests: a scripted stand-in for
//! auth.atlassian.com and api.atlassian.com whose token and API answers a test chooses (including
//! never answering and resetting the connection after the request arrived), and a listener whose
//! connections never complete. Raw sockets, since no HTTP server would misbehave this way
//! (read a head and reset, stall after a request); the heads are parsed by httparse, the
//! responses are the emulator's.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::env::random_hex;
use super::http::{Request, Response, parse_urlencoded, percent_encode};

/// What the scripted server does with one request.
pub enum Action {
    Respond(Response),
    /// Reads the request, then says nothing until the client gives up (or the server stops).
    Silent,
    /// Reads the request head, then closes with the body unread, which makes the kernel send
    /// a TCP reset: the request arrived, the answer never comes.
    Reset,
}

type Script = Arc<dyn Fn(&Request) -> Action + Send + Sync>;

/// One loopback server standing in for both Atlassian hosts. `/authorize` approves at once
/// (302 to the redirect URI with a code and the state); every other request is counted by
/// path and answered by the script.
pub struct Scripted {
    addr: SocketAddr,
    hits: Arc<Mutex<HashMap<String, usize>>>,
    stopping: Arc<AtomicBool>,
    /// The authorization code `/authorize` hands out: a secret the tests look for in output.
    pub code: String,
}

impl Scripted {
    pub fn start(script: impl Fn(&Request) -> Action + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let code = format!("code-scripted-{}", random_hex(12));
        let script: Script = Arc::new(script);
        {
            let (hits, stopping, code) = (hits.clone(), stopping.clone(), code.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stopping.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (hits, stopping, code, script) =
                        (hits.clone(), stopping.clone(), code.clone(), script.clone());
                    thread::spawn(move || serve(stream, &script, &hits, &stopping, &code));
                }
            });
        }
        Scripted {
            addr,
            hits,
            stopping,
            code,
        }
    }

    /// `http://127.0.0.1:PORT`, for JIRA_AUTH_AUTH_URL and JIRA_AUTH_API_URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests that reached the script for this path (`/authorize` is not counted).
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

fn serve(
    mut stream: TcpStream,
    script: &Script,
    hits: &Mutex<HashMap<String, usize>>,
    stopping: &AtomicBool,
    code: &str,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    // Byte by byte up to the blank line, so that a body stays unread for `Action::Reset`.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
        if head.len() > 64 * 1024 {
            return;
        }
    }
    let Some(mut request) = parse_head(&head) else {
        let _ = stream.write_all(&to_bytes(&Response::text(400, "bad request")));
        return;
    };
    if request.path == "/authorize" {
        let redirect = request.query_param("redirect_uri").unwrap_or_default();
        let state = percent_encode(request.query_param("state").unwrap_or_default());
        let location = format!("{redirect}?code={code}&state={state}");
        let _ = stream.write_all(&to_bytes(&Response::redirect(&location)));
        return;
    }
    *hits
        .lock()
        .unwrap()
        .entry(request.path.clone())
        .or_default() += 1;
    let action = {
        // The script sees the body for Respond/Silent; Reset must leave it unread.
        let peek = Request {
            body: Vec::new(),
            ..request.clone()
        };
        script(&peek)
    };
    match action {
        Action::Reset => drop(stream),
        Action::Silent => {
            let until = Instant::now() + Duration::from_secs(60);
            while !stopping.load(Ordering::SeqCst) && Instant::now() < until {
                thread::sleep(Duration::from_millis(20));
            }
        }
        Action::Respond(response) => {
            let length: usize = request
                .header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let mut body = vec![0u8; length.min(1024 * 1024)];
            if stream.read_exact(&mut body).is_err() {
                return;
            }
            request.body = body;
            let _ = stream.write_all(&to_bytes(&response));
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
    }
}

/// A whole request head (up to its blank line), as the emulator's handlers see it.
fn parse_head(head: &[u8]) -> Option<Request> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    if !parsed.parse(head).ok()?.is_complete() {
        return None;
    }
    let (path, query) = parsed.path?.split_once('?').unwrap_or((parsed.path?, ""));
    Some(Request {
        method: parsed.method?.to_string(),
        path: path.to_string(),
        query: parse_urlencoded(query.as_bytes()),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                let value = String::from_utf8_lossy(h.value).trim().to_string();
                (h.name.to_ascii_lowercase(), value)
            })
            .collect(),
        body: Vec::new(),
    })
}

fn to_bytes(r: &Response) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {} Scripted\r\n", r.status);
    for (name, value) in &r.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        r.body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&r.body);
    bytes
}

/// A successful token response, as Atlassian sends it.
pub fn token_ok(access: &str, refresh: &str) -> Action {
    Action::Respond(Response::json(
        200,
        json!({
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": 3600,
            "scope": "read:jira-work read:jira-user read:me offline_access",
            "token_type": "Bearer",
        }),
    ))
}

/// An OAuth error response from the token endpoint.
pub fn token_error(status: u16, error: &str, description: &str) -> Action {
    Action::Respond(Response::json(
        status,
        json!({"error": error, "error_description": description}),
    ))
}

/// One site, as accessible-resources lists it.
pub fn one_site() -> Action {
    Action::Respond(Response::json(
        200,
        Value::Array(vec![json!({
            "id": super::env::SITE_ID,
            "name": "acme",
            "url": "https://acme.atlassian.net",
            "scopes": ["read:jira-work"],
        })]),
    ))
}

/// A loopback port whose connections never complete: the listen backlog is zero and is
/// filled by connections this value holds, so the kernel drops every later SYN and the
/// client's connect hangs until its own timeout.
pub struct NoConnect {
    _listener: socket2::Socket,
    _fillers: Vec<socket2::Socket>,
    pub port: u16,
}

impl NoConnect {
    pub fn start() -> NoConnect {
        use socket2::{Domain, Socket, Type};
        let listener = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        listener
            .bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())
            .unwrap();
        listener.listen(0).unwrap();
        let addr = listener.local_addr().unwrap().as_socket().unwrap();
        // Connect without blocking until one attempt no longer completes at once: the queue
        // is then full.
        let mut fillers = Vec::new();
        for _ in 0..8 {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            s.set_nonblocking(true).unwrap();
            let _ = s.connect(&addr.into());
            fillers.push(s);
        }
        thread::sleep(Duration::from_millis(100));
        NoConnect {
            _listener: listener,
            _fillers: fillers,
            port: addr.port(),
        }
    }
}

/// A plain-HTTP server that answers whatever arrives (a TLS ClientHello included) with a 400,
/// as web servers do: pointed at with https://, it makes the TLS handshake fail at once.
pub struct PlainHttp {
    pub port: u16,
}

impl PlainHttp {
    pub fn start() -> PlainHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            // Ends with the test process; each connection is answered and closed at once.
            for mut stream in listener.incoming().flatten() {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 4096];
                let _ = stream.read(&mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        });
        PlainHttp { port }
    }
}

/// A proxy in front of the emulator's auth server that passes every request on and throws
/// the answer away (it hangs up instead): a refresh that Atlassian carried out, rotating the
/// refresh token, whose response never reached us.
pub struct LosingProxy {
    pub port: u16,
    forwarded: Arc<std::sync::atomic::AtomicUsize>,
}

impl LosingProxy {
    /// `upstream` is a base URL like `http://127.0.0.1:PORT`.
    pub fn start(upstream: &str) -> LosingProxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("an http://IP:PORT upstream");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let forwarded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = forwarded.clone();
        thread::spawn(move || {
            // Ends with the test process.
            for mut client in listener.incoming().flatten() {
                let _ = client.set_read_timeout(Some(Duration::from_secs(10)));
                let Some(request) = read_whole_request(&mut client) else {
                    continue;
                };
                let Ok(mut server) = TcpStream::connect(upstream) else {
                    continue;
                };
                let _ = server.set_read_timeout(Some(Duration::from_secs(10)));
                if server.write_all(&request).is_err() {
                    continue;
                }
                // The emulator closes after its answer: read it all, then drop it.
                let mut answer = Vec::new();
                let _ = server.read_to_end(&mut answer);
                count.fetch_add(1, Ordering::SeqCst);
                drop(client);
            }
        });
        LosingProxy { port, forwarded }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests passed on to the emulator (and answered there).
    pub fn forwarded(&self) -> usize {
        self.forwarded.load(Ordering::SeqCst)
    }
}

/// The head and the Content-Length body of one request, as raw bytes.
fn read_whole_request(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = parse_head(&buf[..head_end])?;
    let length: usize = head
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    Some(buf)
}
