//! `jira-auth status [--check]`: the profiles and what they hold, and whether the selected one
//! (`--profile`, else the default) can give out a token.
//!
//! Every profile is listed from the index (no secret, no keychain round trip). The selected
//! one is also read through the profile layer, as `token` reads it, and judged as `token`
//! would judge it: status says "valid" only of a profile `token` would answer for, and exits
//! with the code `token` would have. `--check` also asks Atlassian, as `gh auth status` does:
//! the token is renewed if it must be, and accessible-resources must accept it and list the
//! profile's site.

use serde::Serialize;
use time::{Duration, OffsetDateTime};

use super::{ApiTokenFacts, Ctx, Result, relative, rfc3339};
use crate::cli::StatusArgs;
use crate::error::{CliError, Code};
use crate::oauth::AuthServer;
use crate::profile::RENEWAL_MARGIN;
use crate::profile::{INACTIVITY_EXPIRY_DAYS, Refusal, Refused};
use crate::store::index::{Index, ProfileInfo};
use crate::store::{Account, Deployment, Kind, Method, Site};

#[derive(Serialize)]
pub(crate) struct Report {
    pub default: Option<String>,
    pub profiles: Vec<ProfileStatus>,
}

#[derive(Serialize)]
pub(crate) struct ProfileStatus {
    pub name: String,
    pub default: bool,
    pub store: Kind,
    pub method: Method,
    pub client_id: Option<String>,
    pub site: Site,
    /// `cloud` or `data-center` (as `site.deployment`).
    pub deployment: Deployment,
    /// The site is one of the sandbox's (`init --sandbox`, `jira-auth sandbox`): emulated on
    /// this machine, not a real Jira site.
    pub sandbox: bool,
    pub api_base_url: String,
    pub redirect_uri: Option<String>,
    /// Who consented, when Atlassian said.
    pub authorized_as: Option<Account>,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    /// Requested scopes the last token did not carry.
    pub scopes_missing: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub access_token_expires_at: Option<OffsetDateTime>,
    pub access_token_expired: bool,
    pub has_refresh_token: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
    /// Atlassian's 90-day inactivity expiry of the refresh token.
    #[serde(with = "time::serde::rfc3339::option")]
    pub refresh_token_expires_if_unused_at: Option<OffsetDateTime>,
    /// Atlassian refused the last renewal: when, and what (`refresh-token`, `client-secret`).
    pub renewal_refused: Option<Refusal>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// An API token's kind, account and the latest date it can expire by; `null` for the
    /// other methods.
    pub api_token: Option<ApiTokenFacts>,
    /// For the selected profile, what `token` would find; `null` for the others.
    pub usable: Option<Usable>,
}

/// What `token` would find for the selected profile.
#[derive(Serialize)]
pub(crate) struct Usable {
    pub ok: bool,
    /// The exit code `token` would have: 0 when `ok`.
    pub exit_code: u8,
    /// The error code `token` would fail with; `null` when `ok`.
    pub code: Option<Code>,
    /// Why not, when not `ok`: what `token` would say.
    pub problem: Option<String>,
    /// `--check`: what Atlassian said of the token just now (`null` without --check).
    pub check: Option<String>,
}

pub(crate) fn run(ctx: &Ctx, args: StatusArgs) -> Result {
    let index = ctx.profiles.index()?;
    let listed: Vec<(&String, &ProfileInfo)> = match ctx.wanted() {
        Some(_) => {
            let found = ctx.profiles.find(ctx.wanted())?;
            index
                .profiles
                .get_key_value(&found.name)
                .into_iter()
                .collect()
        }
        None => index.profiles.iter().collect(),
    };
    let selected = ctx.profiles.select(ctx.wanted(), &index)?;
    let (usable, verdict) = if listed.is_empty() {
        let none =
            CliError::new(Code::ProfileNotFound, "no profiles yet").hint("run `jira-auth init`");
        (None, Err(none))
    } else {
        let (usable, verdict) = examine(ctx, args.check);
        (Some(usable), verdict)
    };
    let mut usable = usable;
    let report = Report {
        default: index.default.clone(),
        profiles: listed
            .into_iter()
            .map(|(name, p)| {
                let mine = if *name == selected {
                    usable.take()
                } else {
                    None
                };
                status_of(ctx, &index, name, p, mine)
            })
            .collect(),
    };
    if ctx.json {
        ctx.ui.print_json(&report);
    } else {
        render(ctx, &report);
    }
    verdict
}

