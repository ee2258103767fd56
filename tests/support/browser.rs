//! The fake web browser: the integration test binary re-runs itself as `$BROWSER` to follow the consent redirect to the CLI's loopback callback, and logs what it saw (never the authorization code).

use std::error::Error as _;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{Value, json};

/// Env var naming the JSON-lines file the browser appends one line to per URL opened (required).
pub const LOG_ENV: &str = "JIRA_AUTH_TEST_BROWSER_LOG";
/// Env var choosing the behaviour: `normal` (default), `favicon-first`, `tamper-state`, `record-only`.
pub const MODE_ENV: &str = "JIRA_AUTH_TEST_BROWSER_MODE";
/// The `state` value `tamper-state` puts into the callback URL.
pub const TAMPERED_STATE: &str = "tampered-by-test-browser";

const TIMEOUT: Duration = Duration::from_secs(10);

/// The `$BROWSER` value that makes the webbrowser crate run [`act_as_browser`] in a copy of the
/// current test executable; webbrowser splits it on whitespace and appends the URL.
pub fn browser_env_value() -> String {
    let exe = std::env::current_exe().expect("path of the running test executable");
    let exe = exe
        .to_str()
        .expect("test executable path must be UTF-8 to go into $BROWSER");
    assert!(
        !exe.contains(char::is_whitespace),
        "$BROWSER is split on whitespace, so the test executable path must not contain any: {exe:?}"
    );
    // webbrowser splits $BROWSER on ':' and expands %-codes: `%%` is '%' and `%c` is ':'.
    // The test's path has `::` too, so it is escaped the same way.
    let escape = |s: &str| s.replace('%', "%%").replace(':', "%c");
    format!(
        "{} --exact {} --ignored --nocapture -q",
        escape(exe),
        escape("support::browser::act_as_browser")
    )
}

#[test]
#[ignore = "run by jira-auth as $BROWSER in the other tests"]
fn act_as_browser() {
    let url = std::env::args().next_back().unwrap_or_default();
    assert!(
        url.starts_with("http"),
        "act_as_browser is run by jira-auth as $BROWSER and expects the URL to open as its last \
         argument; got {url:?}"
    );
    let log = std::env::var_os(LOG_ENV)
        .unwrap_or_else(|| panic!("{LOG_ENV} must name the file act_as_browser logs to"));
    let mode_name = std::env::var(MODE_ENV).unwrap_or_else(|_| "normal".to_string());
    let mode = Mode::parse(&mode_name)
        .unwrap_or_else(|| panic!("unknown {MODE_ENV} {mode_name:?}: expected normal, favicon-first, tamper-state or record-only"));
    append_log(Path::new(&log), &browse(&url, mode));
}

/// Every line of the log parsed; empty when the file does not exist (yet).
pub fn read_browser_log(path: impl AsRef<Path>) -> Vec<Value> {
    let path = path.as_ref();
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("cannot read browser log {}: {e}", path.display()),
    };
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("bad browser log line {line:?}: {e}"))
        })
        .collect()
}

