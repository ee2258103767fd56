//! Talking to the person: prompts (interactive or refusing), the browser, and progress.

pub mod browser;

use std::io::IsTerminal;
use std::time::Duration;

use secrecy::SecretString;

use crate::error::{CliError, Exit};

/// Every question the commands can ask. The interactive and the no-input paths run the
/// same command code; only this object differs.
pub trait Prompter {
    fn interactive(&self) -> bool;
    fn input(
        &self,
        prompt: &str,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, CliError>;
    fn password(&self, prompt: &str) -> Result<SecretString, CliError>;
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, CliError>;
    fn multi_select(
        &self,
        prompt: &str,
        items: &[String],
        defaults: &[bool],
    ) -> Result<Vec<usize>, CliError>;
    fn confirm(&self, prompt: &str, default: bool) -> Result<bool, CliError>;
}

/// True when prompting is possible: allowed by flags and both stdin and stderr (where
/// dialoguer draws) are terminals.
pub fn can_prompt(no_input: bool) -> bool {
    !no_input && std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

pub fn prompter(no_input: bool) -> Box<dyn Prompter> {
    if can_prompt(no_input) {
        Box::new(Dialoguer)
    } else {
        Box::new(NoInput)
    }
}

/// Prompts on the terminal through dialoguer.
pub struct Dialoguer;

fn prompt_error(e: dialoguer::Error) -> CliError {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        CliError::new(Exit::Interrupted, "interrupted")
    } else {
        CliError::usage(format!("cannot prompt: {io}"))
            .hint("pass the value with its flag or env var, and --no-input")
    }
}

impl Prompter for Dialoguer {
    fn interactive(&self) -> bool {
        true
    }

    fn input(
        &self,
        prompt: &str,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, CliError> {
        dialoguer::Input::<String>::new()
            .with_prompt(prompt)
            .validate_with(|s: &String| validate(s.trim()))
            .interact_text()
            .map(|s| s.trim().to_string())
            .map_err(prompt_error)
    }

    fn password(&self, prompt: &str) -> Result<SecretString, CliError> {
        dialoguer::Password::new()
            .with_prompt(prompt)
            .interact()
            .map(SecretString::from)
            .map_err(prompt_error)
    }

    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, CliError> {
        // Select, never FuzzySelect: FuzzySelect hangs without a terminal.
        dialoguer::Select::new()
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact()
            .map_err(prompt_error)
    }

    fn multi_select(
        &self,
        prompt: &str,
        items: &[String],
        defaults: &[bool],
    ) -> Result<Vec<usize>, CliError> {
        dialoguer::MultiSelect::new()
            .with_prompt(prompt)
            .items(items)
            .defaults(defaults)
            .interact()
            .map_err(prompt_error)
    }

    fn confirm(&self, prompt: &str, default: bool) -> Result<bool, CliError> {
        dialoguer::Confirm::new()
            .with_prompt(prompt)
            .default(default)
            .interact()
            .map_err(prompt_error)
    }
}

/// The prompter for scripts: every question is an error that says how to answer it
/// up front. Callers name the flag; this is the fallback when they did not.
pub struct NoInput;

fn no_input(prompt: &str) -> CliError {
    CliError::usage(format!(
        "'{prompt}' needs an answer, but prompting is off (--no-input, JIRA_AUTH_NO_INPUT, or stdin is not a terminal)"
    ))
}

impl Prompter for NoInput {
    fn interactive(&self) -> bool {
        false
    }
    fn input(
        &self,
        prompt: &str,
        _: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, CliError> {
        Err(no_input(prompt))
    }
    fn password(&self, prompt: &str) -> Result<SecretString, CliError> {
        Err(no_input(prompt))
    }
    fn select(&self, prompt: &str, _: &[String], _: usize) -> Result<usize, CliError> {
        Err(no_input(prompt))
    }
    fn multi_select(&self, prompt: &str, _: &[String], _: &[bool]) -> Result<Vec<usize>, CliError> {
        Err(no_input(prompt))
    }
    fn confirm(&self, prompt: &str, _: bool) -> Result<bool, CliError> {
        Err(no_input(prompt))
    }
}

/// A spinner on stderr while waiting; hidden by indicatif when stderr is not a terminal.
pub fn spinner(message: &str) -> indicatif::ProgressBar {
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    if !unicode_locale() {
        // indicatif's default frames are Braille characters.
        pb.set_style(indicatif::ProgressStyle::default_spinner().tick_chars("-\\|/ "));
    }
    pb.set_message(plain(message).into_owned());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// True when marks such as ✓ and ✗ can be shown: the locale's character set is UTF-8. The
/// first of LC_ALL, LC_CTYPE and LANG that is set decides, as POSIX orders them; none set is
/// the "C" locale, which is ASCII. Windows consoles are Unicode whatever the environment says.
pub fn unicode_locale() -> bool {
    cfg!(windows) || locale_is_utf8(|k| std::env::var(k).ok())
}

fn locale_is_utf8(var: impl Fn(&str) -> Option<String>) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| var(k).filter(|v| !v.is_empty()))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// Human text for a terminal that may not be UTF-8: the typographic characters the messages
/// use (arrows of console paths, dashes, ellipses) spelled in ASCII when the locale is not
/// UTF-8, so "Jira API → Classic scopes" does not reach a C-locale terminal as mojibake.
/// JSON is data and stays as it is.
pub fn plain(text: &str) -> std::borrow::Cow<'_, str> {
    if text.is_ascii() || unicode_locale() {
        return text.into();
    }
    to_ascii_punctuation(text).into()
}

fn to_ascii_punctuation(text: &str) -> String {
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
    out
}

/// Human output: stderr, always (stdout is for the data scripts consume).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { eprintln!("{}", $crate::ui::plain(&format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_set_locale_variable_decides() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(name, _)| *name == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(locale_is_utf8(env(&[("LANG", "en_GB.UTF-8")])));
        assert!(locale_is_utf8(env(&[("LANG", "C.utf8")])));
        assert!(!locale_is_utf8(env(&[])), "no locale is C: ASCII");
        assert!(!locale_is_utf8(env(&[("LANG", "C")])));
        assert!(!locale_is_utf8(env(&[
            ("LC_ALL", "C"),
            ("LANG", "en_US.UTF-8")
        ])));
        assert!(locale_is_utf8(env(&[
            ("LC_ALL", ""),
            ("LC_CTYPE", "de_DE.UTF-8"),
            ("LANG", "C")
        ])));
        assert!(!locale_is_utf8(env(&[("LANG", "de_DE.ISO-8859-1")])));
    }

    #[test]
    fn ascii_punctuation_keeps_everything_else() {
        assert_eq!(
            to_ascii_punctuation("Jira API → Classic scopes — ok… ✓ ✗ café"),
            "Jira API -> Classic scopes - ok... ok x café"
        );
    }
}
