//! `jira-auth proxy`: the profile's Jira REST API on loopback, each request sent with the
//! profile's current credential; and each point of its security model, attacked with raw
//! requests (no key, wrong key, a foreign Host or Origin, CONNECT, absolute targets, path
//! escapes, oversized heads, 300 connections, slowloris, an upstream that is down or silent).
//! Real processes, the emulator as Atlassian.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::broken::{Action, Scripted};
use crate::support::emulator::Endpoint;
use crate::support::env::{SITE_ID, TestEnv, free_port, random_hex, run, walk};
use crate::support::http::Response;
use crate::support::proxy::{Proxy, client, raw, status};
use crate::support::spawned::Spawned;

/// A profile in the file store: no keychain needed, and the test can read its token.
fn env() -> TestEnv {
    TestEnv::builder().profile_in_file_store().build()
}

fn proxy_cmd(env: &TestEnv, args: &[&str]) -> Command {
    let mut cmd = env.cmd();
    cmd.arg("proxy").args(args);
    cmd
}

/// `proxy` of a profile whose Atlassian API is now at `api` (a broken or scripted server):
/// recorded as the profile's own, or its secrets would go nowhere.
fn proxy_moved_to(env: &TestEnv, api: &str, args: &[&str]) -> Command {
    env.record_servers(&env.profile, &env.emu.auth_url(), api);
    let mut cmd = proxy_cmd(env, args);
    cmd.env("JIRA_AUTH_API_URL", api);
    cmd
}

fn start(env: &TestEnv, args: &[&str]) -> Proxy {
    Proxy::start(proxy_cmd(env, args), env.dir.path())
}

fn access_token(env: &TestEnv) -> String {
    env.stored()["credential"]["access_token"]
        .as_str()
        .expect("a stored access token")
        .to_string()
}

fn error_code(body: &str) -> String {
    let doc: Value = serde_json::from_str(body.split("\r\n\r\n").last().unwrap_or(body))
        .unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert!(doc["errorMessages"][0].is_string(), "{doc}");
    doc["jira_auth"]["code"].as_str().unwrap().to_string()
}

#[test]
fn requests_reach_the_profiles_jira_with_its_credential_under_either_path_shape() {
    let env = env();
    let proxy = start(&env, &[]);
    let (code, body) = proxy.get("/rest/api/3/myself");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("accountId"), "{body}");
    // The gateway's own shape, as `self` links carry it.
    let (code, body) = proxy.get(&format!("/ex/jira/{SITE_ID}/rest/api/3/myself"));
    assert_eq!(code, 200, "{body}");
    assert_eq!(env.emu.hits(Endpoint::Myself), 2);
    // Sourceable lines: the key under every name the clients read, one value quoted.
    for name in [
        "JIRA_URL=http://127.0.0.1:",
        "JIRA_API_BASE_URL=http://127.0.0.1:",
        &format!("JIRA_PERSONAL_TOKEN={}", proxy.key),
        &format!("JIRA_ACCESS_TOKEN={}", proxy.key),
        "JIRA_AUTH_TYPE=bearer",
        &format!("JIRA_AUTH_HEADER='Bearer {}'", proxy.key),
    ] {
        assert!(proxy.lines.contains(name), "{name} in:\n{}", proxy.lines);
    }
    // 256 bits, base64url.
    assert_eq!(proxy.key.len(), 43);
}

#[test]
fn without_the_key_nothing_is_forwarded() {
    let env = env();
    let proxy = start(&env, &[]);
    let resp = client()
        .get(format!("{}/rest/api/3/myself", proxy.url))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(
        resp.headers()["www-authenticate"],
        "Bearer realm=\"jira-auth proxy\""
    );
    assert_eq!(error_code(&resp.text().unwrap()), "proxy_key_missing");
    let wrong = format!("{}A", &proxy.key[..42]);
    let resp = client()
        .get(format!("{}/rest/api/3/myself", proxy.url))
        .bearer_auth(&wrong)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(error_code(&resp.text().unwrap()), "proxy_key_wrong");
    assert_eq!(env.emu.hits(Endpoint::Myself), 0, "nothing went upstream");
    // Clients that speak only Basic send the key as the password.
    let resp = client()
        .get(format!("{}/rest/api/3/myself", proxy.url))
        .basic_auth("anyone@example.com", Some(&proxy.key))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(env.emu.hits(Endpoint::Myself), 1);
}