/// Polls the log until it has at least `n` lines or `timeout` passes, and returns what is there
/// then (possibly fewer than `n`: the caller asserts, so "no browser ran" is testable too).
pub fn wait_for_browser_log(path: impl AsRef<Path>, n: usize, timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let lines = read_browser_log(path.as_ref());
        if lines.len() >= n || Instant::now() >= deadline {
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    /// Asks the callback server for `/favicon.ico` first, as real browsers sometimes do.
    FaviconFirst,
    /// Plays a CSRF attempt: the callback arrives with a `state` the CLI never issued.
    TamperState,
    /// Only logs the URL; the test drives the callback itself.
    RecordOnly,
}

impl Mode {
    fn parse(name: &str) -> Option<Mode> {
        Some(match name {
            "normal" => Mode::Normal,
            "favicon-first" => Mode::FaviconFirst,
            "tamper-state" => Mode::TamperState,
            "record-only" => Mode::RecordOnly,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::FaviconFirst => "favicon-first",
            Mode::TamperState => "tamper-state",
            Mode::RecordOnly => "record-only",
        }
    }
}

/// Does what the browser would and returns the log entry.
fn browse(consent_url: &str, mode: Mode) -> Value {
    let mut entry = json!({
        "consent_url": consent_url,
        "mode": mode.name(),
        "consent_status": null,
        "consent_body_excerpt": null,
        "favicon_status": null,
        "callback_status": null,
        "callback_body": null,
        "callback_content_type": null,
        "error": null,
    });
    if mode != Mode::RecordOnly {
        let mut errors = Vec::new();
        visit(consent_url, mode, &mut entry, &mut errors);
        if !errors.is_empty() {
            entry["error"] = json!(errors.join("; "));
        }
    }
    entry
}

fn visit(consent_url: &str, mode: Mode, entry: &mut Value, errors: &mut Vec<String>) {
    let client = match Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .build()
    {
        Ok(client) => client,
        Err(e) => return errors.push(format!("building the HTTP client: {}", describe(e))),
    };
    let consent = match client.get(consent_url).send() {
        Ok(response) => response,
        Err(e) => return errors.push(format!("consent page: {}", describe(e))),
    };
    entry["consent_status"] = json!(consent.status().as_u16());
    let location = consent
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .filter(|_| consent.status().is_redirection())
        .map(|location| absolute(location, consent_url));
    let Some(callback) = location else {
        match consent.text() {
            Ok(body) => {
                entry["consent_body_excerpt"] = json!(body.chars().take(300).collect::<String>())
            }
            Err(e) => errors.push(format!("consent page body: {}", describe(e))),
        }
        return;
    };
    if mode == Mode::FaviconFirst {
        match origin_of(&callback) {
            Some(origin) => match client.get(format!("{origin}/favicon.ico")).send() {
                Ok(response) => {
                    entry["favicon_status"] = json!(response.status().as_u16());
                    // Read it to the end like a browser would before moving on.
                    let _ = response.bytes();
                }
                Err(e) => errors.push(format!("favicon: {}", describe(e))),
            },
            None => errors.push("callback location has no origin".to_string()),
        }
    }
    let callback = if mode == Mode::TamperState {
        tamper_state(&callback)
    } else {
        callback
    };
    // From here on, never log the URL: it carries the authorization code.
    let mut response = match client.get(&callback).send() {
        Ok(response) => response,
        Err(e) => return errors.push(format!("callback: {}", describe(e))),
    };
    // A link that leads to the consent page (Composio's connect link) takes one more hop or
    // two: followed as a browser follows them. jira-auth's own callback never redirects.
    let mut hops = 0;
    while hops < 3
        && response.status().is_redirection()
        && let Some(next) = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(|location| absolute(location, &callback))
    {
        hops += 1;
        response = match client.get(&next).send() {
            Ok(response) => response,
            Err(e) => return errors.push(format!("redirect {hops}: {}", describe(e))),
        };
    }
    entry["callback_status"] = json!(response.status().as_u16());
    entry["callback_content_type"] = json!(
        response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
    );
    match response.text() {
        Ok(body) => entry["callback_body"] = json!(body),
        Err(e) => errors.push(format!("callback body: {}", describe(e))),
    }
}

/// The error and its causes, without the request URL (which may carry the code).
fn describe(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `scheme://host:port` of an absolute URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (!rest[..end].is_empty()).then(|| format!("{scheme}://{}", &rest[..end]))
}

/// Resolves a `Location` the way a browser would, for the absolute and absolute-path forms.
fn absolute(location: &str, base: &str) -> String {
    match origin_of(base) {
        Some(origin) if location.starts_with('/') => format!("{origin}{location}"),
        _ => location.to_string(),
    }
}

/// The same URL with its `state` parameter replaced (or added); other parameters stay byte-exact.
fn tamper_state(url: &str) -> String {
    let (url, fragment) = match url.split_once('#') {
        Some((url, fragment)) => (url, Some(fragment)),
        None => (url, None),
    };
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("state=") && *pair != "state")
        .map(str::to_string)
        .collect();
    pairs.push(format!("state={TAMPERED_STATE}"));
    let mut tampered = format!("{base}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        tampered.push('#');
        tampered.push_str(fragment);
    }
    tampered
}

/// One line per URL opened, in a single `write` so concurrent browsers never interleave.
fn append_log(path: &Path, entry: &Value) {
    let line = format!("{entry}\n");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("cannot open browser log {}: {e}", path.display()));
    let written = file
        .write(line.as_bytes())
        .unwrap_or_else(|e| panic!("cannot write browser log {}: {e}", path.display()));
    assert_eq!(written, line.len(), "short write to the browser log");
}

