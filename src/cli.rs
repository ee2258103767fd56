//! The command line, as clap derive types; the doc comments are the help text.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sandbox::Scenario;
use crate::store::{Deployment, Kind, Method};

/// Set up and keep alive access to Jira Cloud (OAuth 2.0 (3LO), service accounts, API tokens)
/// and Jira Data Center (OAuth 2.0 with PKCE, personal access tokens).
///
/// `jira-auth init` walks through the Atlassian developer console, consent in the browser,
/// the code exchange and the choice of site, and stores the result in the OS keychain;
/// `--method service-account` and `--method api-token` set up the other credentials. With a
/// Data Center base URL as `--site`, `init` sets up that instance's own OAuth 2.0 (an incoming
/// application link), or `--method pat` a personal access token.
#[derive(Debug, Parser)]
#[command(
    name = "jira-auth",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_help = examples::TOP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Profile to use [default: the profile marked default, else `default`]
    #[arg(long, global = true, env = "JIRA_AUTH_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,

    /// Never prompt; a missing value is an error naming its flag and env var
    /// (also in force whenever stdin is not a terminal)
    #[arg(long, global = true, env = "JIRA_AUTH_NO_INPUT", value_parser = clap::builder::FalseyValueParser::new())]
    pub no_input: bool,

    /// Where secrets are kept
    #[arg(long, global = true, env = "JIRA_AUTH_STORE", value_enum)]
    pub store: Option<Kind>,

    /// More output on stderr (-v: info, -vv: debug); secrets are never logged
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to use colors (NO_COLOR is honoured)
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// `--json`, an option of each command that prints a document, and of no other: `header`
/// (whose one output is a secret), `exec`, `completions` and `man` have nothing to put in
/// one, so clap refuses `--json` there and their `--help` does not offer it.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct JsonArg {
    /// Print one JSON document on stdout, also on failure (human text always goes to stderr)
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Set up a profile: the guided OAuth setup (console checklist, consent, site), or a
    /// service account or API token (--method)
    #[command(after_help = examples::INIT)]
    Init(InitArgs),
    /// Consent again for an existing profile with its stored client (e.g. after its refresh
    /// token expired or was revoked), optionally with other scopes or another site
    #[command(after_help = examples::LOGIN)]
    Login(LoginArgs),
    /// Show profiles, site, cloud id, scopes, expiry and store backend (never a secret), and
    /// whether the selected profile can give out a token (exit code as `token` would have)
    #[command(after_help = examples::STATUS)]
    Status(StatusArgs),
    /// Make NAME the default profile: the one used without --profile (or JIRA_AUTH_PROFILE)
    #[command(after_help = examples::SWITCH)]
    Switch(SwitchArgs),
    /// Delete a profile's stored secrets and entry (idempotent)
    #[command(after_help = examples::LOGOUT)]
    Logout(LogoutArgs),
    /// Print a valid access token on stdout (refreshed first when it is about to expire)
    ///
    /// For an api-token profile, the API token itself. With JIRA_AUTH_METHOD=service-account it
    /// uses no profile: the service account's JIRA_AUTH_CLIENT_ID, JIRA_AUTH_CLIENT_SECRET and
    /// JIRA_AUTH_SITE (or JIRA_AUTH_CLOUD_ID) come from the environment (stateless mode).
    #[command(after_help = examples::TOKEN)]
    Token(TokenArgs),
    /// Print an HTTP Authorization header value on stdout: `Bearer <token>`, or `Basic …` for
    /// an API token
    ///
    /// With JIRA_AUTH_METHOD=service-account it uses no profile: the service account's
    /// JIRA_AUTH_CLIENT_ID, JIRA_AUTH_CLIENT_SECRET and JIRA_AUTH_SITE (or JIRA_AUTH_CLOUD_ID)
    /// come from the environment (stateless mode).
    #[command(after_help = examples::HEADER)]
    Header(MinTtlArgs),
    /// Run a command with a valid token in its environment: `jira-auth exec -- CMD ARGS…`
    ///
    /// Sets JIRA_AUTH_HEADER (the whole Authorization header value, for every method),
    /// JIRA_ACCESS_TOKEN, JIRA_CLOUD_ID, JIRA_SITE_URL (when known) and JIRA_API_BASE_URL (the
    /// gateway, or the site for a classic API token), then runs CMD in jira-auth's place (on
    /// Unix), so that every signal reaches it and its exit status is jira-auth's; 127 when CMD
    /// is not found, 126 when it cannot be run. With JIRA_AUTH_METHOD=service-account it uses
    /// no profile (stateless mode, as `token`).
    #[command(after_help = examples::EXEC)]
    Exec(ExecArgs),
    /// Serve the profile's Jira on loopback, each request sent with its current credential:
    /// for MCP servers, agents and bots that run longer than a token lives
    ///
    /// Clients authenticate to the proxy with a key made for this run (256 random bits, as
    /// `Authorization: Bearer KEY`). With `-- CMD`, CMD runs with JIRA_URL and
    /// JIRA_API_BASE_URL (the proxy), the key under JIRA_PERSONAL_TOKEN, JIRA_API_TOKEN
    /// (with JIRA_AUTH_TYPE=bearer), JIRA_ACCESS_TOKEN and JIRA_AUTH_HEADER, and
    /// without JIRA_USERNAME, JIRA_CLOUD_ID, JIRA_OAUTH_* and ATLASSIAN_OAUTH_*; signals are
    /// passed on to it, the proxy stops when it exits, and its exit status is jira-auth's
    /// (127 not found, 126 cannot be run). Without CMD, those variables are printed
    /// (KEY=VALUE lines, one write) and the proxy serves until SIGINT or SIGTERM (exit 0).
    #[command(after_help = examples::PROXY)]
    Proxy(ProxyArgs),
    /// The scope catalog, and a check of required against granted scopes
    #[command(subcommand, after_help = examples::SCOPES)]
    Scopes(ScopesCommand),
    /// Check everything from the credential store to a live API call, each with a fix
    #[command(after_help = examples::DOCTOR)]
    Doctor(DoctorArgs),
    /// List the sites the profile's grant covers (`*` marks the profile's site), or switch the
    /// profile to another of them with `sites use SITE`
    #[command(after_help = examples::SITES)]
    Sites(SitesArgs),
    /// Serve an emulated Atlassian on loopback until interrupted, and print the variables that
    /// point jira-auth (or your tests) at it
    ///
    /// The lines on stdout (KEY=VALUE, one write) name its auth and API servers, a ready OAuth
    /// app (client id, a secret that opens only this sandbox, its callback URL), a service
    /// account, an API token and a site. Nothing leaves this machine. Ctrl-C (or SIGTERM) stops
    /// it, with exit code 0.
    #[command(after_help = examples::SANDBOX)]
    Sandbox(SandboxArgs),
    /// Hand your Atlassian OAuth app to Composio: its auth config (`init`), a connected
    /// account (`connect`), whether it works (`status`), its scopes (`scopes`)
    ///
    /// Composio's base URL and project API key come from COMPOSIO_BASE_URL and
    /// COMPOSIO_API_KEY (as Composio's SDK reads them), the key else from a hidden prompt; it
    /// is never a flag and never stored. docs/composio.md walks the whole journey.
    #[command(subcommand, after_help = examples::COMPOSIO)]
    Composio(ComposioCommand),
    /// Print a shell completion script on stdout, e.g. `jira-auth completions bash`
    #[command(after_help = examples::COMPLETIONS)]
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, e.g. `jira-auth man > jira-auth.1`
    #[command(after_help = examples::MAN)]
    Man,
}

