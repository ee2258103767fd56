//! Every environment variable jira-auth reads outside clap, resolved once at start-up into
//! `Settings` and passed down: nothing below the command line reads the environment.
//!
//! The variables that are also flags (`JIRA_AUTH_PROFILE`, `JIRA_AUTH_SCOPES`, `JIRA_AUTH_SITE`,
//! …) are read by clap, as the `env =` of their flag in cli.rs. This file has the rest: where
//! the config lives, where Atlassian is, network and keychain limits, the cache switch, what
//! the terminal and the desktop offer (the browser, an SSH session), stateless mode (`JIRA_AUTH_METHOD=service-account` for
//! `token`, `header` and `exec`, which have no flags for it), and (debug builds) the
//! fault-injection point. The secrets (`JIRA_AUTH_CLIENT_SECRET`, `JIRA_AUTH_API_TOKEN`,
//! `JIRA_AUTH_PAT`) are taken out of the environment by `main` before anything else runs ([`SECRET_VARS`]).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::net::endpoints::{self, BaseUrlError, Endpoints};
use crate::store::{Method, StoreSettings};

pub const CONFIG_DIR: &str = "JIRA_AUTH_CONFIG_DIR";
pub const AUTH_URL: &str = "JIRA_AUTH_AUTH_URL";
pub const API_URL: &str = "JIRA_AUTH_API_URL";
pub const HTTP_TIMEOUT: &str = "JIRA_AUTH_HTTP_TIMEOUT";
pub const NO_CACHE: &str = "JIRA_AUTH_NO_CACHE";
pub const KEYCHAIN_ENTRY_BYTES: &str = "JIRA_AUTH_KEYCHAIN_ENTRY_BYTES";
pub const TEST_PANIC_AT: &str = "JIRA_AUTH_TEST_PANIC_AT";
pub const METHOD: &str = "JIRA_AUTH_METHOD";
pub const CLIENT_ID: &str = "JIRA_AUTH_CLIENT_ID";
pub const SITE: &str = "JIRA_AUTH_SITE";
pub const CLOUD_ID: &str = "JIRA_AUTH_CLOUD_ID";
pub const CLIENT_SECRET: &str = "JIRA_AUTH_CLIENT_SECRET";
pub const API_TOKEN: &str = "JIRA_AUTH_API_TOKEN";
pub const PAT: &str = "JIRA_AUTH_PAT";
/// Composio's project API key, as Composio's SDK reads it (`jira-auth composio`).
pub const COMPOSIO_API_KEY: &str = "COMPOSIO_API_KEY";
/// Composio's base URL, as Composio's SDK reads it.
pub const COMPOSIO_BASE_URL: &str = "COMPOSIO_BASE_URL";
/// Where Composio is unless `COMPOSIO_BASE_URL` says otherwise (its SDK's default).
pub const DEFAULT_COMPOSIO_BASE_URL: &str = "https://backend.composio.dev";

/// The secrets jira-auth accepts from the environment. `main` takes them out of it (and
/// overwrites them in the initial environment block) before any thread exists, so that no
/// child process (the browser, `exec`'s command) inherits them and `/proc/PID/environ` does
/// not show them while `init` waits.
pub const SECRET_VARS: [&str; 4] = [CLIENT_SECRET, API_TOKEN, PAT, COMPOSIO_API_KEY];

