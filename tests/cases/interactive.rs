//! The interactive wizard, driven through a pseudo-terminal like a person at a keyboard.

use std::time::Duration;

use expectrl::session::OsSession;
use expectrl::{Eof, Expect, Session};

use crate::support::emulator::Endpoint;
use crate::support::env::{CLIENT_ID, TestEnv, require_secret_service, site};
use crate::support::waiting::consent_redirect;

const DOWN: &str = "\x1b[B";

/// Reads until `needle`, keeping everything the terminal showed in `screen`.
#[track_caller]
fn expect_text<S: Expect>(p: &mut S, screen: &mut String, needle: &str) {
    match p.expect(needle) {
        Ok(c) => screen.push_str(&String::from_utf8_lossy(c.as_bytes())),
        Err(e) => panic!("waiting for {needle:?}: {e}\n--- screen so far\n{screen}"),
    }
}

/// Types `text` at the hidden prompt `prompt` once it is shown. A hidden prompt turns echo
/// off after printing itself, and that flushes the terminal's input: what is typed before
/// would be lost (seen under load), as a person's typing, slower, never is. So a pause.
fn type_hidden<S: Expect + std::io::Write>(
    p: &mut S,
    screen: &mut String,
    prompt: &str,
    text: &str,
) {
    expect_text(p, screen, prompt);
    std::thread::sleep(Duration::from_millis(300));
    p.write_all(format!("{text}\r").as_bytes()).unwrap();
    p.flush().unwrap();
}

/// `cmd` started in a pseudo-terminal, as a person at a keyboard would run it, and what the
/// terminal has shown of it so far.
fn in_a_pty(mut cmd: std::process::Command) -> (OsSession, String) {
    cmd.env("TERM", "xterm-256color");
    let mut p = Session::spawn(cmd).expect("spawn in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    (p, String::new())
}

/// Waits for the end of the session, which must be exit code `code`.
#[track_caller]
fn assert_exits(mut p: OsSession, screen: &str, code: i32) {
    p.expect(Eof).ok();
    let status = p.get_process().wait().expect("wait for jira-auth");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, c) if c == code),
        "{status:?}\n{screen}"
    );
}

/// `init` in a pty with the preset menu answered "custom" and the "other scopes" entry
/// ticked: the session waits at the prompt for typed scope names. `allow_unknown` sets
/// JIRA_AUTH_ALLOW_UNKNOWN_SCOPES.
fn at_typed_scopes_prompt(env: &TestEnv, allow_unknown: bool) -> (OsSession, String) {
    let mut cmd = env.cmd();
    cmd.args(["init", "--port", &env.port.to_string(), "--timeout", "30"])
        .args(["--client-id", CLIENT_ID])
        .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    if allow_unknown {
        cmd.env("JIRA_AUTH_ALLOW_UNKNOWN_SCOPES", "1");
    }
    let (mut p, mut screen) = in_a_pty(cmd);

    // Each preset is shown with its exact scopes before the menu.
    expect_text(
        &mut p,
        &mut screen,
        "read:jira-work write:jira-work read:jira-user",
    );
    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    // Fourth entry: custom.
    for _ in 0..3 {
        p.send(DOWN).unwrap();
    }
    p.send("\r").unwrap();

    // Classic and User Identity scopes with their descriptions; the last entry types more.
    expect_text(&mut p, &mut screen, "Scopes (space to toggle");
    expect_text(&mut p, &mut screen, "other scopes: type their names");
    for _ in 0..9 {
        p.send(DOWN).unwrap();
    }
    p.send(" ").unwrap();
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "Scope names");
    (p, screen)
}

/// Clears the typed-scopes prompt's line (`typed` long) and types `text`.
fn retype<S: Expect>(p: &mut S, typed: &str, text: &str) {
    p.send("\x15").unwrap();
    for _ in 0..typed.len() {
        p.send("\x7f").unwrap();
    }
    p.send(format!("{text}\r")).unwrap();
}

