//! The loopback callback listener of a running `init`, attacked by raw TCP clients as any
//! local program (or a web page doing DNS rebinding) could: wrong hosts, methods, states and
//! sizes are refused while it keeps waiting for the real callback; a slow client is dropped
//! and a crowd of idle ones is capped, and the listener lives on; localhost means both
//! loopback addresses.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::emulator::{Client, Endpoint};
use crate::support::env::{CLIENT_ID, TICKED, TestEnv, free_port};
use crate::support::waiting::{Waiting, consent_redirect};

/// A running `init --no-browser --store file`, and the consent URL it printed.
fn start(mut cmd: Command) -> Waiting {
    cmd.args(["--no-browser", "--store", "file"]);
    Waiting::start(cmd, None)
}

/// Follows the consent URL at the emulator (approve) and returns the callback's path and
/// query, as the browser would request it: `/callback?code=…&state=…`.
fn callback_target(consent_url: &str) -> String {
    let url = url::Url::parse(&consent_redirect(consent_url)).unwrap();
    format!("{}?{}", url.path(), url.query().unwrap())
}

/// Sends `raw` on a new connection and returns everything the server sent before closing.
pub(crate) fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    // The server may answer (431) before it has read all of a large request.
    let _ = stream.write_all(raw);
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The callback target `real` (`/callback?code=…&state=…`) taken apart: its path, and its
/// query without the state.
pub(crate) fn without_state(real: &str) -> (&str, String) {
    let (path, query) = real.split_once('?').unwrap();
    let rest = query
        .split('&')
        .filter(|p| !p.starts_with("state="))
        .collect::<Vec<_>>()
        .join("&");
    (path, rest)
}

pub(crate) fn get(target: &str, host: Option<&str>) -> Vec<u8> {
    let host = host.map(|h| format!("Host: {h}\r\n")).unwrap_or_default();
    format!("GET {target} HTTP/1.1\r\n{host}User-Agent: probe\r\n\r\n").into_bytes()
}

/// Every page the listener sends: the status, a restrictive CSP, nothing loaded from
/// elsewhere, nothing the request carried reflected as markup.
#[track_caller]
pub(crate) fn assert_page(resp: &str, status: u16, what: &str) {
    assert!(
        resp.starts_with(&format!("HTTP/1.1 {status} ")),
        "{what}: expected {status}, got:\n{resp}"
    );
    let (head, body) = resp.split_once("\r\n\r\n").unwrap_or((resp, ""));
    assert!(
        head.contains("\r\nContent-Security-Policy: default-src 'none';"),
        "{what}: no restrictive CSP:\n{head}"
    );
    assert!(
        head.contains("\r\nX-Content-Type-Options: nosniff"),
        "{what}"
    );
    for external in ["src=", "href=", "http://", "https://", "url(", "@import"] {
        assert!(!body.contains(external), "{what}: {external} in\n{body}");
    }
    assert!(
        !body.contains("<script"),
        "{what}: markup reflected:\n{body}"
    );
}