/// Every variable jira-auth reads outside clap (clap's own are in cli.rs, with their flags),
/// and what it does: for the ENVIRONMENT of `jira-auth man`. (The fault-injection point of
/// debug builds is left out.)
pub const DOCUMENTED: &[(&str, &str)] = &[
    (
        "JIRA_AUTH_CLIENT_SECRET",
        "the client secret for init, taken out of the environment at start; never a flag, which ps would show",
    ),
    (
        PAT,
        "init --method pat: the Data Center personal access token, taken out of the environment at start (else --pat-stdin or a hidden prompt)",
    ),
    (
        CONFIG_DIR,
        "where the profile index, the lock files and the file store live (default: see FILES)",
    ),
    (
        AUTH_URL,
        "the Atlassian authorization server (default https://auth.atlassian.com); plain http only for loopback hosts",
    ),
    (
        API_URL,
        "the Atlassian API gateway (default https://api.atlassian.com); plain http only for loopback hosts",
    ),
    (
        HTTP_TIMEOUT,
        "seconds one HTTP request may wait for its answer once connected (default 30; fractions allowed)",
    ),
    (
        NO_CACHE,
        "1: do not use the kernel-keyring access-token cache (Linux)",
    ),
    (
        KEYCHAIN_ENTRY_BYTES,
        "split keychain items larger than this many bytes (it can only lower Windows' 2,560)",
    ),
    (
        "JIRA_AUTH_API_TOKEN",
        "the API token for init --method api-token, taken out of the environment at start; never a flag",
    ),
    (
        COMPOSIO_API_KEY,
        "jira-auth composio: Composio's project API key (as its SDK reads it), taken out of the environment at start (else a hidden prompt); never a flag, never stored",
    ),
    (
        COMPOSIO_BASE_URL,
        "jira-auth composio: Composio's base URL (default https://backend.composio.dev, as its SDK reads it); plain http only for loopback hosts",
    ),
    (
        "BROWSER",
        "the browser command to open the consent page with (':'-separated commands; %s is the URL); a text browser is never started, and one not found on PATH counts as none",
    ),
    (
        "DISPLAY, WAYLAND_DISPLAY",
        "without BROWSER on Linux, a display is what lets a browser be opened",
    ),
    (
        "SSH_CONNECTION, USER, LOGNAME",
        "an SSH session: init and login also ask for the address the browser ended on, and print the ssh -L line that forwards the callback port",
    ),
    ("NO_COLOR", "set: no colours"),
    (
        "LC_ALL, LC_CTYPE, LANG",
        "the first set decides whether marks such as ✓ are printed (UTF-8) or words",
    ),
];

/// Where the config dir is when JIRA_AUTH_CONFIG_DIR does not say (see `config_dir`).
pub const DEFAULT_CONFIG_DIR: &str = "$XDG_CONFIG_HOME/jira-auth, else ~/.config/jira-auth (Linux, macOS); %APPDATA%\\jira-auth (Windows)";

/// How long one HTTP request may wait for its answer once connected, unless
/// `JIRA_AUTH_HTTP_TIMEOUT` says otherwise.
pub const DEFAULT_HTTP_TIMEOUT: Duration = Duration::from_secs(30);

/// The variables of other programs that jira-auth honours.
const FOREIGN: &[&str] = &[
    COMPOSIO_BASE_URL,
    "BROWSER",
    "PATH",
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "SSH_CONNECTION",
    "USER",
    "LOGNAME",
    "NO_COLOR",
    "LC_ALL",
    "LC_CTYPE",
    "LANG",
];

/// Prefixes of other clients' credential variables, which `jira-auth proxy` unsets for its
/// command: a token there would compete with the proxy's key (mcp-atlassian prefers
/// `JIRA_OAUTH_ACCESS_TOKEN` to anything else).
pub const COMPETING_PREFIXES: &[&str] = &["JIRA_OAUTH_", "ATLASSIAN_OAUTH_"];

/// The process environment as it was at start-up (minus the client secret, which `main`
/// takes out first): the raw input of `Settings`, and what tests build by hand.
#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, OsString>);

