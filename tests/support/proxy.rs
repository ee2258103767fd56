//! A running `jira-auth proxy` (its printed variables read back), and raw HTTP/1.1 over
//! loopback for the requests no well-behaved client would send (foreign Host, absolute
//! targets, path escapes, slowloris).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use super::spawned::Spawned;

pub struct Proxy {
    pub spawned: Spawned,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub key: String,
    /// The printed lines, as they came.
    pub lines: String,
}

impl Proxy {
    /// Starts `cmd` (a `jira-auth … proxy …` without `-- CMD`) and waits for its lines.
    pub fn start(cmd: Command, dir: &std::path::Path) -> Proxy {
        let mut spawned = Spawned::start(cmd, dir, &format!("proxy-{}", super::env::random_hex(4)));
        let lines = spawned.wait_for_stdout(|out| out.contains("JIRA_AUTH_HEADER="));
        let value = |name: &str| {
            lines
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("no {name} in:\n{lines}"))
                .to_string()
        };
        Proxy {
            url: value("JIRA_URL"),
            key: value("JIRA_API_TOKEN"),
            lines: lines.clone(),
            spawned,
        }
    }

    pub fn addr(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }

    /// A blocking GET of `path` with the key, through any well-behaved client: status and body.
    pub fn get(&self, path: &str) -> (u16, String) {
        let resp = client()
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .send()
            .expect("the proxy answers");
        (resp.status().as_u16(), resp.text().unwrap_or_default())
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// `head` sent as it is to `addr` (CRLFs between lines, `Connection: close` and a blank
/// line added); the whole answer.
pub fn raw(addr: &str, head: &[&str]) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to the proxy");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut text = head.join("\r\n");
    text.push_str("\r\nConnection: close\r\n\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The status code of a raw answer (0 when there was none).
pub fn status(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}