/// The end of a wizard run whose custom choice was the default ticks plus `typed`: the
/// checklist lists it, the profile is saved with it, nothing secret was on the screen.
fn saved_with_typed_scope(env: &TestEnv, mut p: OsSession, mut screen: String, typed: &str) {
    // The checklist has every chosen scope, with its description.
    expect_text(&mut p, &mut screen, &format!("[ ] {typed}"));
    expect_text(&mut p, &mut screen, "Saved profile");
    assert_exits(p, &screen, 0);
    let item = env.keychain_item().expect("stored");
    assert_eq!(
        item["credential"]["scopes_requested"],
        serde_json::json!([
            "read:jira-work",
            "read:jira-user",
            "read:me",
            typed,
            "offline_access"
        ])
    );
    env.assert_no_secret_in("the terminal", &screen);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn wizard_prompts_for_everything_in_a_terminal() {
    require_secret_service();
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.args(["init", "--port", &env.port.to_string(), "--timeout", "30"]);
    let (mut p, mut screen) = in_a_pty(cmd);

    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    // Second entry: read-write.
    p.send(DOWN).unwrap();
    p.send("\r").unwrap();

    // The checklist is generated for the chosen scopes and callback.
    expect_text(&mut p, &mut screen, &env.redirect_uri());
    expect_text(&mut p, &mut screen, "[ ] write:jira-work");

    expect_text(&mut p, &mut screen, "Client ID");
    p.send("not valid!\r").unwrap();
    expect_text(&mut p, &mut screen, "contains");
    // Clear the rejected text, then type the real id (with stray spaces, as when pasted).
    p.send("\x15").unwrap();
    for _ in 0.."not valid!".len() {
        p.send("\x7f").unwrap();
    }
    p.send(format!("  {CLIENT_ID} \r")).unwrap();

    type_hidden(
        &mut p,
        &mut screen,
        "Client secret (input hidden):",
        &env.secret,
    );

    expect_text(&mut p, &mut screen, "Saved profile");
    expect_text(&mut p, &mut screen, "expires");
    assert_exits(p, &screen, 0);

    let item = env.keychain_item().expect("stored");
    assert_eq!(item["credential"]["client_id"], CLIENT_ID);
    assert_eq!(
        item["credential"]["scopes_requested"],
        serde_json::json!([
            "read:jira-work",
            "write:jira-work",
            "read:jira-user",
            "read:me",
            "offline_access"
        ])
    );
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    // The hidden prompt never echoed the secret; nothing else showed a secret either.
    env.assert_no_secret_in("the terminal", &screen);
}

/// No browser here (an SSH session, a container): the terminal asks for the address the
/// browser ended on, without echoing it (it holds the code), refuses a wrong one saying why,
/// and takes the right one when it is pasted again.
#[test]
fn without_a_browser_the_address_is_asked_for_and_asked_again_after_a_wrong_one() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.env_remove("BROWSER")
        .args(["init", "--port", &env.port.to_string(), "--store", "file"])
        .args(["--preset", "read-only", "--client-id", CLIENT_ID])
        .args(["--timeout", "30"])
        .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(
        &mut p,
        &mut screen,
        "Or paste the address your browser ended on",
    );
    let url = screen
        .lines()
        .find(|l| l.contains("/authorize?"))
        .expect("the consent URL is shown")
        .trim()
        .to_string();
    let address = consent_redirect(&url);
    let elsewhere = address.replace("state=", "state=not-");
    p.send(format!("{elsewhere}\r")).unwrap();
    expect_text(
        &mut p,
        &mut screen,
        "refused the pasted address: its state did not match this run",
    );
    type_hidden(
        &mut p,
        &mut screen,
        "Paste it again (input hidden)",
        &address,
    );
    expect_text(&mut p, &mut screen, "Saved profile");
    assert_exits(p, &screen, 0);
    assert_eq!(env.emu.hits(Endpoint::Token), 1);
    // Neither address was echoed, though both held the code.
    env.assert_no_secret_in("the terminal", &screen);
    assert!(
        !screen.contains(&address) && !screen.contains(&elsewhere),
        "{screen}"
    );
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn declining_to_replace_a_profile_changes_nothing() {
    let env = TestEnv::with_profile();
    let before = env.keychain_item().unwrap();
    // "No" is an answer: exit 0, and nothing changed.
    decline_to_replace(&env, &[], "n");
    assert_eq!(env.keychain_item().unwrap(), before);
    assert_eq!(env.emu.hits(Endpoint::Authorize), 1);
}

/// `init` of the existing test profile in a pty, its "Replace it?" answered with `key`: the
/// answer must be taken as a no, with exit 0.
fn decline_to_replace(env: &TestEnv, extra: &[&str], key: &str) {
    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--port",
        &env.port.to_string(),
        "--preset",
        "read-only",
    ])
    .args(extra);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(&mut p, &mut screen, "exists. Replace it?");
    p.send(key).unwrap();
    expect_text(&mut p, &mut screen, "nothing changed");
    assert_exits(p, &screen, 0);
}