#[test]
fn a_foreign_host_or_origin_is_refused() {
    let env = env();
    let proxy = start(&env, &[]);
    let auth = format!("Authorization: Bearer {}", proxy.key);
    let port = proxy.addr().rsplit(':').next().unwrap().to_string();
    let get = |extra: &[&str]| {
        let mut head = vec!["GET /rest/api/3/myself HTTP/1.1", auth.as_str()];
        head.extend_from_slice(extra);
        raw(&proxy.addr(), &head)
    };
    // DNS rebinding: a page's own name resolved to 127.0.0.1.
    let answer = get(&[&format!("Host: evil.example:{port}")]);
    assert_eq!(status(&answer), 421, "{answer}");
    assert_eq!(error_code(&answer), "proxy_host_refused");
    let answer = get(&["Host: 127.0.0.1:1"]);
    assert_eq!(status(&answer), 421, "{answer}");
    let own = format!("Host: 127.0.0.1:{port}");
    let answer = get(&[&own, "Origin: https://evil.example"]);
    assert_eq!(status(&answer), 403, "{answer}");
    assert_eq!(error_code(&answer), "proxy_origin_refused");
    assert_eq!(env.emu.hits(Endpoint::Myself), 0, "nothing went upstream");
    let answer = get(&[
        &format!("Host: localhost:{port}"),
        &format!("Origin: http://localhost:{port}"),
    ]);
    assert_eq!(status(&answer), 200, "{answer}");
}

#[test]
fn it_is_no_relay_connect_absolute_targets_and_path_escapes_are_refused() {
    let env = env();
    let proxy = start(&env, &[]);
    let auth = format!("Authorization: Bearer {}", proxy.key);
    let host = format!("Host: {}", proxy.addr());
    let ask = |line: &str| raw(&proxy.addr(), &[line, &host, &auth]);
    let answer = ask("CONNECT evil.example:443 HTTP/1.1");
    assert_eq!(status(&answer), 405, "{answer}");
    assert_eq!(error_code(&answer), "proxy_method_refused");
    let answer = ask("GET http://evil.example/rest/api/3/myself HTTP/1.1");
    assert_eq!(status(&answer), 400, "{answer}");
    assert_eq!(error_code(&answer), "proxy_absolute_target_refused");
    for path in [
        "/../../other/rest/api/3/myself",
        &format!("/ex/jira/{SITE_ID}/../other/rest/api/3/myself"),
        "/rest/%2e%2e/%2E%2E/%2e%2e/me",
        "/rest/.%2E/x",
        "//evil.example/rest/api/3/myself",
        "/rest/api/3/%2f%2fevil.example",
        "/rest\\..\\..\\me",
        "/rest/%5c..%5c..%5cme",
    ] {
        let answer = ask(&format!("GET {path} HTTP/1.1"));
        assert_eq!(status(&answer), 400, "{path}: {answer}");
        assert_eq!(error_code(&answer), "proxy_path_refused", "{path}");
        assert_eq!(env.emu.hits(Endpoint::Myself), 0, "{path} went upstream");
    }
    assert_eq!(env.emu.hits(Endpoint::Myself), 0);
}

#[test]
fn oversized_heads_are_refused_and_the_proxy_serves_on() {
    let env = env();
    let proxy = start(&env, &[]);
    let big = format!("X-Big: {}", "a".repeat(100 * 1024));
    let host = format!("Host: {}", proxy.addr());
    let answer = raw(
        &proxy.addr(),
        &["GET /rest/api/3/myself HTTP/1.1", &host, &big],
    );
    assert_eq!(status(&answer), 431, "{}", &answer[..answer.len().min(200)]);
    assert_eq!(proxy.get("/rest/api/3/myself").0, 200);
}

