//! Questions to the person: dialoguer on a terminal, or, for scripts, a prompter that
//! refuses every question by name. The interactive and the no-input paths run the same
//! command code; only this object differs.

use secrecy::SecretString;

/// A question that could not be answered.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    #[error("interrupted")]
    Interrupted,
    /// Escape (or q) in a menu or a yes/no question.
    #[error("cancelled")]
    Cancelled,
    #[error("cannot prompt: {0}")]
    NoTerminal(String),
    /// Prompting is off (`--no-input`, `JIRA_AUTH_NO_INPUT`, or no terminal).
    #[error(
        "'{0}' needs an answer, but prompting is off (--no-input, JIRA_AUTH_NO_INPUT, or stdin is not a terminal)"
    )]
    Off(String),
}

/// Every question the commands can ask.
pub trait Prompter {
    fn interactive(&self) -> bool;
    fn input(
        &self,
        prompt: &str,
        validate: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, PromptError>;
    fn password(&self, prompt: &str) -> Result<SecretString, PromptError>;
    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, PromptError>;
    fn multi_select(
        &self,
        prompt: &str,
        items: &[String],
        defaults: &[bool],
    ) -> Result<Vec<usize>, PromptError>;
    fn confirm(&self, prompt: &str, default: bool) -> Result<bool, PromptError>;
}

/// Prompts on the terminal through dialoguer. Escape cancels a menu or a yes/no question
/// (dialoguer's text inputs have no way to be cancelled but Ctrl-C).
pub struct Dialoguer;

/// dialoguer's plain theme, but with no ':' after a prompt that already ends in punctuation
/// ("Which site should this profile use?", not "…use?:").
struct Plain;

fn after(prompt: &str) -> &'static str {
    if prompt.ends_with(['?', ':', '.', '!']) {
        ""
    } else {
        ":"
    }
}

impl dialoguer::theme::Theme for Plain {
    fn format_prompt(&self, f: &mut dyn std::fmt::Write, prompt: &str) -> std::fmt::Result {
        write!(f, "{prompt}{}", after(prompt))
    }

    fn format_input_prompt(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        default: Option<&str>,
    ) -> std::fmt::Result {
        match default {
            Some(default) => write!(f, "{prompt} [{default}]{} ", after(prompt)),
            None => write!(f, "{prompt}{} ", after(prompt)),
        }
    }

    fn format_input_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        sel: &str,
    ) -> std::fmt::Result {
        write!(f, "{prompt}{} {sel}", after(prompt))
    }

    fn format_multi_select_prompt_selection(
        &self,
        f: &mut dyn std::fmt::Write,
        prompt: &str,
        selections: &[&str],
    ) -> std::fmt::Result {
        write!(f, "{prompt}{} {}", after(prompt), selections.join(", "))
    }
}

/// A menu or question answered with Escape.
fn answered<T>(answer: Option<T>) -> Result<T, PromptError> {
    answer.ok_or(PromptError::Cancelled)
}

fn prompt_error(e: dialoguer::Error) -> PromptError {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        PromptError::Interrupted
    } else {
        PromptError::NoTerminal(io.to_string())
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
    ) -> Result<String, PromptError> {
        dialoguer::Input::<String>::with_theme(&Plain)
            .with_prompt(prompt)
            .validate_with(|s: &String| validate(s.trim()))
            .interact_text()
            .map(|s| s.trim().to_string())
            .map_err(prompt_error)
    }

    fn password(&self, prompt: &str) -> Result<SecretString, PromptError> {
        dialoguer::Password::with_theme(&Plain)
            .with_prompt(prompt)
            .interact()
            .map(SecretString::from)
            .map_err(prompt_error)
    }

    fn select(&self, prompt: &str, items: &[String], default: usize) -> Result<usize, PromptError> {
        // Select, never FuzzySelect: FuzzySelect hangs without a terminal.
        dialoguer::Select::with_theme(&Plain)
            .with_prompt(prompt)
            .items(items)
            .default(default)
            .interact_opt()
            .map_err(prompt_error)
            .and_then(answered)
    }

    fn multi_select(
        &self,
        prompt: &str,
        items: &[String],
        defaults: &[bool],
    ) -> Result<Vec<usize>, PromptError> {
        dialoguer::MultiSelect::with_theme(&Plain)
            .with_prompt(prompt)
            .items(items)
            .defaults(defaults)
            .interact_opt()
            .map_err(prompt_error)
            .and_then(answered)
    }

    fn confirm(&self, prompt: &str, default: bool) -> Result<bool, PromptError> {
        dialoguer::Confirm::with_theme(&Plain)
            .with_prompt(prompt)
            .default(default)
            .interact_opt()
            .map_err(prompt_error)
            .and_then(answered)
    }
}

/// The prompter for scripts: every question is an error that says how to answer it
/// up front. Callers name the flag; this is the fallback when they did not.
pub struct NoInput;

fn no_input(prompt: &str) -> PromptError {
    PromptError::Off(prompt.to_string())
}

impl Prompter for NoInput {
    fn interactive(&self) -> bool {
        false
    }
    fn input(
        &self,
        prompt: &str,
        _: &dyn Fn(&str) -> Result<(), String>,
    ) -> Result<String, PromptError> {
        Err(no_input(prompt))
    }
    fn password(&self, prompt: &str) -> Result<SecretString, PromptError> {
        Err(no_input(prompt))
    }
    fn select(&self, prompt: &str, _: &[String], _: usize) -> Result<usize, PromptError> {
        Err(no_input(prompt))
    }
    fn multi_select(
        &self,
        prompt: &str,
        _: &[String],
        _: &[bool],
    ) -> Result<Vec<usize>, PromptError> {
        Err(no_input(prompt))
    }
    fn confirm(&self, prompt: &str, _: bool) -> Result<bool, PromptError> {
        Err(no_input(prompt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_no_input_prompter_refuses_every_question_by_name() {
        let p = NoInput;
        assert!(!p.interactive());
        let e = p.confirm("Replace it?", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "'Replace it?' needs an answer, but prompting is off (--no-input, JIRA_AUTH_NO_INPUT, or stdin is not a terminal)"
        );
        assert!(matches!(p.select("Site", &[], 0), Err(PromptError::Off(_))));
    }

    #[test]
    fn prompts_ending_in_punctuation_get_no_colon() {
        use dialoguer::theme::Theme as _;
        let shown = |prompt: &str| {
            let mut out = String::new();
            Plain.format_select_prompt(&mut out, prompt).unwrap();
            out
        };
        assert_eq!(
            shown("Which site should this profile use?"),
            "Which site should this profile use?"
        );
        assert_eq!(shown("Client ID"), "Client ID:");
        let mut out = String::new();
        Plain
            .format_select_prompt_selection(&mut out, "Which site?", "acme")
            .unwrap();
        assert_eq!(out, "Which site? acme");
    }
}
