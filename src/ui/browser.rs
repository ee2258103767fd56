//! Opening the consent URL in a browser, without ever blocking the flow on it, and saying so
//! when no browser could be started: the URL is printed anyway, but a person staring at a
//! terminal that waits for a browser that never opened needs to know.
//!
//! `$BROWSER` is run here rather than by the webbrowser crate, which starts it in the
//! background and never looks at how it ended (`BROWSER=false` would be silence). It is read
//! as webbrowser and other tools read it: commands separated by ':', tried in order, each
//! split on whitespace, `%s` replaced by the URL (appended when absent), `%c` by ':', `%%` by
//! '%'. Without `$BROWSER` the webbrowser crate finds the desktop's browser.

use std::path::Path;
use std::process::{Command, Stdio};

use tokio::sync::oneshot;

/// Why the browser did not open, when that is known: delivered when the browser command has
/// failed (at once for one that cannot start; when it exits, for one that exits unsuccessfully).
/// A browser that keeps running never answers, and need not.
pub type Failure = oneshot::Receiver<String>;

/// Text browsers run in the terminal, in the foreground; graphical ones get no terminal.
const TEXT_BROWSERS: &[&str] = &[
    "lynx",
    "links",
    "links2",
    "elinks",
    "w3m",
    "eww",
    "www-browser",
];

/// Starts the browser on a separate thread: a text browser runs in the foreground and would
/// otherwise hold the flow until it exits.
pub fn open(url: &str, browser_env: Option<&str>) -> Failure {
    let (tx, rx) = oneshot::channel();
    let url = url.to_string();
    let browser_env = browser_env.map(str::to_string);
    let spawned = std::thread::Builder::new()
        .name("browser".into())
        .spawn(move || {
            let outcome = match browser_env.as_deref() {
                Some(value) if cfg!(unix) => run_browser_env(value, &url),
                _ => {
                    webbrowser::open(&url).map_err(|e| format!("no browser could be started ({e})"))
                }
            };
            if let Err(why) = outcome {
                tracing::info!("{why}");
                let _ = tx.send(why);
            }
        });
    if let Err(e) = spawned {
        tracing::info!(error = %e, "could not start the browser thread");
    }
    rx
}

/// Runs the first command of `$BROWSER` that starts, and waits for it.
fn run_browser_env(value: &str, url: &str) -> Result<(), String> {
    let mut last = None;
    for part in value.split(':').filter(|p| !p.trim().is_empty()) {
        let argv = command_line(part, url);
        let program = &argv[0];
        let mut cmd = Command::new(program);
        cmd.args(&argv[1..]);
        if !is_text_browser(program) {
            cmd.stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
        }
        match cmd.spawn() {
            Ok(mut child) => {
                return match child.wait() {
                    Ok(status) if status.success() => Ok(()),
                    Ok(status) => Err(format!(
                        "the browser command `{program}` (from $BROWSER) failed: {status}"
                    )),
                    Err(e) => Err(format!(
                        "the browser command `{program}` (from $BROWSER) was lost: {e}"
                    )),
                };
            }
            Err(e) => {
                last = Some(format!(
                    "the browser command `{program}` (from $BROWSER) could not be started: {e}"
                ))
            }
        }
    }
    Err(last.unwrap_or_else(|| "$BROWSER names no command".to_string()))
}

fn is_text_browser(program: &str) -> bool {
    Path::new(program)
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| TEXT_BROWSERS.contains(&n))
}

/// One `$BROWSER` command with its field codes expanded, the URL appended unless `%s` placed
/// it. One pass from left to right, so that each '%' is consumed once and nothing in the URL
/// is read as a code.
fn command_line(part: &str, url: &str) -> Vec<String> {
    let mut has_url = false;
    let mut argv: Vec<String> = part
        .split_ascii_whitespace()
        .map(|word| {
            let mut out = String::with_capacity(word.len());
            let mut chars = word.chars();
            while let Some(c) = chars.next() {
                if c != '%' {
                    out.push(c);
                    continue;
                }
                match chars.next() {
                    Some('s') => {
                        out.push_str(url);
                        has_url = true;
                    }
                    Some('c') => out.push(':'),
                    Some('%') => out.push('%'),
                    Some(other) => {
                        out.push('%');
                        out.push(other);
                    }
                    None => out.push('%'),
                }
            }
            out
        })
        .collect();
    if !has_url {
        argv.push(url.to_string());
    }
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_commands_are_read_as_webbrowser_reads_them() {
        let url = "https://a.example/x?y=%41";
        assert_eq!(command_line("firefox", url), ["firefox", url]);
        assert_eq!(
            command_line("open -a %s --new", url),
            ["open", "-a", url, "--new"]
        );
        assert_eq!(
            command_line("/p%cq/run %% --name=%s%%", url),
            ["/p:q/run".to_string(), "%".into(), format!("--name={url}%")]
        );
        assert!(is_text_browser("/usr/bin/lynx") && !is_text_browser("firefox"));
    }

    #[cfg(unix)]
    #[test]
    fn a_browser_that_fails_or_cannot_start_is_reported() {
        let e = run_browser_env("false", "https://a.example/").unwrap_err();
        assert!(e.contains("`false`") && e.contains("failed"), "{e}");
        let e = run_browser_env("jira-auth-no-such-browser", "https://a.example/").unwrap_err();
        assert!(e.contains("could not be started"), "{e}");
        // The next command is tried when one cannot start.
        assert!(run_browser_env("jira-auth-no-such-browser:true", "https://a.example/").is_ok());
    }
}
