//! Opening the consent URL in a browser, without ever blocking the flow on it, and saying so
//! when no browser could be started: the URL is printed anyway, but a person staring at a
//! terminal that waits for a browser that never opened needs to know.
//!
//! `$BROWSER` is run here rather than by the webbrowser crate, which starts it in the
//! background and never looks at how it ended (`BROWSER=false` would be silence). It is read
//! as webbrowser and other tools read it: commands separated by ':', tried in order, each
//! split on whitespace, `%s` replaced by the URL (appended when absent), `%c` by ':', `%%` by
//! '%'. Without `$BROWSER` the webbrowser crate finds the desktop's browser.
//!
//! A text-mode browser (lynx, w3m, …) is never started: it would take over the terminal
//! jira-auth is waiting in (and, over SSH, open the page on the wrong machine anyway). Such
//! a `$BROWSER` counts as no browser, and the URL is printed for the person to open.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use tokio::sync::oneshot;

/// Why the browser did not open, when that is known: delivered when the browser command has
/// failed (at once for one that cannot start; when it exits, for one that exits unsuccessfully).
/// A browser that keeps running never answers, and need not.
pub type Failure = oneshot::Receiver<String>;

/// Browsers that run in the terminal: never started.
const TEXT_BROWSERS: &[&str] = &[
    "lynx",
    "links",
    "links2",
    "elinks",
    "w3m",
    "eww",
    "netrik",
    "retawq",
    "browsh",
    "carbonyl",
    "www-browser",
    "curl",
];

/// Whether a browser can be started here, before anything is opened: `Err` says why not.
/// `$BROWSER` (on Unix, where jira-auth runs it) must name a command that is found and is
/// not a text browser; without it, `desktop` says whether the webbrowser crate has a
/// desktop to open one on (a display, or macOS or Windows).
pub fn startable(
    browser_env: Option<&str>,
    path: Option<&OsStr>,
    desktop: bool,
) -> Result<(), String> {
    let Some(value) = browser_env.filter(|_| cfg!(unix)) else {
        return if desktop {
            Ok(())
        } else {
            Err("no display (DISPLAY or WAYLAND_DISPLAY) and no $BROWSER".to_string())
        };
    };
    let mut why = None;
    for part in value.split(':').filter(|p| !p.trim().is_empty()) {
        let argv = command_line(part, "");
        let program = &argv[0];
        if is_text_browser(program) {
            why.get_or_insert(format!(
                "$BROWSER names `{program}`, a text browser, which jira-auth never starts in the terminal"
            ));
        } else if found(program, path) {
            return Ok(());
        } else {
            why.get_or_insert(format!(
                "the browser command `{program}` (from $BROWSER) is not found"
            ));
        }
    }
    Err(why.unwrap_or_else(|| "$BROWSER names no command".to_string()))
}

/// `program` as `Command` would find it: a path (with a '/') to an executable file, or an
/// executable file in a directory of `path`.
fn found(program: &str, path: Option<&OsStr>) -> bool {
    let executable = |p: &Path| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        }
        #[cfg(not(unix))]
        {
            p.is_file()
        }
    };
    if program.contains('/') {
        return executable(Path::new(program));
    }
    path.is_some_and(|path| std::env::split_paths(path).any(|dir| executable(&dir.join(program))))
}

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

/// Runs the first command of `$BROWSER` that starts (never a text browser), and waits for it.
fn run_browser_env(value: &str, url: &str) -> Result<(), String> {
    let mut last = None;
    for part in value.split(':').filter(|p| !p.trim().is_empty()) {
        let argv = command_line(part, url);
        let program = &argv[0];
        if is_text_browser(program) {
            last = Some(format!(
                "the browser command `{program}` (from $BROWSER) is a text browser, which jira-auth never starts in the terminal"
            ));
            continue;
        }
        let mut cmd = Command::new(program);
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
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

    #[cfg(unix)]
    #[test]
    fn a_text_browser_is_never_started() {
        let dir = tempfile::tempdir().unwrap();
        // A "w3m" that would leave a mark if it ran.
        let w3m = dir.path().join("w3m");
        let mark = dir.path().join("ran");
        std::fs::write(&w3m, format!("#!/bin/sh\ntouch {}\n", mark.display())).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&w3m, std::fs::Permissions::from_mode(0o755)).unwrap();
        let w3m = w3m.to_str().unwrap();
        let e = run_browser_env(w3m, "https://a.example/").unwrap_err();
        assert!(e.contains("is a text browser"), "{e}");
        assert!(!mark.exists(), "the text browser ran");
        // One that is not a text browser is tried after it.
        assert!(run_browser_env(&format!("{w3m}:true"), "https://a.example/").is_ok());
        assert!(!mark.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_browser_is_startable_when_browser_names_a_graphical_command_that_is_found() {
        // A PATH of its own, not the process's: only settings.rs reads the environment, and
        // `true` is in these on every Unix.
        let path = Some(OsStr::new("/usr/bin:/bin"));
        assert_eq!(startable(Some("true"), path, false), Ok(()));
        assert_eq!(startable(Some("/bin/sh"), None, false), Ok(()));
        assert_eq!(startable(Some("lynx:true"), path, false), Ok(()));
        let e = startable(Some("w3m %s:lynx"), path, true).unwrap_err();
        assert!(e.contains("`w3m`, a text browser"), "{e}");
        let e = startable(Some("jira-auth-no-such-browser"), path, true).unwrap_err();
        assert!(
            e.contains("`jira-auth-no-such-browser` (from $BROWSER) is not found"),
            "{e}"
        );
        assert_eq!(startable(None, path, true), Ok(()));
        let e = startable(None, path, false).unwrap_err();
        assert!(e.contains("no display"), "{e}");
    }
}