impl Cli {
    /// Whether the run is in JSON mode: `--json` given to a command that has it.
    pub fn json(&self) -> bool {
        let output = match &self.command {
            Command::Init(a) => a.output,
            Command::Login(a) => a.output,
            Command::Status(a) => a.output,
            Command::Switch(a) => a.output,
            Command::Logout(a) => a.output,
            Command::Token(a) => a.output,
            Command::Scopes(ScopesCommand::List(a)) => a.output,
            Command::Scopes(ScopesCommand::Check(a)) => a.output,
            Command::Doctor(a) => a.output,
            Command::Sandbox(a) => a.output,
            Command::Proxy(a) => a.output,
            Command::Sites(a) => return a.json,
            Command::Composio(ComposioCommand::Init(a)) => a.output,
            Command::Composio(ComposioCommand::Connect(a)) => a.output,
            Command::Composio(ComposioCommand::Status(a)) => a.output,
            Command::Composio(ComposioCommand::Scopes(a)) => a.output,
            Command::Header(_) | Command::Exec(_) | Command::Completions(_) | Command::Man => {
                return false;
            }
        };
        output.json
    }
}

#[derive(Debug, Args)]
pub struct SandboxArgs {
    /// What goes wrong in the sandbox, to rehearse what jira-auth says about it
    #[arg(long, value_enum, default_value_t = Scenario::Normal)]
    pub scenario: Scenario,

