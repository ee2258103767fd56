//! `jira-auth sandbox`: an emulated Atlassian (`sandbox::World`) served on loopback until
//! interrupted, for rehearsing `init`, `login`, `token`, `doctor` and their failures
//! (`--scenario`), and for other projects' test suites.
//!
//! stdout gets `KEY=VALUE` lines in one write (so a file it is redirected to is complete as
//! soon as it is not empty): the variables jira-auth reads to find Atlassian and its inputs,
//! and, under `JIRA_AUTH_SANDBOX_*` names jira-auth never reads, a service account, an
//! API token, and a Jira Data Center instance's base URL, application link, PAT and service account. The secrets among them are made up for this run and open only this sandbox:
//! printing them is the point. Human text goes to stderr. SIGINT (Ctrl-C) and SIGTERM are
//! how a server is stopped, not a failure: both end it with exit code 0.

use serde::Serialize;

use super::{Ctx, Result};
use crate::cli::SandboxArgs;
use crate::error::{CliError, redirect_flag};
use crate::oauth::RedirectUri;
use crate::oauth::redirect::DEFAULT_PORT;
use crate::sandbox::{Options, World};

/// What the lines say, in their order; also the `--json` document.
#[derive(Serialize)]
struct Served {
    #[serde(rename = "JIRA_AUTH_AUTH_URL")]
    auth_url: String,
    #[serde(rename = "JIRA_AUTH_API_URL")]
    api_url: String,
    #[serde(rename = "JIRA_AUTH_CLIENT_ID")]
    client_id: String,
    #[serde(rename = "JIRA_AUTH_CLIENT_SECRET")]
    client_secret: String,
    /// Not JIRA_AUTH_REDIRECT_URI: `init --method service-account` would refuse it.
    #[serde(rename = "JIRA_AUTH_SANDBOX_REDIRECT_URI")]
    redirect_uri: String,
    #[serde(rename = "JIRA_AUTH_SITE")]
    site: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_SERVICE_ACCOUNT_ID")]
    service_account_id: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_SERVICE_ACCOUNT_SECRET")]
    service_account_secret: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_EMAIL")]
    email: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_API_TOKEN")]
    api_token: String,
    /// The Data Center instance's base URL (context path `/jira`), for `--site`.
    #[serde(rename = "JIRA_AUTH_SANDBOX_DC_SITE")]
    dc_site: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_DC_CLIENT_ID")]
    dc_client_id: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_DC_CLIENT_SECRET")]
    dc_client_secret: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_DC_PAT")]
    dc_pat: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_ID")]
    dc_service_account_id: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_SECRET")]
    dc_service_account_secret: String,
    /// The emulated Composio, under the names Composio's SDK reads.
    #[serde(rename = "COMPOSIO_BASE_URL")]
    composio_base_url: String,
    #[serde(rename = "COMPOSIO_API_KEY")]
    composio_api_key: String,
    /// The second app, registered for Composio's callback, to hand to it.
    #[serde(rename = "JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_ID")]
    composio_client_id: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_SECRET")]
    composio_client_secret: String,
    #[serde(rename = "JIRA_AUTH_SANDBOX_COMPOSIO_CALLBACK_URL")]
    composio_callback_url: String,
}