impl Env {
    /// The variables jira-auth reads, from this process's environment.
    #[allow(
        clippy::disallowed_methods,
        reason = "settings.rs is where the environment is read"
    )]
    pub fn capture() -> Env {
        Env(std::env::vars_os()
            .filter_map(|(k, v)| {
                let k = k.into_string().ok()?;
                // Other clients' token variables: their names only (`proxy` removes them
                // from its command's environment); their values are none of ours.
                if COMPETING_PREFIXES.iter().any(|p| k.starts_with(p)) {
                    return Some((k, OsString::new()));
                }
                (k.starts_with("JIRA_AUTH_") || FOREIGN.contains(&k.as_str())).then_some((k, v))
            })
            .collect())
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Env {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect())
    }

    fn os(&self, name: &str) -> Option<&OsString> {
        self.0.get(name).filter(|v| !v.is_empty())
    }

    /// A set, non-empty, trimmed value; one that is not UTF-8 counts as unset, as it would for
    /// `std::env::var`.
    fn text(&self, name: &str) -> Option<&str> {
        self.os(name)
            .and_then(|v| v.to_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn flag(&self, name: &str) -> bool {
        self.text(name)
            .is_some_and(|v| !matches!(v, "0" | "false" | "no" | "off"))
    }
}

/// What the terminal and the desktop can show.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// The locale is UTF-8: marks such as ✓ and arrows can be printed.
    pub unicode: bool,
    /// `NO_COLOR` is set (https://no-color.org).
    pub no_color: bool,
    /// A browser can be expected to open: `$BROWSER` is set (remote editors and the tests
    /// provide one that way, without a display), or this is macOS/Windows, or a display is.
    pub browser: bool,
}

/// Everything resolved: the one value the layers below take their inputs from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the profile index, the locks and the file store live.
    pub config_dir: PathBuf,
    pub endpoints: Endpoints,
    pub http_timeout: Duration,
    pub store: StoreSettings,
    /// The kernel-keyring access-token cache is used (`JIRA_AUTH_NO_CACHE` turns it off).
    pub cache: bool,
    pub terminal: Terminal,
    /// Debug builds: the fault point to panic at (see `fault`).
    pub panic_at: Option<String>,
    /// `JIRA_AUTH_CLIENT_SECRET`, `JIRA_AUTH_API_TOKEN` and `JIRA_AUTH_PAT`, as `main` took
    /// them out of the environment.
    pub secrets: EnvSecrets,
    /// `JIRA_AUTH_METHOD=service-account`: `token`, `header` and `exec` take their credential
    /// from the environment and use no profile (stateless mode).
    pub stateless: Option<StatelessEnv>,
    /// `SSH_CONNECTION`: this runs in an SSH session, so the browser is likely on another
    /// machine.
    pub ssh: Option<SshSession>,
    /// The names of the set variables with a [`COMPETING_PREFIXES`] prefix.
    pub competing: Vec<String>,
    /// `COMPOSIO_BASE_URL` when set; else a Composio profile's own, or Composio's.
    pub composio_base_url: Option<Url>,
}

/// An SSH session, as `SSH_CONNECTION` ("CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT") and
/// `USER` (or `LOGNAME`) describe it: enough for the `ssh -L` line that forwards the
/// callback port from the person's machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshSession {
    /// This machine's address as the client reached it; `None` when the variable is garbled.
    pub host: Option<String>,
    pub port: Option<u16>,
    pub user: Option<String>,
}

/// What opening a browser depends on: `$BROWSER`, and the `PATH` its commands are found on.
#[derive(Debug, Clone, Default)]
pub struct BrowserEnv {
    pub command: Option<String>,
    pub path: Option<OsString>,
}

/// The secrets that came in the environment ([`SECRET_VARS`]).
#[derive(Debug, Clone, Default)]
pub struct EnvSecrets {
    pub client_secret: Option<SecretString>,
    pub api_token: Option<SecretString>,
    /// A Data Center personal access token (`JIRA_AUTH_PAT`).
    pub pat: Option<SecretString>,
    /// Composio's project API key (`COMPOSIO_API_KEY`).
    pub composio_api_key: Option<SecretString>,
}

/// What stateless mode reads besides the client secret: each `None` when unset (the command
/// says which are missing, all at once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatelessEnv {
    pub client_id: Option<String>,
    pub site: Option<String>,
    pub cloud_id: Option<String>,
}

/// A setting that makes no sense; the message names the variable and its value.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SettingsError {
    pub message: String,
    /// What to do, when there is more to say than "fix or unset the variable".
    pub hint: Option<&'static str>,
}

impl SettingsError {
    fn new(message: String) -> SettingsError {
        SettingsError {
            message,
            hint: None,
        }
    }
}