#[cfg(test)]
mod tests {
    use super::super::emulator::{Client as OAuthClient, Emulator};
    use super::super::http::{HttpServer, Request, Response, percent_encode};
    use super::*;
    use std::net::TcpListener;
    use std::process::Command;
    use std::sync::{Arc, Mutex};

    type Seen = Arc<Mutex<Vec<Request>>>;

    /// A stand-in for the CLI's loopback callback server that remembers what it was sent.
    fn callback_server() -> (HttpServer, Seen) {
        let seen: Seen = Arc::default();
        let log = Arc::clone(&seen);
        let server = HttpServer::start(Arc::new(move |req: &Request| {
            log.lock().unwrap().push(req.clone());
            match req.path.as_str() {
                "/callback" => {
                    Response::html(200, "<p>jira-auth: signed in, you can close this tab</p>")
                }
                _ => Response::text(404, "not here"),
            }
        }));
        (server, seen)
    }

    fn consent_url(emu: &Emulator, redirect_uri: &str) -> String {
        format!(
            "{}/authorize?audience=api.atlassian.com&client_id=cid&scope=read%3Ame+offline_access\
             &redirect_uri={}&state=the-state&response_type=code&prompt=consent",
            emu.auth_url(),
            percent_encode(redirect_uri)
        )
    }

    fn assert_no_secret(emu: &Emulator, entry: &Value) {
        let text = entry.to_string();
        for secret in emu.issued_secrets() {
            assert!(
                !text.contains(&secret),
                "browser log leaks {secret}: {text}"
            );
        }
    }

    #[test]
    fn browse_follows_the_consent_redirect_in_each_mode() {
        let (server, seen) = callback_server();
        let redirect = format!("{}/callback", server.url());
        let emu = Emulator::start();
        emu.register_client(OAuthClient::new("cid", "cs", &redirect, &["read:me"]));
        let url = consent_url(&emu, &redirect);

        let entry = browse(&url, Mode::Normal);
        assert_eq!(entry["consent_url"], url.as_str());
        assert_eq!(entry["consent_status"], 302);
        assert_eq!(entry["consent_body_excerpt"], Value::Null);
        assert_eq!(entry["favicon_status"], Value::Null);
        assert_eq!(entry["callback_status"], 200);
        assert_eq!(entry["callback_content_type"], "text/html; charset=utf-8");
        assert!(
            entry["callback_body"]
                .as_str()
                .unwrap()
                .contains("signed in")
        );
        assert_eq!(entry["error"], Value::Null, "{entry}");
        let request = seen.lock().unwrap().pop().unwrap();
        assert_eq!(request.query_param("state"), Some("the-state"));
        assert_eq!(
            request.query_param("code"),
            emu.issued_secrets().last().map(String::as_str)
        );

        let entry = browse(&url, Mode::FaviconFirst);
        assert_eq!(entry["favicon_status"], 404);
        assert_eq!(entry["callback_status"], 200);
        let paths: Vec<String> = seen.lock().unwrap().drain(..).map(|r| r.path).collect();
        assert_eq!(paths, ["/favicon.ico", "/callback"]);

        let entry = browse(&url, Mode::TamperState);
        assert_eq!(entry["callback_status"], 200);
        let request = seen.lock().unwrap().pop().unwrap();
        assert_eq!(request.query_param("state"), Some(TAMPERED_STATE));
        assert_eq!(
            request.query_param("code"),
            emu.issued_secrets().last().map(String::as_str)
        );

        let entry = browse(&url, Mode::RecordOnly);
        assert_eq!(entry["consent_url"], url.as_str());
        assert_eq!(entry["consent_status"], Value::Null);
        assert_eq!(
            emu.issued_secrets().len(),
            3,
            "record-only must not visit the consent page"
        );
        assert!(seen.lock().unwrap().is_empty());
        assert_no_secret(&emu, &entry);
    }