pub(crate) fn run(ctx: &Ctx, args: SandboxArgs) -> Result {
    let redirect = match (&args.redirect_uri, args.port) {
        (Some(raw), _) => RedirectUri::parse(raw.trim()).map_err(|e| redirect_flag(raw, e))?,
        (None, port) => {
            let port = port.unwrap_or(DEFAULT_PORT);
            RedirectUri::on_port(port)
                .map_err(|e| CliError::usage(format!("--port {port}: {e}")))?
        }
    };
    let mut world = World::start(Options {
        redirect_uri: redirect.to_string(),
        scenario: args.scenario,
        ask: !args.auto_approve,
        served: true,
    });
    world.start_composio();
    let composio = world.composio.as_ref().expect("just started");
    let endpoints = world.endpoints();
    let site = &world.sites[0];
    let dc = world
        .data_center
        .as_ref()
        .expect("a served world has a Data Center instance");
    let served = Served {
        auth_url: trimmed(endpoints.auth.as_str()),
        api_url: trimmed(endpoints.api.as_str()),
        client_id: world.app.client_id.clone(),
        client_secret: world.app.client_secret.clone(),
        redirect_uri: world.app.redirect_uri.clone(),
        site: site.url.clone(),
        service_account_id: world.service_account.client_id.clone(),
        service_account_secret: world.service_account.secret.clone(),
        email: world.api_token.email.clone(),
        api_token: world.api_token.token.clone(),
        dc_site: dc.instance.base_url(),
        dc_client_id: dc.client_id.clone(),
        dc_client_secret: dc.client_secret.clone(),
        dc_pat: dc.pat.clone(),
        dc_service_account_id: dc.service_account_id.clone(),
        dc_service_account_secret: dc.service_account_secret.clone(),
        composio_base_url: composio.server.url(),
        composio_api_key: composio.api_key.clone(),
        composio_client_id: composio.client_id.clone(),
        composio_client_secret: composio.client_secret.clone(),
        composio_callback_url: composio.server.callback_url(),
    };
    let ui = ctx.ui;
    let scenario = clap::ValueEnum::to_possible_value(&args.scenario)
        .map(|v| v.get_name().to_string())
        .unwrap_or_default();
    ui.say(&format!(
        "jira-auth sandbox (scenario {scenario}): an emulated Atlassian on loopback; nothing leaves this machine. The secrets on stdout are made up for this run and open only this sandbox."
    ));
    ui.say(&format!(
        "Sites: {}. Consent: {}. Ctrl-C stops it.",
        world
            .sites
            .iter()
            .map(|s| format!("{} ({})", s.name, s.url))
            .collect::<Vec<_>>()
            .join(", "),
        if args.auto_approve {
            "approved at once"
        } else {
            "a page to Approve or Deny in the browser"
        }
    ));
    ui.say(&format!(
        "Try, in a subshell so that the variables end with it: jira-auth sandbox --env-file sandbox.env &  then  ( set -a; . ./sandbox.env; set +a; jira-auth init --profile try --preset read-only --site sandbox{} )",
        if redirect.port() == DEFAULT_PORT && args.redirect_uri.is_none() {
            String::new()
        } else {
            " --redirect-uri \"$JIRA_AUTH_SANDBOX_REDIRECT_URI\"".to_string()
        }
    ));
    // A real profile refuses these endpoint variables (its secrets go only to its own
    // servers), so a shell that sourced them must drop them to use one.
    ui.say(&format!(
        "A shell that sourced the lines itself drops them with: unset {}",
        ORDER.join(" ")
    ));
    ui.say(&format!(
        "Jira Data Center too, at {}: env -u JIRA_AUTH_CLIENT_ID JIRA_AUTH_PAT=\"$JIRA_AUTH_SANDBOX_DC_PAT\" jira-auth init --method pat --profile dc --site \"$JIRA_AUTH_SANDBOX_DC_SITE\" (its OAuth: --client-id \"$JIRA_AUTH_SANDBOX_DC_CLIENT_ID\" with JIRA_AUTH_CLIENT_SECRET=\"$JIRA_AUTH_SANDBOX_DC_CLIENT_SECRET\"; its redirect URL is plain http, which the emulated Jira allows; its service account: --method service-account --scopes READ --client-id \"$JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_ID\" with JIRA_AUTH_CLIENT_SECRET=\"$JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_SECRET\")",
        dc.instance.base_url()
    ));
    ui.say(&format!(
        "Composio too, at {}: JIRA_AUTH_CLIENT_SECRET=\"$JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_SECRET\" jira-auth composio init --profile agent --preset read-only --client-id \"$JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_ID\" --callback-url \"$JIRA_AUTH_SANDBOX_COMPOSIO_CALLBACK_URL\", then jira-auth composio connect --profile agent --user-id ada --site sandbox (it reads COMPOSIO_BASE_URL and COMPOSIO_API_KEY, as Composio's SDK does)",
        composio.server.url()
    ));
    ctx.net.block_on(async {
        // The handlers go in before the lines come out: whoever reads them may stop the
        // sandbox at once, and must get the exit code of a stop, not of a killed process.
        let mut interrupted = std::pin::pin!(tokio::signal::ctrl_c());
        tokio::select! {
            biased;
            _ = &mut interrupted => return Ok(()),
            () = std::future::ready(()) => {}
        }
        let terminated = terminated();
        // Now, not when the command is over as other reports are: it serves until stopped.
        let text = if args.output.json {
            crate::ui::document::text(&served)
        } else {
            lines(&served)
        };
        match &args.env_file {
            Some(path) => write_private(path, &text)?,
            None => ui.print(&text)?,
        }
        tokio::select! {
            _ = &mut interrupted => {}
            () = terminated => {}
        }
        Ok::<(), CliError>(())
    })??;
    if let Some(path) = &args.env_file {
        // Its secrets and ports died with the sandbox: a stale file would only mislead.
        let _ = std::fs::remove_file(path);
    }
    ui.say("jira-auth sandbox: stopped.");
    drop(world);
    Ok(())
}

/// Writes `text` to `path` so that it is never readable by others, not even for a moment,
/// and a reader sees it whole or not at all: a temporary file in the same directory, which
/// tempfile creates 0600 on Unix, renamed over `path`.
fn write_private(path: &std::path::Path, text: &str) -> Result {
    use std::io::Write;
    let failed = |e: std::io::Error| {
        CliError::usage(format!("--env-file {}: {e}", path.display()))
            .hint("name a file in a directory you can write to")
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".jira-auth-sandbox-")
        .tempfile_in(dir)
        .map_err(failed)?;
    tmp.write_all(text.as_bytes()).map_err(failed)?;
    tmp.persist(path).map_err(|e| failed(e.error))?;
    Ok(())
}

