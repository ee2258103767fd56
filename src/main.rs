//! Entry point: parse, set up logging and colors, run, and turn the outcome into an exit code.

// main.rs is where the environment is first read (the secrets taken out, empty variables
// unset, RUST_BACKTRACE for the panic hook), before settings.rs reads the rest.
#![allow(clippy::disallowed_methods)]

use std::process::ExitCode;

use clap::Parser;
use jira_auth::cli::{Cli, ColorChoice};
use jira_auth::error::{CliError, Code, Exit};
use jira_auth::settings::{self, Env, EnvSecrets};
use jira_auth::ui::Ui;
use secrecy::SecretString;

fn main() -> ExitCode {
    // Taken out before any thread exists (removing env vars is only sound then), so the
    // browser, `exec`'s command and other children never inherit a secret.
    let secrets = EnvSecrets {
        client_secret: take_secret(settings::CLIENT_SECRET),
        api_token: take_secret(settings::API_TOKEN),
        pat: take_secret(settings::PAT),
        composio_api_key: take_secret(settings::COMPOSIO_API_KEY),
    };
    unset_empty_variables();

    install_panic_hook();
    let cli = parse();
    let json = cli.json();
    let env = Env::capture();
    let terminal = settings::terminal(&env);
    init_color(cli.global.color, terminal.no_color);
    init_logging(cli.global.verbose);
    let ui = Ui::process(terminal, cli.global.no_input, settings::browser(&env));
    // A panic unwinds to here, so that secrets in memory are wiped by their destructors on
    // the way, and ends as the table's "unexpected" (1), not Rust's 101; the hook has
    // already said what happened.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        jira_auth::run(cli, &env, secrets, &ui)
    }));
    let result = match outcome {
        Ok(result) => result,
        Err(_) => {
            let bug = CliError::new(
                Code::Internal,
                "internal error (a bug in jira-auth; see stderr)",
            );
            if json {
                let _ = ui.end_json(Some(error_value(&bug)));
            }
            return ExitCode::from(Exit::Unexpected.code());
        }
    };
    let error = result.as_ref().err();
    if let Some(err) = error {
        ui.say(&err.render());
        if err.exit() == Exit::Unexpected {
            tracing::debug!("unexpected error; run with -vv for details");
        }
    }
    // In JSON mode one document, on success and on failure alike: the report, with the
    // error added when there is one, or the error alone.
    if json && let Err(e) = ui.end_json(error.map(error_value)) {
        ui.say(&format!("error: {e}"));
        if error.is_none() {
            return ExitCode::from(Exit::Unexpected.code());
        }
    }
    match result {
        Ok(code) => code,
        Err(err) => ExitCode::from(err.exit().code()),
    }
}

fn error_value(err: &CliError) -> serde_json::Value {
    serde_json::to_value(err.document()).expect("an error document serializes")
}

/// The value of the secret variable `name` (a set, non-empty one), after removing it from the
/// environment and overwriting it in the initial environment block. Must run before any
/// other thread exists.
fn take_secret(name: &str) -> Option<SecretString> {
    let value = std::env::var(name)
        .ok()
        .filter(|s| !s.is_empty())
        .map(SecretString::from);
    scrub_initial_environment(name);
    // SAFETY: single-threaded at this point; nothing else reads the environment concurrently.
    unsafe { std::env::remove_var(name) };
    value
}

/// One rule for every JIRA_AUTH_* variable: set but empty is unset (`JIRA_AUTH_PROFILE=` as
/// much as `JIRA_AUTH_NO_INPUT=`), whether clap or settings.rs reads it. Must run before any
/// other thread exists.
fn unset_empty_variables() {
    let empty: Vec<_> = std::env::vars_os()
        .filter(|(k, v)| k.to_string_lossy().starts_with("JIRA_AUTH_") && v.is_empty())
        .map(|(k, _)| k)
        .collect();
    for k in empty {
        // SAFETY: single-threaded at this point, as above.
        unsafe { std::env::remove_var(k) };
    }
}

