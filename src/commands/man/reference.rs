//! docs/reference.md: the command-line reference in Markdown, generated from the same sources
//! as the man page (`super`): the clap definitions (every command, its usage, description,
//! arguments with their help, default, environment variable and possible values, and its
//! examples), the variables read outside clap (`settings::DOCUMENTED`), the files (`super::files`), the exit codes
//! (`Exit::TABLE`) and the error codes (`Code::ALL`). Nothing here is a copy of those tables.
//!
//! The file is checked in and kept current by a test (tests/cases/reference.rs), which fails
//! when it is stale and rewrites it with `JIRA_AUTH_UPDATE_REFERENCE=1` (uv's
//! `generate_cli_reference`, in check and write mode).

use std::fmt::Write as _;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::error::{Code, Exit};
use crate::settings;

/// The file, relative to the repository's root.
pub const PATH: &str = "docs/reference.md";

/// The command that rewrites the file; the staleness test names it.
pub const REGENERATE: &str = "JIRA_AUTH_UPDATE_REFERENCE=1 cargo test --test cli reference";

/// The whole of docs/reference.md.
pub fn markdown() -> String {
    let mut cmd = Cli::command();
    cmd.build();
    let globals: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .collect();

    let mut commands = Vec::new();
    collect(&cmd, &mut commands);

    let mut out = String::new();
    out.push_str("<!-- Generated from the code by `");
    out.push_str(REGENERATE);
    out.push_str("`; do not edit by hand. -->\n\n");
    out.push_str("# jira-auth reference\n\n");
    out.push_str(
        "Every command and its options, the environment, the files, the exit codes and the error codes, \
         generated from the definitions `--help` and `jira-auth man` are made from \
         (src/cli.rs, src/settings.rs, src/error/). The guides are in [the README](../README.md) \
         and the other pages of [docs/](.).\n\n",
    );
    out.push_str("- [Commands](#commands)\n");
    for c in &commands {
        let _ = writeln!(out, "  - [`{}`](#{})", c.path, anchor(&c.path));
    }
    out.push_str("- [Environment](#environment)\n");
    out.push_str("- [Files](#files)\n");
    out.push_str("- [Exit codes](#exit-codes)\n");
    out.push_str("- [Error codes](#error-codes)\n");

    out.push_str("\n## Commands\n");
    for c in &commands {
        command(&mut out, c, &globals);
    }
    environment(&mut out, &commands);
    files(&mut out);
    exit_codes(&mut out);
    error_codes(&mut out);
    out
}

/// A command with its full name (`jira-auth scopes check`), in the order clap has them.
struct Entry {
    path: String,
    cmd: clap::Command,
}

fn collect(cmd: &clap::Command, found: &mut Vec<Entry>) {
    let path = cmd
        .get_bin_name()
        .map_or_else(|| cmd.get_name().to_string(), str::to_string);
    found.push(Entry {
        path,
        cmd: cmd.clone(),
    });
    for sub in listed(cmd) {
        collect(sub, found);
    }
}

/// The commands under `cmd` worth a section: not hidden, and not clap's `help` command
/// (`--help` says the same).
fn listed(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
}

/// GitHub's anchor for a heading of plain words: lower case, spaces as dashes.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn command(out: &mut String, entry: &Entry, globals: &[String]) {
    let cmd = &entry.cmd;
    let root = !entry.path.contains(' ');
    let _ = write!(out, "\n### {}\n\n", entry.path);
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        out.push_str(&prose(&about.to_string()));
        out.push_str("\n\n");
    }
    let usage = cmd.clone().render_usage().to_string();
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    let _ = write!(out, "```text\n{usage}\n```\n");

    let subs: Vec<&clap::Command> = listed(cmd).collect();
    if !subs.is_empty() {
        out.push_str("\nCommands:\n\n");
        for sub in subs {
            let path = format!("{} {}", entry.path, sub.get_name());
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            let _ = writeln!(
                out,
                "- [`{}`](#{}): {}",
                sub.get_name(),
                anchor(&path),
                prose(&about)
            );
        }
    }

    let shown = |a: &&clap::Arg| {
        !a.is_hide_set()
            && (root || !globals.iter().any(|g| g == a.get_id().as_str()))
            && (root || !["help", "version"].contains(&a.get_id().as_str()))
    };
    let positionals: Vec<&clap::Arg> = cmd.get_positionals().filter(shown).collect();
    if !positionals.is_empty() {
        out.push_str("\nArguments:\n\n");
        for arg in positionals {
            argument(out, arg);
        }
    }
    let options: Vec<&clap::Arg> = cmd
        .get_arguments()
        .filter(|a| !a.is_positional())
        .filter(shown)
        .collect();
    if !options.is_empty() {
        out.push_str(if root {
            "\nGlobal options (anywhere on the line):\n\n"
        } else {
            "\nOptions (and the [global options](#jira-auth)):\n\n"
        });
        for arg in options {
            argument(out, arg);
        }
    }

    if let Some(after) = cmd.get_after_help() {
        let after = after.to_string();
        let body = after.strip_prefix("Examples:\n").unwrap_or(&after);
        out.push_str("\nExamples:\n\n```sh\n");
        for line in body.lines() {
            out.push_str(line.strip_prefix("  ").unwrap_or(line).trim_end());
            out.push('\n');
        }
        out.push_str("```\n");
    }
}

