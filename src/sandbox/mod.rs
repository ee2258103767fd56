//! The sandbox: the Atlassian emulator (the jira-auth-emulator crate, crates/) set up as a
//! world of its own ([`World`]): an app ready in the "developer console", a service account,
//! an API token and two sites, all emulated on loopback. `jira-auth sandbox` serves one until
//! interrupted; `init --sandbox` runs the wizard against one inside the process; and a
//! sandbox profile's later commands are answered by one restored from the profile
//! ([`World::restore`]). The tests build their worlds from the same crate, with the knobs of
//! its `testing` feature, which this build leaves out.
//!
//! Nothing here reaches the network beyond loopback, prints, or knows the command line.
//! Its secrets are made up per world: they open nothing but that world.

/// The sandbox's own user agent, which approves a consent when nobody is at a browser.
pub(crate) use jira_auth_emulator::user;

use std::time::Duration;

use secrecy::ExposeSecret;
use time::OffsetDateTime;
use url::Url;

use jira_auth_emulator::composio::Composio;
use jira_auth_emulator::datacenter;
use jira_auth_emulator::emulator::{
    ApiToken, Client, Consent, Emulator, Endpoint, ServiceAccount, Site, TokenKind, USER_EMAIL,
};

use crate::net::Endpoints;
use crate::store::{AuthConfig, Credential, SANDBOX_CLOUD_ID_PREFIX};

/// The sandbox's sites, by name: each `https://NAME.jira-auth.invalid` (a name that can
/// never resolve) when the world runs inside a command, its own loopback host when served.
pub(crate) const SITE_NAMES: [&str; 2] = ["sandbox", "sandbox-team"];

/// The cloud id of the sandbox site `i` of [`SITE_NAMES`].
pub(crate) fn cloud_id(i: usize) -> String {
    format!("{SANDBOX_CLOUD_ID_PREFIX}{:012}", i + 1)
}

/// What goes wrong in a world, to rehearse what jira-auth says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Everything works; every scope of jira-auth's catalog is ticked for the app
    Normal,
    /// Only read:jira-work is ticked: asking for more gets "Something went wrong" on the
    /// consent page, and the browser never comes back
    UntickedScope,
    /// The consent is declined (the callback gets error=access_denied)
    Deny,
    /// The app's callback URL is registered with localhost, not 127.0.0.1: Atlassian's
    /// "redirect_uri is not registered" page, and the browser never comes back
    WrongRedirect,
    /// Access tokens live 30 s (so `token` refreshes every time under its default --min-ttl
    /// of 60) and a rotated refresh token works for 10 s instead of 10 minutes
    RotateFast,
    /// The first request to each endpoint is answered 429 with Retry-After: 1
    RateLimited,
    /// The token endpoint, the API and Composio answer 503 (the consent page still works)
    Unavailable,
    /// Composio refuses the API key the sandbox gives out (`jira-auth composio`)
    BadApiKey,
    /// Composio's connect links have expired when opened (`jira-auth composio connect`)
    ExpiredLink,
}

/// How a world is set up.
pub(crate) struct Options {
    /// The callback URL registered for the app (exactly: 127.0.0.1 and localhost differ).
    pub redirect_uri: String,
    pub scenario: Scenario,
    /// Whether the consent page asks a person ([`Consent::Ask`]) or approves by itself.
    pub ask: bool,
    /// Served for other processes (`jira-auth sandbox`): each site gets its own loopback
    /// host (tenant_info, classic API tokens), and that host is the site's URL.
    pub served: bool,
}

/// The app registered in the world's developer console.
pub(crate) struct App {
    pub client_id: String,
    /// Made up for this world; it opens nothing else.
    pub client_secret: String,
    pub redirect_uri: String,
}

/// A Jira Data Center instance of a served world: an incoming application link for the
/// world's callback (permission ADMIN), a personal access token of its one user, and a
/// service account.
pub(crate) struct DataCenterWorld {
    pub instance: datacenter::DataCenter,
    pub client_id: String,
    /// Made up for this world, as every secret here.
    pub client_secret: String,
    pub pat: String,
    pub service_account_id: String,
    pub service_account_secret: String,
}

/// An emulated Composio beside the world's Atlassian (`jira-auth composio`), with a second
/// app registered in the "developer console" for Composio's callback: one callback URL per
/// app, as Atlassian documents, so the app handed to Composio is never the loopback one.
pub(crate) struct ComposioWorld {
    pub server: Composio,
    /// The project API key this world gives out (refused in the bad-api-key scenario).
    pub api_key: String,
    pub client_id: String,
    /// Made up for this world; it opens nothing else.
    pub client_secret: String,
}