/// The selected profile as `token` would find it, and, with `check`, as Atlassian does.
fn examine(ctx: &Ctx, check: bool) -> (Usable, Result) {
    let failed = |e: CliError| {
        let usable = Usable {
            ok: false,
            exit_code: e.exit().code(),
            code: Some(e.code()),
            problem: Some(e.lines().collect::<Vec<_>>().join(": ")),
            check: None,
        };
        (usable, Err(e))
    };
    let session = match ctx.session() {
        Ok(s) => s,
        Err(e) => return failed(e.into()),
    };
    if let Err(e) = session.standing(RENEWAL_MARGIN) {
        return failed(e.into());
    }
    let mut usable = Usable {
        ok: true,
        exit_code: 0,
        code: None,
        problem: None,
        check: None,
    };
    if check {
        match probe(ctx, &session) {
            Ok(said) => usable.check = Some(said),
            Err(e) => {
                let (mut usable, verdict) = failed(e);
                usable.check = usable.problem.clone();
                return (usable, verdict);
            }
        }
    }
    (usable, Ok(()))
}

/// A valid token (renewed under the lock if it must be, as `token` does), and Atlassian's
/// word on it: accessible-resources accepts it and lists the profile's site.
fn probe(ctx: &Ctx, session: &crate::profile::Session) -> Result<String> {
    let cfg = ctx.told(session.valid_config(RENEWAL_MARGIN)?);
    if let Some(base) = cfg.site.data_center_base() {
        // No accessible-resources on Data Center: the site's own /myself is the word.
        let me = super::data_center_myself(ctx, &cfg, base)?;
        return Ok(format!(
            "{} accepts the credential (GET /rest/api/2/myself answers as {})",
            cfg.site.url, me.display_name
        ));
    }
    let resources = ctx.accessible_resources(cfg.credential.secret().0)?;
    let site = &cfg.site;
    if !resources.iter().any(|r| r.id == site.cloud_id) {
        return Err(CliError::new(
            Code::SiteNotInGrant,
            format!(
                "Atlassian accepts the token, but the profile's site {} ({}) is no longer covered by its grant",
                site.name, site.url
            ),
        )
        .hint(format!(
            "choose another with `jira-auth sites use SITE`, or consent again with `jira-auth login --profile {} --site {}`",
            cfg.profile, site.name
        )));
    }
    Ok(format!(
        "Atlassian accepts the token, and its grant covers {} ({})",
        site.name, site.url
    ))
}

fn status_of(
    ctx: &Ctx,
    index: &Index,
    name: &str,
    p: &ProfileInfo,
    usable: Option<Usable>,
) -> ProfileStatus {
    let now = OffsetDateTime::now_utc();
    ProfileStatus {
        name: name.to_string(),
        default: index.default.as_deref() == Some(name),
        store: p.store,
        method: p.method,
        client_id: p.client_id.clone(),
        site: p.site.clone(),
        deployment: p.site.deployment(),
        sandbox: p.site.is_sandbox(),
        api_base_url: match &p.api_base_url {
            Some(base) => base.clone(),
            None => AuthServer::of(&p.site, &ctx.settings.endpoints).rest_base(&p.site),
        },
        redirect_uri: p.redirect_uri.clone(),
        authorized_as: p.account.clone(),
        scopes_requested: p.scopes_requested.clone(),
        scopes_granted: p.scopes_granted.clone(),
        scopes_missing: super::scopes_missing(&p.scopes_requested, &p.scopes_granted),
        access_token_expires_at: p.access_token_expires_at,
        access_token_expired: p.access_token_expires_at.is_some_and(|at| at <= now),
        has_refresh_token: p.has_refresh_token,
        refresh_token_issued_at: p.refresh_token_issued_at,
        refresh_token_expires_if_unused_at: p
            .has_refresh_token
            .then_some(p.refresh_token_issued_at)
            .flatten()
            .map(|at| at + Duration::days(INACTIVITY_EXPIRY_DAYS)),
        renewal_refused: p.refused.clone(),
        updated_at: p.updated_at,
        api_token: (p.method == Method::ApiToken).then(|| {
            ApiTokenFacts::new(
                p.email.as_deref().unwrap_or_default(),
                p.api_base_url.as_deref().unwrap_or_default(),
                &p.site.url,
                p.created_at.unwrap_or(p.updated_at),
            )
        }),
        usable,
    }
}

