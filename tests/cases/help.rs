//! `--help` of jira-auth and of each subcommand, as a user reads it: the help text is the
//! command-line contract's own documentation (clap renders the doc comments of src/cli.rs).

use crate::support::env::{TestEnv, run};

/// The screen of `jira-auth ARGS… --help`, which must succeed with nothing on stderr.
#[track_caller]
fn help(env: &TestEnv, args: &[&str]) -> String {
    let mut cmd = env.cmd();
    // As without the test's JIRA_AUTH_PROFILE: clap would show its value beside --profile.
    cmd.env_remove("JIRA_AUTH_PROFILE").args(args).arg("--help");
    let out = run(cmd);
    out.assert_code(0);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    env.screen(&out)
}

#[test]
fn top_level_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help", help(&env, &[]));
}

#[test]
fn every_help_ends_with_examples() {
    let env = TestEnv::new();
    for path in [
        &[][..],
        &["init"],
        &["login"],
        &["status"],
        &["switch"],
        &["logout"],
        &["token"],
        &["header"],
        &["exec"],
        &["scopes"],
        &["scopes", "list"],
        &["scopes", "check"],
        &["doctor"],
        &["sites"],
        &["sites", "use"],
        &["completions"],
        &["man"],
    ] {
        let mut cmd = env.cmd();
        cmd.args(path).arg("--help");
        let out = run(cmd);
        out.assert_code(0);
        let at = out
            .stdout
            .rfind("\nExamples:\n")
            .unwrap_or_else(|| panic!("{path:?}: no examples:\n{}", out.stdout));
        let rest = &out.stdout[at + 1..];
        assert!(
            rest.lines().skip(1).all(|l| l.starts_with("  ")),
            "{path:?}: examples are not the end:\n{rest}"
        );
        assert!(rest.contains("jira-auth"), "{path:?}");
    }
}

#[test]
fn switch_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_switch", help(&env, &["switch"]));
}

#[test]
fn init_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_init", help(&env, &["init"]));
}

#[test]
fn login_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_login", help(&env, &["login"]));
}

#[test]
fn status_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_status", help(&env, &["status"]));
}

#[test]
fn logout_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_logout", help(&env, &["logout"]));
}

#[test]
fn token_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_token", help(&env, &["token"]));
}

#[test]
fn header_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_header", help(&env, &["header"]));
}

#[test]
fn exec_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_exec", help(&env, &["exec"]));
}

#[test]
fn scopes_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_scopes", help(&env, &["scopes"]));
}

#[test]
fn scopes_list_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_scopes_list", help(&env, &["scopes", "list"]));
}

#[test]
fn scopes_check_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_scopes_check", help(&env, &["scopes", "check"]));
}

#[test]
fn doctor_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_doctor", help(&env, &["doctor"]));
}

#[test]
fn sites_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_sites", help(&env, &["sites"]));
}

#[test]
fn sites_use_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_sites_use", help(&env, &["sites", "use"]));
}

#[test]
fn completions_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_completions", help(&env, &["completions"]));
}

#[test]
fn man_help() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("help_man", help(&env, &["man"]));
}
