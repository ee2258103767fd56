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
    env.jira(&["completions", "bash", "--json"]).assert_code(2);
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
    env.jira(&["man", "--json"]).assert_code(2);
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
