//! The README's Troubleshooting quotes the program's own words: every line of its `text`
//! blocks must be found in what the program says, in the screens the suite pins
//! (tests/snapshots) or in what the binary prints when the tests here provoke the errors no
//! snapshot holds. Numbers are compared as numbers of any value (300 s in the README, 3 s in a
//! snapshot), and `[port]`-style labels as the snapshots' redactions.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::env::TestEnv;
use crate::support::spawned::Spawned;

/// Every quoted line of the README's Troubleshooting section.
fn quoted() -> Vec<String> {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## Troubleshooting\n")
        .nth(1)
        .expect("a Troubleshooting section")
        .split("\n## ")
        .next()
        .unwrap();
    let mut lines = Vec::new();
    let mut inside = false;
    for line in section.lines() {
        match line.trim() {
            "```text" => inside = true,
            "```" => inside = false,
            l if inside && !l.is_empty() => lines.push(l.to_string()),
            _ => {}
        }
    }
    lines
}

/// Digits and labels made comparable: `[port]` and `8976` both read `#`.
fn normalized(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('#');
        } else if c == '[' {
            let label: String = chars.clone().take_while(|c| *c != ']').collect();
            if !label.is_empty() && label.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                for _ in 0..=label.len() {
                    chars.next();
                }
                out.push('#');
            } else {
                out.push(c);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What the program says where no snapshot pins it: a taken callback port, and a callback
/// refused for its state while `init` waits.
fn provoked() -> String {
    let env = TestEnv::new();
    let taken = TcpListener::bind(("127.0.0.1", env.port)).expect("bind the callback port");
    let busy = env.init_with(&["--store", "file", "--no-browser"]);
    drop(taken);
    let mut said = busy.stderr;

    let env = TestEnv::new();
    let mut init = env.init();
    init.args(["--store", "file", "--no-browser", "--timeout", "20"]);
    let waiting = Spawned::start(init, env.dir.path(), "init");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !waiting.stderr().contains("/authorize?") {
        assert!(Instant::now() < deadline, "init never waited");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", env.port)).unwrap();
    write!(
        stream,
        "GET /callback?code=x&state=forged HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
        env.port
    )
    .unwrap();
    let _ = stream.read_to_end(&mut Vec::new());
    while !waiting.stderr().contains("refused a request") {
        assert!(Instant::now() < deadline, "the refusal was never said");
        std::thread::sleep(Duration::from_millis(20));
    }
    said.push_str(&waiting.stderr());
    said
}

#[test]
fn every_message_the_troubleshooting_quotes_is_one_the_program_says() {
    let lines = quoted();
    assert!(lines.len() >= 15, "too few quoted lines found: {lines:#?}");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let mut said = String::new();
    for entry in std::fs::read_dir(&snapshots).unwrap() {
        said.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }
    said.push_str(&provoked());
    let said = normalized(&said);
    let missing: Vec<&String> = lines
        .iter()
        .filter(|l| !said.contains(&normalized(l)))
        .collect();
    assert!(
        missing.is_empty(),
        "the README quotes what the program does not say (anymore):\n{missing:#?}"
    );
}

#[test]
fn normalizing_makes_numbers_and_labels_alike_and_nothing_else() {
    assert_eq!(
        normalized("port [port] within 300 s [not a label]"),
        "port # within # s [not a label]"
    );
    assert_eq!(normalized("port 8976 within 3 s"), "port # within # s");
    assert_ne!(normalized("port 1"), normalized("door 1"));
}