    /// The app's callback URL, as registered in its console [default:
    /// http://127.0.0.1:8976/callback]
    #[arg(long, value_name = "URL", conflicts_with = "port")]
    pub redirect_uri: Option<String>,

    /// Port of the default callback URL http://127.0.0.1:PORT/callback
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Approve every consent at once instead of showing the consent page (for test suites
    /// that have no browser)
    #[arg(long)]
    pub auto_approve: bool,

    /// Write the KEY=VALUE lines (or, with --json, the object) to this file instead of
    /// stdout: created readable by you alone (0600 on Unix), complete once it exists, and
    /// removed when the sandbox stops. Its lines hold the sandbox's client secrets
    #[arg(long, value_name = "PATH")]
    pub env_file: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also ask Atlassian: renew the token if it must be, and check that Atlassian accepts it
    /// and that its grant still covers the profile's site
    #[arg(long)]
    pub check: bool,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct SwitchArgs {
    /// The profile to make the default [default: asked, from the profiles there are]
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct SitesArgs {
    #[command(subcommand)]
    pub command: Option<SitesCommand>,

    /// Print one JSON document on stdout, also on failure (human text always goes to stderr)
    // Global within `sites`, so that `sites use SITE --json` has it too.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// Make SITE the profile's site, without a new consent, when the grant covers it
    ///
    /// SITE is a subdomain (acme), a URL (https://acme.atlassian.net) or a cloud id. A site the
    /// grant does not cover needs a new consent: `jira-auth login --site SITE`.
    #[command(after_help = examples::SITES_USE)]
    Use(SitesUseArgs),
}

#[derive(Debug, Args)]
pub struct SitesUseArgs {
    /// The site: subdomain (acme), URL or cloud id
    #[arg(value_name = "SITE")]
    pub site: String,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Subcommand)]
pub enum ScopesCommand {
    /// List every Jira OAuth scope jira-auth knows, with its API and console tab
    #[command(after_help = examples::SCOPES_LIST)]
    List(ScopesListArgs),
    /// Compare required scopes with those granted to the profile's token (exit 4 if any is missing)
    #[command(after_help = examples::SCOPES_CHECK)]
    Check(ScopesCheckArgs),
}

#[derive(Debug, Args)]
pub struct ScopesListArgs {
    /// Only scopes on a Granular tab of the console
    #[arg(long, conflicts_with = "classic")]
    pub granular: bool,

    /// Only scopes on a Classic tab of the console (the Jira classic scopes, read:me and
    /// read:account)
    #[arg(long)]
    pub classic: bool,

    /// Only scopes whose name or description contains TERM (case-insensitive)
    #[arg(long, value_name = "TERM")]
    pub search: Option<String>,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct ScopesCheckArgs {
    /// Scopes that must be granted, comma or space separated [default: the profile's
    /// requested scopes]
    #[arg(long, value_name = "LIST")]
    pub require: Option<String>,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    #[command(flatten)]
    pub ttl: MinTtlArgs,

    #[command(flatten)]
    pub output: JsonArg,
}

/// A number of seconds, as `--min-ttl` takes it.
fn seconds(text: &str) -> Result<Duration, String> {
    text.parse::<u64>()
        .map(Duration::from_secs)
        .map_err(|e| format!("{e}: a whole number of seconds"))
}

#[derive(Debug, Args)]
pub struct MinTtlArgs {
    /// Refresh first when the access token has this many seconds left or fewer
    // The default is the profile layer's RENEWAL_MARGIN (a test holds them together).
    #[arg(
        long,
        env = "JIRA_AUTH_MIN_TTL",
        value_name = "SECS",
        default_value = "60",
        value_parser = seconds
    )]
    pub min_ttl: Duration,
}

#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// Listen on this port of 127.0.0.1, or on ADDRESS:PORT of another loopback address
    /// [default: a free port of 127.0.0.1]
    #[arg(long, value_name = "[ADDRESS:]PORT", conflicts_with = "socket")]
    pub port: Option<String>,

