//! A real browser, end to end: `jira-auth init --sandbox` opens its consent URL in a
//! "browser" that only records it, and headless Chromium (over the DevTools pipe,
//! support/chromium.rs) takes it from there as a person would: the sandbox's consent page,
//! a click on Approve or Deny, the redirect to the loopback callback, and jira-auth's own
//! page. Each page's text is checked, a screenshot of each is kept under
//! target/browser-screenshots/, and no request may leave for an origin other than the
//! sandbox's auth server and the callback.

use std::time::Duration;

use crate::support::browser::{self, wait_for_browser_log};
use crate::support::chromium::{self, Chromium};
use crate::support::env::{Run, TestEnv};
use crate::support::spawned::Spawned;

/// `init --sandbox` waiting for a browser, and the consent URL it opened.
fn waiting_init(env: &TestEnv) -> (Spawned, String) {
    let mut cmd = env.cmd();
    cmd.args(["init", "--sandbox", "--no-input", "--store", "file"])
        .args(["--port", &env.port.to_string(), "--timeout", "60"])
        .env(browser::MODE_ENV, "record-only");
    let init = Spawned::start(cmd, env.dir.path(), "init");
    let log = wait_for_browser_log(env.browser_log(), 1, Duration::from_secs(30));
    let url = log
        .first()
        .and_then(|entry| entry["consent_url"].as_str())
        .unwrap_or_else(|| panic!("init opened no URL:\n{}", init.stderr()))
        .to_string();
    (init, url)
}

/// `scheme://host:port` of `url`.
fn origin(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let end = rest.find('/').unwrap_or(rest.len());
    format!("http://{}", &rest[..end])
}

/// Every request the page sent went to the sandbox's auth server or to the callback.
fn assert_stayed_home(chrome: &Chromium, consent_url: &str, env: &TestEnv) {
    let allowed = [
        origin(consent_url),
        format!("http://127.0.0.1:{}", env.port),
    ];
    let origins = chrome.origins();
    assert!(!origins.is_empty(), "no request was recorded");
    for o in &origins {
        assert!(
            allowed.contains(o),
            "a request left for {o}: {:#?}",
            chrome.requests
        );
    }
}

fn finished(init: Spawned) -> Run {
    init.finish(Duration::from_secs(30))
}

#[test]
#[ignore = "needs Chromium (Debian's chromium): scripts/test.sh installs it and runs this"]
fn chromium_approves_on_the_consent_page_and_lands_on_our_success_page() {
    chromium::require();
    let env = TestEnv::new();
    let (init, consent_url) = waiting_init(&env);
    let mut chrome = Chromium::start();

    // A callback that is not this run's (a tab left from another run): refused, and said.
    chrome.navigate(&format!(
        "http://127.0.0.1:{}/callback?code=forged&state=forged",
        env.port
    ));
    let page = chrome.wait_for_text("does not belong to the jira-auth run that is waiting");
    assert!(page.contains("Nothing was changed"), "{page}");
    println!("{}", chrome.screenshot("bad-state").display());

    chrome.navigate(&consent_url);
    let page = chrome.wait_for_text("Authorize access to your Atlassian account");
    for text in [
        "jira-auth sandbox: an emulated Atlassian on this machine",
        "read:jira-work",
        "read:jira-user",
        "read:me",
        "offline_access",
        "sandbox (https://sandbox.jira-auth.invalid)",
        "Approve",
        "Deny",
    ] {
        assert!(page.contains(text), "{text}: {page}");
    }
    println!("{}", chrome.screenshot("consent").display());
    chrome.click("#approve");
    let page = chrome.wait_for_text("jira-auth received the authorization");
    assert!(page.contains("Signed in"), "{page}");
    assert!(
        chrome
            .location()
            .starts_with(&format!("http://127.0.0.1:{}/callback?code=", env.port)),
        "{}",
        chrome.location()
    );
    println!("{}", chrome.screenshot("success").display());
    assert_stayed_home(&chrome, &consent_url, &env);

    let run = finished(init);
    run.assert_code(0)
        .assert_says("note: refused a request for the callback: its state did not match this run")
        .assert_says(&format!("Saved profile '{}' (file).", env.profile))
        .assert_says("Authorized as Ada Lovelace <ada@example.com> on sandbox.");
    let status = env.jira(&["status", "--json"]);
    status.assert_code(0);
    assert_eq!(status.json()["profiles"][0]["sandbox"], true);
}

#[test]
#[ignore = "needs Chromium (Debian's chromium): scripts/test.sh installs it and runs this"]
fn chromium_denies_on_the_consent_page_and_lands_on_our_denial_page() {
    chromium::require();
    let env = TestEnv::new();
    let (init, consent_url) = waiting_init(&env);
    let mut chrome = Chromium::start();
    chrome.navigate(&consent_url);
    chrome.wait_for_text("Authorize access to your Atlassian account");
    chrome.click("#deny");
    let page = chrome.wait_for_text("Authorization not granted");
    assert!(
        page.contains("access_denied") && page.contains("User did not authorize the request"),
        "{page}"
    );
    println!("{}", chrome.screenshot("denied").display());
    assert_stayed_home(&chrome, &consent_url, &env);
    finished(init).assert_code(3).assert_says(
        "consent was declined: User did not authorize the request; nothing was stored",
    );
    assert_eq!(env.jira(&["status"]).code, 3, "no profile was stored");
}
