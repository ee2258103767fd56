//! The `Ui`: everything a command reads from or shows to the person or the script that runs
//! it, as one value passed to the commands and to nothing below them. Data for scripts goes
//! to stdout; human text to stderr, always; questions go through the prompter; the consent
//! page through the browser.

pub mod browser;
pub mod document;
pub mod paste;
pub mod prompt;

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, IsTerminal, Write};
use std::rc::Rc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

pub use prompt::{Dialoguer, NoInput, PromptError, Prompter};

use crate::settings::{BrowserEnv, Terminal};

/// Writing to stdout failed (other than a reader that stopped early).
#[derive(Debug, thiserror::Error)]
#[error("writing to stdout: {0}")]
pub struct OutputError(#[from] std::io::Error);

pub struct Ui {
    stdout: RefCell<Box<dyn Write>>,
    stderr: RefCell<Box<dyn Write>>,
    stdin: RefCell<Input>,
    stdin_is_terminal: bool,
    stderr_is_terminal: bool,
    prompter: Box<dyn Prompter>,
    opener: Box<dyn Fn(&str) -> browser::Failure>,
    /// Whether a browser can be started here; why not, when not.
    browser: Result<(), String>,
    terminal: Terminal,
    /// The report of `--json`, printed once the command is over (with its error, if any).
    report: RefCell<Option<serde_json::Map<String, serde_json::Value>>>,
}

impl Ui {
    /// The process's own streams. Prompting needs `--no-input` off and both stdin and
    /// stderr (where dialoguer draws) to be terminals. `browser_env` is `$BROWSER` and `PATH`.
    pub fn process(terminal: Terminal, no_input: bool, browser_env: BrowserEnv) -> Ui {
        let stdin_is_terminal = std::io::stdin().is_terminal();
        let stderr_is_terminal = std::io::stderr().is_terminal();
        let prompter: Box<dyn Prompter> = if !no_input && stdin_is_terminal && stderr_is_terminal {
            Box::new(Dialoguer)
        } else {
            Box::new(NoInput)
        };
        Ui {
            stdout: RefCell::new(Box::new(std::io::stdout())),
            stderr: RefCell::new(Box::new(std::io::stderr())),
            // Locked only while it is read: dialoguer reads stdin through its own handle.
            stdin: RefCell::new(Input::Process),
            stdin_is_terminal,
            stderr_is_terminal,
            prompter,
            browser: browser::startable(
                browser_env.command.as_deref(),
                browser_env.path.as_deref(),
                terminal.browser,
            ),
            opener: Box::new(move |url| browser::open(url, browser_env.command.as_deref())),
            terminal,
            report: RefCell::new(None),
        }
    }

    /// A Ui whose output is kept in memory and whose input is `stdin`, for tests: no
    /// terminal, no prompts, no browser (the URLs it was asked to open are recorded).
    pub fn captured(stdin: &str, terminal: Terminal) -> (Ui, Captured) {
        let captured = Captured::default();
        let ui = Ui {
            stdout: RefCell::new(Box::new(Sink(captured.stdout.clone()))),
            stderr: RefCell::new(Box::new(Sink(captured.stderr.clone()))),
            stdin: RefCell::new(Input::Text(std::io::Cursor::new(stdin.as_bytes().to_vec()))),
            stdin_is_terminal: false,
            stderr_is_terminal: false,
            prompter: Box::new(NoInput),
            opener: {
                let opened = captured.opened.clone();
                Box::new(move |url| {
                    opened.borrow_mut().push(url.to_string());
                    tokio::sync::oneshot::channel().1
                })
            },
            browser: if terminal.browser {
                Ok(())
            } else {
                Err("no browser in this test".to_string())
            },
            terminal,
            report: RefCell::new(None),
        };
        (ui, captured)
    }

    /// One line of human text on stderr, spelled for the terminal's character set.
    pub fn say(&self, text: &str) {
        let line = format!("{}\n", self.plain(text));
        // Nothing useful can be done when stderr itself is gone.
        let _ = self.stderr.borrow_mut().write_all(line.as_bytes());
    }

    /// Data on stdout. Lists, scripts and pages are made to be piped into `head` or `grep
    /// -m1`: a reader that stops early is not an error (print! would panic on it).
    pub fn print(&self, data: &str) -> Result<(), OutputError> {
        let mut out = self.stdout.borrow_mut();
        match out.write_all(data.as_bytes()).and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(OutputError(e)),
            _ => Ok(()),
        }
    }

    /// A secret on stdout (`token`, `header`): the one place secrets are printed.
    pub fn print_secret(&self, secret: &SecretString) -> Result<(), OutputError> {
        crate::fault::point("before-print");
        self.print(secret.expose_secret())
    }

    /// The command's report in JSON mode: the one thing scripts parse. It is printed as the
    /// run's one document when the command is over ([`Ui::end_json`]), so that a command
    /// that fails after its report (`status`, `doctor`, `scopes check`) still prints one
    /// document, with its `error`. Never a secret: `token --json` prints its own document.
    pub fn print_json(&self, report: &impl Serialize) {
        let old = self.report.borrow_mut().replace(document::object(report));
        debug_assert!(old.is_none(), "one JSON document per run");
    }

    /// Prints the run's document in JSON mode: the report with `error` (the failure's, when
    /// there was one) added, or the error alone. Nothing when there is neither (`token`
    /// printed its own).
    pub fn end_json(&self, error: Option<serde_json::Value>) -> Result<(), OutputError> {
        let mut body = self.report.borrow_mut().take().unwrap_or_default();
        if let Some(error) = error {
            body.insert("error".to_string(), error);
        }
        if body.is_empty() {
            return Ok(());
        }
        self.print(&document::text(&body))
    }

    /// Human text as the terminal can show it: the typographic characters the messages use
    /// (arrows of console paths, dashes, ellipses, marks) spelled in ASCII where the locale is
    /// not UTF-8, so "Jira API → Classic scopes" does not reach a C-locale terminal as
    /// mojibake. JSON is data and stays as it is.
    pub fn plain<'a>(&self, text: &'a str) -> Cow<'a, str> {
        plain(text, self.terminal.unicode)
    }

    /// Marks such as ✓ and ✗ can be shown.
    pub fn unicode(&self) -> bool {
        self.terminal.unicode
    }

    pub fn prompter(&self) -> &dyn Prompter {
        self.prompter.as_ref()
    }

    pub fn stdin_is_terminal(&self) -> bool {
        self.stdin_is_terminal
    }

    /// Reads one line of stdin, at most 8 KiB (a stream without newlines cannot grow without
    /// bound), as a secret: wiped on drop, and allocated once up front so that reading never
    /// reallocates (which would leave a copy behind in freed memory).
    pub fn read_secret_line(&self) -> std::io::Result<SecretString> {
        let mut line = secrecy::zeroize::Zeroizing::new(String::with_capacity(8 * 1024 + 4));
        match &mut *self.stdin.borrow_mut() {
            Input::Process => read_limited_line(std::io::stdin().lock(), &mut line)?,
            Input::Text(text) => read_limited_line(text, &mut line)?,
        }
        Ok(SecretString::from(line.trim().to_string()))
    }

    /// Why no browser can be started here (see [`browser::startable`]); `None` when one can.
    pub fn why_no_browser(&self) -> Option<&str> {
        self.browser.as_ref().err().map(String::as_str)
    }

    /// The lines of stdin from now on, read while the command waits for other things too
    /// (the address a browser ended on); on a terminal, not echoed.
    pub fn read_pasted(&self) -> paste::PasteReader {
        match &mut *self.stdin.borrow_mut() {
            Input::Process => paste::PasteReader::of_stdin(self.stdin_is_terminal),
            Input::Text(text) => {
                let mut rest = String::new();
                let _ = std::io::Read::read_to_string(text, &mut rest);
                paste::PasteReader::of_text(&rest)
            }
        }
    }

    /// Opens `url` in the browser, never blocking on it; the answer says why it did not open,
    /// if it learns that it did not.
    pub fn open_browser(&self, url: &str) -> browser::Failure {
        (self.opener)(url)
    }

    /// A spinner on stderr while waiting at most `limit`, with the time left ("Waiting for
    /// the browser to come back… (4:59 left)"); nothing at all when stderr is not a terminal.
    pub fn spinner(&self, message: &str, limit: Duration) -> indicatif::ProgressBar {
        if !self.stderr_is_terminal {
            return indicatif::ProgressBar::hidden();
        }
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        let left = move |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = w.write_str(&clock(limit.saturating_sub(state.elapsed())));
        };
        let mut style = indicatif::ProgressStyle::default_spinner()
            .template("{spinner} {msg} ({left} left)")
            .expect("a valid template")
            .with_key("left", left);
        if !self.terminal.unicode {
            // indicatif's default frames are Braille characters.
            style = style.tick_chars("-\\|/ ");
        }
        pb.set_style(style);
        pb.set_message(self.plain(message).into_owned());
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    }
}

