//! A real browser for the end-to-end tests: headless Chromium (Debian's `chromium`) driven
//! over its own DevTools pipe (`--remote-debugging-pipe`: commands in on fd 3, answers out on
//! fd 4, each a JSON message ended by a NUL byte). A small client of our own rather than a
//! CDP crate: it needs six commands, and a crate of generated protocol types would cost
//! minutes of build on every CI run.
//!
//! [`Chromium::start`] gives a fresh profile (a new `--user-data-dir`) with the flags that keep
//! it off the network (no background networking, component updates or sync: the machine's
//! closed network would make it hang), and records every request the page sends
//! (`Network.requestWillBeSent`), so a test can check that none left for another origin.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

const BINARY: &str = "chromium";
const TIMEOUT: Duration = Duration::from_secs(20);

/// Whether Debian's Chromium is on this machine.
pub fn available() -> bool {
    Command::new(BINARY)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Fails with the reason when Chromium is missing: the tests that need it are `#[ignore]`d,
/// and scripts/test.sh installs it and runs them.
pub fn require() {
    assert!(
        available(),
        "this test needs Chromium (Debian's `chromium`): run the suite with scripts/test.sh, which installs it"
    );
}

/// Where the screenshots go: under target/, never committed.
pub fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots");
    std::fs::create_dir_all(&dir).expect("create target/browser-screenshots");
    dir
}

pub struct Chromium {
    child: Child,
    commands: std::io::PipeWriter,
    answers: Receiver<Value>,
    next_id: u64,
    /// The page's session (flattened `Target.attachToTarget`).
    session: String,
    /// Every URL the page requested, in order.
    pub requests: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub fn start() -> Chromium {
        let profile = tempfile::tempdir().expect("a temp dir for Chromium's profile");
        let (cmd_read, cmd_write) = std::io::pipe().expect("pipe");
        let (ans_read, ans_write) = std::io::pipe().expect("pipe");
        let mut command = Command::new(BINARY);
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--window-size=900,900",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let (r, w) = (fd(&cmd_read), fd(&ans_write));
        // SAFETY: between fork and exec only dup/dup2 run, which are async-signal-safe. Both
        // fds go above 9 first, so that neither is overwritten by the other's dup2.
        unsafe {
            command.pre_exec(move || {
                let (r, w) = (
                    libc::fcntl(r, libc::F_DUPFD, 10),
                    libc::fcntl(w, libc::F_DUPFD, 10),
                );
                if r < 0 || w < 0 || libc::dup2(r, 3) < 0 || libc::dup2(w, 4) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().expect("start chromium");
        drop((cmd_read, ans_write));
        let (tx, answers) = channel();
        std::thread::spawn(move || {
            let mut reader = ans_read;
            let mut buf = Vec::new();
            let mut chunk = [0u8; 65536];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    return;
                }
                buf.extend_from_slice(&chunk[..n]);
                while let Some(end) = buf.iter().position(|b| *b == 0) {
                    let message: Vec<u8> = buf.drain(..=end).collect();
                    if let Ok(value) = serde_json::from_slice(&message[..end])
                        && tx.send(value).is_err()
                    {
                        return;
                    }
                }
            }
        });
        let mut browser = Chromium {
            child,
            commands: cmd_write,
            answers,
            next_id: 0,
            session: String::new(),
            requests: Vec::new(),
            _profile: profile,
        };
        let targets = browser.call_browser("Target.getTargets", json!({}));
        let page = targets["targetInfos"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["type"] == "page"))
            .unwrap_or_else(|| panic!("no page target: {targets}"))["targetId"]
            .clone();
        let attached = browser.call_browser(
            "Target.attachToTarget",
            json!({"targetId": page, "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().expect("a session").into();
        browser.call("Page.enable", json!({}));
        browser.call("Network.enable", json!({}));
        browser
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    /// A command to the page; its result.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(&session))
    }

    fn send(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            message["sessionId"] = json!(s);
        }
        let mut bytes = message.to_string().into_bytes();
        bytes.push(0);
        self.commands
            .write_all(&bytes)
            .unwrap_or_else(|e| panic!("{method}: chromium's pipe: {e}"));
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let answer = match self.answers.recv_timeout(left) {
                Ok(answer) => answer,
                Err(RecvTimeoutError::Timeout) => panic!("{method}: no answer from chromium"),
                Err(RecvTimeoutError::Disconnected) => panic!("{method}: chromium went away"),
            };
            if answer["method"] == "Network.requestWillBeSent" {
                let url = answer["params"]["request"]["url"].as_str().unwrap_or("");
                self.requests.push(url.to_string());
            }
            if answer["id"] == id {
                if let Some(error) = answer.get("error") {
                    panic!("{method}: {error}");
                }
                return answer["result"].clone();
            }
        }
    }

    /// Evaluates `expression` in the page; its value.
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true}),
        );
        result["result"]["value"].clone()
    }

    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
    }

    /// The page's text once it contains `text` (waiting for it, up to 20 s).
    pub fn wait_for_text(&mut self, text: &str) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let shown = self
                .eval("document.readyState === 'complete' && document.body ? document.body.innerText : ''")
                .as_str()
                .unwrap_or_default()
                .to_string();
            if shown.contains(text) {
                return shown;
            }
            assert!(
                Instant::now() < deadline,
                "the page never said {text:?}; it says:\n{shown}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The page's address.
    pub fn location(&mut self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// A real click (mouse down and up) in the middle of the element `selector` names.
    pub fn click(&mut self, selector: &str) {
        let rect = self.eval(&format!(
            "JSON.stringify(document.querySelector({}).getBoundingClientRect())",
            json!(selector)
        ));
        let rect: Value =
            serde_json::from_str(rect.as_str().expect("the element exists")).expect("a rectangle");
        let x = rect["x"].as_f64().unwrap() + rect["width"].as_f64().unwrap() / 2.0;
        let y = rect["y"].as_f64().unwrap() + rect["height"].as_f64().unwrap() / 2.0;
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// A PNG of the page, saved as `name`.png in [`artifacts`]; its path.
    pub fn screenshot(&mut self, name: &str) -> PathBuf {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let path = artifacts().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }

    /// The origins (`scheme://host:port`) of every request the page sent, the data: and
    /// about: ones left out.
    pub fn origins(&self) -> Vec<String> {
        let mut origins: Vec<String> = self
            .requests
            .iter()
            .filter(|u| u.starts_with("http"))
            .filter_map(|u| {
                let rest = u.split_once("://")?.1;
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                Some(format!("{}://{}", u.split("://").next()?, &rest[..end]))
            })
            .collect();
        origins.sort();
        origins.dedup();
        origins
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fd(pipe: &impl std::os::fd::AsRawFd) -> i32 {
    pipe.as_raw_fd()
}