    /// Listen on a Unix socket at PATH instead (mode 0600; its directory is made 0700, or must
    /// be yours alone already)
    #[arg(long, value_name = "PATH")]
    pub socket: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub ttl: MinTtlArgs,

    #[command(flatten)]
    pub output: JsonArg,

    /// The command to run with the proxy's variables, and its arguments (after `--`)
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub ttl: MinTtlArgs,

    /// The command to run and its arguments (after `--`)
    #[arg(trailing_var_arg = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// How `init` and `login` choose the scopes to request.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Scopes to request, comma or space separated (Cloud: offline_access is always added;
    /// Data Center: READ, WRITE, ADMIN or SYSTEM_ADMIN; a Data Center service account: READ or
    /// WRITE); `login` defaults to the profile's requested scopes
    #[arg(
        long,
        env = "JIRA_AUTH_SCOPES",
        value_name = "LIST",
        conflicts_with = "preset"
    )]
    pub scopes: Option<String>,

    /// Request scope names jira-auth's catalog does not know (scopes Atlassian added after
    /// this release) with a warning instead of an error; each must still look like a scope
    #[arg(long, env = "JIRA_AUTH_ALLOW_UNKNOWN_SCOPES", value_parser = clap::builder::FalseyValueParser::new())]
    pub allow_unknown_scopes: bool,

    /// A named set of scopes: read-only, read-write, admin (on Data Center: READ, WRITE,
    /// ADMIN)
    #[arg(long, env = "JIRA_AUTH_PRESET", value_name = "NAME")]
    pub preset: Option<String>,
}