impl Settings {
    pub fn resolve(env: &Env) -> Result<Settings, SettingsError> {
        let config_dir = config_dir(env)?;
        let endpoints = Endpoints {
            auth: base_url(env, AUTH_URL, endpoints::DEFAULT_AUTH_URL)?,
            api: base_url(env, API_URL, endpoints::DEFAULT_API_URL)?,
        };
        Ok(Settings {
            store: StoreSettings {
                config_dir: config_dir.clone(),
                keychain_entry_bytes: entry_bytes(env)?,
            },
            config_dir,
            endpoints,
            http_timeout: http_timeout(env.text(HTTP_TIMEOUT))?,
            cache: !env.flag(NO_CACHE),
            terminal: terminal(env),
            panic_at: env.text(TEST_PANIC_AT).map(str::to_string),
            secrets: EnvSecrets::default(),
            stateless: stateless(env)?,
            ssh: ssh_session(env),
            competing: env
                .0
                .keys()
                .filter(|k| COMPETING_PREFIXES.iter().any(|p| k.starts_with(p)))
                .cloned()
                .collect(),
            composio_base_url: match env.text(COMPOSIO_BASE_URL) {
                Some(_) => Some(base_url(env, COMPOSIO_BASE_URL, DEFAULT_COMPOSIO_BASE_URL)?),
                None => None,
            },
        })
    }
}

/// Stateless mode's variables, when `JIRA_AUTH_METHOD` says service-account. Any other
/// method is `init`'s business (clap reads the variable for `--method`); a value that is no
/// method at all is refused here, for every command, rather than ignored.
fn stateless(env: &Env) -> Result<Option<StatelessEnv>, SettingsError> {
    let Some(raw) = env.text(METHOD) else {
        return Ok(None);
    };
    match Method::from_name(raw) {
        Some(Method::ServiceAccount) => Ok(Some(StatelessEnv {
            client_id: env.text(CLIENT_ID).map(str::to_string),
            site: env.text(SITE).map(str::to_string),
            cloud_id: env.text(CLOUD_ID).map(str::to_string),
        })),
        Some(_) => Ok(None),
        None => {
            let names: Vec<&str> = Method::ALL.iter().map(|m| m.as_str()).collect();
            Err(SettingsError::new(format!(
                "{METHOD}={raw} is not a method; use one of {}",
                names.join(", ")
            )))
        }
    }
}

/// What the terminal offers, on its own: the error printed when the settings themselves
/// cannot be resolved still needs to know the locale.
pub fn terminal(env: &Env) -> Terminal {
    let display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| env.os(v).is_some());
    Terminal {
        unicode: cfg!(windows) || locale_is_utf8(env),
        no_color: env.os("NO_COLOR").is_some(),
        browser: env.os("BROWSER").is_some() || cfg!(any(target_os = "macos", windows)) || display,
    }
}

/// `$BROWSER`, the browser command to open the consent page with, and the `PATH` to find its
/// commands on (see ui/browser.rs).
pub fn browser(env: &Env) -> BrowserEnv {
    BrowserEnv {
        command: env.text("BROWSER").map(str::to_string),
        path: env.os("PATH").cloned(),
    }
}

fn ssh_session(env: &Env) -> Option<SshSession> {
    let connection = env.text("SSH_CONNECTION")?;
    let fields: Vec<&str> = connection.split_whitespace().collect();
    let (host, port) = match fields.as_slice() {
        [_, _, host, port] => (Some(host.to_string()), port.parse().ok()),
        _ => (None, None),
    };
    Some(SshSession {
        host,
        port,
        user: env
            .text("USER")
            .or_else(|| env.text("LOGNAME"))
            .map(str::to_string),
    })
}

fn config_dir(env: &Env) -> Result<PathBuf, SettingsError> {
    if let Some(d) = env.os(CONFIG_DIR) {
        return Ok(PathBuf::from(d));
    }
    use etcetera::BaseStrategy;
    let base = etcetera::choose_base_strategy().map_err(|e| SettingsError {
        message: format!("cannot find the config directory: {e}"),
        hint: Some("set JIRA_AUTH_CONFIG_DIR"),
    })?;
    Ok(base.config_dir().join("jira-auth"))
}