#[test]
fn the_listener_refuses_hostile_requests_and_keeps_waiting_for_the_real_callback() {
    let env = TestEnv::new();
    let waiting = start(env.init());
    let addr: SocketAddr = ([127, 0, 0, 1], env.port).into();
    let real = callback_target(&waiting.url);
    let host = format!("127.0.0.1:{}", env.port);

    // A crowd of idle connections is capped: the 17th client waits in the kernel's queue
    // and is served once the crowd leaves.
    let crowd: Vec<TcpStream> = (0..16).map(|_| TcpStream::connect(addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut late = TcpStream::connect(addr).unwrap();
    late.write_all(&get("/callback?state=wrong&code=x", Some(&host)))
        .unwrap();
    late.set_read_timeout(Some(Duration::from_millis(1500)))
        .unwrap();
    let mut byte = [0u8; 1];
    match late.read(&mut byte) {
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) => {}
        other => panic!("the 17th connection was served beside 16 idle ones: {other:?}"),
    }
    drop(crowd);
    late.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut resp = Vec::new();
    late.read_to_end(&mut resp).unwrap();
    assert_page(
        &String::from_utf8_lossy(&resp),
        400,
        "the 17th, once the crowd left",
    );

    // A slowloris client: one byte every 200 ms, never the end of the head. It must be
    // dropped (nothing answered), while everyone else is served meanwhile.
    let slow = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let started = Instant::now();
        let mut answer = Vec::new();
        for byte in b"GET /callback?"
            .iter()
            .chain(b"a".repeat(1000).iter())
            .cycle()
        {
            if started.elapsed() > Duration::from_secs(30) {
                break;
            }
            if stream.write_all(&[*byte]).is_err() {
                break;
            }
            let mut buf = [0u8; 512];
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(_) => break,
            }
        }
        (started.elapsed(), answer)
    });

    // DNS rebinding: a page on another name that resolves to 127.0.0.1 makes the browser
    // send that name. Even with the real code and state, a wrong Host is refused.
    let other_port = format!("127.0.0.1:{}", free_port());
    let ipv6 = format!("[::1]:{}", env.port);
    let localhost = format!("localhost:{}", env.port);
    let evil_port = format!("127.0.0.1.evil.com:{}", env.port);
    for bad_host in [
        Some("127.0.0.1.evil.com"),
        Some(evil_port.as_str()),
        Some("evil.example"),
        Some(localhost.as_str()),
        Some(other_port.as_str()),
        Some(ipv6.as_str()),
        Some("127.0.0.1"),
        Some(""),
        None,
    ] {
        let resp = exchange(addr, &get(&real, bad_host));
        assert_page(&resp, 400, &format!("Host {bad_host:?}"));
    }
    let two_hosts = format!("GET {real} HTTP/1.1\r\nHost: {host}\r\nHost: evil.example\r\n\r\n");
    assert_page(
        &exchange(addr, two_hosts.as_bytes()),
        400,
        "two Host headers",
    );
    let absolute = format!("GET http://{host}{real} HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assert_page(
        &exchange(addr, absolute.as_bytes()),
        400,
        "absolute-form target",
    );

    // Only GET on the callback path.
    for method in ["POST", "PUT", "HEAD", "OPTIONS", "get"] {
        let raw = format!("{method} {real} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\n\r\n");
        let resp = exchange(addr, raw.as_bytes());
        assert_page(&resp, 405, method);
        assert!(resp.contains("\r\nAllow: GET\r\n"), "{method}: {resp}");
    }

    // Headers over 8 KiB.
    let big = format!(
        "GET {real} HTTP/1.1\r\nHost: {host}\r\nX-Pad: {}\r\n\r\n",
        "a".repeat(9 * 1024)
    );
    assert_page(&exchange(addr, big.as_bytes()), 431, "a 9 KiB header");

    // Wrong, missing, empty or repeated state, with the real code.
    let (path, code_only) = without_state(&real);
    for (target, what) in [
        (format!("{path}?{code_only}&state=wrong"), "wrong state"),
        (format!("{path}?{code_only}"), "no state"),
        (format!("{path}?{code_only}&state="), "empty state"),
        (format!("{real}&state=other"), "state twice"),
    ] {
        let resp = exchange(addr, &get(&target, Some(&host)));
        assert_page(&resp, 400, what);
        assert!(
            resp.contains("does not belong") || resp.contains("repeated"),
            "{what}: {resp}"
        );
    }

    // Markup in the path or in an error description is never reflected.
    let script = "%3Cscript%3Ealert(1)%3C%2Fscript%3E";
    let resp = exchange(addr, &get("/<script>alert(1)</script>", Some(&host)));
    assert_page(&resp, 404, "markup in the path");
    let denied = format!("{path}?error=access_denied&error_description={script}&state=wrong");
    let resp = exchange(addr, &get(&denied, Some(&host)));
    assert_page(&resp, 400, "markup in error_description");
    assert!(!resp.contains("alert(1)"), "{resp}");
    // Garbage instead of HTTP.
    assert_page(
        &exchange(addr, b"\x16\x03\x01\x00\xa5\x01\r\n\r\n"),
        400,
        "a TLS hello",
    );

    // The slow client was dropped after the read timeout (10 s), unanswered, and the
    // listener still serves.
    let (took, answer) = slow.join().unwrap();
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert!(
        took >= Duration::from_secs(8) && took < Duration::from_secs(20),
        "the slow client was dropped after {took:?}"
    );
    let resp = exchange(addr, &get("/favicon.ico", Some(&host)));
    assert_page(&resp, 404, "after the slow client");

    // Nothing so far reached the token endpoint; the real callback still works.
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
    let resp = exchange(addr, &get(&real, Some(&host)));
    assert_page(&resp, 200, "the real callback");
    assert!(resp.contains("Signed in"), "{resp}");
    let out = waiting.finish();
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    env.assert_no_leaks(&out);
}