/// The browser step of `init` and `login`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// Print the consent URL but do not open a browser
    #[arg(long)]
    pub no_browser: bool,

    /// Read the address the browser ended on (http://127.0.0.1:PORT/callback?code=…) from
    /// stdin, also when stdin is not a terminal: for a browser on another machine (SSH, WSL,
    /// a container). In a terminal it is asked for anyway when no browser opens here, or
    /// over SSH; whichever comes first, the callback or the address, is used
    #[arg(long, env = "JIRA_AUTH_PASTE", value_parser = clap::builder::FalseyValueParser::new())]
    pub paste: bool,

    /// Seconds to wait for the browser to come back
    #[arg(long, env = "JIRA_AUTH_TIMEOUT", value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// How the profile authenticates
    #[arg(long, env = "JIRA_AUTH_METHOD", value_enum, default_value_t = Method::OAuth)]
    pub method: Method,

    /// Client ID: of the OAuth 2.0 integration (developer console → Settings), or of the
    /// service account's OAuth 2.0 credential (admin.atlassian.com, or Jira Data Center's
    /// Administration → Service accounts)
    #[arg(long, env = "JIRA_AUTH_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from the first line of stdin (else env JIRA_AUTH_CLIENT_SECRET,
    /// else a hidden prompt; never from a flag value, which `ps` would show)
    #[arg(long, conflicts_with_all = ["api_token_stdin", "pat_stdin", "paste"])]
    pub client_secret_stdin: bool,

    /// api-token: the email of the Atlassian account the token belongs to
    #[arg(long, env = "JIRA_AUTH_EMAIL", value_name = "EMAIL")]
    pub email: Option<String>,

    /// api-token: read the API token from the first line of stdin (else env
    /// JIRA_AUTH_API_TOKEN, else a hidden prompt; never from a flag value)
    #[arg(long, conflicts_with = "pat_stdin")]
    pub api_token_stdin: bool,

    /// pat: read the Data Center personal access token from the first line of stdin (else env
    /// JIRA_AUTH_PAT, else a hidden prompt; never from a flag value)
    #[arg(long)]
    pub pat_stdin: bool,

    #[command(flatten)]
    pub scopes: ScopeArgs,

    /// Callback URL registered in the console [default: http://127.0.0.1:8976/callback]
    #[arg(
        long,
        env = "JIRA_AUTH_REDIRECT_URI",
        value_name = "URL",
        conflicts_with = "port"
    )]
    pub redirect_uri: Option<String>,

    /// Port of the default callback URL http://127.0.0.1:PORT/callback
    #[arg(long, env = "JIRA_AUTH_PORT", value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// The site: subdomain (acme), URL or cloud id, or a Data Center base URL with its context
    /// path (https://jira.example.com/jira). oauth: the one to use when the grant covers
    /// several (a Data Center URL: that instance's OAuth); service-account and api-token: the
    /// site to use (or --cloud-id); pat: the Data Center instance
    #[arg(long, env = "JIRA_AUTH_SITE", value_name = "SITE")]
    pub site: Option<String>,

    /// Which Jira --site is, instead of asking its /rest/api/2/serverInfo [default: detected;
    /// *.atlassian.net is always cloud]
    #[arg(
        long,
        env = "JIRA_AUTH_DEPLOYMENT",
        value_enum,
        value_name = "DEPLOYMENT"
    )]
    pub deployment: Option<Deployment>,

    /// service-account and api-token: the site's cloud id, instead of asking the site for
    /// it (its /_edge/tenant_info)
    #[arg(long, env = "JIRA_AUTH_CLOUD_ID", value_name = "ID")]
    pub cloud_id: Option<String>,

    #[command(flatten)]
    pub consent: ConsentArgs,

    /// Replace an existing profile of the same name without asking
    #[arg(long)]
    pub force: bool,

    /// Rehearse the whole OAuth setup against an emulated Atlassian inside this command: no
    /// account, no network. The profile is named `sandbox` (unless --profile) and marked as
    /// a sandbox everywhere; without a terminal, everything is chosen for you and, with no
    /// browser, the sandbox approves the consent by itself
    #[arg(long)]
    pub sandbox: bool,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub scopes: ScopeArgs,

    /// Site to use: subdomain (acme), URL or cloud id [default: the profile's site while the
    /// grant still covers it]
    #[arg(long, env = "JIRA_AUTH_SITE", value_name = "SITE")]
    pub site: Option<String>,

    #[command(flatten)]
    pub consent: ConsentArgs,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Remove every profile (the --profile choice is then ignored)
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Subcommand)]
pub enum ComposioCommand {
    /// Hand an Atlassian OAuth 2.0 app to Composio as an auth config of its Jira toolkit
    /// (custom credentials), and store it as a profile of kind composio
    ///
    /// The scopes, the developer-console checklist with Composio's callback URL, the app's
    /// client id and secret (as `init` takes them), then the auth config (`ac_…`). Run again
    /// for the same profile, it reuses that auth config (unless --force). With --user-id it
    /// connects an account too, as `composio connect`.
    #[command(after_help = examples::COMPOSIO_INIT)]
    Init(ComposioInitArgs),
    /// Connect a Jira site for a Composio user through the profile's auth config: the
    /// consent in the browser, then Composio's status until ACTIVE, FAILED or the timeout
    #[command(after_help = examples::COMPOSIO_CONNECT)]
    Connect(ComposioConnectArgs),
    /// Does it work? The auth config (there, enabled, its scopes against the requested ones)
    /// and the user's connected accounts, each failed check with its fix
    #[command(after_help = examples::COMPOSIO_STATUS)]
    Status(ComposioStatusArgs),
    /// Narrow or widen the scopes Composio asks Atlassian for (the auth config's), after
    /// ticking them in the developer console; connected accounts keep theirs until they
    /// connect again
    #[command(after_help = examples::COMPOSIO_SCOPES)]
    Scopes(ComposioScopesArgs),
}

/// How `composio connect` (and `composio init --user-id`) connects.
#[derive(Debug, Args)]
pub struct ComposioConnectionArgs {
    /// The Composio user id to connect the Jira account for (your app's own id of the user)
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    /// The Jira Cloud site: a subdomain (acme) or URL (https://acme.atlassian.net), trimmed to
    /// the subdomain Composio wants
    #[arg(long, value_name = "SITE")]
    pub site: Option<String>,