    #[test]
    fn browse_records_pages_that_never_come_back_and_unreachable_callbacks() {
        let emu = Emulator::start();
        let free_port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dead = format!("http://127.0.0.1:{free_port}/callback");
        emu.register_client(OAuthClient::new("cid", "cs", &dead, &["read:me"]));

        let entry = browse(
            &consent_url(&emu, "http://localhost:1/callback"),
            Mode::Normal,
        );
        assert_eq!(entry["consent_status"], 400);
        let excerpt = entry["consent_body_excerpt"].as_str().unwrap();
        assert!(excerpt.contains("unauthorized_client"), "{excerpt}");
        assert!(excerpt.chars().count() <= 300);
        assert_eq!(entry["callback_status"], Value::Null);

        // The callback port has nobody listening: the error is logged, the code is not.
        let entry = browse(&consent_url(&emu, &dead), Mode::FaviconFirst);
        assert_eq!(entry["consent_status"], 302);
        assert_eq!(entry["callback_status"], Value::Null);
        let error = entry["error"].as_str().unwrap();
        assert!(
            error.starts_with("favicon: ") && error.contains("; callback: "),
            "{error}"
        );
        assert_eq!(emu.issued_secrets().len(), 1);
        assert_no_secret(&emu, &entry);

        let entry = browse("http://127.0.0.1:1/authorize", Mode::Normal);
        assert!(
            entry["error"]
                .as_str()
                .unwrap()
                .starts_with("consent page: ")
        );
    }

    #[test]
    fn url_helpers() {
        assert_eq!(
            origin_of("http://127.0.0.1:8421/callback?code=x").as_deref(),
            Some("http://127.0.0.1:8421")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8421?x").as_deref(),
            Some("http://127.0.0.1:8421")
        );
        assert_eq!(origin_of("nonsense"), None);
        assert_eq!(
            absolute("/cb?x=1", "http://h:1/authorize?y"),
            "http://h:1/cb?x=1"
        );
        assert_eq!(
            absolute("http://o:2/cb", "http://h:1/authorize"),
            "http://o:2/cb"
        );
        assert_eq!(
            tamper_state("http://h:1/cb?code=a%2Fb&state=s&x=1#frag"),
            format!("http://h:1/cb?code=a%2Fb&x=1&state={TAMPERED_STATE}#frag")
        );
        assert_eq!(
            tamper_state("http://h:1/cb"),
            format!("http://h:1/cb?state={TAMPERED_STATE}")
        );
        assert_eq!(Mode::parse("nope"), None);
        for mode in [
            Mode::Normal,
            Mode::FaviconFirst,
            Mode::TamperState,
            Mode::RecordOnly,
        ] {
            assert_eq!(Mode::parse(mode.name()), Some(mode));
        }
    }

    /// Runs the $BROWSER command line exactly as the webbrowser crate would build it.
    #[test]
    fn browser_env_value_runs_act_as_browser_in_a_child_process() {
        let (server, seen) = callback_server();
        let redirect = format!("{}/callback", server.url());
        let emu = Emulator::start();
        emu.register_client(OAuthClient::new("cid", "cs", &redirect, &["read:me"]));
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("browser.jsonl");
        assert!(read_browser_log(&log).is_empty());

        let value = browser_env_value();
        // webbrowser splits $BROWSER on ':' before anything else: none may be left raw.
        assert!(!value.contains(':'), "{value}");
        assert!(
            value.ends_with(
                " --exact support%c%cbrowser%c%cact_as_browser --ignored --nocapture -q"
            )
        );
        // The test executable path normally has neither ':' nor '%'; undo the escaping if it had.
        let mut args: Vec<String> = value
            .split_ascii_whitespace()
            .map(|arg| arg.replace("%c", ":").replace("%%", "%"))
            .collect();
        args.push(consent_url(&emu, &redirect));
        for mode in ["normal", "record-only"] {
            let output = Command::new(&args[0])
                .args(&args[1..])
                .env(LOG_ENV, &log)
                .env(MODE_ENV, mode)
                .output()
                .unwrap();
            assert!(
                output.status.success(),
                "{mode}: {}\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let lines = wait_for_browser_log(&log, 2, Duration::from_secs(10));
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0]["mode"], "normal");
        assert_eq!(lines[0]["callback_status"], 200, "{}", lines[0]);
        assert_eq!(lines[1]["mode"], "record-only");
        assert_eq!(lines[1]["consent_url"], args.last().unwrap().as_str());
        assert_eq!(seen.lock().unwrap().len(), 1);
        let text = std::fs::read_to_string(&log).unwrap();
        for secret in emu.issued_secrets() {
            assert!(!text.contains(&secret), "browser log leaks {secret}");
        }
        // An unmet wait returns what is there rather than panicking.
        assert_eq!(
            wait_for_browser_log(&log, 3, Duration::from_millis(50)).len(),
            2
        );
    }
}
