//! `completions SHELL` and `man`: generated from the clap definitions, printed on stdout,
//! and usable where no profile, config dir or keychain exists.

use crate::support::env::{TestEnv, run};

#[test]
fn completions_for_each_shell_name_the_binary_and_its_subcommands() {
    let env = TestEnv::new();
    let out = env.jira(&["completions", "bash"]);
    out.assert_code(0);
    assert!(out.stdout.contains("jira-auth"), "{}", out.stdout);
    for sub in ["token", "init", "sites", "completions"] {
        assert!(out.stdout.contains(sub), "bash completion lacks {sub}");
    }
    assert!(out.stderr.is_empty(), "{}", out.stderr);

    for (shell, marker) in [
        ("zsh", "#compdef jira-auth"),
        ("fish", "complete -c jira-auth"),
        ("powershell", "jira-auth"),
        ("elvish", "jira-auth"),
    ] {
        let out = env.jira(&["completions", shell]);
        out.assert_code(0);
        assert!(out.stdout.contains(marker), "{shell}:\n{}", out.stdout);
        assert!(out.stdout.contains("token"), "{shell}");
    }

    let out = env.jira(&["completions", "tcsh"]);
    out.assert_code(2);
    assert!(out.stderr.contains("tcsh"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    env.jira(&["completions"]).assert_code(2);
    // Not JSON, so --json is refused rather than ignored.
    env.jira(&["completions", "bash", "--json"])
        .assert_error(2, "usage")
        .assert_says("`jira-auth completions` has no --json: it prints a shell script");
}

#[test]
fn man_prints_a_roff_page() {
    let env = TestEnv::new();
    let out = env.jira(&["man"]);
    out.assert_code(0);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with(".TH") || first.starts_with(".ie"),
        "{first}"
    );
    assert!(out.stdout.contains(".TH jira-auth 1"), "{}", out.stdout);
    assert!(out.stdout.contains(".SH SYNOPSIS"));
    assert!(out.stdout.contains("init"));
    assert!(out.stdout.contains("sites"));
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    env.jira(&["man", "--json"])
        .assert_error(2, "usage")
        .assert_says("`jira-auth man` has no --json: it prints a roff page");
}

#[test]
fn completions_and_man_need_no_config_dir() {
    // As in a packaging sandbox: no HOME, nothing to find a config directory with.
    let env = TestEnv::new();
    for args in [&["completions", "fish"][..], &["man"]] {
        let mut cmd = env.cmd();
        cmd.env_remove("JIRA_AUTH_CONFIG_DIR")
            .env_remove("HOME")
            .env_remove("XDG_CONFIG_HOME")
            .args(args);
        let out = run(cmd);
        out.assert_code(0);
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    assert!(!env.config_dir().exists(), "nothing was written");
}

#[test]
fn the_man_page_is_one_page_with_exit_status_environment_and_files() {
    let env = TestEnv::new();
    let out = env.jira(&["man"]);
    out.assert_code(0);
    let page = &out.stdout;
    // No references to per-command pages that do not exist.
    assert!(!page.contains("(1)"), "{page}");
    for section in [
        ".SH COMMANDS",
        ".SH EXAMPLES",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        ".SH FILES",
    ] {
        assert!(page.contains(section), "no {section}");
    }
    // Every command, with its options and examples, in the page itself.
    for sub in [
        "init",
        "login",
        "status",
        "switch",
        "logout",
        "token",
        "header",
        "exec",
        "scopes",
        "scopes list",
        "scopes check",
        "doctor",
        "sites",
        "sites use",
        "completions",
        "man",
    ] {
        let heading = format!(".SS \"jira\\-auth {}\"", sub.replace('-', "\\-"));
        assert!(page.contains(&heading), "no {heading}");
    }
    for listed in [
        "\\fB127\\fR",
        "JIRA_AUTH_MIN_TTL",
        "JIRA_AUTH_CONFIG_DIR",
        "~/.config/jira\\-auth",
        "profiles.json",
    ] {
        assert!(page.contains(listed), "no {listed}");
    }
    // It renders, as man(1) would show it, when man is there.
    if let Ok(shown) = std::process::Command::new("man")
        .args(["-l", "-"])
        .env("MANWIDTH", "100")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(page.as_bytes())?;
            child.wait_with_output()
        })
        && shown.status.success()
    {
        let text = String::from_utf8_lossy(&shown.stdout);
        assert!(
            text.contains("EXIT STATUS") && text.contains("jira-auth switch"),
            "{text}"
        );
        assert!(String::from_utf8_lossy(&shown.stderr).trim().is_empty());
    }
}