#[test]
fn three_hundred_open_connections_do_not_stop_it() {
    let env = env();
    let proxy = start(&env, &[]);
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(proxy.addr()).expect("connect"))
        .collect();
    let (code, body) = proxy.get("/rest/api/3/myself");
    assert_eq!(code, 200, "{body}");
    drop(idle);
}

#[test]
fn a_client_that_never_finishes_its_head_is_dropped_and_others_are_served() {
    let env = env();
    let proxy = start(&env, &[]);
    let mut slow = TcpStream::connect(proxy.addr()).unwrap();
    slow.write_all(b"GET /rest/api/3/myself HTTP/1.1\r\nHost: ")
        .unwrap();
    // Served while the slow one dawdles.
    assert_eq!(proxy.get("/rest/api/3/myself").0, 200);
    slow.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut rest = Vec::new();
    // The proxy closes it (hyper answers 408 first, or nothing): the read ends either way,
    // well before our own timeout, which would be an error.
    let read = slow.read_to_end(&mut rest);
    assert!(read.is_ok(), "the proxy never closed it: {read:?}");
    let text = String::from_utf8_lossy(&rest);
    assert!(text.is_empty() || status(&text) == 408, "{text}");
    assert_eq!(env.emu.hits(Endpoint::Myself), 1);
}

#[test]
fn an_upstream_that_is_down_or_silent_is_a_json_502_or_504_and_the_proxy_stays_up() {
    let env = env();
    // Nothing listens there.
    let down = format!("http://127.0.0.1:{}", free_port());
    let proxy = Proxy::start(proxy_moved_to(&env, &down, &[]), env.dir.path());
    for _ in 0..2 {
        let (code, body) = proxy.get("/rest/api/3/myself");
        assert_eq!(code, 502, "{body}");
        assert_eq!(error_code(&body), "proxy_upstream_unavailable");
    }
    let silent = Scripted::start(|_| Action::Silent);
    let mut cmd = proxy_moved_to(&env, &silent.url(), &[]);
    cmd.env("JIRA_AUTH_HTTP_TIMEOUT", "1");
    let proxy = Proxy::start(cmd, env.dir.path());
    let (code, body) = proxy.get("/rest/api/3/myself");
    assert_eq!(code, 504, "{body}");
    assert_eq!(error_code(&body), "proxy_upstream_timeout");
    assert_eq!(
        silent.hits(&format!("/ex/jira/{SITE_ID}/rest/api/3/myself")),
        1
    );
}

#[test]
fn the_clients_credentials_cookies_and_hop_by_hop_headers_never_go_upstream() {
    let env = env();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let upstream = {
        let seen = Arc::clone(&seen);
        Scripted::start(move |req| {
            seen.lock().unwrap().push(req.headers.clone());
            let mut answer =
                Response::json(429, serde_json::json!({"errorMessages": ["slow down"]}));
            answer.headers.push(("Retry-After".into(), "7".into()));
            answer
                .headers
                .push(("Set-Cookie".into(), "JSESSIONID=upstream-session".into()));
            Action::Respond(answer)
        })
    };
    let proxy = Proxy::start(proxy_moved_to(&env, &upstream.url(), &[]), env.dir.path());
    let resp = client()
        .get(format!("{}/rest/api/3/myself", proxy.url))
        .bearer_auth(&proxy.key)
        .header("Cookie", "JSESSIONID=client-session")
        .header("Connection", "keep-alive, X-Private")
        .header("X-Private", "hop")
        .header("Proxy-Authorization", "Basic eDp5")
        .header("X-Atlassian-Token", "no-check")
        .send()
        .unwrap();
    // 429 and its Retry-After pass through; the session cookie does not.
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert!(resp.headers().get("set-cookie").is_none());
    let seen = seen.lock().unwrap();
    let headers = &seen[0];
    let get = |name: &str| {
        headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        get("authorization"),
        [format!("Bearer {}", access_token(&env))]
    );
    assert!(get("cookie").is_empty(), "{headers:?}");
    assert!(get("x-private").is_empty(), "{headers:?}");
    assert!(get("proxy-authorization").is_empty(), "{headers:?}");
    assert_eq!(get("x-atlassian-token"), ["no-check"]);
    assert!(
        !format!("{headers:?}").contains(&proxy.key),
        "the key went upstream"
    );
}