/// A base URL override, or the default. Plain http is accepted only on loopback: anything
/// else would send client secrets and tokens in clear text.
fn base_url(env: &Env, var: &str, default: &str) -> Result<Url, SettingsError> {
    let raw = env.text(var).unwrap_or(default);
    endpoints::base_url(raw).map_err(|e| {
        SettingsError::new(match e {
            BaseUrlError::NotAUrl(why) => format!("{var}={raw} is not a URL: {why}"),
            BaseUrlError::PlainHttp => {
                format!("{var}={raw}: plain http is only allowed for loopback hosts; use https")
            }
            BaseUrlError::Scheme(other) => {
                format!("{var}={raw}: unsupported scheme '{other}'; use https")
            }
            BaseUrlError::QueryOrFragment => {
                format!("{var}={raw}: a base URL cannot have a query or fragment")
            }
        })
    })
}

/// Seconds, fractions allowed.
fn http_timeout(raw: Option<&str>) -> Result<Duration, SettingsError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_HTTP_TIMEOUT);
    };
    raw.parse::<f64>()
        .ok()
        .filter(|s| *s > 0.0)
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .ok_or_else(|| {
            SettingsError::new(format!(
                "{HTTP_TIMEOUT}={raw} is not a positive number of seconds"
            ))
        })
}

/// Splits keychain items larger than this, so that the splitting Windows needs can be
/// exercised against a real keychain anywhere (the store can only lower Windows' limit).
fn entry_bytes(env: &Env) -> Result<Option<usize>, SettingsError> {
    let Some(raw) = env.text(KEYCHAIN_ENTRY_BYTES) else {
        return Ok(None);
    };
    match raw.parse::<usize>() {
        Ok(n) if n > 0 => Ok(Some(n)),
        _ => Err(SettingsError::new(format!(
            "{KEYCHAIN_ENTRY_BYTES}={raw} is not a positive number of bytes; unset it to use the keychain's own limit"
        ))),
    }
}

