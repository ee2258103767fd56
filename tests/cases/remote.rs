//! Remote shells (SSH, WSL, containers) and CI: the browser is elsewhere, or nowhere. The
//! address a browser ended on is pasted back (`--paste` from a pipe here; the terminal's
//! prompt is in interactive.rs) and judged as a callback; over SSH the `ssh -L` line is
//! printed; a text browser is never started; and a consent that could only wait for nothing
//! fails at once.

use std::process::Command;

use crate::support::emulator::Endpoint;
use crate::support::env::{TestEnv, run};
use crate::support::waiting::{Waiting, consent_redirect};

/// `init --paste --store file` with no browser at all (no `$BROWSER`, no display), as in a
/// container or an SSH session.
fn paste_init(env: &TestEnv) -> Command {
    let mut cmd = env.init();
    cmd.env_remove("BROWSER")
        .args(["--paste", "--store", "file", "--json"]);
    cmd
}

/// The `state` of a consent URL.
fn state_of(consent_url: &str) -> String {
    let url = url::Url::parse(consent_url).unwrap();
    let (_, state) = url.query_pairs().find(|(k, _)| k == "state").unwrap();
    state.into_owned()
}

#[test]
fn the_address_pasted_on_stdin_finishes_init_over_ssh() {
    let env = TestEnv::new();
    let mut cmd = paste_init(&env);
    cmd.env("SSH_CONNECTION", "10.0.0.7 50122 10.0.0.5 22")
        .env("USER", "ada");
    let mut waiting = Waiting::start(cmd, None);
    let said = waiting.wait_for("Reading the address your browser ended on from stdin (--paste)");
    let port = env.port;
    assert!(
        said.contains(&format!(
            "\n  ssh -L {port}:127.0.0.1:{port} ada@10.0.0.5\n"
        )),
        "{said}"
    );
    assert!(
        said.contains("(no browser opened: no display (DISPLAY or WAYLAND_DISPLAY) and no $BROWSER; open the URL yourself, in a browser here or on another machine)"),
        "{said}"
    );
    // The browser elsewhere consents and ends on the callback address, which cannot reach
    // this machine: it is pasted instead.
    let address = consent_redirect(&waiting.url);
    waiting.write(&format!("{address}\n"));
    let out = waiting.finish();
    out.assert_code(0);
    let _snapshots = env.snapshots();
    insta::assert_snapshot!("init_paste_over_ssh", env.screen(&out));
    let report = out.json();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["profile"], env.profile.as_str());
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1,
        "the pasted code was exchanged"
    );
    env.jira(&["token"]).assert_code(0);
    // The address held the code: it is never shown, nor anything else secret.
    env.assert_no_leaks(&out);
}

#[test]
fn the_callback_still_wins_while_stdin_is_read() {
    let env = TestEnv::new();
    // The browser comes back by itself (the test browser follows the redirect), while
    // `--paste` waits on stdin for an address that never comes.
    let mut cmd = env.init();
    cmd.args(["--paste", "--store", "file"]);
    let out = Waiting::start(cmd, None).finish();
    out.assert_code(0);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    env.assert_no_leaks(&out);
}

#[test]
fn login_takes_a_pasted_address_too_with_jira_auth_paste() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let mut cmd = env.cmd();
    cmd.env_remove("BROWSER").env("JIRA_AUTH_PASTE", "1").args([
        "login",
        "--no-input",
        "--timeout",
        "20",
    ]);
    let mut waiting = Waiting::start(cmd, None);
    let address = consent_redirect(&waiting.url);
    waiting.write(&format!("{address}\n"));
    let out = waiting.finish();
    out.assert_code(0).assert_says("Saved profile");
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        2,
        "init's code, then login's"
    );
    env.assert_no_leaks(&out);
}

#[test]
fn a_pasted_address_that_is_not_this_runs_callback_says_why_and_is_never_shown() {
    let env = TestEnv::new();
    let port = env.port;
    // What is pasted, made from the real address and the callback port.
    type Make = fn(&str, u16) -> String;
    let cases: [(&str, Make, &str); 5] = [
        (
            "another run's state",
            |a, _| {
                let url = url::Url::parse(a).unwrap();
                let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1;
                format!(
                    "http://127.0.0.1:{}/callback?code={code}&state=old",
                    url.port().unwrap()
                )
            },
            "its state did not match this run",
        ),
        (
            "another port",
            |a, port| a.replace(&format!(":{port}/"), &format!(":{}/", port + 1)),
            "it is not an address of this run's callback URL, http://127.0.0.1:",
        ),
        (
            "another path",
            |a, _| a.replace("/callback?", "/elsewhere?"),
            "it is not an address of this run's callback URL",
        ),
        (
            "no code",
            |a, _| {
                let url = url::Url::parse(a).unwrap();
                let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1;
                format!(
                    "http://127.0.0.1:{}/callback?state={state}",
                    url.port().unwrap()
                )
            },
            "it carried neither a code nor an error",
        ),
        (
            "a line that is no address",
            |a, _| format!("the address was {a} or so"),
            "it is not an address: paste the whole address",
        ),
    ];
    for (what, make, said) in cases {
        let mut waiting = Waiting::start(paste_init(&env), None);
        let address = consent_redirect(&waiting.url);
        waiting.write(&format!("{}\n", make(&address, port)));
        let out = waiting.finish();
        out.assert_error(2, "paste_invalid");
        assert!(
            out.stderr.contains(&format!(
                "error: the address read from stdin (--paste) was refused: {said}"
            )),
            "{what}: {}",
            out.stderr
        );
        assert!(!env.credentials_path().exists(), "{what}: stored");
        env.assert_no_leaks(&out);
    }
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        0,
        "no pasted code was exchanged"
    );
}

