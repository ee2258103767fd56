//! What a profile stores (`AuthConfig`): its site and the credential of its method, with
//! the secrets that keep it usable, as one JSON document per profile.
//!
//! The credential is an enum of *methods*, each with what it needs and how it stays usable:
//! - `OAuth`: an authorization-code grant (Cloud 3LO, or a Data Center instance's own OAuth
//!   2.0 provider: the site's `deployment` says which) whose access token is renewed with a
//!   (possibly rotating) refresh token;
//! - `ServiceAccount`: client credentials, no refresh token; a new access token is minted
//!   from the client secret when the last one runs out;
//! - `ApiToken` (Cloud, Basic `email:token`) and `Pat` (Data Center, Bearer): static secrets.
//!
//! How each method is kept usable is decided in one place, the profile layer's `renew`
//! (profile/session.rs); no command looks at the method to decide.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::StoreError;

/// Format 2 holds the credential as a tagged enum; format 1 (jira-auth 0.1) was the OAuth
/// grant's fields at the top level. Format 1 is still read, and written as 2 at the next save.
pub const CONFIG_VERSION: u32 = 2;

/// Everything a profile needs to produce credentials for months.
#[derive(Serialize, Deserialize)]
pub struct AuthConfig {
    pub version: u32,
    pub profile: String,
    pub site: Site,
    pub credential: Credential,
    /// Who consented, as Atlassian named them then (absent in configs of earlier builds, and
    /// when Atlassian would not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

/// The Atlassian account a grant belongs to. Not a secret: `status` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Account {
    pub account_id: String,
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
}

impl Account {
    /// "Ada Lovelace <ada@example.com>", or the name alone when the email is hidden.
    pub fn describe(&self) -> String {
        match &self.email {
            Some(email) if !email.is_empty() => format!("{} <{email}>", self.name),
            _ => self.name.clone(),
        }
    }
}

/// A Jira site: on Cloud, `https://NAME.atlassian.net` and its cloud id; on Data Center, the
/// instance's base URL (its context path included, e.g. `https://jira.example.com/jira`) and
/// no cloud id (empty).
///
/// A Data Center base URL is parsed once, when the site is made or read: a stored one that
/// does not parse makes the document unreadable (`SITE_DAMAGED`), so every command that reads
/// the profile gives the same answer, and nothing below has to parse it again.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(try_from = "StoredSite", into = "StoredSite")]
pub struct Site {
    pub cloud_id: String,
    pub url: String,
    pub name: String,
    /// `Some` on Data Center: where its OAuth provider and REST API are.
    base: Option<url::Url>,
    /// Cloud: the Atlassian servers the profile was made with. `None` in a profile of an
    /// earlier build, which was made with Atlassian's own (no record then meant no
    /// JIRA_AUTH_AUTH_URL/API_URL to record), and on Data Center, whose server is `base`.
    servers: Option<CloudServers>,
}

/// The servers a Cloud profile was made with: the authorization server (consent, token
/// endpoint) and the API gateway, Atlassian's own or those JIRA_AUTH_AUTH_URL and
/// JIRA_AUTH_API_URL named then (a proxy, a test's emulator, `jira-auth sandbox`). Its
/// secrets go there and nowhere else.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CloudServers {
    pub auth: url::Url,
    pub api: url::Url,
}

/// A site as the JSON documents hold it (the format of every build).
#[derive(Serialize, Deserialize)]
struct StoredSite {
    cloud_id: String,
    url: String,
    name: String,
    /// Absent in profiles of earlier builds, which were all Cloud's.
    #[serde(default)]
    deployment: Deployment,
    /// Absent in profiles of earlier builds: made with Atlassian's own servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    servers: Option<CloudServers>,
}

/// How a damaged stored site starts its message, so that `AuthConfig::from_json` can say
/// what is wrong with it (it says only where, for anything else: values can be secrets).
pub const SITE_DAMAGED: &str = "its Data Center site URL";

impl TryFrom<StoredSite> for Site {
    type Error = String;