/// The first of LC_ALL, LC_CTYPE and LANG that is set decides, as POSIX orders them; none
/// set is the "C" locale, which is ASCII.
fn locale_is_utf8(env: &Env) -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .find_map(|k| env.text(k))
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let mut all = vec![(CONFIG_DIR, "/tmp/jira-auth-test")];
        all.extend_from_slice(pairs);
        Settings::resolve(&Env::from_pairs(all))
    }

    #[test]
    fn defaults_are_atlassian_and_thirty_seconds() {
        let s = resolve(&[]).unwrap();
        assert_eq!(s.endpoints.auth.as_str(), "https://auth.atlassian.com/");
        assert_eq!(s.endpoints.api.as_str(), "https://api.atlassian.com/");
        assert_eq!(s.http_timeout, DEFAULT_HTTP_TIMEOUT);
        assert!(s.cache);
        assert_eq!(s.store.keychain_entry_bytes, None);
        assert_eq!(s.config_dir, PathBuf::from("/tmp/jira-auth-test"));
    }

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        let s = resolve(&[(AUTH_URL, " http://127.0.0.1:9/ ")]).unwrap();
        assert_eq!(s.endpoints.auth.as_str(), "http://127.0.0.1:9/");
        for (value, says) in [
            (
                "http://example.com",
                "plain http is only allowed for loopback hosts",
            ),
            ("ftp://example.com", "unsupported scheme 'ftp'"),
            (
                "https://example.com/?a=1",
                "cannot have a query or fragment",
            ),
            ("not a url", "is not a URL"),
        ] {
            let e = resolve(&[(API_URL, value)]).unwrap_err();
            assert!(e.message.starts_with(&format!("{API_URL}={value}")), "{e}");
            assert!(e.message.contains(says), "{e}");
        }
    }

    #[test]
    fn numbers_are_checked() {
        let s = resolve(&[(HTTP_TIMEOUT, "1.5"), (KEYCHAIN_ENTRY_BYTES, " 300 ")]).unwrap();
        assert_eq!(s.http_timeout, Duration::from_millis(1500));
        assert_eq!(s.store.keychain_entry_bytes, Some(300));
        assert_eq!(
            resolve(&[(HTTP_TIMEOUT, " ")]).unwrap().http_timeout,
            DEFAULT_HTTP_TIMEOUT
        );
        for bad in ["0", "-1", "soon", "NaN", "inf"] {
            let e = resolve(&[(HTTP_TIMEOUT, bad)]).unwrap_err();
            assert_eq!(
                e.message,
                format!("{HTTP_TIMEOUT}={bad} is not a positive number of seconds")
            );
        }
        for bad in ["0", "x", "-3"] {
            let e = resolve(&[(KEYCHAIN_ENTRY_BYTES, bad)]).unwrap_err();
            assert!(e.message.contains("not a positive number of bytes"), "{e}");
        }
    }

    #[test]
    fn service_account_method_means_stateless_mode_and_others_do_not() {
        assert_eq!(resolve(&[]).unwrap().stateless, None);
        for other in ["oauth", "api-token", "pat"] {
            assert_eq!(
                resolve(&[(METHOD, other)]).unwrap().stateless,
                None,
                "{other}"
            );
        }
        let s = resolve(&[
            (METHOD, " service-account "),
            (CLIENT_ID, "sa-id"),
            (CLOUD_ID, "c1"),
        ])
        .unwrap();
        assert_eq!(
            s.stateless,
            Some(StatelessEnv {
                client_id: Some("sa-id".into()),
                site: None,
                cloud_id: Some("c1".into()),
            })
        );
        let e = resolve(&[(METHOD, "service_account")]).unwrap_err();
        assert_eq!(
            e.message,
            "JIRA_AUTH_METHOD=service_account is not a method; use one of oauth, service-account, api-token, pat"
        );
    }

    #[test]
    fn the_cache_switch_reads_like_a_flag() {
        for off in ["1", "yes", "true"] {
            assert!(!resolve(&[(NO_CACHE, off)]).unwrap().cache, "{off}");
        }
        for on in ["", "0", "false", "no", "off"] {
            assert!(resolve(&[(NO_CACHE, on)]).unwrap().cache, "{on:?}");
        }
    }

    #[test]
    fn the_first_set_locale_variable_decides() {
        let utf8 = |pairs: &[(&str, &str)]| locale_is_utf8(&Env::from_pairs(pairs.to_vec()));
        assert!(utf8(&[("LANG", "en_GB.UTF-8")]));
        assert!(utf8(&[("LANG", "C.utf8")]));
        assert!(!utf8(&[]), "no locale is C: ASCII");
        assert!(!utf8(&[("LANG", "C")]));
        assert!(!utf8(&[("LC_ALL", "C"), ("LANG", "en_US.UTF-8")]));
        assert!(utf8(&[
            ("LC_ALL", ""),
            ("LC_CTYPE", "de_DE.UTF-8"),
            ("LANG", "C")
        ]));
        assert!(!utf8(&[("LANG", "de_DE.ISO-8859-1")]));
    }

    #[test]
    fn an_ssh_session_is_read_from_ssh_connection() {
        let ssh = |pairs: &[(&str, &str)]| ssh_session(&Env::from_pairs(pairs.to_vec()));
        assert_eq!(ssh(&[("USER", "ada")]), None);
        assert_eq!(
            ssh(&[
                ("SSH_CONNECTION", "10.0.0.7 50122 10.0.0.5 2222"),
                ("USER", "ada")
            ]),
            Some(SshSession {
                host: Some("10.0.0.5".into()),
                port: Some(2222),
                user: Some("ada".into()),
            })
        );
        assert_eq!(
            ssh(&[("SSH_CONNECTION", "garbled"), ("LOGNAME", "bob")]),
            Some(SshSession {
                host: None,
                port: None,
                user: Some("bob".into()),
            })
        );
    }

    #[test]
    fn a_set_browser_counts_without_a_display() {
        let t = terminal(&Env::from_pairs([("BROWSER", "lynx")]));
        assert!(t.browser);
        let t = terminal(&Env::from_pairs([("NO_COLOR", "1")]));
        assert!(t.no_color);
        assert_eq!(t.browser, cfg!(any(target_os = "macos", windows)));
    }
}