/// An emulated Atlassian with everything a rehearsal needs; dropping it stops it.
pub(crate) struct World {
    emu: Emulator,
    endpoints: Endpoints,
    scenario: Scenario,
    pub app: App,
    pub service_account: ServiceAccount,
    /// A classic API token of the one user, [`USER_EMAIL`].
    pub api_token: ApiToken,
    pub sites: Vec<Site>,
    /// Served worlds only (`jira-auth sandbox`): a Data Center instance beside the Cloud.
    pub data_center: Option<DataCenterWorld>,
    /// Composio, once asked for ([`World::start_composio`]).
    pub composio: Option<ComposioWorld>,
}

impl World {
    pub(crate) fn start(options: Options) -> World {
        let emu = Emulator::start();
        // The consent page words each scope as `scopes list` does.
        emu.describe_scopes(|name| crate::scopes::lookup(name).map(|info| info.description));
        let sites: Vec<Site> = (0..SITE_NAMES.len())
            .map(|i| {
                let url = if options.served {
                    emu.site_url(&cloud_id(i))
                } else {
                    format!("https://{}.jira-auth.invalid", SITE_NAMES[i])
                };
                Site::new(cloud_id(i), SITE_NAMES[i], url)
            })
            .collect();
        emu.set_sites(sites.clone());
        let app = App {
            client_id: made_up("", 32),
            client_secret: made_up("ATOA", 64),
            redirect_uri: options.redirect_uri,
        };
        let ticked = ticked(options.scenario);
        let registered = match options.scenario {
            Scenario::WrongRedirect => app.redirect_uri.replacen("127.0.0.1", "localhost", 1),
            _ => app.redirect_uri.clone(),
        };
        emu.register_client(Client::new(
            &app.client_id,
            &app.client_secret,
            &registered,
            &ticked,
        ));
        let service_account = ServiceAccount::new(
            &made_up("", 32),
            &made_up("ATSA", 64),
            &["read:jira-work", "read:jira-user", "write:jira-work"],
        );
        emu.register_service_account(service_account.clone());
        let api_token = ApiToken {
            email: USER_EMAIL.to_string(),
            token: made_up("ATATT", 48),
            kind: TokenKind::Classic,
        };
        emu.register_api_token(api_token.clone());
        apply(&emu, options.scenario);
        let data_center = options
            .served
            .then(|| data_center(&app.redirect_uri, options.scenario));
        let parse = |u: String| Url::parse(&u).expect("the emulator's own URL");
        let world = World {
            endpoints: Endpoints {
                auth: parse(emu.auth_url()),
                api: parse(emu.api_url()),
            },
            emu,
            scenario: options.scenario,
            app,
            service_account,
            api_token,
            sites,
            data_center,
            composio: None,
        };
        world.ask(options.ask);
        world
    }

    /// A world that answers for a sandbox profile as the one that issued its tokens would
    /// have: its app, service account, sites and tokens are taken from the stored profile.
    /// The emulator that issued them ended with the command that made the profile, and
    /// nothing else ever could answer for them: not Atlassian, which never saw them.
    pub(crate) fn restore(cfg: &AuthConfig) -> World {
        let mut world = World::start(Options {
            redirect_uri: String::new(),
            scenario: Scenario::Normal,
            ask: false,
            served: false,
        });
        for site in &mut world.sites {
            if site.id == cfg.site.cloud_id && !cfg.site.url.is_empty() {
                site.url = cfg.site.url.clone();
            }
        }
        world.emu.set_sites(world.sites.clone());
        let left = |at: OffsetDateTime| {
            Duration::try_from(at - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO)
        };
        match &cfg.credential {
            Credential::OAuth(g) => {
                let ticked: Vec<&str> = g.scopes_requested.iter().map(String::as_str).collect();
                world.emu.register_client(Client::new(
                    &g.client_id,
                    g.client_secret.expose_secret(),
                    &g.redirect_uri,
                    &ticked,
                ));
                world.emu.adopt_grant(
                    &g.client_id,
                    &g.scopes_granted,
                    g.refresh_token.as_ref().map(|t| t.expose_secret()),
                    Some((
                        g.access_token.expose_secret(),
                        left(g.access_token_expires_at),
                    )),
                );
            }
            Credential::ServiceAccount(sa) => {
                let scopes: Vec<&str> = sa.scopes_granted.iter().map(String::as_str).collect();
                world.emu.register_service_account(ServiceAccount::new(
                    &sa.client_id,
                    sa.client_secret.expose_secret(),
                    &scopes,
                ));
            }
            // Static secrets renew nothing; the API token's base URL is its own.
            // Composio's hand-off holds no token of this world's.
            Credential::ApiToken(_) | Credential::Pat(_) | Credential::Composio(_) => {}
        }
        world
    }