/// `KEY=VALUE` lines in the order of [`Served`]'s fields. No value needs quoting: they are
/// URLs, ids, tokens and an email, none with spaces or shell characters.
/// The variables of [`Served`], in the order of its lines.
const ORDER: [&str; 21] = [
    "JIRA_AUTH_AUTH_URL",
    "JIRA_AUTH_API_URL",
    "JIRA_AUTH_CLIENT_ID",
    "JIRA_AUTH_CLIENT_SECRET",
    "JIRA_AUTH_SITE",
    "JIRA_AUTH_SANDBOX_REDIRECT_URI",
    "JIRA_AUTH_SANDBOX_SERVICE_ACCOUNT_ID",
    "JIRA_AUTH_SANDBOX_SERVICE_ACCOUNT_SECRET",
    "JIRA_AUTH_SANDBOX_EMAIL",
    "JIRA_AUTH_SANDBOX_API_TOKEN",
    "JIRA_AUTH_SANDBOX_DC_SITE",
    "JIRA_AUTH_SANDBOX_DC_CLIENT_ID",
    "JIRA_AUTH_SANDBOX_DC_CLIENT_SECRET",
    "JIRA_AUTH_SANDBOX_DC_PAT",
    "JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_ID",
    "JIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_SECRET",
    "COMPOSIO_BASE_URL",
    "COMPOSIO_API_KEY",
    "JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_ID",
    "JIRA_AUTH_SANDBOX_COMPOSIO_CLIENT_SECRET",
    "JIRA_AUTH_SANDBOX_COMPOSIO_CALLBACK_URL",
];

fn lines(served: &Served) -> String {
    let value = serde_json::to_value(served).expect("strings always serialize");
    ORDER
        .iter()
        .map(|k| format!("{k}={}\n", value[k].as_str().unwrap_or_default()))
        .collect()
}

fn trimmed(url: &str) -> String {
    url.trim_end_matches('/').to_string()
}

/// Resolves on SIGTERM. The handler is installed at once, before the future is polled.
#[cfg(unix)]
fn terminated() -> impl std::future::Future<Output = ()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        match term.as_mut() {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending::<()>().await,
        }
    }
}

/// Windows has no SIGTERM: never resolves (Ctrl-C still stops the sandbox).
#[cfg(not(unix))]
async fn terminated() {
    std::future::pending::<()>().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lines_are_one_per_variable_in_order() {
        let served = Served {
            auth_url: "http://127.0.0.1:1".into(),
            api_url: "http://127.0.0.1:2".into(),
            client_id: "id".into(),
            client_secret: "ATOAs".into(),
            redirect_uri: "http://127.0.0.1:8976/callback".into(),
            site: "http://127.0.0.1:3".into(),
            service_account_id: "sa".into(),
            service_account_secret: "ATSAs".into(),
            email: "ada@example.com".into(),
            api_token: "ATATTt".into(),
            dc_site: "http://127.0.0.1:4/jira".into(),
            dc_client_id: "dcid".into(),
            dc_client_secret: "dcsecret".into(),
            dc_pat: "NjQp".into(),
            dc_service_account_id: "dcsa".into(),
            dc_service_account_secret: "dcsasecret".into(),
            composio_base_url: "http://127.0.0.1:5".into(),
            composio_api_key: "ak_k".into(),
            composio_client_id: "cid2".into(),
            composio_client_secret: "ATOAc".into(),
            composio_callback_url: "http://127.0.0.1:5/api/v3.1/toolkits/auth/callback".into(),
        };
        let text = lines(&served);
        let keys: Vec<&str> = text.lines().map(|l| l.split_once('=').unwrap().0).collect();
        assert_eq!(keys.len(), 21);
        assert_eq!(keys[0], "JIRA_AUTH_AUTH_URL");
        assert!(text.starts_with("JIRA_AUTH_AUTH_URL=http://127.0.0.1:1\n"));
        assert!(text.contains("\nJIRA_AUTH_SANDBOX_API_TOKEN=ATATTt\n"));
        assert!(text.contains("\nJIRA_AUTH_SANDBOX_DC_PAT=NjQp\n"));
        assert!(text.contains("\nJIRA_AUTH_SANDBOX_DC_SERVICE_ACCOUNT_SECRET=dcsasecret\n"));
        assert!(text.contains("\nCOMPOSIO_API_KEY=ak_k\n"));
        assert!(text.ends_with(
            "JIRA_AUTH_SANDBOX_COMPOSIO_CALLBACK_URL=http://127.0.0.1:5/api/v3.1/toolkits/auth/callback\n"
        ));
        assert!(text.contains("\nJIRA_AUTH_SANDBOX_REDIRECT_URI=http://127.0.0.1:8976/callback\n"));
    }
}