/// The command line, or the end of the run with clap's error (exit 2; in JSON mode with the
/// error document on stdout as well). clap's words are improved in two cases: a value of an
/// environment variable is named by the variable, not by a flag never typed, and a `--json`
/// where it belongs to no command says where it goes or why that command has none.
fn parse() -> Cli {
    use clap::error::ErrorKind;
    let e = match Cli::try_parse() {
        Ok(cli) => return cli,
        Err(e) => e,
    };
    let e = misplaced_json(&e)
        .or_else(|| invalid_variable(&e))
        .unwrap_or(e);
    let shown = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if !shown && json_asked() {
        let text = e.render().to_string();
        let mut lines = text.lines();
        let message = lines.next().unwrap_or_default();
        let hints: Vec<&str> = lines
            .filter_map(|l| l.trim().strip_prefix("tip: "))
            .collect();
        let document = serde_json::json!({"error": {
            "code": Code::Usage,
            "message": message.strip_prefix("error: ").unwrap_or(message),
            "hints": hints,
        }});
        let text = jira_auth::ui::document::text(&document);
        let _ = std::io::Write::write_all(&mut std::io::stdout(), text.as_bytes());
    }
    e.exit()
}

/// `--json` on the command line, before any `--` (after it, words are `exec`'s command's).
fn json_asked() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// clap's "unexpected argument '--json'", said as where it goes: after the command, when the
/// command has it (`jira-auth --json status`), or why the command has none (`header --json`).
fn misplaced_json(e: &clap::Error) -> Option<clap::Error> {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let unknown = e.kind() == ErrorKind::UnknownArgument
        && matches!(e.get(ContextKind::InvalidArg), Some(ContextValue::String(a)) if a == "--json");
    if !unknown {
        return None;
    }
    // The command it was meant for: the line without its `--json`.
    let mut past_separator = false;
    let args: Vec<std::ffi::OsString> = std::env::args_os()
        .filter(|a| {
            past_separator |= a == "--";
            past_separator || a != "--json"
        })
        .collect();
    let matches = Cli::command().try_get_matches_from(&args).ok()?;
    let mut path = Vec::new();
    let mut at = &matches;
    while let Some((name, sub)) = at.subcommand() {
        path.push(name);
        at = sub;
    }
    let command = path.join(" ");
    let why = match path.first().copied() {
        Some("header") => {
            "its one output is the header value, a secret; `jira-auth token --json` gives the expiry, cloud id and API base URL".to_string()
        }
        Some("exec") => {
            "it becomes the command it runs, whose output is that command's (a --json after `--` is the command's)".to_string()
        }
        Some("completions") => "it prints a shell script".to_string(),
        Some("man") => "it prints a roff page".to_string(),
        _ => format!("--json is an option of the command: put it after the command's name, as in `jira-auth {command} --json`"),
    };
    let message = if why.starts_with("--json") {
        format!("{why}\n")
    } else {
        format!("`jira-auth {command}` has no --json: {why}\n")
    };
    Some(clap::Error::raw(ErrorKind::UnknownArgument, message).with_cmd(&Cli::command()))
}

/// clap names the flag when the value of its environment variable is invalid
/// (`JIRA_AUTH_MIN_TTL=soon` reads as "invalid value for '--min-ttl'"), which sends people
/// looking for a flag they never typed: such an error names the variable instead.
fn invalid_variable(e: &clap::Error) -> Option<clap::Error> {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let invalid = matches!(
        e.kind(),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation
    );
    let (Some(ContextValue::String(arg)), Some(ContextValue::String(value))) = (
        e.get(ContextKind::InvalidArg),
        e.get(ContextKind::InvalidValue),
    ) else {
        return None;
    };
    let flag = arg.split_whitespace().next().unwrap_or_default();
    let on_the_command_line =
        std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    let var = env_of(&Cli::command(), flag.trim_start_matches("--"))?;
    if !invalid || on_the_command_line || std::env::var_os(&var).is_none_or(|v| v != value.as_str())
    {
        return None;
    }
    let why = match (std::error::Error::source(e), e.get(ContextKind::ValidValue)) {
        (Some(source), _) => format!(": {source}"),
        (None, Some(ContextValue::Strings(valid))) => {
            format!("; it can be {}", valid.join(", "))
        }
        _ => String::new(),
    };
    let message =
        format!("invalid value '{value}' in {var} (the environment variable of {flag}){why}\n");
    Some(clap::Error::raw(e.kind(), message).with_cmd(&Cli::command()))
}