/// `init EXTRA…` for a new profile in a pty, interactive up to the first menu.
fn at_the_preset_menu(env: &TestEnv, extra: &[&str]) -> (OsSession, String) {
    let mut cmd = env.cmd();
    cmd.args(["init", "--port", &env.port.to_string(), "--store", "file"])
        .args(extra)
        .args(["--client-id", CLIENT_ID])
        .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    (p, screen)
}

#[test]
fn escape_cancels_a_menu_and_nothing_is_stored() {
    let env = TestEnv::new();
    // In JSON mode, so the error document is on the screen too.
    let (mut p, mut screen) = at_the_preset_menu(&env, &["--json"]);
    // A prompt that ends in a question mark gets no colon after it.
    expect_text(&mut p, &mut screen, "custom");
    let menu = &screen[screen.rfind("Which access").unwrap()..];
    assert!(!menu.contains("need?:"), "{menu}");
    p.send("\x1b").unwrap();
    expect_text(&mut p, &mut screen, "cancelled; nothing was changed");
    expect_text(&mut p, &mut screen, r#""code": "cancelled""#);
    assert_exits(p, &screen, 130);
    assert_eq!(env.emu.hits(Endpoint::Authorize), 0);
    assert!(!env.config_dir().join("profiles.json").exists());
}

#[test]
fn escape_declines_to_replace_a_profile() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let before = env.stored();
    decline_to_replace(&env, &["--store", "file"], "\x1b");
    assert_eq!(env.stored(), before);
    assert_eq!(
        env.emu.hits(Endpoint::Authorize),
        1,
        "only the first init's"
    );
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn several_sites_are_offered_in_a_picker() {
    require_secret_service();
    let env = TestEnv::builder()
        .sites([site("alpha", "aaaaaaaa-1"), site("beta", "bbbbbbbb-2")])
        .build();
    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--port",
        &env.port.to_string(),
        "--preset",
        "read-only",
    ])
    .args(["--client-id", CLIENT_ID])
    .env("JIRA_AUTH_CLIENT_SECRET", &env.secret);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(&mut p, &mut screen, "Which site should this profile use?");
    expect_text(&mut p, &mut screen, "(cloud id");
    expect_text(&mut p, &mut screen, "(cloud id");
    // The order is the emulator's (deliberately unstable): take whichever is shown second.
    let tail = &screen[screen.rfind("Which site").unwrap()..];
    let second = if tail.find("alpha").unwrap() < tail.find("beta").unwrap() {
        "beta"
    } else {
        "alpha"
    };
    p.send(DOWN).unwrap();
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "Saved profile");
    assert_exits(p, &screen, 0);
    assert_eq!(env.keychain_item().unwrap()["site"]["name"], second);
    env.assert_no_secret_in("the terminal", &screen);
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn custom_scopes_are_ticked_or_typed_and_a_typo_is_caught_in_the_prompt() {
    require_secret_service();
    let env = TestEnv::new();
    let (mut p, mut screen) = at_typed_scopes_prompt(&env, false);
    p.send("write:jira-wrok\r").unwrap();
    expect_text(&mut p, &mut screen, "did you mean write:jira-work?");
    retype(&mut p, "write:jira-wrok", "write:jira-work");

    saved_with_typed_scope(&env, p, screen, "write:jira-work");
}

#[test]
#[ignore = "needs a Secret Service: run scripts/test.sh"]
fn the_wizard_takes_an_unknown_scope_only_when_allowed() {
    require_secret_service();
    let new_scope = crate::cases::scopes_list::NEW_SCOPE;
    let env = TestEnv::builder().also_ticked(&[new_scope]).build();
    let (mut p, mut screen) = at_typed_scopes_prompt(&env, true);

    // Malformed is refused even so; a well-formed unknown name is taken, with the warning.
    p.send("read jira\r").unwrap();
    expect_text(&mut p, &mut screen, "is not a scope name");
    retype(&mut p, "read jira", new_scope);
    expect_text(&mut p, &mut screen, "not in jira-auth's scope catalog");
    saved_with_typed_scope(&env, p, screen, new_scope);
}

