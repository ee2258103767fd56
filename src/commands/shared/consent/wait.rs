//! Consent in the browser: the listener bound before the URL is shown, the browser opened,
//! and the wait for the callback (or an address pasted instead: paste.rs, whichever comes
//! first), with everything the person waiting should hear meanwhile (a refused callback, a
//! browser that did not start) and a timeout that says what came.

use secrecy::SecretString;
use tokio::sync::mpsc;

use super::paste::{Paste, tunnel_line};
use super::{Opener, Plan};
use crate::commands::Result;
use crate::error::{CliError, Code};
use crate::oauth::callback::{Callback, Listener, Rejected};
use crate::oauth::{self, AuthServer};
use crate::ui::Ui;

/// Binds the listener, shows and opens the consent URL, and waits for the callback.
/// `url_for` makes the consent URL for a `state`.
pub(super) async fn consent(
    ui: &Ui,
    plan: &Plan,
    url_for: &dyn Fn(&str) -> url::Url,
) -> Result<SecretString> {
    let listener = Listener::bind(&plan.redirect).await?;
    // Ctrl-C is caught from before the URL is shown: tokio installs its handler at the
    // future's first poll, and a signal before that would kill the process the default way
    // (no 130, no message). One biased poll against a ready future installs it now.
    let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
    tokio::select! {
        biased;
        _ = &mut interrupted => return Err(interrupted_error()),
        () = std::future::ready(()) => {}
    }
    let state = oauth::new_state();
    let url = url_for(&state);
    say!(
        ui,
        "Open this URL in a browser to grant access (it is waiting on port {}):",
        listener.port()
    );
    say!(ui, "  {url}");
    let mut browser = match plan.way.opener {
        Opener::Browser => Some(ui.open_browser(url.as_str())),
        Opener::Person => {
            let why = ui
                .why_no_browser()
                .filter(|_| !plan.way.no_browser)
                .map(|why| format!(" {why};"))
                .unwrap_or_default();
            // A browser elsewhere can only come back by a tunnel, or by a pasted address.
            let place = if plan.way.paste || ui.prompter().interactive() {
                "in a browser here or on another machine"
            } else {
                "on this machine"
            };
            say!(
                ui,
                "(no browser opened:{why} open the URL yourself, {place})"
            );
            None
        }
        Opener::Sandbox => {
            ui.say("(no browser opened: the sandbox approves the consent by itself, as if you had clicked Approve)");
            crate::sandbox::user::follow(url.as_str());
            None
        }
    };
    // The sandbox's own user agent comes back on this machine: no tunnel to tell of.
    if let Some(ssh) = plan
        .way
        .ssh
        .as_ref()
        .filter(|_| plan.way.opener != Opener::Sandbox)
    {
        ui.say(&tunnel_line(ssh, &plan.redirect));
    }
    let mut paste = Paste::new(ui, plan, listener.expected(&state));
    // Nothing drawn over a line that is being pasted into.
    let mut spinner = if paste.reading() {
        indicatif::ProgressBar::hidden()
    } else {
        ui.spinner("Waiting for the browser to come back…", plan.way.timeout)
    };
    let (refusals, mut refused_rx) = mpsc::unbounded_channel();
    let mut waiting = std::pin::pin!(tokio::time::timeout(
        plan.way.timeout,
        listener.wait(&state, refusals)
    ));
    let mut seen = Seen::default();
    let outcome = loop {
        tokio::select! {
            r = &mut waiting => break r.ok(),
            Some(why) = refused_rx.recv() => {
                if !seen.refused.contains(&why) {
                    seen.refused.push(why);
                    spinner.suspend(|| say!(
                        ui,
                        "note: refused a request for the callback: {}; still waiting for the real one",
                        why.reason()
                    ));
                }
            }
            // At most once: a oneshot answers once.
            failure = async { browser.as_mut().expect("guarded").await }, if browser.is_some() => {
                browser = None;
                if let Ok(why) = failure {
                    spinner.suspend(|| say!(ui, "warning: {why}; open the URL above yourself"));
                    seen.browser_failed = Some(why.clone());
                    if !paste.reading() {
                        spinner.finish_and_clear();
                        spinner = indicatif::ProgressBar::hidden();
                        paste.offer();
                    }
                    if !paste.reading() && !ui.prompter().interactive() {
                        // Nobody is at it and nothing is read: as for no browser at all,
                        // fail now rather than wait the whole timeout for nothing.
                        return Err(CliError::new(
                            Code::BrowserUnavailable,
                            format!(
                                "the browser did not open the consent URL ({why}) and nothing can be asked (--no-input, JIRA_AUTH_NO_INPUT, or stdin is not a terminal): the consent would wait {} s for nothing; nothing was stored",
                                plan.way.timeout.as_secs()
                            ),
                        )
                        .hint("fix $BROWSER (or unset it), or open the consent URL in a browser elsewhere and give the address it ends on on stdin: --paste (or JIRA_AUTH_PASTE=1)")
                        .hint("in CI, use a service account, which needs no browser: `jira-auth init --method service-account` (README: \"Jira in CI\")"));
                    }
                }
            }
            pasted = paste.next(), if paste.reading() => {
                if let Some(callback) = paste.judge(pasted)? {
                    break Some(callback);
                }
            }
            _ = &mut interrupted => {
                spinner.finish_and_clear();
                return Err(interrupted_error());
            }
        }
    };
    spinner.finish_and_clear();
    match outcome {
        Some(Callback::Code(code)) => Ok(code),
        Some(Callback::Denied { error, description }) => {
            // Whoever holds the consent URL (its state) can put any text here, and it goes
            // to a terminal.
            let (error, description) = (for_terminal(&error), for_terminal(&description));
            let (code, what) = if error == "access_denied" {
                (Code::ConsentDenied, "consent was declined".to_string())
            } else {
                (
                    Code::AuthorizationFailed,
                    format!("{} returned an error ({error})", plan.server.name()),
                )
            };
            let desc = if description.is_empty() {
                String::new()
            } else {
                format!(": {description}")
            };
            let hint = match (&plan.server, error.as_str()) {
                (AuthServer::DataCenter(_), "invalid_scope") => format!(
                    "the incoming application link's permission (Administration → Applications → Application links) must allow every scope asked for ({}): ask for less, or have a Jira administrator raise it",
                    plan.scopes.join(" ")
                ),
                (AuthServer::DataCenter(_), _) => format!(
                    "run `jira-auth {}` again and choose Allow on Jira's consent page",
                    plan.command
                ),
                (AuthServer::Atlassian(_), _) => format!(
                    "run `jira-auth {}` again and choose Accept on the consent page (Approve in the sandbox)",
                    plan.command
                ),
            };
            Err(CliError::new(code, format!("{what}{desc}; nothing was stored")).hint(hint))
        }
        None => Err(timeout_error(plan, &seen)),
    }
}