#[test]
fn a_pasted_denial_is_a_declined_consent() {
    let env = TestEnv::new();
    let mut waiting = Waiting::start(paste_init(&env), None);
    let state = state_of(&waiting.url);
    waiting.write(&format!(
        "http://127.0.0.1:{}/callback?error=access_denied&error_description=User%20did%20not%20authorize&state={state}\n",
        env.port
    ));
    let out = waiting.finish();
    out.assert_error(3, "consent_denied")
        .assert_says("consent was declined: User did not authorize; nothing was stored");
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
}

#[test]
fn stdin_that_ends_without_an_address_ends_the_wait_at_once() {
    let env = TestEnv::new();
    let mut cmd = paste_init(&env);
    cmd.args(["--timeout", "600"]);
    let mut waiting = Waiting::start(cmd, None);
    waiting.close_stdin();
    let out = waiting.finish();
    out.assert_error(2, "missing_input").assert_says(
        "stdin ended before the address the browser ended on was given (--paste); nothing was stored",
    );
}

/// CI: `--no-input` (or no terminal), no browser that can be started, and neither
/// `--no-browser` nor `--paste`: nothing could ever answer, so it fails before the consent
/// URL is even made, instead of at the timeout (exit 7).
#[test]
fn without_a_browser_or_a_way_to_paste_init_fails_at_once() {
    let env = TestEnv::new();
    for browser in [None, Some("w3m"), Some("jira-auth-no-such-browser")] {
        let mut cmd = env.init();
        cmd.args(["--timeout", "3", "--json"]);
        match browser {
            None => cmd.env_remove("BROWSER"),
            Some(b) => cmd.env("BROWSER", b),
        };
        let out = run(cmd);
        out.assert_error(2, "browser_unavailable");
        let why = match browser {
            None => "no display (DISPLAY or WAYLAND_DISPLAY) and no $BROWSER".to_string(),
            Some("w3m") => {
                "$BROWSER names `w3m`, a text browser, which jira-auth never starts in the terminal"
                    .to_string()
            }
            Some(b) => format!("the browser command `{b}` (from $BROWSER) is not found"),
        };
        out.assert_says(&format!(
            "error: no browser can be opened here ({why}) and nothing can be asked"
        ))
        .assert_says("the consent would wait 3 s for nothing")
        .assert_says("--paste (or JIRA_AUTH_PASTE=1)")
        .assert_says("`jira-auth init --method service-account`")
        .assert_says("--no-browser waits for the callback");
        assert!(!out.stderr.contains("/authorize?"), "{}", out.stderr);
    }
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);

    // With --no-browser the caller takes the URL: it waits (here until its timeout).
    let mut cmd = env.init();
    cmd.env_remove("BROWSER")
        .args(["--no-browser", "--timeout", "1", "--store", "file"]);
    run(cmd).assert_code(7).assert_says("/authorize?");

    // So does login.
    let env = TestEnv::builder().profile_in_file_store().build();
    let mut cmd = env.cmd();
    cmd.env_remove("BROWSER")
        .args(["login", "--no-input", "--json"]);
    run(cmd).assert_error(2, "browser_unavailable");
}

/// `$BROWSER=…/w3m` is never run (it would take over the terminal), even when another
/// way back is offered.
#[cfg(unix)]
#[test]
fn a_text_browser_is_never_started() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let bin = env.dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let w3m = bin.join("w3m");
    let mark = env.dir.path().join("w3m-ran");
    std::fs::write(&w3m, format!("#!/bin/sh\ntouch '{}'\n", mark.display())).unwrap();
    std::fs::set_permissions(&w3m, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut cmd = paste_init(&env);
    cmd.env("BROWSER", &w3m);
    let mut waiting = Waiting::start(cmd, None);
    let said = waiting.wait_for("from stdin (--paste)");
    assert!(
        said.contains("a text browser, which jira-auth never starts"),
        "{said}"
    );
    let address = consent_redirect(&waiting.url);
    waiting.write(&format!("{address}\n"));
    waiting.finish().assert_code(0);
    assert!(!mark.exists(), "the text browser was started");
}