/// The environment variable of the long flag `name`, in `cmd` or any of its subcommands.
fn env_of(cmd: &clap::Command, name: &str) -> Option<String> {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(name))
        .and_then(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .or_else(|| cmd.get_subcommands().find_map(|sub| env_of(sub, name)))
}

/// `/proc/PID/environ` (what `ps e` shows, to the same user and root) reads the process's
/// original environment block, which removing a variable does not touch. So the value is
/// overwritten in place first, and the secret does not stay readable there while `init`
/// waits for the browser. Must run before any other thread exists.
#[cfg(target_os = "linux")]
fn scrub_initial_environment(name: &str) {
    use std::ffi::{CStr, c_char};
    unsafe extern "C" {
        static mut environ: *mut *mut c_char;
    }
    let prefix = format!("{name}=");
    // SAFETY: single-threaded (called first in main). `environ` is the C library's
    // NULL-terminated array of NUL-terminated strings, all writable; only bytes inside the
    // matching string's own length are written, and the string stays NUL-terminated.
    unsafe {
        let mut entry = std::ptr::addr_of!(environ).read();
        if entry.is_null() {
            return;
        }
        while !(*entry).is_null() {
            let text = *entry;
            let len = CStr::from_ptr(text).to_bytes().len();
            if CStr::from_ptr(text)
                .to_bytes()
                .starts_with(prefix.as_bytes())
            {
                std::ptr::write_bytes(text.add(prefix.len()), 0, len - prefix.len());
            }
            entry = entry.add(1);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn scrub_initial_environment(_name: &str) {}

/// Replaces the default panic hook, which prints the panic message: a message built at run
/// time (`expect` on a `Result` appends the error's `Debug`, a dependency may format any value
/// it holds) could carry a token or the client secret. Only the place is printed, and a
/// message only when it is a literal, which cannot hold a value; `RUST_BACKTRACE` still
/// gives the frames (names and lines, never values).
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        let message = match info.payload().downcast_ref::<&'static str>() {
            Some(literal) => format!(": {literal}"),
            None => " (its message is not shown: it may hold a secret)".to_string(),
        };
        let mut text = format!(
            "error: internal error{place}{message}\n  hint: this is a bug in jira-auth; please report it, with the output of the same command run with RUST_BACKTRACE=1"
        );
        let wanted = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| !v.is_empty() && v != "0");
        if wanted {
            let trace = std::backtrace::Backtrace::force_capture();
            text.push_str(&format!("\nstack backtrace:\n{trace}"));
        }
        // One write, so that a panic in two threads cannot interleave mid-line.
        let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{text}\n").as_bytes());
    }));
}

/// Each stream on its own: `jira-auth doctor > report.txt` in a terminal writes no escape
/// codes into the file, though stderr stays coloured. `--color always` wins over `NO_COLOR`.
fn init_color(choice: ColorChoice, no_color: bool) {
    let enabled = |term: console::Term| match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && term.features().colors_supported(),
    };
    console::set_colors_enabled(enabled(console::Term::stdout()));
    console::set_colors_enabled_stderr(enabled(console::Term::stderr()));
}

/// Only our own crate logs above warn: dependencies' debug output (HTTP, D-Bus) is noise at
/// best, and we cannot vouch that it never prints a header or a body.
/// (A fixed filter, hence `Targets`: `EnvFilter` would add a regex engine, ~0.5 MB, to the
/// binary for a filter we never parse from the environment.)
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let ours = match verbose {
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("jira_auth", ours);
    tracing_subscriber::fmt()
        // The builder's own ceiling (INFO unless told), under the filter below.
        .with_max_level(ours)
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .finish()
        .with(filter)
        .init();
}
