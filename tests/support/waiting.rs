//! A `jira-auth` that waits for the browser (`init`, `login`), as the tests drive it from the
//! outside: started with its streams piped, watched until it prints the consent URL, then
//! given what a person or a wrapper would give it on stdin (the address a browser ended on),
//! interrupted, or awaited.

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::env::{Run, command_line};

pub struct Waiting {
    pub command: String,
    /// The consent URL it printed.
    pub url: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<String>>,
}

impl Waiting {
    /// Starts `cmd`, writes `stdin_first` on its stdin (a secret it reads before the URL),
    /// and waits until it has printed the consent URL.
    pub fn start(mut cmd: Command, stdin_first: Option<&str>) -> Waiting {
        let command = command_line(&cmd);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("jira-auth starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let seen = stderr.clone();
        let err_reader = std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = err.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
            String::new()
        });
        let mut out = child.stdout.take().unwrap();
        let out_reader = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = out.read_to_string(&mut s);
            s
        });
        let mut waiting = Waiting {
            command,
            url: String::new(),
            stdin: child.stdin.take(),
            child,
            stderr,
            readers: vec![out_reader, err_reader],
        };
        if let Some(text) = stdin_first {
            waiting.write(text);
        }
        let said = waiting.wait_for("/authorize?");
        let line = said
            .lines()
            .find(|l| l.contains("/authorize?"))
            .expect("the URL's line");
        waiting.url = line.trim().to_string();
        waiting
    }

    /// Waits until stderr says `needle`, and returns all it said so far.
    #[track_caller]
    pub fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let said = self.stderr.lock().unwrap().clone();
            if said.contains(needle) {
                return said;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                // What it said before it ended may still be on its way.
                std::thread::sleep(Duration::from_millis(100));
                let said = self.stderr.lock().unwrap().clone();
                assert!(
                    said.contains(needle),
                    "jira-auth ended ({status}) without saying {needle:?}:\n{said}"
                );
                return said;
            }
            assert!(
                Instant::now() < deadline,
                "jira-auth never said {needle:?}:\n{said}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Writes `text` on its stdin.
    pub fn write(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes its stdin (what a wrapper that has nothing more to say does).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    // Its callers signal it or read its /proc: Unix only.
    #[cfg(unix)]
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends it SIGINT (Ctrl-C), as a person at the terminal would.
    #[cfg(unix)]
    pub fn interrupt(&self) {
        let sent = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Waits for its end (killing it, and failing, after 30 s) and returns what it printed.
    pub fn finish(mut self) -> Run {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "jira-auth did not finish\n--- stderr\n{}",
                    self.stderr.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.stdin = None;
        let mut readers = self.readers.drain(..);
        let stdout = readers.next().unwrap().join().unwrap();
        readers.next().unwrap().join().unwrap();
        let stderr = self.stderr.lock().unwrap().clone();
        Run {
            command: self.command.clone(),
            code: status.code().unwrap_or(-1),
            stdout,
            stderr,
        }
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The address a browser ends on after consenting at `consent_url` (the emulator approves
/// at once): `http://127.0.0.1:PORT/callback?code=…&state=…`, not followed.
pub fn consent_redirect(consent_url: &str) -> String {
    let client = reqwest::blocking::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = client.get(consent_url).send().unwrap();
    assert_eq!(resp.status(), 302, "the emulator approves");
    resp.headers()["location"].to_str().unwrap().to_string()
}
