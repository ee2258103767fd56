//! The consent's way back from a browser on another machine (SSH, WSL, a container): the
//! address that browser ended on, pasted while the listener still waits, and judged as the
//! listener judges a callback. In a terminal it is asked for when no browser opens here, or
//! over SSH (with the `ssh -L` line that forwards the callback port instead); `--paste`
//! reads it from stdin even when stdin is not a terminal. A refused address says why and,
//! in a terminal, may be pasted again; it is never shown, as it holds the code.

use secrecy::ExposeSecret;

use super::{Opener, Plan};
use crate::commands::Result;
use crate::error::{CliError, Code};
use crate::oauth::RedirectUri;
use crate::oauth::callback::{Callback, Expected, PasteRefused};
use crate::settings::SshSession;
use crate::ui::Ui;
use crate::ui::paste::{MAX_LINE, PasteReader, Pasted};

/// Pasting, while the consent waits: off, or reading stdin.
pub(super) struct Paste<'a> {
    ui: &'a Ui,
    plan: &'a Plan,
    expected: Expected,
    reader: Option<PasteReader>,
    /// A person at a terminal, who may paste again after a refusal.
    person: bool,
}

impl<'a> Paste<'a> {
    /// Reading from the start with `--paste`, or in a terminal when no browser opened here
    /// or this is an SSH session; else off until [`Paste::offer`]. Never where the sandbox's
    /// own user agent answers the consent: nothing would ever be pasted.
    pub(super) fn new(ui: &'a Ui, plan: &'a Plan, expected: Expected) -> Paste<'a> {
        let sandbox_answers = plan.way.opener == Opener::Sandbox;
        let person = ui.prompter().interactive() && !sandbox_answers;
        let opened = plan.way.opener == Opener::Browser;
        let mut paste = Paste {
            ui,
            plan,
            expected,
            reader: None,
            person,
        };
        if !sandbox_answers && (plan.way.paste || (person && (!opened || plan.way.ssh.is_some()))) {
            paste.start();
        }
        paste
    }

    /// In a terminal, starts asking for the address (the browser did not start after all).
    pub(super) fn offer(&mut self) {
        if self.person && self.reader.is_none() {
            self.start();
        }
    }

    fn start(&mut self) {
        let callback = self.plan.redirect.as_str();
        if self.person || self.ui.stdin_is_terminal() {
            say!(
                self.ui,
                "Or paste the address your browser ended on ({callback}?code=…; input hidden), then press Enter:"
            );
        } else {
            say!(
                self.ui,
                "Reading the address your browser ended on from stdin (--paste): one line, {callback}?code=…"
            );
        }
        self.reader = Some(self.ui.read_pasted());
    }

    pub(super) fn reading(&self) -> bool {
        self.reader.is_some()
    }

    /// The next thing read; only to be awaited while [`Paste::reading`].
    pub(super) async fn next(&mut self) -> Pasted {
        match &mut self.reader {
            Some(reader) => reader.next().await,
            None => std::future::pending().await,
        }
    }

    /// What a read means for the wait: the callback it carries, `None` to keep waiting (a
    /// refusal said, and in a terminal another paste asked for), or the end of the command.
    pub(super) fn judge(&mut self, pasted: Pasted) -> Result<Option<Callback>> {
        let why = match pasted {
            Pasted::Line(line) if line.expose_secret().trim().is_empty() => return Ok(None),
            Pasted::Line(line) => match self.expected.judge(line.expose_secret()) {
                Ok(callback) => return Ok(Some(callback)),
                Err(refused) => reason(refused, &self.plan.redirect),
            },
            Pasted::TooLong => format!(
                "it is longer than {} KiB, which no callback address is",
                MAX_LINE / 1024
            ),
            Pasted::End => return self.ended(),
            Pasted::Failed(e) => {
                self.reader = None;
                say!(
                    self.ui,
                    "warning: cannot read stdin ({e}); still waiting for the browser"
                );
                return Ok(None);
            }
        };
        if !self.person {
            return Err(CliError::new(
                Code::PasteInvalid,
                format!("the address read from stdin (--paste) was refused: {why}; nothing was stored"),
            )
            .hint(format!(
                "give the whole address the browser ended on after the consent of this run's URL: it starts with {}",
                self.plan.redirect
            )));
        }
        say!(
            self.ui,
            "refused the pasted address: {why}. Paste it again (input hidden), or wait for the browser:"
        );
        Ok(None)
    }

    /// Stdin ended: in a terminal, the browser may still come back; with `--paste` from a
    /// pipe or a file, nothing more will come.
    fn ended(&mut self) -> Result<Option<Callback>> {
        self.reader = None;
        if self.person {
            self.ui
                .say("(stdin closed: nothing more can be pasted; still waiting for the browser)");
            return Ok(None);
        }
        Err(CliError::new(
            Code::MissingInput,
            "stdin ended before the address the browser ended on was given (--paste); nothing was stored",
        )
        .hint(format!(
            "write the address (it starts with {}) on stdin after consenting, or leave out --paste (JIRA_AUTH_PASTE) to wait for the browser's callback",
            self.plan.redirect
        )))
    }
}

/// Why a pasted address was refused, in words (never with the address).
fn reason(refused: PasteRefused, redirect: &RedirectUri) -> String {
    match refused {
        PasteRefused::NotAnAddress => {
            "it is not an address: paste the whole address from the browser's address bar"
                .to_string()
        }
        PasteRefused::NotTheCallback => {
            format!("it is not an address of this run's callback URL, {redirect}")
        }
        PasteRefused::Refused(why) => why.reason().to_string(),
    }
}

/// Over SSH: the tunnel that brings a browser on the person's own machine back to this
/// machine's listener.
pub(super) fn tunnel_line(ssh: &SshSession, redirect: &RedirectUri) -> String {
    let port = redirect.port();
    let target = match redirect.listen_addrs().first() {
        Some(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        Some(ip) => ip.to_string(),
        None => "127.0.0.1".to_string(),
    };
    let ssh_port = match ssh.port {
        Some(p) if p != 22 => format!(" -p {p}"),
        _ => String::new(),
    };
    format!(
        "This is an SSH session: for a browser on your own machine, forward the callback port first, in a terminal there:\n  ssh -L {port}:{target}:{port}{ssh_port} {}@{}",
        ssh.user.as_deref().unwrap_or("USER"),
        ssh.host.as_deref().unwrap_or("HOST")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tunnel_forwards_the_callback_port_to_this_machine() {
        let ssh = SshSession {
            host: Some("10.0.0.5".into()),
            port: Some(22),
            user: Some("ada".into()),
        };
        let redirect = RedirectUri::on_port(8976).unwrap();
        assert!(
            tunnel_line(&ssh, &redirect).ends_with("\n  ssh -L 8976:127.0.0.1:8976 ada@10.0.0.5")
        );
        let other = SshSession {
            host: None,
            port: Some(2222),
            user: None,
        };
        let v6 = RedirectUri::parse("http://[::1]:9000/cb").unwrap();
        assert!(tunnel_line(&other, &v6).ends_with("ssh -L 9000:[::1]:9000 -p 2222 USER@HOST"));
    }
}