/// `init --method api-token` with nothing given: the site, the email and the token are asked
/// for, the token hidden; a bad answer is said and asked again.
#[test]
fn an_api_token_setup_asks_for_the_site_the_email_and_a_hidden_token() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    cmd.args(["init", "--method", "api-token", "--store", "file"])
        .env("TERM", "xterm-256color");
    let mut p = Session::spawn(cmd).expect("spawn in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    let mut screen = String::new();
    expect_text(&mut p, &mut screen, "Jira site");
    p.send(format!("{}\r", env.site_url)).unwrap();
    expect_text(&mut p, &mut screen, "Email of the Atlassian account");
    p.send("ada\r").unwrap();
    expect_text(&mut p, &mut screen, "it is not an email address");
    retype(&mut p, "ada", crate::support::emulator::USER_EMAIL);
    type_hidden(
        &mut p,
        &mut screen,
        "API token (input hidden)",
        &env.classic_token,
    );
    expect_text(&mut p, &mut screen, "Saved profile");
    p.expect(Eof).ok();
    let status = p.get_process().wait().expect("wait for jira-auth");
    assert!(
        matches!(status, expectrl::process::unix::WaitStatus::Exited(_, 0)),
        "{status:?}\n{screen}"
    );
    assert!(
        !screen.contains(&env.classic_token),
        "the token was echoed:\n{screen}"
    );
    assert_eq!(
        env.stored()["credential"]["token"],
        env.classic_token.as_str()
    );
    assert_eq!(env.emu.hits(Endpoint::SiteMyself), 1);
}

/// The quick start's first command, typed in a terminal: `init --sandbox --no-browser` asks
/// what the real wizard asks (the preset, the app's client id and secret, which it shows to
/// paste, the site), then the sandbox answers its own consent page: no browser, no paste
/// prompt, no waiting.
#[test]
fn the_quick_starts_sandbox_in_a_terminal_needs_no_browser() {
    let env = TestEnv::new();
    let mut cmd = env.cmd();
    // The profile's name is the sandbox's own, as on a newcomer's machine.
    cmd.env_remove("BROWSER")
        .env_remove("JIRA_AUTH_PROFILE")
        .args(["init", "--sandbox", "--no-browser", "--store", "file"])
        .args(["--port", &env.port.to_string(), "--timeout", "30"]);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "as you would from the console.");
    // "… paste its Client ID ID and its secret SECRET below …", however the terminal wraps it.
    let words: Vec<&str> = screen.split_whitespace().collect();
    let after = |label: &[&str]| {
        let at = words
            .windows(label.len())
            .position(|w| w == label)
            .unwrap_or_else(|| panic!("{label:?} is shown\n{screen}"));
        words[at + label.len()].to_string()
    };
    let (client_id, secret) = (
        after(&["its", "Client", "ID"]),
        after(&["and", "its", "secret"]),
    );
    assert!(secret.starts_with("ATOA"), "{secret}");
    expect_text(&mut p, &mut screen, "Client ID:");
    p.send(format!("{client_id}\r")).unwrap();
    type_hidden(
        &mut p,
        &mut screen,
        "Client secret (input hidden):",
        &secret,
    );
    expect_text(
        &mut p,
        &mut screen,
        "(no browser opened: the sandbox approves the consent by itself, as if you had clicked Approve)",
    );
    expect_text(&mut p, &mut screen, "Which site should this profile use?");
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "Saved profile 'sandbox' (file).");
    assert_exits(p, &screen, 0);
    assert!(!screen.contains("Or paste"), "{screen}");
    // Shown once, by the sandbox, to be pasted; never echoed as it is typed.
    assert_eq!(screen.matches(&secret).count(), 1, "{screen}");
    let status = env.jira(&["status", "--json", "--profile", "sandbox"]);
    assert_eq!(status.json()["profiles"][0]["sandbox"], true);
}

