//! The documentation holds together. docs/troubleshooting.md quotes the program's own words:
//! every line of the `text` blocks of its section "What jira-auth says, and what to do" must be
//! found in what the program says, in the screens the suite pins (tests/snapshots) or in what
//! the binary prints when the tests here provoke the errors no snapshot holds. Numbers are
//! compared as numbers of any value (300 s in the page, 3 s in a snapshot), and `[port]`-style
//! labels as the snapshots' redactions. Every relative link of the Markdown files leads to a
//! file of the repository (and a heading of it), and the README stays short.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::env::TestEnv;
use crate::support::spawned::Spawned;

/// The page whose quotes are checked, and its section that holds them.
const TROUBLESHOOTING: &str = "docs/troubleshooting.md";
const QUOTES: &str = "\n## What jira-auth says, and what to do\n";

/// Every quoted line of the troubleshooting page's section of messages.
fn quoted() -> Vec<String> {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(TROUBLESHOOTING))
        .expect(TROUBLESHOOTING);
    let section = page
        .split(QUOTES)
        .nth(1)
        .unwrap_or_else(|| panic!("{TROUBLESHOOTING} has no section{QUOTES}"))
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
        "{TROUBLESHOOTING} quotes what the program does not say (anymore):\n{missing:#?}"
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

/// The Markdown files people read: the top level's and docs/.
fn markdown_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = [
        "README.md",
        "ARCHITECTURE.md",
        "CONTRIBUTING.md",
        "CHANGELOG.md",
    ]
    .iter()
    .map(|f| root.join(f))
    .collect();
    for entry in std::fs::read_dir(root.join("docs")).expect("docs/") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files
}

/// GitHub's anchors for the headings of a Markdown text (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            let heading = line.trim_start_matches('#').trim();
            found.push(
                heading
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect(),
            );
        }
    }
    found
}

/// The targets of the inline links `[text](target)` of a Markdown text, outside code.
fn links(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Code spans hold examples, not links.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, p)| p)
            .collect::<Vec<_>>()
            .join(" ");
        for (at, _) in prose.match_indices("](") {
            let rest = &prose[at + 2..];
            if let Some(end) = rest.find(')') {
                found.push(rest[..end].to_string());
            }
        }
    }
    found
}

#[test]
fn every_relative_link_leads_to_a_file_and_heading_of_the_repository() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                file.clone()
            } else {
                dir.join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link} (no such file)", file.display()));
            } else if !anchor.is_empty() {
                let text = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&text).iter().any(|a| a == anchor) {
                    broken.push(format!("{}: {link} (no such heading)", file.display()));
                }
            }
        }
    }
    assert!(checked > 20, "too few links found: {checked}");
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_stays_short() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines: the manual belongs in docs/, at most 300 lines here"
    );
}

#[test]
fn anchors_and_links_are_read_as_github_reads_them() {
    assert_eq!(
        anchors("# A b\n```\n# not\n```\n## Diagnose a setup: `jira-auth doctor [--json]`"),
        ["a-b", "diagnose-a-setup-jira-auth-doctor---json"]
    );
    assert_eq!(
        links("see [a](docs/a.md#x) and `[b](c)`\n```\n[d](e)\n```"),
        ["docs/a.md#x"]
    );
}