/// One argument: its name as typed, its help, then what clap knows of it.
fn argument(out: &mut String, arg: &clap::Arg) {
    let _ = write!(out, "- `{}`", spelling(arg));
    let help = arg
        .get_long_help()
        .or(arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    if !help.is_empty() {
        let _ = write!(out, ": {}", prose(&help));
    }
    let mut facts = Vec::new();
    if arg.get_action().takes_values() {
        let defaults: Vec<String> = arg
            .get_default_values()
            .iter()
            .map(|v| format!("`{}`", v.to_string_lossy()))
            .collect();
        if !defaults.is_empty() {
            facts.push(format!("[default: {}]", defaults.join(", ")));
        }
    }
    if let Some(env) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
        facts.push(format!("[env: `{}`]", env.to_string_lossy()));
    }
    if !facts.is_empty() {
        let _ = write!(out, " {}", facts.join(" "));
    }
    out.push('\n');
    let values: Vec<clap::builder::PossibleValue> = if arg.get_action().takes_values() {
        arg.get_possible_values()
            .into_iter()
            .filter(|v| !v.is_hide_set())
            .collect()
    } else {
        Vec::new()
    };
    for value in values {
        match value.get_help() {
            Some(help) => {
                let _ = writeln!(
                    out,
                    "  - `{}`: {}",
                    value.get_name(),
                    prose(&help.to_string())
                );
            }
            None => {
                let _ = writeln!(out, "  - `{}`", value.get_name());
            }
        }
    }
}

/// How the argument is typed: `-v, --verbose`, `--site <SITE>`, `<CMD>...`.
fn spelling(arg: &clap::Arg) -> String {
    let names: Vec<String> = arg
        .get_value_names()
        .map(|v| v.iter().map(|n| format!("<{n}>")).collect())
        .unwrap_or_else(|| vec![format!("<{}>", arg.get_id().as_str().to_uppercase())]);
    let many = arg.get_num_args().is_some_and(|n| n.max_values() > 1);
    if arg.is_positional() {
        let mut s = names.join(" ");
        if many {
            s.push_str("...");
        }
        return s;
    }
    let mut s = String::new();
    if let Some(short) = arg.get_short() {
        let _ = write!(s, "-{short}");
        if arg.get_long().is_some() {
            s.push_str(", ");
        }
    }
    if let Some(long) = arg.get_long() {
        let _ = write!(s, "--{long}");
    }
    if arg.get_action().takes_values() {
        let _ = write!(s, " {}", names.join(" "));
    }
    s
}

fn environment(out: &mut String, commands: &[Entry]) {
    out.push_str("\n## Environment\n\n");
    out.push_str(
        "An empty variable is the same as an unset one. A variable of a flag is read as that \
         flag (the flag wins when both are given); a value it cannot take is reported under \
         the variable's name.\n\n",
    );
    out.push_str("| variable | what it is |\n|---|---|\n");
    // Each variable of a flag, once, with every command that reads it.
    let mut flags: Vec<(String, String, Vec<String>)> = Vec::new();
    for entry in commands {
        for arg in entry.cmd.get_arguments() {
            let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
                continue;
            };
            let env = env.to_string_lossy().into_owned();
            let link = format!("[`{}`](#{})", entry.path, anchor(&entry.path));
            match flags.iter_mut().find(|(e, _, _)| *e == env) {
                Some((_, _, used)) => {
                    if !arg.is_global_set() {
                        used.push(link);
                    }
                }
                None => flags.push((env, format!("--{long}"), vec![link])),
            }
        }
    }
    for (env, flag, used) in flags {
        let _ = writeln!(out, "| `{env}` | `{flag}` of {} |", used.join(", "));
    }
    for (vars, what) in settings::DOCUMENTED {
        let vars: Vec<String> = vars.split(", ").map(|v| format!("`{v}`")).collect();
        let _ = writeln!(out, "| {} | {} |", vars.join(", "), cell(what));
    }
}

