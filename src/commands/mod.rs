//! One module per subcommand, the context they share, and the words they share: how the
//! domain's events and findings are said to the user (warnings, fixes, `login` commands).
//!
//! A command resolves its inputs, calls the layers below with explicit values, builds a
//! typed report, and prints it: as JSON with `--json`, else with its one human renderer.

/// `say!(ui, "format", args…)`: one line of human text on stderr (through the `Ui`).
macro_rules! say {
    ($ui:expr, $($arg:tt)*) => { $ui.say(&format!($($arg)*)) };
}

pub(crate) mod completions;
pub(crate) mod composio;
pub(crate) mod doctor;
pub(crate) mod exec;
pub(crate) mod init;
pub(crate) mod login;
pub(crate) mod logout;
pub(crate) mod man;
pub(crate) mod proxy;
pub(crate) mod sandbox;
pub(crate) mod scopes;
mod shared;
pub(crate) mod sites;
pub(crate) mod status;
pub(crate) mod switch;
pub(crate) mod token;

use secrecy::SecretString;
use serde::Serialize;
use time::OffsetDateTime;

use crate::atlassian::{self, Resource};
use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::net::{Endpoints, Net};
use crate::oauth::AuthServer;
use crate::profile::{
    Access, Found, INACTIVITY_EXPIRY_DAYS, Notice, ProfileError, Profiles, Session, Usable,
};
use crate::sandbox::World;
use crate::scopes::check::Note;
use crate::scopes::console::console_place;
use crate::scopes::{Api, OFFLINE_ACCESS, classify};
use crate::settings::Settings;
use crate::store::Kind;
use crate::ui::Ui;

/// What every command receives: the resolved global options and settings, its I/O, the
/// profiles of the config dir, and the network of this run (built on first use).
pub(crate) struct Ctx<'a> {
    pub global: &'a GlobalArgs,
    /// `--json` of the command: its report goes to `Ui::print_json`, not to the terminal.
    pub json: bool,
    pub settings: &'a Settings,
    pub ui: &'a Ui,
    pub profiles: &'a Profiles,
    pub net: &'a Net,
    /// The emulated Atlassian of `init --sandbox`, or the one restored for a sandbox
    /// profile ([`Ctx::answer_for`]); empty otherwise.
    pub sandbox: &'a std::cell::OnceCell<World>,
}

impl<'a> Ctx<'a> {
    /// `--profile` / `JIRA_AUTH_PROFILE`, when given.
    pub(crate) fn wanted(&self) -> Option<&str> {
        self.global.profile.as_deref()
    }

    /// Where Atlassian is for this command: the settings' endpoints, or the sandbox's.
    pub(crate) fn endpoints(&self) -> &'a Endpoints {
        match self.sandbox.get() {
            Some(world) => world.endpoints(),
            None => &self.settings.endpoints,
        }
    }

    /// Decides who answers for a profile, before anything of it is sent: a profile's secrets
    /// go only to the servers it was made with (`AuthServer::made_with`).
    ///
    /// A sandbox profile is never sent to Atlassian's hosts, which never saw its tokens. One
    /// made by `init --sandbox` (its site is `*.jira-auth.invalid`), or one made against a
    /// `jira-auth sandbox` when no JIRA_AUTH_AUTH_URL/API_URL names one now, is answered by a
    /// sandbox restored from the profile inside this command, so that `token`, `doctor` and
    /// the rest keep working offline after the emulator that made it is gone. Otherwise this
    /// run's endpoints must be the ones the profile was made with: variables left over from
    /// a sandbox (or naming any other server) are refused for it, not followed.
    pub(crate) fn answer_for(&self, found: &Found) -> std::result::Result<(), ProfileError> {
        let site = &found.info.site;
        let in_process = site.url.ends_with(".jira-auth.invalid");
        let restore = site.is_sandbox() && (in_process || self.settings.endpoints.are_atlassians());
        if restore {
            if self.sandbox.get().is_none() {
                let cfg = self.profiles.load(found)?;
                let _ = self.sandbox.set(World::restore(&cfg));
            }
            return Ok(());
        }
        match (
            AuthServer::made_with(site),
            AuthServer::of(site, self.endpoints()),
        ) {
            (AuthServer::Atlassian(made_with), AuthServer::Atlassian(this_run))
                if !made_with.same_servers(&this_run) =>
            {
                Err(ProfileError::OtherServers {
                    name: found.name.clone(),
                    made_with,
                    this_run,
                    sandbox: site.is_sandbox(),
                })
            }
            _ => Ok(()),
        }
    }

    /// The selected profile, which must exist, ready to give out a valid credential.
    pub(crate) fn session(&self) -> std::result::Result<Session<'a>, ProfileError> {
        self.answer_for(&self.profiles.find(self.wanted())?)?;
        let session = Session::open(self.profiles, self.net, self.endpoints(), self.wanted())?;
        self.note_other_store(session.name(), session.info().store);
        Ok(session)
    }

    /// `--store` (or JIRA_AUTH_STORE) chooses where `init` puts a profile; an existing one is
    /// read where it is. Say so rather than ignore the flag in silence.
    pub(crate) fn note_other_store(&self, name: &str, actual: Kind) {
        if let Some(asked) = self.global.store.filter(|k| *k != actual) {
            say!(
                self.ui,
                "note: profile '{name}' is in the {actual} store, not the {asked} store that --store (or JIRA_AUTH_STORE) names, which only `init` uses; to move it: `jira-auth init --force --store {asked} --profile {name}`"
            );
        }
    }

    /// accessible-resources for `token`, in a stable order (Atlassian's means nothing and
    /// changes between calls): by name, then URL.
    pub(crate) fn accessible_resources(&self, token: &SecretString) -> Result<Vec<Resource>> {
        let http = self.net.http()?;
        let mut resources = self.net.block_on(atlassian::accessible_resources(
            http,
            self.endpoints(),
            token,
        ))??;
        resources.sort_by(|a, b| {
            (a.name.to_lowercase(), &a.url, &a.id).cmp(&(b.name.to_lowercase(), &b.url, &b.id))
        });
        Ok(resources)
    }

    /// What `token`, `header` and `exec` give out, valid for more than `min_ttl`:
    /// from the selected profile, or in stateless mode (`JIRA_AUTH_METHOD=service-account`)
    /// from the environment alone.
    pub(crate) fn valid_access(&self, min_ttl: std::time::Duration) -> Result<Access> {
        match &self.settings.stateless {
            Some(env) => shared::stateless::access(self, env, min_ttl),
            None => Ok(self.told(self.session()?.valid_token(min_ttl)?)),
        }
    }

    /// The value, after saying what the user should hear about how it was had.
    pub(crate) fn told<T>(&self, usable: Usable<T>) -> T {
        for notice in &usable.notices {
            self.ui.say(&notice_text(notice));
        }
        usable.value
    }
}