/// A time left as a clock shows it, `4:59` or `1:00:00`, counting whole seconds up: it
/// shows `0:00` only once the time is up.
fn clock(left: Duration) -> String {
    let secs = left.as_millis().div_ceil(1000);
    if secs >= 3600 {
        format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    } else {
        format!("{}:{:02}", secs / 60, secs % 60)
    }
}

enum Input {
    Process,
    Text(std::io::Cursor<Vec<u8>>),
}

fn read_limited_line(input: impl BufRead, line: &mut String) -> std::io::Result<()> {
    let mut limited = std::io::Read::take(input, 8 * 1024);
    limited.read_line(line)?;
    Ok(())
}

/// What a captured `Ui` was given.
#[derive(Default, Clone)]
pub struct Captured {
    stdout: Rc<RefCell<Vec<u8>>>,
    stderr: Rc<RefCell<Vec<u8>>>,
    opened: Rc<RefCell<Vec<String>>>,
}

impl Captured {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.borrow()).into_owned()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.borrow()).into_owned()
    }

    pub fn opened(&self) -> Vec<String> {
        self.opened.borrow().clone()
    }
}

struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `text` with its typographic characters in ASCII unless `unicode`.
pub fn plain(text: &str, unicode: bool) -> Cow<'_, str> {
    if text.is_ascii() || unicode {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '→' => out.push_str("->"),
            '—' | '–' => out.push('-'),
            '…' => out.push_str("..."),
            '✓' => out.push_str("ok"),
            '✗' => out.push('x'),
            other => out.push(other),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terminal(unicode: bool) -> Terminal {
        Terminal {
            unicode,
            no_color: true,
            browser: false,
        }
    }

    #[test]
    fn the_time_left_reads_as_a_clock_rounded_up() {
        let ms = Duration::from_millis;
        assert_eq!(clock(ms(300_000)), "5:00");
        assert_eq!(clock(ms(299_001)), "5:00");
        assert_eq!(clock(ms(298_999)), "4:59");
        assert_eq!(clock(ms(61_000)), "1:01");
        assert_eq!(clock(ms(1)), "0:01");
        assert_eq!(clock(ms(0)), "0:00");
        assert_eq!(clock(ms(3_661_000)), "1:01:01");
    }

    #[test]
    fn ascii_punctuation_keeps_everything_else() {
        assert_eq!(
            plain("Jira API → Classic scopes — ok… ✓ ✗ café", false),
            "Jira API -> Classic scopes - ok... ok x café"
        );
        assert_eq!(plain("a → b", true), "a → b");
    }

    #[test]
    fn a_captured_ui_keeps_data_and_text_apart() {
        let (ui, seen) = Ui::captured("s3cret-line\nrest", terminal(false));
        ui.say("note → this");
        ui.print("data\n").unwrap();
        ui.print_json(&serde_json::json!({"a": 1}));
        ui.end_json(Some(serde_json::json!({"code": "usage"})))
            .unwrap();
        drop(ui.open_browser("https://example.com/"));
        assert_eq!(
            ui.read_secret_line().unwrap().expose_secret(),
            "s3cret-line"
        );
        assert_eq!(seen.stderr(), "note -> this\n");
        assert_eq!(
            seen.stdout(),
            "data\n{\n  \"schema_version\": 1,\n  \"a\": 1,\n  \"error\": {\n    \"code\": \"usage\"\n  }\n}\n"
        );
        assert_eq!(seen.opened(), ["https://example.com/"]);
        assert!(!ui.prompter().interactive());
        assert!(ui.spinner("waiting", Duration::from_secs(9)).is_hidden());
    }
}