    /// Starts an emulated Composio beside this world's Atlassian, and registers the app to
    /// hand to it (ticked as the scenario says; its callback Composio's).
    pub(crate) fn start_composio(&mut self) -> &ComposioWorld {
        let given_key = made_up("ak_", 24);
        let accepted = match self.scenario {
            Scenario::BadApiKey => made_up("ak_", 24),
            _ => given_key.clone(),
        };
        let server = Composio::start(&self.emu, &accepted);
        match self.scenario {
            Scenario::ExpiredLink => server.set_link_ttl(Duration::ZERO),
            Scenario::Unavailable => server.fail_next(503, usize::MAX),
            _ => {}
        }
        let world = ComposioWorld {
            client_id: made_up("", 32),
            client_secret: made_up("ATOA", 64),
            api_key: given_key,
            server,
        };
        let ticked = ticked(self.scenario);
        self.emu.register_client(Client::new(
            &world.client_id,
            &world.client_secret,
            &world.server.callback_url(),
            &ticked,
        ));
        self.composio.insert(world)
    }

    /// Where this world's Atlassian is, for jira-auth's own calls.
    pub(crate) fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// Whether its consent page waits for a person (else it approves at once); a declining
    /// scenario declines either way.
    pub(crate) fn ask(&self, person: bool) {
        self.emu.set_consent(match (self.scenario, person) {
            (Scenario::Deny, _) => Consent::Deny,
            (_, true) => Consent::Ask,
            (_, false) => Consent::Approve,
        });
    }
}

/// The scopes ticked for the world's apps: every scope of jira-auth's catalog, or only
/// read:jira-work in the unticked-scope scenario.
fn ticked(scenario: Scenario) -> Vec<&'static str> {
    match scenario {
        Scenario::UntickedScope => vec!["read:jira-work"],
        _ => crate::scopes::catalog::all()
            .iter()
            .map(|s| s.name)
            .filter(|s| *s != crate::scopes::OFFLINE_ACCESS)
            .collect(),
    }
}

fn apply(emu: &Emulator, scenario: Scenario) {
    let api = [
        Endpoint::Token,
        Endpoint::AccessibleResources,
        Endpoint::Me,
        Endpoint::Myself,
        Endpoint::TenantInfo,
        Endpoint::SiteMyself,
        // The rehearsal Jira: a client tried against the sandbox meets the scenario too.
        Endpoint::Jira,
        Endpoint::SiteJira,
    ];
    match scenario {
        Scenario::RotateFast => {
            emu.set_access_token_ttl(30);
            emu.set_reuse_interval(10);
        }
        Scenario::RateLimited => api
            .iter()
            .for_each(|ep| emu.fail_next(*ep, 429, 1, Some(1))),
        Scenario::Unavailable => api
            .iter()
            .for_each(|ep| emu.fail_next(*ep, 503, usize::MAX, None)),
        Scenario::Normal
        | Scenario::UntickedScope
        | Scenario::Deny
        | Scenario::WrongRedirect
        | Scenario::BadApiKey
        | Scenario::ExpiredLink => {}
    }
}

/// The Data Center instance of a served world, under the context path `/jira`, with what
/// the scenarios that have a Data Center meaning make of it.
fn data_center(redirect_uri: &str, scenario: Scenario) -> DataCenterWorld {
    let instance = datacenter::DataCenter::start("/jira");
    let world = DataCenterWorld {
        instance,
        client_id: made_up("", 32).to_ascii_lowercase(),
        client_secret: made_up("", 64),
        pat: made_up("", 44),
        service_account_id: made_up("", 32).to_ascii_lowercase(),
        service_account_secret: made_up("", 64),
    };
    world
        .instance
        .create_service_account(datacenter::ServiceAccount {
            client_id: world.service_account_id.clone(),
            client_secret: world.service_account_secret.clone(),
            name: "sandbox-bot".into(),
        });
    world.instance.create_link(datacenter::Link {
        client_id: world.client_id.clone(),
        client_secret: world.client_secret.clone(),
        redirect_uri: redirect_uri.to_string(),
        permission: "ADMIN".into(),
    });
    world.instance.add_pat(&world.pat);
    match scenario {
        Scenario::Deny => world.instance.set_deny(true),
        Scenario::RotateFast => world.instance.set_access_token_ttl(30),
        _ => {}
    }
    world
}

/// `prefix` and then letters and digits up to `len` characters, as Atlassian's ids and
/// secrets look.
fn made_up(prefix: &str, len: usize) -> String {
    use rand::Rng as _;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let mut out = prefix.to_string();
    while out.len() < len {
        out.push(CHARS[rng.random_range(0..CHARS.len())] as char);
    }
    out
}

#[cfg(test)]
mod tests;