/// `/rest/api/2/myself` of a Data Center profile's site, with its current credential:
/// `status --check`'s and `doctor`'s live question there.
pub(crate) fn data_center_myself(
    ctx: &Ctx,
    cfg: &crate::store::AuthConfig,
    base: &url::Url,
) -> Result<atlassian::datacenter::DcMyself> {
    let http = ctx.net.http()?;
    let (secret, _) = cfg.credential.secret();
    let answer = ctx
        .net
        .block_on(atlassian::datacenter::myself(http, base, secret))?;
    match answer {
        Ok(answer) => Ok(answer.value),
        Err(atlassian::ApiError::Unauthorized(_)) => {
            let (what, fix) = match cfg.credential.method() {
                crate::store::Method::Pat => (
                    "the personal access token",
                    format!(
                        "it was revoked or has expired: create a new one (in Jira: Profile → Personal Access Tokens) and run `jira-auth init --force --method pat --profile {}`",
                        cfg.profile
                    ),
                ),
                _ => (
                    "the access token",
                    format!(
                        "run `jira-auth login --profile {}` to consent again",
                        cfg.profile
                    ),
                ),
            };
            let code = match cfg.credential.method() {
                crate::store::Method::Pat => crate::error::Code::PatRejected,
                _ => crate::error::Code::AccessTokenRejected,
            };
            Err(CliError::new(
                code,
                format!(
                    "{} refused {what} (401 on /rest/api/2/myself)",
                    cfg.site.url
                ),
            )
            .hint(fix))
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) type Result<T = ()> = std::result::Result<T, CliError>;

/// Atlassian expires every API token at most this long after its creation (since
/// 2024-12-15; scoped tokens get 1 to 365 days when they are made).
pub(crate) const API_TOKEN_MAX_DAYS: i64 = 365;

/// What jira-auth knows of an API token's life. Not its expiry date: Atlassian does not say
/// it through the API. But it is at most a year after the token's creation, which was before
/// jira-auth stored it, so a year after that is a date it cannot outlive.
#[derive(Serialize)]
pub(crate) struct ApiTokenFacts {
    /// `classic` (the site takes it) or `scoped` (only the gateway does).
    pub kind: &'static str,
    pub email: String,
    #[serde(with = "time::serde::rfc3339")]
    pub stored_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_by: OffsetDateTime,
}

impl ApiTokenFacts {
    pub(crate) fn new(
        email: &str,
        api_base_url: &str,
        site_url: &str,
        stored_at: OffsetDateTime,
    ) -> Self {
        let classic = !site_url.is_empty() && api_base_url.trim_end_matches('/') == site_url;
        ApiTokenFacts {
            kind: if classic { "classic" } else { "scoped" },
            email: email.to_string(),
            stored_at,
            expires_by: stored_at + time::Duration::days(API_TOKEN_MAX_DAYS),
        }
    }

    /// The reminder `init` and `status` show.
    pub(crate) fn reminder(&self) -> String {
        format!(
            "within a year of its creation (Atlassian's limit), so by {} at the latest ({}); stored {}; jira-auth cannot read the token's own date (id.atlassian.com → Security → API tokens shows it)",
            rfc3339(self.expires_by),
            relative(self.expires_by),
            rfc3339(self.stored_at)
        )
    }
}

/// The requested scopes a token was not granted (what consent withheld, or the console lost).
/// Never offline_access: a token response does not list it, the refresh token is the proof.
pub(crate) fn scopes_missing(requested: &[String], granted: &[String]) -> Vec<String> {
    requested
        .iter()
        .filter(|s| *s != OFFLINE_ACCESS && !granted.contains(s))
        .cloned()
        .collect()
}

/// A warning about something that did not stop the command.
pub(crate) fn notice_text(notice: &Notice) -> String {
    match notice {
        Notice::RefreshTokenIdle { profile, days } => format!(
            "warning: the refresh token of profile '{profile}' has not been used for {days} days; it expires after {INACTIVITY_EXPIRY_DAYS} days without use — run `jira-auth token` regularly or `jira-auth login`"
        ),
        Notice::IndexNotUpdated(e) => format!("warning: the profile index was not updated: {e}"),
        Notice::NoRefreshToken => "warning: Atlassian sent no refresh token; the profile will stop working when the access token expires".into(),
    }
}

/// Where the token and accessible-resources disagree, in words.
pub(crate) fn note_text(note: &Note) -> String {
    match note {
        Note::SiteDropped(s) => format!(
            "{s}: the token has it but accessible-resources no longer lists it for the site; it will likely be gone after the next refresh (check that it is still ticked under {})",
            console_place(s)
        ),
        Note::TokenLacks(s) => format!(
            "{s}: accessible-resources lists it for the site but the token does not have it; `jira-auth login` gets a token with the full grant"
        ),
        Note::SiteGone => {
            "the profile's site is no longer in accessible-resources: API calls to it will fail"
                .into()
        }
    }
}

/// What to do about one missing scope (without the final `login` step, which is shared).
pub(crate) fn fix_for(scope: &str) -> String {
    if scope == OFFLINE_ACCESS || classify(scope).0 == Api::None {
        return format!(
            "{scope}: not ticked in the console; `jira-auth login` requests it and stores the refresh token it brings"
        );
    }
    format!(
        "{scope}: tick it in the developer console (https://developer.atlassian.com/console/myapps/ → your app → Permissions) under {}",
        console_place(scope)
    )
}

/// The `login` command that gets a token with `missing` granted: plain when the profile
/// already requests them all, with `--scopes` (requested plus missing) when it does not.
pub(crate) fn login_command(profile: &str, requested: &[String], missing: &[String]) -> String {
    let not_requested = missing.iter().any(|m| !requested.contains(m));
    if !not_requested {
        return format!("jira-auth login --profile {profile}");
    }
    let mut all: Vec<String> = requested
        .iter()
        .filter(|s| s.as_str() != OFFLINE_ACCESS)
        .cloned()
        .collect();
    for m in missing {
        if m != OFFLINE_ACCESS && !all.contains(m) {
            all.push(m.clone());
        }
    }
    format!(
        "jira-auth login --profile {profile} --scopes \"{}\"",
        all.join(" ")
    )
}

/// "in 59 min", "3 min ago": how people read an expiry.
pub(crate) fn relative(at: OffsetDateTime) -> String {
    let secs = (at - OffsetDateTime::now_utc()).whole_seconds();
    let (n, past) = (secs.unsigned_abs(), secs < 0);
    if n == 0 {
        // Not "in 0 s" for something that has just happened.
        return "just now".to_string();
    }
    let text = if n < 90 {
        format!("{n} s")
    } else if n < 90 * 60 {
        format!("{} min", (n + 30) / 60)
    } else if n < 48 * 3600 {
        format!("{} h", (n + 1800) / 3600)
    } else {
        format!("{} days", (n + 43200) / 86400)
    };
    if past {
        format!("{text} ago")
    } else {
        format!("in {text}")
    }
}

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("a UTC time always formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn fixes_name_api_and_tab_and_login_adds_unrequested_scopes() {
        assert!(fix_for("write:jira-work").ends_with("under Jira API → Classic scopes"));
        assert!(fix_for("offline_access").contains("`jira-auth login` requests it"));
        let requested = v(&["read:jira-work", "offline_access"]);
        assert_eq!(
            login_command("p", &requested, &v(&["read:jira-work"])),
            "jira-auth login --profile p"
        );
        assert_eq!(
            login_command("p", &requested, &v(&["write:jira-work"])),
            "jira-auth login --profile p --scopes \"read:jira-work write:jira-work\""
        );
    }

    #[test]
    fn relative_times_read_as_people_say_them() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            relative(now + time::Duration::milliseconds(30_500)),
            "in 30 s"
        );
        assert_eq!(relative(now + time::Duration::minutes(59)), "in 59 min");
        assert_eq!(relative(now - time::Duration::hours(5)), "5 h ago");
        assert_eq!(relative(now), "just now");
        assert_eq!(
            relative(now - time::Duration::milliseconds(300)),
            "just now"
        );
        assert_eq!(relative(now + time::Duration::days(9)), "in 9 days");
    }
}
