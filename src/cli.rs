//! The command line, as clap derive types; the doc comments are the help text.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::store::Kind;

/// Set up and keep alive OAuth 2.0 (3LO) access to Jira Cloud.
///
/// `jira-auth init` walks through the Atlassian developer console, consent in the browser,
/// the code exchange and the choice of site, and stores the result in the OS keychain.
#[derive(Debug, Parser)]
#[command(
    name = "jira-auth",
    version,
    propagate_version = true,
    max_term_width = 100
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

    /// Print one JSON document on stdout (human text always goes to stderr)
    #[arg(long, global = true)]
    pub json: bool,

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Guided setup: console checklist, client credentials, consent, site, storage
    Init(InitArgs),
    /// Consent again for an existing profile with its stored client (e.g. after its refresh
    /// token expired or was revoked), optionally with other scopes or another site
    Login(LoginArgs),
    /// Show profiles, site, cloud id, scopes, expiry and store backend (never a secret), and
    /// whether the selected profile can give out a token (exit code as `token` would have)
    Status(StatusArgs),
    /// Delete a profile's stored secrets and entry (idempotent)
    Logout(LogoutArgs),
    /// Print a valid access token on stdout (refreshed first when it is about to expire)
    Token(TokenArgs),
    /// Print an HTTP Authorization header value, `Bearer <token>`, on stdout
    Header(TokenArgs),
    /// Run a command with a valid token in its environment: `jira-auth exec -- CMD ARGS…`
    ///
    /// Sets JIRA_ACCESS_TOKEN, JIRA_CLOUD_ID, JIRA_SITE_URL and JIRA_API_BASE_URL; exits with
    /// the command's exit code.
    Exec(ExecArgs),
    /// The scope catalog, and a check of required against granted scopes
    #[command(subcommand)]
    Scopes(ScopesCommand),
    /// Check everything from the credential store to a live API call, each with a fix
    Doctor,
    /// List the sites the profile's grant covers (`*` marks the profile's site), or switch the
    /// profile to another of them with `sites use SITE`
    Sites(SitesArgs),
    /// Print a shell completion script on stdout, e.g. `jira-auth completions bash`
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, e.g. `jira-auth man > jira-auth.1`
    Man,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Also ask Atlassian: renew the token if it must be, and check that Atlassian accepts it
    /// and that its grant still covers the profile's site
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct SitesArgs {
    #[command(subcommand)]
    pub command: Option<SitesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// Make SITE the profile's site, without a new consent, when the grant covers it
    ///
    /// SITE is a subdomain (acme), a URL (https://acme.atlassian.net) or a cloud id. A site the
    /// grant does not cover needs a new consent: `jira-auth login --site SITE`.
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
    List(ScopesListArgs),
    /// Compare required scopes with those granted to the profile's token (exit 4 if any is missing)
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
}

#[derive(Debug, Args)]
pub struct ScopesCheckArgs {
    /// Scopes that must be granted, comma or space separated [default: the profile's
    /// requested scopes]
    #[arg(long, value_name = "LIST")]
    pub require: Option<String>,
}

#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Refresh first when the access token has this many seconds left or fewer
    #[arg(
        long,
        env = "JIRA_AUTH_MIN_TTL",
        value_name = "SECS",
        default_value_t = 60
    )]
    pub min_ttl: u64,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub token: TokenArgs,

    /// The command to run and its arguments (after `--`)
    #[arg(trailing_var_arg = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// How `init` and `login` choose the scopes to request.
#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Scopes to request, comma or space separated (offline_access is always added);
    /// `login` defaults to the profile's requested scopes
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

    /// A named set of scopes: read-only, read-write, admin
    #[arg(long, env = "JIRA_AUTH_PRESET", value_name = "NAME")]
    pub preset: Option<String>,
}

/// The browser step of `init` and `login`.
#[derive(Debug, Args)]
pub struct ConsentArgs {
    /// Print the consent URL but do not open a browser
    #[arg(long)]
    pub no_browser: bool,

    /// Seconds to wait for the browser to come back
    #[arg(long, env = "JIRA_AUTH_TIMEOUT", value_name = "SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Client ID of the OAuth 2.0 integration (developer console → Settings)
    #[arg(long, env = "JIRA_AUTH_CLIENT_ID", value_name = "ID")]
    pub client_id: Option<String>,

    /// Read the client secret from the first line of stdin (else env JIRA_AUTH_CLIENT_SECRET,
    /// else a hidden prompt; never from a flag value, which `ps` would show)
    #[arg(long)]
    pub client_secret_stdin: bool,

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

    /// Site to use when the grant covers several: subdomain (acme), URL or cloud id
    #[arg(long, env = "JIRA_AUTH_SITE", value_name = "SITE")]
    pub site: Option<String>,

    #[command(flatten)]
    pub consent: ConsentArgs,

    /// Replace an existing profile of the same name without asking
    #[arg(long)]
    pub force: bool,
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
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Remove every profile (the --profile choice is then ignored)
    #[arg(long)]
    pub all: bool,
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
                assert_eq!(a.token.min_ttl, 60);
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
            Command::Sites(SitesArgs { command: None })
        ));
        let cli = Cli::try_parse_from(["jira-auth", "sites", "use", "acme", "--json"]).unwrap();
        match cli.command {
            Command::Sites(SitesArgs {
                command: Some(SitesCommand::Use(a)),
            }) => assert_eq!(a.site, "acme"),
            other => panic!("{other:?}"),
        }
        assert!(cli.global.json);
        assert!(Cli::try_parse_from(["jira-auth", "sites", "use"]).is_err());
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