    fn try_from(s: StoredSite) -> Result<Site, String> {
        let base = match s.deployment {
            Deployment::Cloud => None,
            Deployment::DataCenter => Some(
                url::Url::parse(&s.url)
                    .map_err(|e| format!("{SITE_DAMAGED} \"{}\" is not a URL ({e})", s.url))?,
            ),
        };
        Ok(Site {
            cloud_id: s.cloud_id,
            url: s.url,
            name: s.name,
            servers: s.servers.filter(|_| base.is_none()),
            base,
        })
    }
}

impl From<Site> for StoredSite {
    fn from(s: Site) -> StoredSite {
        StoredSite {
            deployment: s.deployment(),
            servers: s.servers,
            cloud_id: s.cloud_id,
            url: s.url,
            name: s.name,
        }
    }
}

/// Which Jira a site is, as its `/rest/api/2/serverInfo` says (`deploymentType`), or as
/// `--deployment` overrides it (the doc comments are its help).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Deployment {
    /// Jira Cloud (`*.atlassian.net`): Atlassian's OAuth apps, service accounts, API tokens
    #[default]
    Cloud,
    /// Jira Data Center or Server (self-hosted): its own OAuth 2.0 provider, personal access
    /// tokens
    DataCenter,
}

impl Deployment {
    pub fn as_str(self) -> &'static str {
        match self {
            Deployment::Cloud => "cloud",
            Deployment::DataCenter => "data-center",
        }
    }

    /// How people name it: "Jira Cloud", "Jira Data Center".
    pub fn title(self) -> &'static str {
        match self {
            Deployment::Cloud => "Jira Cloud",
            Deployment::DataCenter => "Jira Data Center",
        }
    }
}

impl std::fmt::Display for Deployment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every site of the sandbox (`jira-auth sandbox`, `init --sandbox`) has a cloud id that
/// starts so, and no real site's does in practice (Atlassian's are random UUIDs: one in 2^64
/// could). It is what marks a profile as a sandbox's wherever it is read, its index entry
/// included, without a field of its own.
pub const SANDBOX_CLOUD_ID_PREFIX: &str = "5a4db0c5-0000-4000-8000-";

impl Site {
    /// A Jira Cloud site, reached through `servers` (recorded with it: see `servers`).
    pub fn cloud(cloud_id: String, url: String, name: String, servers: CloudServers) -> Site {
        Site {
            cloud_id,
            url,
            name,
            base: None,
            servers: Some(servers),
        }
    }

    /// A Data Center instance at `base` (its context path included), stored as its text
    /// without a trailing slash, and named by its host.
    pub fn data_center(base: &url::Url) -> Site {
        Site {
            cloud_id: String::new(),
            url: base.as_str().trim_end_matches('/').to_string(),
            name: base.host_str().unwrap_or_default().to_ascii_lowercase(),
            base: Some(base.clone()),
            servers: None,
        }
    }

    /// The Atlassian servers a Cloud profile was made with, as recorded; `None` on Data
    /// Center (its server is its base URL) and in a Cloud profile of an earlier build, which
    /// was made with Atlassian's own (`oauth::AuthServer::made_with` says which).
    pub fn servers(&self) -> Option<&CloudServers> {
        self.servers.as_ref()
    }

    /// One of the sandbox's emulated sites, not a real Jira site.
    pub fn is_sandbox(&self) -> bool {
        self.cloud_id.starts_with(SANDBOX_CLOUD_ID_PREFIX)
    }

    pub fn deployment(&self) -> Deployment {
        match self.base {
            Some(_) => Deployment::DataCenter,
            None => Deployment::Cloud,
        }
    }

    pub fn is_data_center(&self) -> bool {
        self.base.is_some()
    }

    /// A Data Center instance's base URL; `None` on Cloud.
    pub fn data_center_base(&self) -> Option<&url::Url> {
        self.base.as_ref()
    }
}

