//! Colours and progress only on a terminal: output that goes to a pipe or a file carries no
//! escape codes whatever the environment, `--color` and `NO_COLOR` decide on a terminal, and
//! the wait for the callback shows a spinner with the time left.

use std::process::Command;

use crate::support::env::{Run, TestEnv, run};

/// `cmd` with everything that could colour its output left on: no `NO_COLOR` (the tests'
/// world sets it), no `CLICOLOR*`, a terminal type that has colours. Only the pipes stop them.
fn colours_allowed(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color")
}

fn piped(env: &TestEnv, args: &[&str]) -> Run {
    let mut cmd = env.cmd();
    colours_allowed(&mut cmd).args(args);
    run(cmd)
}

#[track_caller]
fn assert_no_escape(out: &Run) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains('\x1b'),
            "`{}` wrote an escape byte to {name}, which is a pipe:\n{text:?}",
            out.command
        );
    }
}

#[test]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "consent goes through the fake browser, reached through $BROWSER: Linux only"
)]
fn piped_output_has_no_escape_bytes() {
    let env = TestEnv::new();
    // init itself: checklist, consent URL, the wait for the callback, the summary.
    let mut init = env.init();
    colours_allowed(&mut init).args(["--store", "file"]);
    let out = run(init);
    out.assert_code(0);
    assert_no_escape(&out);

    for (args, code) in [
        (&["--help"][..], 0),
        (&["--version"], 0),
        (&["init", "--help"], 0),
        (&["status"], 0),
        (&["status", "--json"], 0),
        (&["-vv", "status"], 0),
        (&["doctor"], 0),
        (&["doctor", "--json"], 0),
        (&["scopes", "list"], 0),
        (&["scopes", "check"], 0),
        (&["sites"], 0),
        (&["token"], 0),
        (&["header"], 0),
        (&["completions", "bash"], 0),
        (&["man"], 0),
        // Failures: clap's own usage error, and one of ours with its hint.
        (&["frobnicate"], 2),
        (&["--profile", "nobody", "token"], 3),
    ] {
        let out = piped(&env, args);
        out.assert_code(code);
        assert_no_escape(&out);
    }
}

/// So that the test above can fail: the same binary colours the marks when told to.
#[test]
fn color_always_colours_the_doctor_marks_even_in_a_pipe() {
    let env = TestEnv::new();
    let out = piped(&env, &["doctor", "--color", "always"]);
    // Green, yellow or red, whichever checks pass or fail on this machine.
    assert!(
        ["\x1b[32m", "\x1b[33m", "\x1b[31m"]
            .iter()
            .any(|c| out.stdout.contains(c)),
        "{:?}",
        out.stdout
    );
    // The flag is explicit: it wins over NO_COLOR.
    let mut cmd = env.cmd();
    colours_allowed(&mut cmd)
        .env("NO_COLOR", "1")
        .args(["doctor", "--color", "always"]);
    assert!(run(cmd).stdout.contains("\x1b["));
    // And --color never in a pipe is what auto gives there.
    assert_no_escape(&piped(&env, &["doctor", "--color", "never"]));
}

#[cfg(unix)]
mod on_a_terminal {
    use std::time::Duration;

    use expectrl::{Eof, Expect, Regex, Session};

    use super::colours_allowed;
    use crate::support::env::{CLIENT_ID, TestEnv};

    /// Everything `cmd` shows on a pseudo-terminal, to its end.
    fn screen(cmd: std::process::Command) -> String {
        let mut p = Session::spawn(cmd).expect("spawn in a pty");
        p.set_expect_timeout(Some(Duration::from_secs(30)));
        let all = p.expect(Eof).expect("the command ends");
        String::from_utf8_lossy(all.as_bytes()).into_owned()
    }

    #[test]
    fn doctor_marks_are_coloured_unless_no_color() {
        let env = TestEnv::new();
        let mut cmd = env.cmd();
        colours_allowed(&mut cmd).arg("doctor");
        let coloured = screen(cmd);
        assert!(coloured.contains("store"), "{coloured:?}");
        assert!(coloured.contains("\x1b["), "{coloured:?}");

        let mut cmd = env.cmd();
        colours_allowed(&mut cmd).env("NO_COLOR", "1").arg("doctor");
        let plain = screen(cmd);
        assert!(plain.contains("store"), "{plain:?}");
        assert!(!plain.contains('\x1b'), "{plain:?}");
    }

    /// stdout redirected to a file while stderr is a terminal: the file gets no colour.
    #[test]
    fn a_report_redirected_to_a_file_is_not_coloured() {
        let env = TestEnv::new();
        let report = env.dir.path().join("report.txt");
        let template = env.cmd();
        let mut sh = std::process::Command::new("sh");
        sh.args(["-c", r#"exec "$0" doctor >"$1""#])
            .arg(template.get_program())
            .arg(&report);
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        colours_allowed(&mut sh);
        screen(sh);
        let text = std::fs::read_to_string(&report).expect("doctor wrote its report");
        assert!(text.contains("store"), "{text:?}");
        assert!(!text.contains('\x1b'), "{text:?}");
    }

    #[test]
    fn waiting_for_the_callback_shows_a_spinner_with_the_time_left() {
        let env = TestEnv::new();
        let mut cmd = env.cmd();
        cmd.args(["init", "--no-input", "--no-browser", "--store", "file"])
            .args(["--client-id", CLIENT_ID, "--preset", "read-only"])
            .args(["--port", &env.port.to_string(), "--timeout", "40"])
            .env("JIRA_AUTH_CLIENT_SECRET", &env.secret)
            .env("TERM", "xterm-256color");
        let mut p = Session::spawn(cmd).expect("spawn in a pty");
        p.set_expect_timeout(Some(Duration::from_secs(30)));
        p.expect("Waiting for the browser to come back")
            .expect("the spinner");
        p.expect(Regex(r"\(0:[0-4]\d left\)"))
            .expect("the time left, counting down from 0:40");
        // Ctrl-C ends the wait as an interruption (130), the spinner cleared.
        p.send("\x03").unwrap();
        p.expect(Eof).ok();
        let status = p.get_process().wait().expect("wait for jira-auth");
        assert!(
            matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 130)),
            "{status:?}"
        );
    }
}