#[test]
fn an_upstream_401_renews_once_and_retries_once_never_in_a_loop() {
    let env = env();
    // A token the site no longer takes, though it has an hour left.
    env.edit_stored(|cfg| {
        cfg["credential"]["access_token"] = Value::from(format!("revoked-{}", random_hex(16)));
    });
    let refreshes = env.emu.hits(Endpoint::Token);
    let proxy = start(&env, &[]);
    let (code, body) = proxy.get("/rest/api/3/myself");
    assert_eq!(code, 200, "{body}");
    assert_eq!(env.emu.hits(Endpoint::Token), refreshes + 1, "one renewal");
    assert_eq!(env.emu.hits(Endpoint::Myself), 2, "one retry");
    // Now no token works at the site: the 401s pass through, each sent once, and renew
    // nothing (a renewal was forced moments ago: they are rate-limited).
    env.emu.revoke_grant();
    for _ in 0..3 {
        let (code, _) = proxy.get("/rest/api/3/myself");
        assert_eq!(code, 401);
    }
    assert_eq!(env.emu.hits(Endpoint::Token), refreshes + 1, "no loop");
    assert_eq!(env.emu.hits(Endpoint::Myself), 5);
}

#[test]
fn tokens_are_renewed_ahead_of_expiry_across_several_expiries() {
    // Tokens of 3 s: the proxy renews each with half its life left.
    let env = TestEnv::builder()
        .access_token_ttl(3)
        .profile_in_file_store()
        .build();
    let proxy = start(&env, &[]);
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(8) {
        let (code, body) = proxy.get("/rest/api/3/myself");
        calls += 1;
        if code != 200 {
            failures.push(body);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(failures.is_empty(), "{failures:?}");
    // The code exchange of init, then one refresh per 1.5 s or so: at least 3 expiries
    // crossed (4 lifetimes of 3 s elapse in 8 s plus init).
    let refreshes = env.emu.hits(Endpoint::Token) - 1;
    assert!(refreshes >= 3, "{refreshes} refreshes for {calls} calls");
    assert!(
        refreshes < calls / 2,
        "{refreshes} refreshes for {calls} calls"
    );
}

#[test]
fn a_socket_is_private_and_serves() {
    let env = env();
    let dir = env.dir.path().join("run/proxy");
    let path = dir.join("jira.sock");
    let proxy_run = {
        let mut cmd = proxy_cmd(&env, &["--socket", path.to_str().unwrap()]);
        cmd.env_remove("JIRA_AUTH_PROFILE");
        cmd.env("JIRA_AUTH_PROFILE", &env.profile);
        let mut s = Spawned::start(cmd, env.dir.path(), "socket");
        let lines = s.wait_for_stdout(|o| o.contains("JIRA_AUTH_PROXY_SOCKET="));
        (s, lines)
    };
    let (_spawned, lines) = proxy_run;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&path), 0o600);
    assert!(lines.contains("JIRA_URL=http://localhost\n"), "{lines}");
    let key = lines
        .lines()
        .find_map(|l| l.strip_prefix("JIRA_API_TOKEN="))
        .unwrap();
    let mut stream = std::os::unix::net::UnixStream::connect(&path).unwrap();
    write!(
        stream,
        "GET /rest/api/3/myself HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(status(&answer), 200, "{answer}");
    // A directory others can enter is refused.
    let open = env.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sock = open.join("p.sock");
    let refused = run(proxy_cmd(&env, &["--socket", sock.to_str().unwrap()]));
    refused.assert_code(2);
    assert!(
        refused.stderr.contains("can be entered by other users"),
        "{}",
        refused.stderr
    );
    assert!(!sock.exists());
}

#[test]
fn a_port_on_a_non_loopback_address_is_refused() {
    let env = env();
    for address in ["0.0.0.0:8080", "192.0.2.1:8080", "[::]:8080"] {
        let run = run(proxy_cmd(&env, &["--json", "--port", address]));
        run.assert_error(2, "usage");
        assert!(
            run.stderr.contains("is not a loopback address"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn the_key_is_in_no_log_argv_or_file_and_a_command_gets_the_variables() {
    let env = env();
    let out = env.dir.path().join("child.out");
    let script = format!(
        "printf 'Authorization: Bearer %s\\n' \"$JIRA_PERSONAL_TOKEN\" | curl -sS -o /dev/null -w '%{{http_code}}' -H @- \"$JIRA_URL/rest/api/3/myself\" > '{out}.status'; \
         env > '{out}'; tr '\\0' ' ' < /proc/$PPID/cmdline > '{out}.argv'; exit 7",
        out = out.display()
    );
    let mut cmd = proxy_cmd(&env, &["-vv", "--", "sh", "-c", &script]);
    cmd.env("JIRA_OAUTH_ACCESS_TOKEN", "theirs")
        .env("ATLASSIAN_OAUTH_CLOUD_ID", "theirs")
        .env("JIRA_USERNAME", "someone")
        .env("JIRA_CLOUD_ID", "elsewhere");
    let result = run(cmd);
    result.assert_code(7);
    assert_eq!(
        std::fs::read_to_string(format!("{}.status", out.display())).unwrap(),
        "200"
    );
    let child_env = std::fs::read_to_string(&out).unwrap();
    let var = |name: &str| {
        child_env
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    };
    let key = var("JIRA_PERSONAL_TOKEN").unwrap();
    assert_eq!(key.len(), 43);
    assert_eq!(var("JIRA_API_TOKEN").as_deref(), Some(key.as_str()));
    assert_eq!(var("JIRA_ACCESS_TOKEN").as_deref(), Some(key.as_str()));
    assert_eq!(var("JIRA_AUTH_HEADER"), Some(format!("Bearer {key}")));
    assert_eq!(var("JIRA_AUTH_TYPE").as_deref(), Some("bearer"));
    assert_eq!(var("JIRA_URL"), var("JIRA_API_BASE_URL"));
    assert_eq!(
        var("JIRA_AUTH_PROFILE").as_deref(),
        Some(env.profile.as_str())
    );
    for gone in [
        "JIRA_OAUTH_ACCESS_TOKEN",
        "ATLASSIAN_OAUTH_CLOUD_ID",
        "JIRA_USERNAME",
        "JIRA_CLOUD_ID",
    ] {
        assert_eq!(var(gone), None, "{gone} left in the command's environment");
    }
    // The proxy's own stdout stays the command's: nothing printed there. -vv logged the
    // request, not the key; the key is in neither argv nor a file of the config dir.
    assert!(result.stdout.is_empty(), "{}", result.stdout);
    assert!(result.stderr.contains("forwarded"), "{}", result.stderr);
    assert!(!result.stderr.contains(&key));
    let argv = std::fs::read_to_string(format!("{}.argv", out.display())).unwrap();
    assert!(argv.contains("proxy") && !argv.contains(&key), "{argv}");
    for entry in walk(&env.config_dir()) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&key),
            "{} holds the key",
            entry.display()
        );
    }
    env.assert_no_leaks(&result);
}

#[test]
fn a_command_that_cannot_start_exits_as_a_shell_says() {
    let env = env();
    let missing = run(proxy_cmd(&env, &["--", "no-such-command-here"]));
    missing.assert_code(127);
    assert!(
        missing
            .stderr
            .contains("cannot run 'no-such-command-here': command not found"),
        "{}",
        missing.stderr
    );
    let directory = run(proxy_cmd(&env, &["--", "/"]));
    directory.assert_code(126);
    assert!(
        directory
            .stderr
            .contains("cannot run '/': it is a directory"),
        "{}",
        directory.stderr
    );
}

#[test]
fn signals_reach_the_command_and_its_end_is_the_proxys() {
    let env = env();
    let ready = env.dir.path().join("ready");
    let script = format!(
        "trap 'exit 42' TERM; : > '{}'; while :; do sleep 0.05; done",
        ready.display()
    );
    let spawned = Spawned::start(
        proxy_cmd(&env, &["--", "sh", "-c", &script]),
        env.dir.path(),
        "signalled",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "{}", spawned.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: a plain kill of the child we spawned.
    unsafe { libc::kill(spawned.pid() as i32, libc::SIGTERM) };
    let result = spawned.finish(Duration::from_secs(30));
    result.assert_code(42);
}

#[test]
fn without_a_command_sigterm_stops_it_with_exit_code_0_and_closes_the_port() {
    let env = env();
    let proxy = start(&env, &[]);
    let addr = proxy.addr();
    // SAFETY: a plain kill of the child we spawned.
    unsafe { libc::kill(proxy.spawned.pid() as i32, libc::SIGTERM) };
    let result = proxy.spawned.finish(Duration::from_secs(30));
    result.assert_code(0);
    assert!(TcpStream::connect(&addr).is_err(), "still listening");
}

#[test]
fn json_prints_one_document_with_the_url_and_key() {
    let env = env();
    let mut spawned = Spawned::start(proxy_cmd(&env, &["--json"]), env.dir.path(), "json");
    let text = spawned.wait_for_stdout(|o| o.ends_with("}\n"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["schema_version"], 1);
    let key = doc["key"].as_str().unwrap();
    assert_eq!(doc["variables"]["JIRA_PERSONAL_TOKEN"], key);
    assert_eq!(doc["variables"]["JIRA_URL"], doc["url"]);
    assert_eq!(doc["profile"], env.profile.as_str());
    assert!(
        doc["upstream"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/ex/jira/{SITE_ID}")),
        "{doc}"
    );
    let unset: Vec<&str> = doc["unset"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(unset.contains(&"JIRA_USERNAME"), "{doc}");
    // --json describes the variables a command would get: not both.
    run(proxy_cmd(&env, &["--json", "--", "true"])).assert_error(2, "usage");
}

/// An upstream that sends part of its answer, then waits to be told to send the rest; and
/// reports when a request body's first bytes have arrived.
struct Trickle {
    addr: String,
    release: mpsc::Sender<()>,
    body_started: mpsc::Receiver<usize>,
}

impl Trickle {
    fn start() -> Trickle {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (release, released) = mpsc::channel();
        let (started, body_started) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if stream.read(&mut byte).unwrap_or(0) == 0 {
                        break;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).to_lowercase();
                if head.starts_with("put") {
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    // Bytes of the body before the client sent it all.
                    let mut chunk = vec![0u8; 1024];
                    let n = stream.read(&mut chunk).unwrap_or(0);
                    let _ = started.send(n);
                    let _ = released.recv();
                    let mut rest = vec![0u8; length - n];
                    let _ = stream.read_exact(&mut rest);
                    let _ =
                        stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
                    continue;
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello",
                );
                let _ = stream.flush();
                let _ = released.recv();
                let _ = stream.write_all(b"world");
            }
        });
        Trickle {
            addr,
            release,
            body_started,
        }
    }
}

#[test]
fn bodies_stream_both_ways() {
    let env = env();
    let upstream = Trickle::start();
    let api = format!("http://{}", upstream.addr);
    let proxy = Proxy::start(proxy_moved_to(&env, &api, &[]), env.dir.path());
    // Download: the first bytes arrive while upstream still holds the rest.
    let mut resp = client()
        .get(format!("{}/rest/api/3/attachment/content/1", proxy.url))
        .bearer_auth(&proxy.key)
        .send()
        .unwrap();
    let mut first = [0u8; 5];
    resp.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"hello");
    upstream.release.send(()).unwrap();
    let mut rest = String::new();
    resp.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "world");
    // Upload: upstream sees the body start before the client has sent it all.
    let mut stream = TcpStream::connect(proxy.addr()).unwrap();
    let size = 1024 * 1024;
    write!(
        stream,
        "PUT /rest/api/3/issue/A-1/attachments HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n",
        proxy.addr(),
        proxy.key
    )
    .unwrap();
    stream.write_all(&vec![b'x'; size / 2]).unwrap();
    let arrived = upstream
        .body_started
        .recv_timeout(Duration::from_secs(60))
        .expect("upstream never saw the body start: the proxy held it back");
    assert!(arrived > 0);
    upstream.release.send(()).unwrap();
    stream.write_all(&vec![b'x'; size / 2]).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert_eq!(status(&answer), 204, "{answer}");
}