fn files(out: &mut String) {
    out.push_str("\n## Files\n\n| file | what it is |\n|---|---|\n");
    for (file, what) in super::files() {
        let file = if file.contains(' ') {
            file.to_string()
        } else {
            format!("`{file}`")
        };
        let _ = writeln!(out, "| {file} | {} |", cell(&what));
    }
}

fn exit_codes(out: &mut String) {
    out.push_str("\n## Exit codes\n\n");
    out.push_str(
        "The same for every command and every method. In JSON mode the error document's \
         `code` says which failure it was ([error codes](#error-codes)).\n\n",
    );
    out.push_str("| exit | meaning | error codes |\n|---|---|---|\n");
    for (exit, meaning) in Exit::TABLE {
        let codes: Vec<String> = Code::ALL
            .iter()
            .filter(|c| c.exit().code() == exit.code())
            .map(|c| format!("`{}`", c.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            exit.code(),
            cell(meaning),
            codes.join(", ")
        );
    }
}

fn error_codes(out: &mut String) {
    out.push_str("\n## Error codes\n\n");
    out.push_str(
        "In JSON mode a failure prints `{\"schema_version\": 1, \"error\": {\"code\", \"message\", \
         \"hints\"}}` on stdout, with the exit code below. Codes are added, never renamed. \
         `exec`'s own (126, 127) reach scripts as its exit codes: it has no JSON mode.\n\n",
    );
    out.push_str("| code | exit | meaning |\n|---|---|---|\n");
    for code in Code::ALL {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            code.as_str(),
            code.exit().code(),
            cell(code.meaning())
        );
    }
}

/// Help text as Markdown: outside `code spans`, what Markdown would read (`*`, `<`, `>`, and
/// `_` at a word's edge) is escaped, so that the words render as `--help` prints them.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        let chars: Vec<char> = part.chars().collect();
        for (j, &c) in chars.iter().enumerate() {
            let inside_word = |k: Option<usize>| {
                k.and_then(|k| chars.get(k))
                    .is_some_and(|c| c.is_alphanumeric())
            };
            let edge = !(inside_word(j.checked_sub(1)) && inside_word(Some(j + 1)));
            match c {
                '*' => out.push_str("\\*"),
                '_' if edge => out.push_str("\\_"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                _ => out.push(c),
            }
        }
    }
    out
}

/// Prose in a table cell: a `|` would end it.
fn cell(text: &str) -> String {
    prose(text).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_option_variable_and_code_is_in_the_reference() {
        let md = markdown();
        fn walk(cmd: &clap::Command, path: &str, md: &str) {
            assert!(md.contains(&format!("\n### {path}\n")), "{path}");
            for arg in cmd.get_arguments() {
                if let Some(long) = arg.get_long() {
                    let listed = md.lines().any(|l| {
                        l.starts_with("- `")
                            && (l.contains(&format!("--{long}`"))
                                || l.contains(&format!("--{long} <")))
                    });
                    assert!(listed, "--{long} ({path})");
                }
                if let Some(env) = arg.get_env() {
                    let env = env.to_string_lossy();
                    assert!(md.contains(&format!("| `{env}` |")), "{env}");
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), md);
            }
        }
        walk(&Cli::command(), "jira-auth", &md);
        for (vars, _) in settings::DOCUMENTED {
            for var in vars.split(", ") {
                assert!(md.contains(&format!("`{var}`")), "{var}");
            }
        }
        for code in Code::ALL {
            let row = format!("| `{}` | {} |", code.as_str(), code.exit().code());
            assert!(md.contains(&row), "{row}");
        }
        for (exit, _) in Exit::TABLE {
            assert!(md.contains(&format!("\n| {} | ", exit.code())), "{exit:?}");
        }
    }

    #[test]
    fn anchors_are_githubs() {
        assert_eq!(anchor("jira-auth scopes check"), "jira-auth-scopes-check");
        assert_eq!(anchor("Error codes"), "error-codes");
    }

    #[test]
    fn prose_escapes_markdown_outside_code_spans() {
        assert_eq!(
            prose("*.atlassian.net is `a_*b` <x> [default: y] JIRA_AUTH /_edge"),
            "\\*.atlassian.net is `a_*b` &lt;x&gt; [default: y] JIRA_AUTH /\\_edge"
        );
        assert_eq!(cell("a | b"), "a \\| b");
    }
}