    /// Print Composio's connect link but do not open a browser
    #[arg(long)]
    pub no_browser: bool,

    /// Seconds to wait for the connection to become ACTIVE
    #[arg(long, env = "JIRA_AUTH_TIMEOUT", value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

/// Composio's callback URL for a custom app, as its docs give it (older pages: /api/v3/…).
pub const COMPOSIO_CALLBACK_URL: &str =
    "https://backend.composio.dev/api/v3.1/toolkits/auth/callback";

#[derive(Debug, Args)]
pub struct ComposioInitArgs {
    /// Client ID of the OAuth 2.0 integration (developer console → Settings)
    #[arg(long, env = "JIRA_AUTH_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from the first line of stdin (else env JIRA_AUTH_CLIENT_SECRET,
    /// else a hidden prompt; never from a flag value, which `ps` would show)
    #[arg(long)]
    pub client_secret_stdin: bool,

    #[command(flatten)]
    pub scopes: ScopeArgs,

    /// The callback URL to register for the app: Composio's, as its dashboard shows it
    /// for the auth config (check it there)
    #[arg(long, value_name = "URL", default_value = COMPOSIO_CALLBACK_URL)]
    pub callback_url: String,

    /// Make a new auth config even if the profile has one, and replace the profile
    #[arg(long)]
    pub force: bool,

    /// Rehearse it all against an emulated Atlassian and Composio inside this command: no
    /// account, no network (the profile is named `sandbox-composio` unless --profile)
    #[arg(long)]
    pub sandbox: bool,