/// `init` with `--redirect-uri http://localhost:PORT/callback`, registered so in the emulator.
fn localhost_init(env: &TestEnv) -> Command {
    let redirect = format!("http://localhost:{}/callback", env.port);
    env.emu.register_client(Client::new(
        CLIENT_ID,
        env.secret.as_str(),
        &redirect,
        TICKED,
    ));
    // As env.init(), with --redirect-uri instead of --port (the two exclude each other).
    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--no-input",
        "--client-id",
        CLIENT_ID,
        "--preset",
        "read-only",
    ])
    .args(["--redirect-uri", &redirect])
    .env("JIRA_AUTH_TIMEOUT", "20")
    .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    cmd
}

#[test]
fn localhost_listens_on_both_loopback_addresses() {
    let env = TestEnv::new();
    let waiting = start(localhost_init(&env));
    let host = format!("localhost:{}", env.port);
    let v4: SocketAddr = ([127, 0, 0, 1], env.port).into();
    let v6: SocketAddr = (std::net::Ipv6Addr::LOCALHOST, env.port).into();
    let real = callback_target(&waiting.url);
    // Both answer; over either, only the localhost Host the browser sends is accepted.
    for addr in [v4, v6] {
        let resp = exchange(addr, &get("/callback?code=x&state=wrong", Some(&host)));
        assert_page(&resp, 400, &format!("{addr}"));
        assert!(resp.contains("does not belong"), "{addr}: {resp}");
        let wrong_host = format!("127.0.0.1:{}", env.port);
        assert_page(
            &exchange(addr, &get(&real, Some(&wrong_host))),
            400,
            "Host 127.0.0.1",
        );
    }
    // A browser that resolved localhost to ::1 completes the flow.
    let resp = exchange(v6, &get(&real, Some(&host)));
    assert_page(&resp, 200, "the real callback over ::1");
    let out = waiting.finish();
    out.assert_code(0);
    env.assert_no_leaks(&out);
}

#[test]
fn localhost_with_one_loopback_address_taken_fails_fast() {
    for taken in [
        SocketAddr::from(([127, 0, 0, 1], 0)),
        SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 0)),
    ] {
        let env = TestEnv::new();
        // Another program holds the port on one of localhost's addresses: a browser that
        // resolves localhost that way would hand it the code, so init must not start.
        let holder = std::net::TcpListener::bind(SocketAddr::new(taken.ip(), env.port)).unwrap();
        let mut cmd = localhost_init(&env);
        cmd.args(["--store", "file", "--no-browser", "--timeout", "5"]);
        let started = Instant::now();
        let out = crate::support::env::run(cmd);
        let took = started.elapsed();
        out.assert_code(2);
        assert!(
            out.stderr
                .contains(&format!("port {} is already in use", env.port)),
            "{taken}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("--port"), "{}", out.stderr);
        assert!(took < Duration::from_secs(3), "{taken}: took {took:?}");
        assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
        drop(holder);
    }
}

#[test]
fn a_denial_carrying_escape_sequences_cannot_drive_the_terminal() {
    let env = TestEnv::new();
    let waiting = start(env.init());
    let addr: SocketAddr = ([127, 0, 0, 1], env.port).into();
    let real = callback_target(&waiting.url);
    let state = real
        .split(['?', '&'])
        .find_map(|p| p.strip_prefix("state="))
        .unwrap()
        .to_string();
    // Retitle the terminal, clear the screen, fake a line of output.
    let hostile = "%1B%5D0%3Bpwned%07%1B%5B2J%0D%0Aok%3A+profile+saved";
    let target = format!("/callback?error=access_denied&error_description={hostile}&state={state}");
    let resp = exchange(
        addr,
        &get(&target, Some(&format!("127.0.0.1:{}", env.port))),
    );
    assert_page(&resp, 200, "a denial with the real state");
    let out = waiting.finish();
    out.assert_code(3);
    assert!(
        out.stderr.contains("consent was declined"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(|c: char| c.is_control() && c != '\n'),
        "{:?}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("\nok: profile saved"),
        "{}",
        out.stderr
    );
}
