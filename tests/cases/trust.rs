//! Files another local user owns or could change are refused, and `doctor` says so first: a
//! config dir or index writable by others, a credentials file that is not ours.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::env::{Run, TestEnv, run};

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn doctor(env: &TestEnv) -> Run {
    let mut cmd = env.cmd();
    cmd.args(["doctor", "--store", "file"]);
    run(cmd)
}

/// The `files` check's line and its fix.
fn files_check(out: &Run) -> String {
    let lines: Vec<&str> = out.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.split_whitespace().nth(1) == Some("files"))
        .unwrap_or_else(|| panic!("no files check:\n{}", out.stdout));
    lines[at..(at + 2).min(lines.len())].join("\n")
}

#[test]
fn a_config_dir_or_index_others_can_write_is_refused() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let dir = env.config_dir();
    let index = dir.join("profiles.json");
    for (path, mode, safe) in [(&dir, 0o777, 0o700), (&index, 0o666, 0o600)] {
        chmod(path, mode);
        let out = env.jira(&["token"]);
        out.assert_code(6);
        assert!(out.stdout.is_empty());
        assert!(
            out.stderr.contains(&format!(
                "{} is writable by other users (mode {mode:o})",
                path.display()
            )) && out.stderr.contains("chmod go-w"),
            "{}",
            out.stderr
        );
        let out = doctor(&env);
        out.assert_code(6);
        let check = files_check(&out);
        assert!(
            check.starts_with("✗ files") && check.contains("chmod go-w"),
            "{check}"
        );
        env.assert_no_leaks(&out);
        chmod(path, safe);
    }
    // A sticky directory, as /tmp, is no risk: nobody can rename what is ours in it.
    chmod(&dir, 0o1777);
    env.jira(&["token"]).assert_code(0);
    chmod(&dir, 0o700);
    let healthy = doctor(&env);
    healthy.assert_code(0);
    assert!(
        files_check(&healthy).starts_with("✓ files"),
        "{}",
        healthy.stdout
    );
}

#[test]
fn a_credentials_file_of_another_user_is_refused() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let file = env.credentials_path();
    let stored = std::fs::read(&file).unwrap();
    // SAFETY: no preconditions.
    let root = unsafe { libc_geteuid() } == 0;
    if root {
        // A 0600 file as jira-auth writes it, but another user's.
        std::os::unix::fs::chown(&file, Some(65534), Some(65534)).unwrap();
    } else {
        // Without root, another user's file can only be reached through a link.
        std::fs::remove_file(&file).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", &file).unwrap();
    }
    let out = env.jira(&["token", "--min-ttl", "4000"]);
    out.assert_code(6);
    assert!(
        out.stderr.contains("belongs to another user"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    let out = doctor(&env);
    out.assert_code(6);
    assert!(
        files_check(&out).contains("belongs to another user"),
        "{}",
        out.stdout
    );
    if root {
        assert_eq!(
            std::fs::read(&file).unwrap(),
            stored,
            "nothing written to it"
        );
    }
    // The refresh it asked for was not made with another user's credentials.
    assert_eq!(
        env.emu.hits(crate::support::emulator::Endpoint::Token),
        1,
        "only init's exchange"
    );
}

unsafe extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}
