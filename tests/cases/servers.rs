//! A profile's secrets go only to the servers it was made with: JIRA_AUTH_AUTH_URL and
//! JIRA_AUTH_API_URL that name others (left over from a sandbox, say) are refused for it,
//! before anything is sent, and a profile of an earlier build, which recorded none, counts
//! as made with Atlassian's own.

use std::net::TcpListener;

use crate::support::env::{TestEnv, run};

/// A loopback port that would take whatever is sent to it (another local user's, once a
/// sandbox that had it is gone): the test checks that nobody connected.
struct Trap {
    listener: TcpListener,
}

impl Trap {
    fn new() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Trap { listener }
    }

    fn url(&self) -> String {
        format!("http://{}", self.listener.local_addr().unwrap())
    }

    #[track_caller]
    fn assert_untouched(&self, what: &str) {
        match self.listener.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Ok((_, from)) => panic!("{what}: a connection from {from} reached the other server"),
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

/// Every command that uses the profile, each in JSON mode where it has one.
const COMMANDS: &[&[&str]] = &[
    &["token", "--json"],
    &["header"],
    &["status", "--check", "--json"],
    &["doctor", "--json"],
    &["scopes", "check", "--json"],
    &["sites", "--json"],
    &["login", "--no-input", "--no-browser"],
];

#[test]
fn endpoint_variables_naming_other_servers_are_refused_for_a_profile() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let stored = env.stored();
    assert_eq!(
        stored["site"]["servers"]["auth"]
            .as_str()
            .map(|s| s.trim_end_matches('/')),
        Some(env.emu.auth_url().trim_end_matches('/')),
        "the profile records the servers it was made with: {stored}"
    );
    let (auth, api) = (Trap::new(), Trap::new());
    for args in COMMANDS {
        let mut cmd = env.cmd();
        cmd.args(*args)
            .env("JIRA_AUTH_AUTH_URL", auth.url())
            .env("JIRA_AUTH_API_URL", api.url());
        let out = run(cmd);
        out.assert_code(2);
        let what = args.join(" ");
        auth.assert_untouched(&what);
        api.assert_untouched(&what);
        let said = format!("{}{}", out.stdout, out.stderr);
        for needle in [
            format!("JIRA_AUTH_AUTH_URL={}", auth.url()),
            format!("JIRA_AUTH_API_URL={}", api.url()),
            env.emu.auth_url().trim_end_matches('/').to_string(),
            "unset JIRA_AUTH_AUTH_URL JIRA_AUTH_API_URL".to_string(),
        ] {
            assert!(said.contains(&needle), "{what}: no {needle:?} in\n{said}");
        }
        if args.contains(&"--json") && args[0] != "doctor" && args[0] != "status" {
            out.assert_error(2, "other_servers");
        }
    }
    // Nothing about the profile changed: with its own servers it works as before.
    env.jira(&["token"]).assert_code(0);
}

#[test]
fn a_profile_that_recorded_no_servers_was_made_with_atlassians() {
    let env = TestEnv::builder().profile_in_file_store().build();
    env.edit_stored(|cfg| {
        cfg["site"].as_object_mut().unwrap().remove("servers");
    });
    let index = env.config_dir().join("profiles.json");
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&index).unwrap()).unwrap();
    for (_, entry) in doc["profiles"].as_object_mut().unwrap() {
        entry["site"].as_object_mut().unwrap().remove("servers");
    }
    std::fs::write(&index, serde_json::to_string(&doc).unwrap()).unwrap();
    let hits = env.emu.hits(crate::support::emulator::Endpoint::Token);

    // The test's variables name the emulator, which this profile (as far as it says) never saw.
    let out = env.jira(&["token", "--json"]);
    out.assert_error(2, "other_servers");
    let message = out.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains(
            "Atlassian's own servers (https://auth.atlassian.com, https://api.atlassian.com)"
        ),
        "{message}"
    );
    assert!(message.contains("JIRA_AUTH_AUTH_URL="), "{message}");
    assert_eq!(
        env.emu.hits(crate::support::emulator::Endpoint::Token),
        hits,
        "nothing was sent"
    );
    // `status` lists it and says what `token` would do.
    env.jira(&["status"]).assert_code(2);
}