fn render(ctx: &Ctx, report: &Report) {
    let ui = ctx.ui;
    for p in &report.profiles {
        let mark = if p.default { " (default)" } else { "" };
        let sandbox = if p.sandbox { " (sandbox)" } else { "" };
        say!(ui, "{}{mark}{sandbox}", p.name);
        say!(ui, "  method     {}", method_line(p));
        if !p.site.url.is_empty() {
            say!(ui, "  site       {}  {}", p.site.name, p.site.url);
        }
        if p.site.is_data_center() {
            say!(
                ui,
                "  deployment Jira Data Center (REST API at the site's base URL)"
            );
        } else if p.method != Method::Composio || !p.site.cloud_id.is_empty() {
            say!(ui, "  cloud id   {}", p.site.cloud_id);
        }
        if p.sandbox {
            say!(
                ui,
                "  sandbox    an emulated site on this machine, not a real Jira site: its tokens open nothing else"
            );
        }
        if let Some(account) = &p.authorized_as {
            say!(ui, "  account    {}", account.describe());
        }
        if p.method == Method::Composio {
            // Composio holds the grant: no token, refresh or granted scopes of jira-auth's.
            say!(
                ui,
                "  composio   an app handed to Composio, which holds its grant: `jira-auth composio status --profile {}` checks it",
                p.name
            );
            say!(ui, "  store      {}", p.store);
            continue;
        }
        if !matches!(p.method, Method::ApiToken | Method::Pat) {
            say!(ui, "  scopes     {}", p.scopes_granted.join(" "));
        }
        match &p.api_token {
            Some(t) => say!(ui, "  token      expires {}", t.reminder()),
            None => say!(ui, "  token      {}", token_line(p)),
        }
        match (
            p.method,
            p.refresh_token_expires_if_unused_at,
            p.refresh_token_issued_at,
        ) {
            (Method::ServiceAccount, _, _) => say!(
                ui,
                "  refresh    none needed: a new token is minted from the client secret"
            ),
            (Method::ApiToken | Method::Pat, _, _) => {}
            (_, Some(dies), Some(used)) if p.site.is_data_center() => say!(
                ui,
                "  refresh    issued {}; Jira Data Center expires it by {} ({}) unless a refresh replaces it",
                relative(used),
                rfc3339(dies),
                relative(dies)
            ),
            (_, Some(dies), Some(used)) => say!(
                ui,
                "  refresh    last used {}; expires if unused by {} ({})",
                relative(used),
                rfc3339(dies),
                relative(dies)
            ),
            _ if p.has_refresh_token => say!(ui, "  refresh    present"),
            _ => say!(
                ui,
                "  refresh    none: run `jira-auth login` when the access token expires"
            ),
        }
        if !p.scopes_missing.is_empty() {
            say!(
                ui,
                "  missing    {} (requested, not granted: see `jira-auth scopes check`)",
                p.scopes_missing.join(" ")
            );
        }
        say!(ui, "  store      {}", p.store);
        if let Some(u) = &p.usable {
            match (&u.problem, &u.check) {
                (Some(problem), _) => say!(ui, "  problem    {problem}"),
                (None, Some(said)) => say!(ui, "  check      ok: {said}"),
                (None, None) => {}
            }
        }
    }
}

fn method_line(p: &ProfileStatus) -> String {
    match (&p.api_token, p.method, &p.client_id) {
        (Some(t), _, _) => format!("{} ({}) of {}", p.method.as_str(), t.kind, t.email),
        (None, Method::ServiceAccount, Some(id)) => {
            format!("{} (client id {id})", p.method.as_str())
        }
        _ => p.method.as_str().to_string(),
    }
}

/// The token line: valid or not, when it expires, and whether Atlassian refused to renew it.
fn token_line(p: &ProfileStatus) -> String {
    let Some(at) = p.access_token_expires_at else {
        if p.method == Method::Pat {
            return "a personal access token: it works until its expiry date, if its creator chose one, or until it is revoked (in Jira: Profile → Personal Access Tokens)".to_string();
        }
        return "does not expire".to_string();
    };
    let refused = p.renewal_refused.as_ref().map(|r| {
        let what = match r.what {
            Refused::RefreshToken => "refresh token",
            Refused::ClientSecret => "client secret",
        };
        let who = if p.site.is_data_center() {
            "Jira"
        } else {
            "Atlassian"
        };
        format!("{who} refused its {what} {}", relative(r.at))
    });
    // Stale as `token` sees it: within its margin, `token` renews first.
    let left = at - OffsetDateTime::now_utc();
    let stale = if p.access_token_expired {
        "expired"
    } else {
        "about to expire"
    };
    let state = match (left <= RENEWAL_MARGIN, &refused) {
        // A problem `token` would meet first (credentials unreadable) overrides what the
        // index remembers.
        _ if p.usable.as_ref().is_some_and(|u| !u.ok) && refused.is_none() => {
            "not usable (see problem)".to_string()
        }
        (false, None) => "valid".to_string(),
        (false, Some(refused)) => format!("valid, but {refused}: it stops working then"),
        (true, Some(refused)) => format!("{stale}; {refused}"),
        (true, None) if p.has_refresh_token => format!("{stale}, refreshable"),
        (true, None) if p.method == Method::ServiceAccount => format!("{stale}, renewable"),
        (true, None) => stale.to_string(),
    };
    format!("{state}, expires {} ({})", rfc3339(at), relative(at))
}
