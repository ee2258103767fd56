//! The check engine of `doctor`: a check's status, detail and fix, what earlier checks
//! learned for later ones, and the report in both forms.

use serde::Serialize;
use time::OffsetDateTime;

use crate::atlassian::Resource;
use crate::error::{CliError, Code};
use crate::store::AuthConfig;
use crate::ui::Ui;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Status {
    Pass,
    Warn,
    Fail,
    Skip,
}

impl Status {
    /// The line's mark: ✓ ! ✗ - where the locale is UTF-8, else the status as a word of the
    /// same width for every status (FAIL in capitals, to stand out without colour).
    fn mark(self, unicode: bool) -> console::StyledObject<&'static str> {
        let (symbol, word) = match self {
            Status::Pass => ("✓", "pass"),
            Status::Warn => ("!", "warn"),
            Status::Fail => ("✗", "FAIL"),
            Status::Skip => ("-", "skip"),
        };
        let mark = console::style(if unicode { symbol } else { word });
        match self {
            Status::Pass => mark.green(),
            Status::Warn => mark.yellow(),
            Status::Fail => mark.red().bold(),
            Status::Skip => mark.dim(),
        }
    }
}

#[derive(Debug, Serialize)]
pub(super) struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    /// What to do; `None` on a pass or a skip.
    pub fix: Option<String>,
    /// A failure's error code (what the command that met it would have failed with), which
    /// gives doctor's exit code; `None` unless the check failed.
    pub code: Option<Code>,
}

impl Check {
    pub(super) fn pass(name: &'static str, detail: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            detail: detail.into(),
            fix: None,
            code: None,
        }
    }

    pub(super) fn skip(name: &'static str, why: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skip,
            detail: why.into(),
            fix: None,
            code: None,
        }
    }

    pub(super) fn warn(
        name: &'static str,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
            code: None,
        }
    }

    pub(super) fn fail(
        name: &'static str,
        code: Code,
        detail: impl Into<String>,
        fix: impl Into<String>,
    ) -> Check {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
            code: Some(code),
        }
    }

    /// A failure described by an error of the rest of the program: its message (and causes)
    /// as the detail, its hints as the fix, its code. The same words as the command that
    /// would have met it.
    pub(super) fn from_error(
        name: &'static str,
        err: impl Into<CliError>,
        default_fix: &str,
    ) -> Check {
        let err = err.into();
        let detail = err.lines().collect::<Vec<_>>().join(": ");
        let fix = if err.hints().is_empty() {
            default_fix.to_string()
        } else {
            err.hints().join("; ")
        };
        Check::fail(name, err.code(), detail, fix)
    }
}

/// What earlier checks learned that later ones need.
#[derive(Default)]
pub(super) struct Facts {
    pub profile: Option<String>,
    /// The store's probe worked.
    pub store_ok: bool,
    /// The keychain is there but locked (or access was dismissed).
    pub store_locked: bool,
    /// The profile as stored (check `profile`), then as renewed (check `token`).
    pub cfg: Option<AuthConfig>,
    pub token_ok: bool,
    /// Atlassian refused to renew the token (as opposed to not being reachable).
    pub token_rejected: bool,
    /// accessible-resources: `Some(Some(site))`, `Some(None)` when the site is gone, `None`
    /// when there was no answer.
    pub site: Option<Option<Resource>>,
    /// The first server `Date` seen, with the local time its answer arrived.
    pub date: Option<(OffsetDateTime, OffsetDateTime)>,
}

/// What `doctor --json` prints.
#[derive(Serialize)]
pub(super) struct Report<'a> {
    pub profile: Option<&'a str>,
    pub checks: &'a [Check],
    pub ok: bool,
}

impl Report<'_> {
    /// One line per check, the fix under each non-pass, columns aligned.
    pub(super) fn render(&self, ui: &Ui) -> String {
        let unicode = ui.unicode();
        let mark_width = if unicode { 1 } else { 4 };
        let width = self.checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
        let mut out = String::new();
        for c in self.checks {
            out.push_str(&format!(
                "{} {:<width$}  {}\n",
                c.status.mark(unicode),
                c.name,
                c.detail
            ));
            if let Some(fix) = &c.fix {
                out.push_str(&format!("{:mark_width$} {:<width$}  fix: {fix}\n", "", ""));
            }
        }
        ui.plain(&out).into_owned()
    }
}