    #[command(flatten)]
    pub connection: ComposioConnectionArgs,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct ComposioConnectArgs {
    #[command(flatten)]
    pub connection: ComposioConnectionArgs,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct ComposioStatusArgs {
    /// Whose connected accounts to check [default: the user of the last `composio connect`;
    /// else every account of the auth config]
    #[arg(long, value_name = "ID")]
    pub user_id: Option<String>,

    #[command(flatten)]
    pub output: JsonArg,
}

#[derive(Debug, Args)]
pub struct ComposioScopesArgs {
    #[command(flatten)]
    pub scopes: ScopeArgs,

    #[command(flatten)]
    pub output: JsonArg,
}

/// The end of every `--help`: what people type. `jira-auth man` puts them in its EXAMPLES.
pub mod examples {
    pub const TOP: &str = "Examples:
  jira-auth init --sandbox --no-browser   # try it: no account, no network, nothing to type
  jira-auth init                          # set up a profile, asked step by step
  jira-auth token                         # a valid access token, for scripts
  base=$(jira-auth token --json | jq -r .api_base_url)
  curl -H \"Authorization: $(jira-auth header)\" \"$base/rest/api/3/myself\"
  jira-auth exec -- ./my-script.sh        # run with JIRA_ACCESS_TOKEN and friends set
  jira-auth status --check                # what is set up, and whether Atlassian accepts it";
    pub const INIT: &str = "Examples:
  jira-auth init                          # the wizard: checklist, id and secret, consent, site
  jira-auth init --profile work --preset read-write --site acme
  export JIRA_AUTH_CLIENT_SECRET=...      # scripted: everything given, nothing asked
  jira-auth init --no-input --client-id \"$ID\" --preset read-only --site acme --json
  jira-auth init --store file             # a 0600 file instead of the keychain
  jira-auth init --force --port 9000      # replace the profile, callback on another port
  jira-auth init --sandbox                # rehearse it all against an emulated Atlassian
  jira-auth init --site https://jira.example.com/jira --preset read-write   # Data Center OAuth
  JIRA_AUTH_PAT=... jira-auth init --method pat --site https://jira.example.com";
    pub const LOGIN: &str = "Examples:
  jira-auth login                         # consent again (e.g. after the refresh token died)
  jira-auth login --scopes \"read:jira-work write:jira-work\"
  jira-auth login --profile work --site beta";
    pub const STATUS: &str = "Examples:
  jira-auth status                        # every profile; the default one read as `token` would
  jira-auth status --check                # and ask Atlassian whether it accepts the token
  jira-auth status --profile work --json";
    pub const SWITCH: &str = "Examples:
  jira-auth switch work                   # `token` and friends now use 'work' by default
  jira-auth switch                        # choose among the profiles";
    pub const LOGOUT: &str = "Examples:
  jira-auth logout                        # the default profile
  jira-auth logout --profile work
  jira-auth logout --all";
    pub const TOKEN: &str = "Examples:
  jira-auth token
  jira-auth token --min-ttl 600           # valid for at least 10 more minutes
  jira-auth token --json                  # with expiry, cloud id, site and API base URL";
    pub const HEADER: &str = "Examples:
  base=$(jira-auth token --json | jq -r .api_base_url)
  { printf 'Authorization: '; jira-auth header; } | curl -H @- \"$base/rest/api/3/myself\"";
    pub const EXEC: &str = "Examples:
  jira-auth exec -- ./sync-issues.sh      # it reads JIRA_ACCESS_TOKEN, JIRA_API_BASE_URL…
  jira-auth exec --profile work -- sh -c 'echo \"$JIRA_SITE_URL\"'";
    pub const PROXY: &str = "Examples:
  jira-auth proxy -- mcp-atlassian        # an MCP server whose Jira token never expires
  jira-auth proxy --profile work -- python bot.py
  jira-auth proxy -- sh -c 'printf \"Authorization: Bearer %s\\n\" \"$JIRA_API_TOKEN\" |
      curl -sS -H @- \"$JIRA_URL/rest/api/3/myself\"'
  jira-auth proxy --port 8088             # print JIRA_URL=…, the key…; serve until Ctrl-C";
    pub const SCOPES: &str = "Examples:
  jira-auth scopes list --search comment
  jira-auth scopes check --require \"read:jira-work write:jira-work\"";
    pub const SCOPES_LIST: &str = "Examples:
  jira-auth scopes list --classic
  jira-auth scopes list --search sprint --json";
    pub const SCOPES_CHECK: &str = "Examples:
  jira-auth scopes check                  # the scopes the profile asked for
  jira-auth scopes check --require write:jira-work || echo \"cannot write\"";
    pub const DOCTOR: &str = "Examples:
  jira-auth doctor
  jira-auth doctor --profile work --json";
    pub const SITES: &str = "Examples:
  jira-auth sites                         # the sites the grant covers; * marks the profile's
  jira-auth sites use beta                # switch the profile to another covered site";
    pub const SITES_USE: &str = "Examples:
  jira-auth sites use beta
  jira-auth sites use https://beta.atlassian.net";
    pub const SANDBOX: &str = "Examples:
  jira-auth sandbox --env-file sandbox.env &   # then: ( set -a; . ./sandbox.env; set +a; …)
  jira-auth sandbox --scenario unticked-scope
  jira-auth sandbox --auto-approve --port 9000  # for a test suite without a browser";
    pub const COMPOSIO: &str = "Examples:
  export COMPOSIO_API_KEY=...             # Composio dashboard → Settings → API Keys
  jira-auth composio init --profile agent --preset read-only
  jira-auth composio connect --profile agent --user-id ada --site acme
  jira-auth composio status --profile agent
  jira-auth composio init --sandbox --user-id ada --site sandbox   # rehearse it offline";
    pub const COMPOSIO_INIT: &str = "Examples:
  jira-auth composio init                 # asked step by step: scopes, checklist, id, secret
  export COMPOSIO_API_KEY=... JIRA_AUTH_CLIENT_SECRET=...
  jira-auth composio init --no-input --profile agent --client-id \"$ID\" --preset read-only --json
  jira-auth composio init --sandbox --user-id ada --site sandbox";
    pub const COMPOSIO_CONNECT: &str = "Examples:
  jira-auth composio connect --profile agent --user-id ada --site acme
  jira-auth composio connect --profile agent --user-id ada --site https://acme.atlassian.net --no-browser";
    pub const COMPOSIO_STATUS: &str = "Examples:
  jira-auth composio status --profile agent
  jira-auth composio status --profile agent --user-id ada --json";
    pub const COMPOSIO_SCOPES: &str = "Examples:
  jira-auth composio scopes --profile agent --preset read-only
  jira-auth composio scopes --profile agent --scopes \"read:jira-work write:jira-work\"";
    pub const COMPLETIONS: &str = "Examples:
  jira-auth completions bash > ~/.local/share/bash-completion/completions/jira-auth
  jira-auth completions zsh > ~/.zfunc/_jira-auth";
    pub const MAN: &str = "Examples:
  jira-auth man > ~/.local/share/man/man1/jira-auth.1 && man jira-auth";
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn methods_are_named_as_the_design_names_them() {
        let method = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
            Command::Init(a) => a.method,
            other => panic!("{other:?}"),
        };
        assert_eq!(method(&["jira-auth", "init"]), Method::OAuth);
        for m in Method::ALL {
            assert_eq!(method(&["jira-auth", "init", "--method", m.as_str()]), m);
        }
        assert!(Cli::try_parse_from(["jira-auth", "init", "--method", "oauth2"]).is_err());
    }

    #[test]
    fn every_command_ends_its_help_with_examples() {
        fn walk(cmd: &clap::Command, path: &str) {
            let after = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(after.starts_with("Examples:\n  "), "{path}: {after:?}");
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        walk(&Cli::command(), "jira-auth");
    }

    #[test]
    fn scopes_and_preset_conflict() {
        let r = Cli::try_parse_from(["jira-auth", "init", "--scopes", "a", "--preset", "b"]);
        assert!(r.is_err());
    }

    #[test]
    fn exec_takes_everything_after_the_separator() {
        let cli = Cli::try_parse_from(["jira-auth", "exec", "--", "sh", "-c", "exit 3"]).unwrap();
        match cli.command {
            Command::Exec(a) => {
                assert_eq!(a.command, ["sh", "-c", "exit 3"]);
                assert_eq!(a.ttl.min_ttl, crate::profile::RENEWAL_MARGIN);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["jira-auth", "exec"]).is_err());
    }

    #[test]
    fn sites_lists_without_a_subcommand_and_use_takes_a_site() {
        let cli = Cli::try_parse_from(["jira-auth", "sites"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Sites(SitesArgs { command: None, .. })
        ));
        let cli = Cli::try_parse_from(["jira-auth", "sites", "use", "acme", "--json"]).unwrap();
        match cli.command {
            Command::Sites(SitesArgs {
                command: Some(SitesCommand::Use(ref a)),
                ..
            }) => assert_eq!(a.site, "acme"),
            ref other => panic!("{other:?}"),
        }
        assert!(cli.json());
        assert!(Cli::try_parse_from(["jira-auth", "sites", "use"]).is_err());
    }

    #[test]
    fn json_is_an_option_of_the_commands_that_print_a_document_and_no_other() {
        for args in [
            &["init"][..],
            &["login"],
            &["status"],
            &["switch", "work"],
            &["logout"],
            &["token"],
            &["scopes", "list"],
            &["scopes", "check"],
            &["doctor"],
            &["sites"],
            &["sites", "use", "acme"],
        ] {
            let line = [&["jira-auth"][..], args, &["--json"]].concat();
            let cli = Cli::try_parse_from(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            assert!(cli.json(), "{line:?}");
            let without = Cli::try_parse_from(&line[..line.len() - 1]).unwrap();
            assert!(!without.json(), "{line:?}");
        }
        for line in [
            &["jira-auth", "header", "--json"][..],
            &["jira-auth", "exec", "--json", "--", "true"],
            &["jira-auth", "completions", "bash", "--json"],
            &["jira-auth", "man", "--json"],
            // Before the command, it belongs to none.
            &["jira-auth", "--json", "status"],
        ] {
            let e = Cli::try_parse_from(line).unwrap_err();
            assert_eq!(
                e.kind(),
                clap::error::ErrorKind::UnknownArgument,
                "{line:?}"
            );
        }
        // After `--`, it is the command's.
        let cli = Cli::try_parse_from(["jira-auth", "exec", "--", "jq", "--json"]).unwrap();
        assert!(!cli.json());
    }

    #[test]
    fn completions_take_a_known_shell() {
        for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
            assert!(
                Cli::try_parse_from(["jira-auth", "completions", shell]).is_ok(),
                "{shell}"
            );
        }
        assert!(Cli::try_parse_from(["jira-auth", "completions", "tcsh"]).is_err());
    }
}