/// Data Center in a terminal: the scope menu has Data Center's four scopes, the checklist
/// is the Jira administrator's (the application link, the https property for a loopback
/// callback), and the PAT is asked for hidden.
#[test]
fn the_data_center_wizard_asks_its_own_questions() {
    let env = TestEnv::builder().data_center("/jira").build();
    let mut cmd = env.cmd();
    cmd.args(["init", "--store", "file", "--port", &env.port.to_string()])
        .args(["--client-id", crate::support::env::DC_CLIENT_ID])
        .env("JIRA_AUTH_SITE", env.dc().base_url())
        .env("JIRA_AUTH_CLIENT_SECRET", &env.dc_secret);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    expect_text(&mut p, &mut screen, "SYSTEM_ADMIN");
    p.send(DOWN).unwrap();
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "Direction: Incoming");
    expect_text(&mut p, &mut screen, "Permission: WRITE");
    expect_text(
        &mut p,
        &mut screen,
        "atlassian.oauth2.provider.skip.redirect.url.https.requirement=true",
    );
    expect_text(&mut p, &mut screen, "Saved profile");
    assert_exits(p, &screen, 0);
    assert_eq!(env.stored()["credential"]["scopes_granted"][0], "WRITE");
    env.assert_no_secret_in("the terminal", &screen);

    let mut cmd = env.cmd();
    cmd.args([
        "init",
        "--store",
        "file",
        "--method",
        "pat",
        "--profile",
        "pat",
    ])
    .env("JIRA_AUTH_SITE", env.dc().base_url());
    let (mut p, mut screen) = in_a_pty(cmd);
    type_hidden(
        &mut p,
        &mut screen,
        "Personal access token (input hidden):",
        &env.dc_pat,
    );
    expect_text(&mut p, &mut screen, "Saved profile 'pat'");
    assert_exits(p, &screen, 0);
    env.assert_no_secret_in("the terminal", &screen);

    // A service account is asked READ or WRITE only: no ADMIN in its menu.
    let mut cmd = env.cmd();
    cmd.args(["init", "--store", "file", "--method", "service-account"])
        .args([
            "--profile",
            "sa",
            "--client-id",
            crate::support::env::DC_SA_CLIENT_ID,
        ])
        .env("JIRA_AUTH_SITE", env.dc().base_url())
        .env("JIRA_AUTH_CLIENT_SECRET", &env.dc_sa_secret);
    let (mut p, mut screen) = in_a_pty(cmd);
    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    expect_text(&mut p, &mut screen, "WRITE");
    p.send(DOWN).unwrap();
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "Saved profile 'sa'");
    assert_exits(p, &screen, 0);
    let menu = &screen[screen.rfind("Which access").unwrap()..];
    assert!(!menu.contains("ADMIN"), "{menu}");
    env.assert_no_secret_in("the terminal", &screen);
}

/// `composio init` at a terminal, as the guide's reader runs it: the Composio API key asked
/// hidden (no COMPOSIO_API_KEY), the preset menu, the checklist with Composio's callback
/// URL, the client id and the hidden secret, then the connection through the browser. Neither
/// secret is ever echoed.
#[test]
fn composio_init_asks_the_api_key_and_the_client_secret_hidden() {
    use crate::cases::composio::{COMPOSIO_CLIENT, World};
    let world = World::new(crate::support::env::TICKED);
    let mut cmd = world.cmd(&["init", "--user-id", "ada", "--site", "acme"]);
    cmd.env_remove("COMPOSIO_API_KEY")
        .env_remove("JIRA_AUTH_CLIENT_SECRET")
        .env_remove("JIRA_AUTH_CLIENT_ID");
    let (mut p, mut screen) = in_a_pty(cmd);
    type_hidden(&mut p, &mut screen, "Composio API key", &world.key);
    expect_text(&mut p, &mut screen, "Which access does this profile need?");
    p.send("\r").unwrap();
    expect_text(&mut p, &mut screen, "/api/v3.1/toolkits/auth/callback");
    expect_text(&mut p, &mut screen, "create a second app");
    expect_text(&mut p, &mut screen, "Client ID");
    p.send(format!("{COMPOSIO_CLIENT}\r")).unwrap();
    type_hidden(&mut p, &mut screen, "Client secret", &world.secret);
    expect_text(&mut p, &mut screen, "is ACTIVE");
    expect_text(&mut p, &mut screen, "auth config id");
    assert_exits(p, &screen, 0);
    for secret in [&world.key, &world.secret] {
        assert!(!screen.contains(secret.as_str()), "echoed:\n{screen}");
    }
}
