//! `jira-auth man`: the man page (roff), generated from the same clap definitions as `--help`:
//! the global options, then every command with its own options and examples (one page: no
//! references to pages that do not exist), then EXIT STATUS, ENVIRONMENT and FILES from the
//! tables the code itself uses. docs/reference.md is made from the same sources (reference.rs).

pub mod reference;

use clap::CommandFactory;

use super::Result;
use crate::cli::{Cli, examples};
use crate::error::{CliError, Code, Exit};
use crate::settings;
use crate::ui::Ui;

pub(crate) fn run(ui: &Ui) -> Result {
    let page = page().map_err(|e| CliError::unexpected(format!("rendering the man page: {e}")))?;
    Ok(ui.print(&page)?)
}

fn page() -> std::io::Result<String> {
    let cmd = Cli::command();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    let mut page = String::from_utf8_lossy(&out).into_owned();
    for render in [
        clap_mangen::Man::render_name_section,
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
        clap_mangen::Man::render_options_section,
    ] {
        let mut out = Vec::new();
        render(&man, &mut out)?;
        page.push_str(without_preamble(&String::from_utf8_lossy(&out)));
    }

    page.push_str(".SH COMMANDS\n");
    for sub in cmd.get_subcommands() {
        command(&mut page, "jira-auth", sub)?;
    }
    page.push_str(".SH EXAMPLES\n");
    examples_block(&mut page, examples::TOP);

    page.push_str(".SH \"EXIT STATUS\"\n");
    for (exit, meaning) in Exit::TABLE {
        entry(&mut page, &exit.code().to_string(), meaning);
    }
    page.push_str(".SH \"ERROR CODES\"\n");
    page.push_str(&text(
        "In JSON mode a failure prints {\"schema_version\": 1, \"error\": {\"code\", \"message\", \"hints\"}} on stdout; the codes, with their exit codes:",
    ));
    page.push('\n');
    for code in Code::ALL {
        entry(
            &mut page,
            &format!("{} (exit {})", code.as_str(), code.exit().code()),
            code.meaning(),
        );
    }
    page.push_str(".SH ENVIRONMENT\n");
    page.push_str(&text(
        "An empty variable is the same as an unset one. These are read as their flags are:",
    ));
    page.push('\n');
    let mut flags = Vec::new();
    env_of_flags(&cmd, &mut flags);
    for (var, flag) in flags {
        entry(&mut page, &var, &format!("as {flag}"));
    }
    for (var, what) in settings::DOCUMENTED {
        entry(&mut page, var, what);
    }
    page.push_str(".SH FILES\n");
    for (file, what) in files() {
        entry(&mut page, file, &what);
    }
    let mut out = Vec::new();
    man.render_version_section(&mut out)?;
    page.push_str(without_preamble(&String::from_utf8_lossy(&out)));
    Ok(page)
}

/// The files jira-auth keeps, and what each holds: the man page's FILES and the reference's.
pub(crate) fn files() -> [(&'static str, String); 4] {
    [
        (
            "the config dir",
            format!(
                "JIRA_AUTH_CONFIG_DIR, else {}; yours, and writable by you alone",
                settings::DEFAULT_CONFIG_DIR
            ),
        ),
        (
            "profiles.json",
            "in the config dir: the profile index (names, sites, the default; no secret)".into(),
        ),
        (
            "credentials/PROFILE.json",
            "in the config dir: the file store (--store file), one 0600 file per profile".into(),
        ),
        (
            "locks/",
            "in the config dir: one lock file per profile while it is in use, so that two processes never refresh it at once".into(),
        ),
    ]
}

/// A section as clap_mangen renders it alone: from its `.SH`, without the string definitions
/// it puts before every rendering (the title's are enough).
fn without_preamble(roff: &str) -> &str {
    roff.find(".SH ").map_or(roff, |at| &roff[at..])
}

/// One command: its synopsis, description, options and examples, then its own commands.
fn command(page: &mut String, parent: &str, sub: &clap::Command) -> std::io::Result<()> {
    let name = format!("{parent} {}", sub.get_name());
    page.push_str(&format!(".SS \"{}\"\n", escape(&name)));
    let man = clap_mangen::Man::new(sub.clone().bin_name(&name));
    for render in [
        clap_mangen::Man::render_synopsis_section,
        clap_mangen::Man::render_description_section,
        clap_mangen::Man::render_options_section,
    ] {
        let mut out = Vec::new();
        render(&man, &mut out)?;
        // Without its `.SH` heading: a command is a subsection of COMMANDS.
        let body = String::from_utf8_lossy(&out);
        let body = without_preamble(&body)
            .split_once('\n')
            .map_or("", |(_, rest)| rest);
        if !body.trim().is_empty() {
            page.push_str(".PP\n");
            page.push_str(body);
        }
    }
    if let Some(after) = sub.get_after_help() {
        page.push_str(".PP\n");
        examples_block(page, &after.to_string());
    }
    for nested in sub.get_subcommands() {
        command(page, &name, nested)?;
    }
    Ok(())
}

/// An `Examples:` help text as a literal block.
fn examples_block(page: &mut String, help: &str) {
    page.push_str(".nf\n");
    for line in help.lines() {
        page.push_str(&text(line));
        page.push('\n');
    }
    page.push_str(".fi\n");
}

/// A tagged paragraph: `tag` in bold, `what` under it.
fn entry(page: &mut String, tag: &str, what: &str) {
    page.push_str(&format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), text(what)));
}

/// Every environment variable clap reads for a flag, once, with its flag.
fn env_of_flags(cmd: &clap::Command, found: &mut Vec<(String, String)>) {
    for arg in cmd.get_arguments() {
        if let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) {
            let env = env.to_string_lossy().into_owned();
            if !found.iter().any(|(e, _)| *e == env) {
                found.push((env, format!("--{long}")));
            }
        }
    }
    for sub in cmd.get_subcommands() {
        env_of_flags(sub, found);
    }
}

/// `s` with roff's special characters escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\e").replace('-', "\\-")
}

/// A line of text: escaped, and never read as a roff request.
fn text(line: &str) -> String {
    let escaped = escape(line);
    if escaped.starts_with(['.', '\'']) {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_lists_every_error_code() {
        let page = page().unwrap();
        let codes =
            &page[page.find(".SH \"ERROR CODES\"").unwrap()..page.find(".SH ENVIRONMENT").unwrap()];
        for code in Code::ALL {
            assert!(codes.contains(&escape(code.as_str())), "{code}");
        }
    }
}
