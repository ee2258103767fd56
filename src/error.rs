//! Typed errors that carry an exit code and hints, and the exit-code table of DESIGN.md.

use std::fmt;

/// The exit codes scripts can rely on (DESIGN.md § Command-line contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Unexpected = 1,
    Usage = 2,
    AuthNeeded = 3,
    ScopeCheck = 4,
    Unavailable = 5,
    Store = 6,
    Timeout = 7,
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// An error the user is meant to read: one sentence, a kind that picks the exit code, and
/// hints that say what to do next. Built at the place that knows the cause, printed once in
/// `main`. Messages never contain secrets: callers pass only names, URLs and counts.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    pub hints: Vec<String>,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        CliError {
            exit,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// A value that has no flag, env var or prompt to come from: name both so a script author
    /// knows exactly what to add.
    pub fn missing(what: &str, flag: &str, env: &str) -> Self {
        Self::usage(format!("missing {what}: pass {flag} or set {env}")).hint(
            "nothing is prompted with --no-input, JIRA_AUTH_NO_INPUT=1, or when stdin is not a terminal",
        )
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}

/// The exit code for any error that reached `main`: the first `CliError` in the chain decides;
/// anything else is a bug or an unforeseen failure (1).
pub fn exit_of(err: &anyhow::Error) -> Exit {
    err.chain()
        .find_map(|e| e.downcast_ref::<CliError>().map(|c| c.exit))
        .unwrap_or(Exit::Unexpected)
}

/// Renders an error for stderr: the message, its causes, then the hints.
pub fn render(err: &anyhow::Error) -> String {
    let mut out = format!("error: {err}");
    let mut hints: Vec<&str> = Vec::new();
    // chain() starts with the outermost error itself; anyhow's downcast would also see
    // through context, so hints are gathered from the chain alone (once each).
    for (i, cause) in err.chain().enumerate() {
        if i > 0 {
            out.push_str(&format!("\n  caused by: {cause}"));
        }
        if let Some(c) = cause.downcast_ref::<CliError>() {
            hints.extend(c.hints.iter().map(String::as_str));
        }
    }
    for h in hints {
        out.push_str(&format!("\n  hint: {h}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_comes_from_the_first_cli_error_in_the_chain() {
        let err = anyhow::Error::new(CliError::new(Exit::Store, "keychain locked"))
            .context("saving profile");
        assert_eq!(exit_of(&err), Exit::Store);
        assert_eq!(exit_of(&anyhow::anyhow!("boom")), Exit::Unexpected);
    }

    #[test]
    fn render_lists_causes_and_hints() {
        let err = anyhow::Error::new(
            CliError::new(Exit::Store, "keychain locked").hint("unlock it or use --store file"),
        )
        .context("saving profile");
        let text = render(&err);
        assert_eq!(
            text,
            "error: saving profile\n  caused by: keychain locked\n  hint: unlock it or use --store file"
        );
    }

    #[test]
    fn missing_names_flag_and_env() {
        let e = CliError::missing("client id", "--client-id", "JIRA_AUTH_CLIENT_ID");
        assert_eq!(e.exit, Exit::Usage);
        assert!(e.message.contains("--client-id") && e.message.contains("JIRA_AUTH_CLIENT_ID"));
    }
}