/// Text from the callback query made safe to print: control characters (escape sequences
/// that retitle or clear a terminal, fake newlines) and bidirectional overrides (text that
/// reads differently from what it is) become '?', and the length is bounded.
fn for_terminal(text: &str) -> String {
    const MAX_CHARS: usize = 300;
    let mut out: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi { '?' } else { c }
        })
        .collect();
    if text.chars().count() > MAX_CHARS {
        out.push_str("...");
    }
    out
}

fn interrupted_error() -> CliError {
    CliError::new(Code::Interrupted, "interrupted; nothing was stored")
}

/// What came while waiting, besides the callback.
#[derive(Default)]
struct Seen {
    /// Requests for the callback path that were refused, each reason once.
    refused: Vec<Rejected>,
    /// Why the browser did not open, when that is known.
    browser_failed: Option<String>,
}

/// No callback in time. Something that came and was refused is said first: that is what
/// happened. Otherwise silence is what both common console mistakes look like from here:
/// say so, with the exact values to compare, the scopes grouped by API and tab as the console
/// shows them.
fn timeout_error(plan: &Plan, seen: &Seen) -> CliError {
    let secs = plan.way.timeout.as_secs();
    let mut err = if seen.refused.is_empty() {
        CliError::new(
            Code::CallbackTimeout,
            format!("no answer from the browser within {secs} s; nothing was stored"),
        )
    } else {
        let why: Vec<&str> = seen.refused.iter().map(|r| r.reason()).collect();
        CliError::new(
            Code::CallbackTimeout,
            format!(
                "no valid answer from the browser within {secs} s: a request for the callback came but was refused ({}); nothing was stored",
                why.join("; ")
            ),
        )
    };
    if let Some(why) = &seen.browser_failed {
        err = err.hint(format!("{why}: open the printed URL yourself"));
    }
    if seen.refused.contains(&Rejected::WrongState) {
        return err
            .hint(format!(
                "use the consent URL this run printed, not one from an earlier run: run `jira-auth {}` again and open the URL it prints",
                plan.command
            ))
            .hint("allow more time with --timeout SECS");
    }
    if plan.server.is_data_center() {
        let mut err = err.hint(format!(
            "if Jira showed an error about the redirect URL, the incoming application link's Redirect URL (Administration → Applications → Application links) must be exactly {} — 127.0.0.1 and localhost are different, and so are ports",
            plan.redirect
        ));
        if plan.redirect.as_str().starts_with("http://") {
            err = err.hint("a plain-http redirect URL needs Jira started with -Datlassian.oauth2.provider.skip.redirect.url.https.requirement=true; without it Jira refuses the link's redirect");
        }
        return err.hint("if the page never opened, open the printed URL yourself; allow more time with --timeout SECS");
    }
    let apis = crate::scopes::console::apis_to_add(&plan.scopes);
    let ticks = crate::scopes::console::tick_list(&plan.scopes, "      ");
    err.hint(format!(
        "if the consent page said \"Something went wrong\", a requested scope is not ticked for the app in the developer console: Permissions must have the {apis} added, and these ticked (offline_access is not ticked):\n{}",
        ticks.trim_end()
    ))
    .hint(format!(
        "if Atlassian showed an error about redirect_uri or unauthorized_client, the app's callback URL (Authorization → OAuth 2.0 (3LO)) must be exactly {} — 127.0.0.1 and localhost are different, and so are ports",
        plan.redirect
    ))
    .hint("if the page never opened, open the printed URL yourself; allow more time with --timeout SECS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_text_cannot_drive_the_terminal() {
        assert_eq!(
            for_terminal("User did not authorize the request"),
            "User did not authorize the request"
        );
        assert_eq!(
            for_terminal("a\u{1b}]0;pwned\u{7}\u{1b}[2Jb\r\nc\u{9b}d\u{202E}e"),
            "a?]0;pwned??[2Jb??c?d?e"
        );
        let long = for_terminal(&"x".repeat(1000));
        assert_eq!(long.len(), 303);
        assert!(long.ends_with("..."));
    }
}
