//! `doctor`: each check's pass, and each failing check's message and fix, against the
//! emulator and the real Secret Service.

use std::time::{Duration, Instant};

use crate::support::emulator::{Endpoint, Site};
use crate::support::env::{Run, TestEnv, require_secret_service, run};

const CHECKS: [&str; 13] = [
    "files", "store", "profile", "token", "cache", "refresh", "server", "site", "myself", "me",
    "scopes", "clock", "callback",
];

/// The line of check `name` with its status mark, and its `fix:` line when it has one.
#[track_caller]
fn check<'a>(out: &'a Run, mark: &str, name: &str) -> (&'a str, Option<&'a str>) {
    let lines: Vec<&str> = out.stdout.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.split_whitespace().nth(1) == Some(name))
        .unwrap_or_else(|| panic!("no {name} check in:\n{}", out.stdout));
    assert!(
        lines[i].starts_with(&format!("{mark} {name} ")),
        "expected {mark} for {name}:\n{}",
        out.stdout
    );
    let fix = lines
        .get(i + 1)
        .map(|l| l.trim_start())
        .filter(|l| l.starts_with("fix: "));
    (lines[i], fix)
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn all_checks_pass_on_a_healthy_profile() {
    let env = TestEnv::with_profile();
    let _snapshots = env.snapshots();
    // init asked who consented (/me, as read:me is granted): doctor's calls come on top.
    let (myself_before, me_before) = (env.emu.hits(Endpoint::Myself), env.emu.hits(Endpoint::Me));
    let out = env.jira(&["doctor"]);
    out.assert_code(0);
    insta::assert_snapshot!("doctor_healthy", env.screen(&out));
    let names: Vec<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(names, CHECKS, "{}", out.stdout);
    // Every check passes but serverInfo's, which is Data Center's and skipped on Cloud.
    for name in CHECKS.into_iter().filter(|n| *n != "server") {
        let (_, fix) = check(&out, "✓", name);
        assert!(fix.is_none(), "{name}");
    }
    let (server, _) = check(&out, "-", "server");
    assert!(server.contains("a Jira Cloud site"), "{server}");
    let (store, _) = check(&out, "✓", "store");
    assert!(
        store.contains("Secret Service keyring reachable"),
        "{store}"
    );
    let (me, _) = check(&out, "✓", "me");
    assert!(me.contains("Ada Lovelace"), "{me}");
    // Aligned: every detail starts in the same column.
    let columns: Vec<usize> = out
        .stdout
        .lines()
        // Marks are one column wide but of different byte lengths (✓ and -): count columns.
        .map(|l| format!("x{}", l.chars().skip(1).collect::<String>()))
        .map(|l| {
            let l = l.as_str();
            let name_end = l.find(' ').unwrap() + 1 + l.split_whitespace().nth(1).unwrap().len();
            name_end + l[name_end..].len() - l[name_end..].trim_start().len()
        })
        .collect();
    assert!(columns.iter().all(|c| *c == columns[0]), "{}", out.stdout);
    assert_eq!(
        env.emu.hits(Endpoint::Token),
        1,
        "a fresh token is not refreshed"
    );
    assert_eq!(env.emu.hits(Endpoint::Myself), myself_before + 1);
    assert_eq!(env.emu.hits(Endpoint::Me), me_before + 1);
    env.assert_no_leaks(&out);

    let json = env.jira(&["doctor", "--json"]);
    json.assert_code(0);
    insta::assert_snapshot!("doctor_healthy_json", env.screen(&json));
    let j = json.json();
    assert_eq!(j["ok"], true);
    assert_eq!(j["profile"], env.profile.as_str());
    let checks = j["checks"].as_array().unwrap();
    assert_eq!(checks.len(), CHECKS.len());
    for (c, name) in checks.iter().zip(CHECKS) {
        assert_eq!(c["name"], name);
        let expected = if name == "server" { "skip" } else { "pass" };
        assert_eq!(c["status"], expected, "{c}");
        assert!(c["detail"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(c["fix"].is_null());
    }
    env.assert_no_leaks(&json);
}

#[test]
fn unavailable_store_fails_with_the_file_store_fix() {
    let env = TestEnv::new();
    let _snapshots = env.snapshots();
    let mut cmd = env.cmd();
    cmd.arg("doctor").env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/jira-auth-test-bus",
    );
    let started = Instant::now();
    let out = run(cmd);
    out.assert_code(6);
    assert!(started.elapsed() < Duration::from_secs(20));
    // Without a profile the callback check is of the default port, 8976, which this machine
    // (or another test's doctor, for a moment) may be using: its line is not pinned.
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(
        r"(?m)^. callback  port 8976 .*$(\n +fix: .*$)?",
        "[callback: whether port 8976 is free on this machine]",
    );
    settings.bind(|| insta::assert_snapshot!("doctor_store_unavailable", env.screen(&out)));
    let (line, fix) = check(&out, "✗", "store");
    assert!(line.contains("not available"), "{line}");
    assert!(fix.unwrap().contains("--store file"), "{}", out.stdout);
    // Later checks still report; those that need the store or a token are skipped.
    check(&out, "✗", "profile");
    check(&out, "-", "token");
    check(&out, "-", "myself");
    assert!(
        out.stderr
            .contains("error: 2 checks failed: store, profile"),
        "{}",
        out.stderr
    );
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn missing_profile_fails_with_init() {
    require_secret_service();
    let env = TestEnv::new();
    let out = env.jira(&["doctor"]);
    out.assert_code(3);
    check(&out, "✓", "store");
    let (line, fix) = check(&out, "✗", "profile");
    assert!(
        line.contains(&format!("no profile named '{}'", env.profile)),
        "{line}"
    );
    assert!(
        fix.unwrap()
            .contains(&format!("jira-auth init --profile {}", env.profile))
    );
    for name in [
        "token", "cache", "refresh", "site", "myself", "me", "scopes", "clock",
    ] {
        check(&out, "-", name);
    }
    assert_eq!(env.emu.hits(Endpoint::Token), 0);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn revoked_refresh_token_fails_the_token_check_and_keeps_the_profile() {
    let env = TestEnv::builder()
        .access_token_ttl(30)
        .with_profile()
        .build();
    env.emu.revoke_all_refresh_tokens();

    let out = env.jira(&["doctor"]);
    out.assert_code(3);
    check(&out, "✓", "profile");
    let (line, fix) = check(&out, "✗", "token");
    assert!(line.contains("no longer accepts"), "{line}");
    assert!(fix.unwrap().contains("jira-auth login"), "{}", out.stdout);
    let (age, _) = check(&out, "-", "refresh");
    assert!(age.contains("was refused"), "{age}");
    let (site, _) = check(&out, "-", "site");
    assert!(site.contains("no valid access token"), "{site}");
    check(&out, "-", "myself");
    assert!(env.keychain_item().is_some(), "never logs the user out");
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn site_gone_from_accessible_resources_fails_and_names_what_is_left() {
    let env = TestEnv::with_profile();
    env.emu.set_sites(vec![Site::new(
        "22222222-bbbb-4000-8000-000000000002",
        "beta",
        "https://beta.atlassian.net",
    )]);
    let out = env.jira(&["doctor"]);
    out.assert_code(3);
    let (line, fix) = check(&out, "✗", "site");
    assert!(
        line.contains("acme (https://acme.atlassian.net, cloud id")
            && line.contains("is no longer in accessible-resources; the grant covers beta (https://beta.atlassian.net)"),
        "{line}"
    );
    assert!(
        fix.unwrap()
            .contains(&format!("jira-auth login --profile {}", env.profile))
    );
    let (myself, _) = check(&out, "-", "myself");
    assert!(myself.contains("not in accessible-resources"), "{myself}");
    check(&out, "✓", "token");
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn myself_scope_mismatch_names_read_jira_user() {
    let env = TestEnv::builder().scopes("read:me").with_profile().build();

    let out = env.jira(&["doctor"]);
    out.assert_code(4);
    let (line, fix) = check(&out, "✗", "myself");
    assert!(
        line.contains("answered 401 \"scope does not match\": the token lacks read:jira-user"),
        "{line}"
    );
    let fix = fix.unwrap();
    assert!(fix.contains("under Jira API → Classic scopes"), "{fix}");
    assert!(
        fix.contains(&format!(
            "jira-auth login --profile {} --scopes \"read:me read:jira-user\"",
            env.profile
        )),
        "{fix}"
    );
    check(&out, "✓", "me");
    check(&out, "✓", "scopes");
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn clock_skew_warns_past_a_minute_and_fails_past_five() {
    let env = TestEnv::with_profile();
    env.emu.set_api_clock_skew(90);
    let out = env.jira(&["doctor"]);
    out.assert_code(0);
    let (line, fix) = check(&out, "!", "clock");
    assert!(line.contains("behind Atlassian's"), "{line}");
    assert!(fix.unwrap().contains("timedatectl set-ntp true"));

    env.emu.set_api_clock_skew(-600);
    let out = env.jira(&["doctor", "--json"]);
    out.assert_code(1);
    let j = out.json();
    assert_eq!(j["ok"], false);
    let clock = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "clock")
        .unwrap();
    assert_eq!(clock["name"], "clock");
    assert_eq!(clock["status"], "fail");
    let detail = clock["detail"].as_str().unwrap();
    assert!(detail.contains("ahead of Atlassian's"), "{detail}");
    let secs: i64 = detail.split_whitespace().nth(4).unwrap().parse().unwrap();
    assert!((599..=602).contains(&secs), "{detail}");
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn callback_port_in_use_is_a_warning_with_the_fix() {
    let env = TestEnv::with_profile();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", env.port)).unwrap();
    let out = env.jira(&["doctor"]);
    out.assert_code(0);
    let (line, fix) = check(&out, "!", "callback");
    assert!(
        line.contains(&format!("port {} of the callback URL", env.port)),
        "{line}"
    );
    assert!(line.contains("is already in use"), "{line}");
    assert!(fix.unwrap().contains("--port N"), "{}", out.stdout);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn api_down_fails_its_checks_and_doctor_still_reports_the_rest() {
    let env = TestEnv::with_profile();
    for ep in [
        Endpoint::AccessibleResources,
        Endpoint::Myself,
        Endpoint::Me,
    ] {
        env.emu.fail_next(ep, 503, 1000, None);
    }
    let out = env.jira(&["doctor"]);
    out.assert_code(5);
    check(&out, "✓", "token");
    for name in ["site", "myself", "me"] {
        let (line, fix) = check(&out, "✗", name);
        assert!(line.contains("the server answered 503"), "{line}");
        assert!(
            fix.unwrap().contains("status.atlassian.com"),
            "{}",
            out.stdout
        );
    }
    check(&out, "✓", "scopes");
    check(&out, "-", "clock");
    check(&out, "✓", "callback");
    assert!(
        out.stderr.contains("3 checks failed: site, myself, me"),
        "{}",
        out.stderr
    );
    env.assert_no_leaks(&out);
}

#[test]
fn refresh_token_near_its_inactivity_expiry_warns_and_past_it_fails() {
    // The file store, so the test can backdate the refresh token.
    let env = TestEnv::builder().profile_in_file_store().build();
    let age = |days: i64| {
        env.edit_stored(|cfg| {
            let at = time::OffsetDateTime::now_utc() - time::Duration::days(days);
            cfg["credential"]["refresh_token_issued_at"] = at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap()
                .into();
        });
    };

    age(85);
    let out = env.jira(&["doctor"]);
    out.assert_code(0);
    let (store, _) = check(&out, "✓", "store");
    assert!(store.contains("file store"), "{store}");
    let (line, fix) = check(&out, "!", "refresh");
    assert!(line.contains("85 days ago"), "{line}");
    assert!(fix.unwrap().contains("--min-ttl 3600"), "{}", out.stdout);

    age(95);
    let out = env.jira(&["doctor"]);
    out.assert_code(3);
    let (_, fix) = check(&out, "✗", "refresh");
    assert!(fix.unwrap().contains("jira-auth login"), "{}", out.stdout);
    env.assert_no_leaks(&out);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn scope_removed_between_consent_and_check_warns_then_fails_after_the_refresh() {
    let env = TestEnv::with_profile();
    let _snapshots = env.snapshots();
    env.emu.withdraw_scope("read:jira-user");

    // The current token still carries it; accessible-resources no longer lists it.
    let out = env.jira(&["doctor"]);
    out.assert_code(0);
    let (line, fix) = check(&out, "!", "scopes");
    assert!(
        line.contains(
            "read:jira-user: the token has it but accessible-resources no longer lists it"
        ),
        "{line}"
    );
    assert!(
        fix.unwrap().contains("jira-auth login --profile"),
        "{}",
        out.stdout
    );

    // The next token comes without it: a failure, with the console fix and the login.
    env.jira(&["token", "--min-ttl", "4000"]).assert_code(0);
    let out = env.jira(&["doctor"]);
    out.assert_code(4);
    insta::assert_snapshot!("doctor_scope_missing", env.screen(&out));
    let (line, fix) = check(&out, "✗", "scopes");
    assert!(
        line.contains("requested but not granted: read:jira-user"),
        "{line}"
    );
    let fix = fix.unwrap();
    assert!(
        fix.contains("read:jira-user: tick it in the developer console")
            && fix.contains("under Jira API → Classic scopes"),
        "{fix}"
    );
    assert!(
        fix.ends_with(&format!(
            "then run `jira-auth login --profile {}`",
            env.profile
        )),
        "{fix}"
    );
    // /myself still answers: read:jira-work is enough for it.
    check(&out, "✓", "myself");
    assert!(
        out.stderr.contains("1 check failed: scopes"),
        "{}",
        out.stderr
    );
    env.assert_no_leaks(&out);

    let json = env.jira(&["doctor", "--json"]);
    json.assert_code(4);
    insta::assert_snapshot!("doctor_scope_missing_json", env.screen(&json));
    env.assert_no_leaks(&json);
}

#[test]
fn me_scope_mismatch_fails_with_the_user_identity_fix() {
    // The stored grant lists read:me, the token does not carry it: /me answers the 401
    // "scope does not match".
    let env = TestEnv::builder()
        .scopes("read:jira-work")
        .profile_in_file_store()
        .build();
    env.edit_stored(|cfg| {
        cfg["credential"]["scopes_granted"]
            .as_array_mut()
            .unwrap()
            .push("read:me".into());
    });
    let out = env.jira(&["doctor"]);
    out.assert_code(4);
    let (line, fix) = check(&out, "✗", "me");
    assert!(
        line.contains("GET /me answered 401 \"scope does not match\""),
        "{line}"
    );
    let fix = fix.unwrap();
    assert!(
        fix.contains("under User Identity API → Classic scopes"),
        "{fix}"
    );
    assert!(
        fix.contains(&format!(
            "jira-auth login --profile {} --scopes \"read:jira-work read:me\"",
            env.profile
        )),
        "{fix}"
    );
    check(&out, "✓", "myself");
    env.assert_no_leaks(&out);
}

#[test]
fn profile_without_refresh_token_fails_with_login() {
    let env = TestEnv::builder().profile_in_file_store().build();
    env.edit_stored(|cfg| cfg["credential"]["refresh_token"] = serde_json::Value::Null);
    let out = env.jira(&["doctor"]);
    out.assert_code(3);
    let (line, fix) = check(&out, "✗", "profile");
    assert!(line.contains("has no refresh token"), "{line}");
    assert!(
        fix.unwrap()
            .contains(&format!("jira-auth login --profile {}", env.profile)),
        "{}",
        out.stdout
    );
    // The access token is still good for an hour: the live checks run.
    check(&out, "✓", "token");
    check(&out, "-", "refresh");
    check(&out, "✓", "myself");
    env.assert_no_leaks(&out);
}

#[test]
fn credentials_missing_from_the_store_fail_the_profile_check() {
    let env = TestEnv::builder().profile_in_file_store().build();
    std::fs::remove_file(env.credentials_path()).unwrap();
    let out = env.jira(&["doctor"]);
    out.assert_code(3);
    let (line, fix) = check(&out, "✗", "profile");
    assert!(
        line.contains("is listed but its credentials are missing from the file"),
        "{line}"
    );
    assert!(
        fix.unwrap().contains("jira-auth init --force"),
        "{}",
        out.stdout
    );
    check(&out, "-", "token");
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn without_a_utf8_locale_the_marks_are_words() {
    let env = TestEnv::with_profile();
    let mut cmd = env.cmd();
    cmd.arg("doctor").env("LANG", "C");
    let out = run(cmd);
    out.assert_code(0);
    assert!(out.stdout.is_ascii(), "{}", out.stdout);
    for name in CHECKS.into_iter().filter(|n| *n != "server") {
        check(&out, "pass", name);
    }
    check(&out, "skip", "server");

    env.emu.set_api_clock_skew(90);
    let mut cmd = env.cmd();
    cmd.arg("doctor")
        .env("LC_ALL", "POSIX")
        .env("LANG", "en_US.UTF-8");
    let out = run(cmd);
    out.assert_code(0);
    let (_, fix) = check(&out, "warn", "clock");
    // The fix lines up under the detail, as with the one-character marks.
    let lines: Vec<&str> = out.stdout.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.starts_with("warn clock"))
        .unwrap();
    assert_eq!(
        lines[i].find("the local clock"),
        lines[i + 1].find("fix:"),
        "{}",
        out.stdout
    );
    assert!(fix.is_some());

    // Fixes name console paths with arrows: spelled in ASCII too, on stdout and stderr.
    env.emu.withdraw_scope("read:jira-user");
    env.jira(&["token", "--min-ttl", "4000"]).assert_code(0);
    for args in [&["doctor"][..], &["scopes", "check"]] {
        let mut cmd = env.cmd();
        cmd.args(args).env("LANG", "C");
        let out = run(cmd);
        out.assert_code(4);
        assert!(out.stdout.is_ascii(), "{}", out.stdout);
        assert!(out.stderr.is_ascii(), "{}", out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(all.contains("under Jira API -> Classic scopes"), "{all}");
    }
}

#[test]
fn callback_port_taken_on_either_localhost_address_is_a_warning() {
    for taken in [
        std::net::IpAddr::from([127, 0, 0, 1]),
        std::net::IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    ] {
        let env = TestEnv::builder().profile_in_file_store().build();
        // A profile whose callback is localhost: `login` listens on both addresses.
        let redirect = format!("http://localhost:{}/callback", env.port);
        env.edit_stored(|cfg| cfg["credential"]["redirect_uri"] = redirect.as_str().into());
        let out = env.jira(&["doctor"]);
        check(&out, "✓", "callback");
        let _holder = std::net::TcpListener::bind((taken, env.port)).unwrap();
        let out = env.jira(&["doctor"]);
        let (line, fix) = check(&out, "!", "callback");
        assert!(line.contains("is already in use"), "{taken}: {line}");
        assert!(line.contains(&redirect), "{line}");
        assert!(fix.unwrap().contains("--port N"), "{}", out.stdout);
    }
}