/// The credential methods, as `--method` names them (the doc comments are its help).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Your own OAuth 2.0 app (3LO on Cloud; an incoming application link on Data Center):
    /// consent in the browser, then a refresh token
    // "oauth2" in indexes written by jira-auth 0.1.
    #[serde(rename = "oauth", alias = "oauth2")]
    #[value(name = "oauth")]
    OAuth,
    /// An Atlassian service account's OAuth 2.0 credentials (client credentials): no browser
    ServiceAccount,
    /// An Atlassian account's API token, classic or scoped, sent as Basic email:token
    ApiToken,
    /// A Jira Data Center personal access token, sent as Bearer
    Pat,
    /// Your OAuth 2.0 app handed to Composio as an auth config (`jira-auth composio`):
    /// Composio holds the grant, jira-auth no token
    #[value(skip)]
    Composio,
}

impl Method {
    pub const ALL: [Method; 4] = [
        Method::OAuth,
        Method::ServiceAccount,
        Method::ApiToken,
        Method::Pat,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::OAuth => "oauth",
            Method::ServiceAccount => "service-account",
            Method::ApiToken => "api-token",
            Method::Pat => "pat",
            Method::Composio => "composio",
        }
    }

    /// The method `--method` (or `JIRA_AUTH_METHOD`) names, spelled exactly so.
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == name)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Credential {
    #[serde(rename = "oauth")]
    OAuth(OAuthGrant),
    ServiceAccount(ServiceAccount),
    ApiToken(ApiToken),
    Pat(PersonalAccessToken),
    Composio(ComposioApp),
}

/// An OAuth 2.0 (3LO) app handed to Composio: the auth config Composio made of it, and the
/// app as it was handed over. Composio holds the grant (its connected accounts' tokens), so
/// there is no token here; the client secret is kept like every other profile's secrets, so
/// that `composio init --force` can hand the same app over again. The Composio API key is
/// never stored: it comes from `COMPOSIO_API_KEY` or a prompt each time.
#[derive(Serialize, Deserialize)]
pub struct ComposioApp {
    /// The auth config's id, `ac_…`: what app code passes to Composio's SDK.
    pub auth_config_id: String,
    /// Composio's base URL the auth config was made at.
    pub base_url: String,
    pub client_id: String,
    #[serde(serialize_with = "expose")]
    pub client_secret: SecretString,
    /// The callback URL the app's console was told to register (Composio's).
    pub callback_url: String,
    pub scopes_requested: Vec<String>,
    /// The Composio user id and connected account of the last `composio connect`.
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub connected_account_id: Option<String>,
}

/// An OAuth 2.0 authorization-code grant.
#[derive(Serialize, Deserialize)]
pub struct OAuthGrant {
    pub client_id: String,
    #[serde(serialize_with = "expose")]
    pub client_secret: SecretString,
    pub redirect_uri: String,
    pub scopes_requested: Vec<String>,
    pub scopes_granted: Vec<String>,
    #[serde(serialize_with = "expose")]
    pub access_token: SecretString,
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
    #[serde(serialize_with = "expose_opt", default)]
    pub refresh_token: Option<SecretString>,
    /// When the refresh token was issued, i.e. last used: Atlassian expires it after 90
    /// days without use.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub refresh_token_issued_at: Option<OffsetDateTime>,
    /// The refresh token that the current one replaced, kept while Atlassian still honours
    /// it (its reuse interval), so a rejected newest token is not the end of the profile.
    #[serde(serialize_with = "expose_opt", default)]
    pub previous_refresh_token: Option<SecretString>,
    /// When `previous_refresh_token` was rotated out.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub previous_rotated_at: Option<OffsetDateTime>,
}

/// A service account's OAuth 2.0 client credentials and the last token minted with them.
#[derive(Serialize, Deserialize)]
pub struct ServiceAccount {
    pub client_id: String,
    #[serde(serialize_with = "expose")]
    pub client_secret: SecretString,
    /// What each new token asks for: a Data Center service account's `READ`/`WRITE` (Jira
    /// wants them on every mint); empty on Cloud, where the admin console sets them, and in
    /// profiles stored before Data Center service accounts.
    #[serde(default)]
    pub scopes_requested: Vec<String>,
    #[serde(default)]
    pub scopes_granted: Vec<String>,
    #[serde(serialize_with = "expose")]
    pub access_token: SecretString,
    #[serde(with = "time::serde::rfc3339")]
    pub access_token_expires_at: OffsetDateTime,
}

