//! The command-line error: an exit code from `Exit::TABLE`, the error it came from,
//! the context it happened in, and hints that say what to do next. Every conversion from a
//! domain error lives in this module (convert.rs), so `?` works everywhere in the commands
//! and each condition has one wording; the domain modules say what happened, this module
//! says what to do. Every error has a `Code` (code.rs), made where the error is: the name
//! scripts read in JSON mode, and the exit code with it.

mod code;
mod convert;
mod remote;

use std::fmt;

use serde::Serialize;

pub use code::Code;
pub use convert::redirect_flag;
pub use remote::site_lines;

/// The exit codes scripts can rely on (ARCHITECTURE.md, "The command-line contract").
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
    /// `exec`: the command was found but cannot be run (as a shell says it).
    CommandNotExecutable = 126,
    /// `exec`: no such command (as a shell says it).
    CommandNotFound = 127,
    Interrupted = 130,
}

impl Exit {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Every exit code and what it means, for `jira-auth man` and docs/reference.md.
    pub const TABLE: &[(Exit, &str)] = &[
        (Exit::Ok, "ok"),
        (Exit::Unexpected, "unexpected error"),
        (
            Exit::Usage,
            "usage error or missing input (a flag, a variable, a damaged profile index)",
        ),
        (
            Exit::AuthNeeded,
            "authentication needed: no profile, consent denied, refresh token or client secret rejected, site no longer in the grant",
        ),
        (Exit::ScopeCheck, "scope check failed"),
        (
            Exit::Unavailable,
            "Atlassian, the Jira server or the network unavailable after retries",
        ),
        (
            Exit::Store,
            "credential store unavailable, locked, or not to be trusted (files of another user, or writable by others)",
        ),
        (Exit::Timeout, "no callback before the timeout"),
        (
            Exit::CommandNotExecutable,
            "exec: the command was found but cannot be run",
        ),
        (Exit::CommandNotFound, "exec: the command was not found"),
        (Exit::Interrupted, "interrupted or cancelled"),
    ];
}

type Source = Box<dyn std::error::Error + Send + Sync>;

/// An error the user is meant to read: what happened (the source error, or a sentence of the
/// command's), the context it happened in, and what to do next; and its code, for scripts.
/// Printed once, by `main`. Messages never contain secrets: they are built from names, URLs
/// and counts only.
#[derive(Debug)]
pub struct CliError {
    code: Code,
    /// What was being done, outermost first ("saving the profile's credentials").
    context: Vec<String>,
    source: Source,
    hints: Vec<String>,
}

/// A sentence of the command line's own, as an error source.
#[derive(Debug)]
struct Message(String);

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Message {}

impl CliError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        CliError::of(code, Message(message.into()))
    }

    fn of(code: Code, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        CliError {
            code,
            context: Vec::new(),
            source: Box::new(source),
            hints: Vec::new(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Code::Usage, message)
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        Self::new(Code::Internal, message)
    }

    /// A value that has no flag, env var or prompt to come from: name both so a script author
    /// knows exactly what to add.
    pub fn missing(what: &str, flag: &str, env: &str) -> Self {
        Self::new(
            Code::MissingInput,
            format!("missing {what}: pass {flag} or set {env}"),
        )
        .hint(
            "nothing is prompted with --no-input, JIRA_AUTH_NO_INPUT=1, or when stdin is not a terminal",
        )
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Says what was being done when the error happened; the error becomes its cause.
    pub fn context(mut self, what: impl Into<String>) -> Self {
        self.context.insert(0, what.into());
        self
    }

    pub fn exit(&self) -> Exit {
        self.code.exit()
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn hints(&self) -> &[String] {
        &self.hints
    }

    /// The first line: the outermost context, or what happened.
    pub fn message(&self) -> String {
        self.lines().next().unwrap_or_default()
    }

    /// The message, then its causes, outermost first.
    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        let mut chain: Vec<String> = self.context.clone();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(self.source.as_ref());
        while let Some(e) = cause {
            chain.push(e.to_string());
            cause = e.source();
        }
        chain.into_iter()
    }

    /// `error` of the JSON error document: the code, the message with its causes on one
    /// line, and the hints.
    pub fn document(&self) -> ErrorDocument<'_> {
        ErrorDocument {
            code: self.code,
            message: self.lines().collect::<Vec<_>>().join(": "),
            hints: &self.hints,
        }
    }

    /// For stderr: the message, its causes, then the hints.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (i, line) in self.lines().enumerate() {
            if i == 0 {
                out.push_str(&format!("error: {line}"));
            } else {
                out.push_str(&format!("\n  caused by: {line}"));
            }
        }
        for h in &self.hints {
            out.push_str(&format!("\n  hint: {h}"));
        }
        out
    }
}

/// What a failure is in JSON mode: `{"schema_version": 1, "error": THIS}` on stdout.
#[derive(Debug, Serialize)]
pub struct ErrorDocument<'a> {
    pub code: Code,
    pub message: String,
    pub hints: &'a [String],
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// `.context("…")` on any result whose error converts into a `CliError`.
pub trait Context<T> {
    fn context(self, what: &str) -> Result<T, CliError>;
}

impl<T, E: Into<CliError>> Context<T> for Result<T, E> {
    fn context(self, what: &str) -> Result<T, CliError> {
        self.map_err(|e| e.into().context(what))
    }
}