/// An Atlassian account's API token (classic or scoped), sent as Basic `email:token` to the
/// base URL that accepted it when it was stored: the site for a classic token, the API
/// gateway for a scoped one.
#[derive(Serialize, Deserialize)]
pub struct ApiToken {
    pub email: String,
    #[serde(serialize_with = "expose")]
    pub token: SecretString,
    pub api_base_url: String,
}

/// A Data Center personal access token, sent as Bearer.
#[derive(Serialize, Deserialize)]
pub struct PersonalAccessToken {
    #[serde(serialize_with = "expose")]
    pub token: SecretString,
}

/// How the secret goes into an `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scheme", rename_all = "lowercase")]
pub enum Scheme {
    Bearer,
    /// Basic `email:secret`.
    Basic {
        email: String,
    },
}

impl Scheme {
    /// The value of an `Authorization` header that sends `secret` this way.
    pub fn authorization(&self, secret: &SecretString) -> SecretString {
        SecretString::from(match self {
            Scheme::Bearer => format!("Bearer {}", secret.expose_secret()),
            Scheme::Basic { email } => {
                use base64::Engine as _;
                let pair =
                    secrecy::zeroize::Zeroizing::new(format!("{email}:{}", secret.expose_secret()));
                let encoded = secrecy::zeroize::Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()),
                );
                format!("Basic {}", encoded.as_str())
            }
        })
    }
}

/// The secret of a credential that has none to send (a Composio hand-off).
static NO_SECRET: std::sync::LazyLock<SecretString> =
    std::sync::LazyLock::new(|| SecretString::from(String::new()));

impl Credential {
    pub fn method(&self) -> Method {
        match self {
            Credential::OAuth(_) => Method::OAuth,
            Credential::ServiceAccount(_) => Method::ServiceAccount,
            Credential::ApiToken(_) => Method::ApiToken,
            Credential::Pat(_) => Method::Pat,
            Credential::Composio(_) => Method::Composio,
        }
    }

    /// The secret an API call sends, and how.
    pub fn secret(&self) -> (&SecretString, Scheme) {
        match self {
            Credential::OAuth(g) => (&g.access_token, Scheme::Bearer),
            Credential::ServiceAccount(s) => (&s.access_token, Scheme::Bearer),
            Credential::ApiToken(t) => (
                &t.token,
                Scheme::Basic {
                    email: t.email.clone(),
                },
            ),
            Credential::Pat(p) => (&p.token, Scheme::Bearer),
            // Composio holds the grant: nothing to send. Commands refuse such a profile
            // before asking for its secret (`ProfileError::HeldByComposio`); were one to ask,
            // an empty secret fails where the client secret could leak.
            Credential::Composio(_) => (&NO_SECRET, Scheme::Bearer),
        }
    }

    /// When the secret stops working; `None` for static secrets, which Atlassian expires on
    /// its own schedule.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        match self {
            Credential::OAuth(g) => Some(g.access_token_expires_at),
            Credential::ServiceAccount(s) => Some(s.access_token_expires_at),
            Credential::ApiToken(_) | Credential::Pat(_) | Credential::Composio(_) => None,
        }
    }

    pub fn oauth(&self) -> Option<&OAuthGrant> {
        match self {
            Credential::OAuth(g) => Some(g),
            _ => None,
        }
    }

    pub fn client_id(&self) -> Option<&str> {
        match self {
            Credential::OAuth(g) => Some(&g.client_id),
            Credential::ServiceAccount(s) => Some(&s.client_id),
            Credential::Composio(c) => Some(&c.client_id),
            Credential::ApiToken(_) | Credential::Pat(_) => None,
        }
    }

    pub fn scopes_requested(&self) -> &[String] {
        match self {
            Credential::OAuth(g) => &g.scopes_requested,
            Credential::ServiceAccount(s) => &s.scopes_requested,
            Credential::Composio(c) => &c.scopes_requested,
            Credential::ApiToken(_) | Credential::Pat(_) => &[],
        }
    }

    pub fn scopes_granted(&self) -> &[String] {
        match self {
            Credential::OAuth(g) => &g.scopes_granted,
            Credential::ServiceAccount(s) => &s.scopes_granted,
            Credential::ApiToken(_) | Credential::Pat(_) | Credential::Composio(_) => &[],
        }
    }

    pub fn has_refresh_token(&self) -> bool {
        self.oauth().is_some_and(|g| g.refresh_token.is_some())
    }

    /// When the refresh token was issued, i.e. when the grant was last renewed (Atlassian
    /// expires it after 90 days without use).
    pub fn grant_renewed_at(&self) -> Option<OffsetDateTime> {
        self.oauth().and_then(|g| g.refresh_token_issued_at)
    }
}

impl AuthConfig {
    /// A new profile's config, made now.
    pub fn new(profile: String, site: Site, credential: Credential) -> AuthConfig {
        let now = OffsetDateTime::now_utc();
        AuthConfig {
            version: CONFIG_VERSION,
            profile,
            site,
            credential,
            account: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The serialized form, held as a secret so it is zeroized after use.
    pub fn to_secret_json(&self) -> SecretString {
        SecretString::from(serde_json::to_string(self).expect("AuthConfig always serializes"))
    }

    /// Reads any format this build knows; a newer one is refused rather than misread.
    pub fn from_json(profile: &str, json: &str) -> Result<AuthConfig, StoreError> {
        // serde_json's message for a type error can quote a value; report position only,
        // but for a damaged site, whose URL is no secret and is what must be fixed.
        let corrupt = |e: serde_json::Error| StoreError::Corrupt {
            profile: profile.to_string(),
            detail: match e.to_string() {
                site if site.starts_with(SITE_DAMAGED) => site,
                _ => format!("line {}, column {}", e.line(), e.column()),
            },
        };
        #[derive(Deserialize)]
        struct Format {
            version: u32,
        }
        let format: Format = serde_json::from_str(json).map_err(corrupt)?;
        match format.version {
            1 => Ok(serde_json::from_str::<FormatOne>(json)
                .map_err(corrupt)?
                .upgrade()),
            CONFIG_VERSION => serde_json::from_str(json).map_err(corrupt),
            newer if newer > CONFIG_VERSION => Err(StoreError::Corrupt {
                profile: profile.to_string(),
                detail: format!("written by a newer jira-auth (format {newer}); upgrade jira-auth"),
            }),
            other => Err(StoreError::Corrupt {
                profile: profile.to_string(),
                detail: format!("unknown format {other}"),
            }),
        }
    }
}

/// Format 1: an OAuth grant with its fields at the top level.
#[derive(Deserialize)]
struct FormatOne {
    profile: String,
    client_id: String,
    client_secret: SecretString,
    scopes_requested: Vec<String>,
    scopes_granted: Vec<String>,
    redirect_uri: String,
    site: Site,
    access_token: SecretString,
    #[serde(with = "time::serde::rfc3339")]
    access_token_expires_at: OffsetDateTime,
    #[serde(default)]
    refresh_token: Option<SecretString>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    refresh_token_issued_at: Option<OffsetDateTime>,
    #[serde(default)]
    previous_refresh_token: Option<SecretString>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    previous_rotated_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    updated_at: OffsetDateTime,
}

impl FormatOne {
    fn upgrade(self) -> AuthConfig {
        AuthConfig {
            version: CONFIG_VERSION,
            profile: self.profile,
            site: self.site,
            credential: Credential::OAuth(OAuthGrant {
                client_id: self.client_id,
                client_secret: self.client_secret,
                redirect_uri: self.redirect_uri,
                scopes_requested: self.scopes_requested,
                scopes_granted: self.scopes_granted,
                access_token: self.access_token,
                access_token_expires_at: self.access_token_expires_at,
                refresh_token: self.refresh_token,
                refresh_token_issued_at: self.refresh_token_issued_at,
                previous_refresh_token: self.previous_refresh_token,
                previous_rotated_at: self.previous_rotated_at,
            }),
            account: None,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

// Serialization into the store is the one place secrets are meant to leave memory.
pub(super) fn expose<S: serde::Serializer>(v: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.expose_secret())
}

fn expose_opt<S: serde::Serializer>(v: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_some(v.expose_secret()),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample(profile: &str) -> AuthConfig {
        let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
        AuthConfig {
            version: CONFIG_VERSION,
            profile: profile.into(),
            site: Site::cloud(
                "id".into(),
                "https://acme.atlassian.net".into(),
                "acme".into(),
                CloudServers {
                    auth: url::Url::parse("https://auth.atlassian.com").unwrap(),
                    api: url::Url::parse("https://api.atlassian.com").unwrap(),
                },
            ),
            credential: Credential::OAuth(OAuthGrant {
                client_id: "cid".into(),
                client_secret: SecretString::from("csecret-value"),
                redirect_uri: "http://127.0.0.1:8976/callback".into(),
                scopes_requested: vec!["read:jira-work".into(), "offline_access".into()],
                scopes_granted: vec!["read:jira-work".into(), "offline_access".into()],
                access_token: SecretString::from("at-value"),
                access_token_expires_at: now,
                refresh_token: Some(SecretString::from("rt-value")),
                refresh_token_issued_at: Some(now),
                previous_refresh_token: None,
                previous_rotated_at: None,
            }),
            account: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The OAuth grant of a config made by `sample`.
    pub(crate) fn grant(cfg: &mut AuthConfig) -> &mut OAuthGrant {
        match &mut cfg.credential {
            Credential::OAuth(g) => g,
            _ => unreachable!("sample() is an OAuth profile"),
        }
    }

    #[test]
    fn auth_config_round_trips_through_json() {
        let mut cfg = sample("p");
        let json = cfg.to_secret_json();
        assert!(
            json.expose_secret()
                .contains(r#""credential":{"method":"oauth","#)
        );
        let mut back = AuthConfig::from_json("p", json.expose_secret()).unwrap();
        let (g, b) = (grant(&mut cfg), grant(&mut back));
        assert_eq!(b.client_secret.expose_secret(), "csecret-value");
        assert_eq!(
            b.refresh_token.as_ref().unwrap().expose_secret(),
            "rt-value"
        );
        assert_eq!(b.access_token_expires_at, g.access_token_expires_at);
        assert_eq!(back.site, cfg.site);
        assert!(back.site.servers().is_some(), "the servers are recorded");
    }

    #[test]
    fn format_one_is_read_as_an_oauth_grant() {
        let v1 = r#"{"version":1,"profile":"p","method":"oauth2","grant":"authorization_code",
            "client_id":"cid","client_secret":"cs","scopes_requested":["read:jira-work","offline_access"],
            "scopes_granted":["read:jira-work"],"redirect_uri":"http://127.0.0.1:8976/callback",
            "site":{"cloud_id":"c","url":"https://a.atlassian.net","name":"a"},
            "access_token":"at","access_token_expires_at":"2026-01-01T00:00:00Z",
            "refresh_token":"rt","refresh_token_issued_at":"2025-12-01T00:00:00Z",
            "previous_refresh_token":null,"previous_rotated_at":null,
            "created_at":"2025-11-01T00:00:00Z","updated_at":"2025-12-01T00:00:00Z"}"#;
        let mut cfg = AuthConfig::from_json("p", v1).unwrap();
        assert_eq!(cfg.version, CONFIG_VERSION);
        assert_eq!(cfg.credential.method(), Method::OAuth);
        assert_eq!(cfg.site.cloud_id, "c");
        // Profiles of builds before Data Center support were all Cloud's.
        assert_eq!(cfg.site.deployment(), Deployment::Cloud);
        let g = grant(&mut cfg);
        assert_eq!(g.refresh_token.as_ref().unwrap().expose_secret(), "rt");
        assert_eq!(g.scopes_requested, ["read:jira-work", "offline_access"]);
        // Written back, it is format 2, and reads the same.
        let again = AuthConfig::from_json("p", cfg.to_secret_json().expose_secret()).unwrap();
        assert_eq!(again.credential.scopes_granted(), ["read:jira-work"]);
    }

    #[test]
    fn a_data_center_site_keeps_its_deployment() {
        let mut cfg = sample("p");
        cfg.site = Site::data_center(&url::Url::parse("https://jira.example.com/jira").unwrap());
        let json = cfg.to_secret_json();
        assert!(
            json.expose_secret()
                .contains(r#""deployment":"data-center""#),
            "stored under the --deployment name"
        );
        let back = AuthConfig::from_json("p", json.expose_secret()).unwrap();
        assert!(back.site.is_data_center());
        assert_eq!(back.site.url, "https://jira.example.com/jira");
    }

    #[test]
    fn a_service_account_keeps_its_scopes_and_older_ones_have_none() {
        let mut cfg = sample("p");
        cfg.credential = Credential::ServiceAccount(ServiceAccount {
            client_id: "sa".into(),
            client_secret: SecretString::from("sa-secret"),
            scopes_requested: vec!["WRITE".into()],
            scopes_granted: vec!["WRITE".into()],
            access_token: SecretString::from("sa-at"),
            access_token_expires_at: OffsetDateTime::now_utc(),
        });
        let json = cfg.to_secret_json();
        let back = AuthConfig::from_json("p", json.expose_secret()).unwrap();
        assert_eq!(back.credential.scopes_requested(), ["WRITE"]);
        // Stored before Data Center service accounts: no such field.
        let older = json
            .expose_secret()
            .replace(r#""scopes_requested":["WRITE"],"#, "");
        assert_ne!(older, json.expose_secret());
        let back = AuthConfig::from_json("p", &older).unwrap();
        assert!(back.credential.scopes_requested().is_empty());
    }

    #[test]
    fn newer_and_corrupt_formats_are_refused_without_quoting_content() {
        let e = AuthConfig::from_json("p", r#"{"version": 3}"#)
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .contains("written by a newer jira-auth (format 3)"),
            "{e}"
        );
        let e = AuthConfig::from_json("p", r#"{"version": "SECRETVALUE"}"#)
            .err()
            .unwrap();
        assert!(!e.to_string().contains("SECRETVALUE"), "{e}");
        let e = AuthConfig::from_json("p", r#"{"version": 2, "profile": "SECRETVALUE"}"#)
            .err()
            .unwrap();
        assert!(!e.to_string().contains("SECRETVALUE"), "{e}");
    }

    #[test]
    fn each_method_says_how_it_is_sent_and_kept() {
        let now = OffsetDateTime::now_utc();
        let methods = [
            (sample("p").credential, Method::OAuth, true, "at-value"),
            (
                Credential::ServiceAccount(ServiceAccount {
                    client_id: "sa".into(),
                    client_secret: SecretString::from("sa-secret"),
                    scopes_requested: vec![],
                    scopes_granted: vec![],
                    access_token: SecretString::from("sa-at"),
                    access_token_expires_at: now,
                }),
                Method::ServiceAccount,
                true,
                "sa-at",
            ),
            (
                Credential::ApiToken(ApiToken {
                    email: "a@example.com".into(),
                    token: SecretString::from("api-tok"),
                    api_base_url: "https://acme.atlassian.net".into(),
                }),
                Method::ApiToken,
                false,
                "api-tok",
            ),
            (
                Credential::Pat(PersonalAccessToken {
                    token: SecretString::from("pat-tok"),
                }),
                Method::Pat,
                false,
                "pat-tok",
            ),
        ];
        for (cred, method, expires, secret) in methods {
            assert_eq!(cred.method(), method);
            assert_eq!(cred.expires_at().is_some(), expires, "{method:?}");
            assert_eq!(cred.secret().0.expose_secret(), secret);
            // Each round-trips through the stored form under its --method name.
            let cfg = AuthConfig {
                credential: cred,
                ..sample("p")
            };
            let json = cfg.to_secret_json();
            let tag = format!(r#""method":"{}""#, method.as_str());
            assert!(json.expose_secret().contains(&tag), "{method:?}");
            let back = AuthConfig::from_json("p", json.expose_secret()).unwrap();
            assert_eq!(back.credential.method(), method);
        }
    }
}
