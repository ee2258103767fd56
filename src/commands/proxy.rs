//! `jira-auth proxy [--port [ADDRESS:]N | --socket PATH] [--json] [-- CMD ARGS…]`: the
//! profile's Jira REST API on loopback for programs that run for hours (the server is
//! `crate::proxy`). Each request leaves with the credential `token` would print now, so a
//! program that never refreshes anything (mcp-atlassian, pycontribs `jira`…) keeps working
//! across expiries, and never holds the refresh token or client secret a refresher needs.
//!
//! This thread owns the profile's `Session` and answers the proxy's asks for a credential;
//! a watcher thread of its own turns signals and the command's end into the end of the run.
//! Without CMD the variables are printed in one write (as `sandbox` does) once the signal
//! handlers are in, and SIGINT or SIGTERM stop the proxy with exit code 0. With CMD, it runs
//! as a child (the proxy must outlive no one and serve it meanwhile, so jira-auth cannot
//! become it as `exec` does): signals sent to jira-auth are passed on to it, and its exit
//! status is jira-auth's (128+N after signal N, as a shell says).

use std::net::{IpAddr, SocketAddr};
use std::process::{Command, ExitCode};
use std::sync::mpsc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::shared::child::cannot_start;
use super::{Ctx, Result};
use crate::cli::ProxyArgs;
use crate::error::{CliError, Code};
use crate::net::Http;
use crate::proxy::{Ask, Failure, Fresh, Key, Listener, Own, Running, Want};

/// A renewal forced by an upstream 401 asks for a token valid longer than any lives.
const FORCE: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Variables that would compete with the proxy's key in a client's choice of credential.
const UNSET: &[&str] = &[
    "JIRA_USERNAME",
    "JIRA_CLOUD_ID",
    "JIRA_SITE_URL",
    "JIRA_ACCESS_TOKEN_EXPIRES_AT",
    "JIRA_EMAIL",
];

/// What the run's thread waits for.
enum Event {
    Ask(Ask),
    /// The proxy is to stop, and jira-auth to exit with this code.
    Stop(u8),
}

/// The `--json` document, and what the lines say.
#[derive(Serialize)]
struct Served {
    /// `http://127.0.0.1:PORT`, or `http://localhost` for a socket.
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    socket: Option<String>,
    /// The per-run key clients send as `Authorization: Bearer KEY`.
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<String>,
    /// Where requests go.
    upstream: String,
    /// The variables, in the order of the lines.
    #[serde(serialize_with = "as_object")]
    variables: Vec<(String, String)>,
    /// Variables a client should not see beside these.
    unset: Vec<String>,
}

pub(crate) fn run(ctx: &Ctx, args: ProxyArgs) -> Result<ExitCode> {
    if args.output.json && !args.command.is_empty() {
        return Err(CliError::usage(
            "--json prints the proxy's variables, which a command given after `--` receives in its environment instead: use one or the other",
        ));
    }
    let min_ttl = args.ttl.min_ttl;
    // The profile is checked before anything listens: a profile that cannot give a
    // credential fails here, as `token` would.
    let access = ctx.valid_access(min_ttl)?;
    let upstream = url::Url::parse(&access.api_base_url).map_err(|e| {
        CliError::unexpected(format!(
            "the profile's REST base {} is no URL: {e}",
            access.api_base_url
        ))
    })?;
    let first = Fresh {
        header: access.header(),
        expires_at: access.expires_at,
    };
    let (listener, own, url, socket) = listen(&args)?;
    let _socket_file = socket.as_ref().map(|p| RemoveOnDrop(p.clone()));
    let key = Key::generate();
    let secret = key.secret().clone();
    let client = Http::relay(ctx.settings.http_timeout)?;
    let (events, incoming) = mpsc::channel::<Event>();
    let asks = events.clone();
    let running = Running::start(
        crate::proxy::Config {
            upstream: upstream.clone(),
            own,
            key,
            upstream_timeout: ctx.settings.http_timeout,
            min_ttl,
            client,
        },
        listener,
        Box::new(move |ask| asks.send(Event::Ask(ask)).is_ok()),
    )
    .map_err(|e| CliError::unexpected(format!("cannot start the proxy: {e}")))?;
    let served = Served {
        variables: variables(&url, &secret),
        url,
        socket: socket.map(|p| p.display().to_string()),
        key: secret.expose_secret().to_string(),
        profile: access.profile.clone(),
        upstream: upstream.to_string(),
        unset: UNSET
            .iter()
            .map(|s| s.to_string())
            .chain(ctx.settings.competing.iter().cloned())
            .collect(),
    };
    drop(access);
    let mut first = Some(first);

    let watcher = Watcher::start(events)?;
    match args.command.split_first() {
        None => {
            if args.output.json {
                // A secret (the key) is in it: printed as `token --json` prints its own.
                ctx.ui
                    .print_secret(&SecretString::from(crate::ui::document::text(&served)))?;
            } else {
                ctx.ui.print_secret(&lines(&served))?;
            }
            ctx.ui.say(&format!(
                "jira-auth proxy: serving {} at {}; Ctrl-C stops it.",
                served.upstream, served.url
            ));
        }
        Some((program, rest)) => {
            let mut cmd = Command::new(program);
            cmd.args(rest);
            for (k, v) in &served.variables {
                cmd.env(k, v);
            }
            for k in &served.unset {
                cmd.env_remove(k);
            }
            match &served.profile {
                Some(p) => cmd.env("JIRA_AUTH_PROFILE", p),
                None => cmd.env_remove("JIRA_AUTH_PROFILE"),
            };
            let child = cmd.spawn().map_err(|e| cannot_start(program, &e))?;
            watcher.watch(child);
        }
    }
    drop(served);

    let code = loop {
        match incoming.recv() {
            Ok(Event::Ask(ask)) => {
                let answer = match (first.take(), &ask.want) {
                    // The credential checked at start, for the first request.
                    (Some(fresh), Want::Valid { .. }) => Ok(fresh),
                    _ => answer(ctx, min_ttl, &ask.want),
                };
                let _ = ask.reply.send(answer);
            }
            Ok(Event::Stop(code)) => break code,
            Err(_) => break 0,
        }
    };
    drop(running);
    Ok(ExitCode::from(code))
}

/// A credential for the proxy, through the same path as `token`'s.
fn answer(ctx: &Ctx, min_ttl: Duration, want: &Want) -> std::result::Result<Fresh, Failure> {
    let access = match want {
        Want::Valid { min_ttl } => ctx.valid_access(*min_ttl),
        Want::Replace { rejected } => ctx.valid_access(min_ttl).and_then(|a| {
            // Another process may have renewed already: no need to spend a refresh.
            if a.header().expose_secret() == rejected.expose_secret() {
                ctx.valid_access(FORCE)
            } else {
                Ok(a)
            }
        }),
    };
    match access {
        Ok(a) => Ok(Fresh {
            header: a.header(),
            expires_at: a.expires_at,
        }),
        Err(e) => {
            for line in e.lines() {
                tracing::info!("{line}");
            }
            Err(Failure {
                code: e.code().as_str(),
                message: e.message(),
                hints: e.hints().to_vec(),
            })
        }
    }
}

fn as_object<S: serde::Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_map(pairs.iter().map(|(k, v)| (k, v)))
}

/// The variables a client reads, in their order.
fn variables(url: &str, key: &SecretString) -> Vec<(String, String)> {
    let key = key.expose_secret();
    [
        ("JIRA_URL", url.to_string()),
        ("JIRA_API_BASE_URL", url.to_string()),
        ("JIRA_PERSONAL_TOKEN", key.to_string()),
        ("JIRA_API_TOKEN", key.to_string()),
        ("JIRA_AUTH_TYPE", "bearer".to_string()),
        ("JIRA_ACCESS_TOKEN", key.to_string()),
        ("JIRA_AUTH_HEADER", format!("Bearer {key}")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// `KEY=VALUE` lines a shell can source (`set -a; . ./file`): the one value with a space is
/// single-quoted; the others are URLs, the key (base64url) and a word.
fn lines(served: &Served) -> SecretString {
    let mut text = String::new();
    for (k, v) in &served.variables {
        if v.contains(' ') {
            text.push_str(&format!("{k}='{v}'\n"));
        } else {
            text.push_str(&format!("{k}={v}\n"));
        }
    }
    if let Some(socket) = &served.socket {
        text.push_str(&format!("JIRA_AUTH_PROXY_SOCKET={socket}\n"));
    }
    SecretString::from(text)
}

/// The listener `--port` or `--socket` asks for, the proxy's own names, its URL, and the
/// socket's path.
fn listen(args: &ProxyArgs) -> Result<(Listener, Own, String, Option<std::path::PathBuf>)> {
    if let Some(path) = &args.socket {
        return socket(path);
    }
    let addr = loopback(args.port.as_deref())?;
    let listener = std::net::TcpListener::bind(addr).map_err(|e| {
        CliError::new(
            Code::PortUnavailable,
            format!("cannot listen on {addr}: {e}"),
        )
        .hint("choose another --port, or leave it out for a free one")
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::unexpected(format!("the proxy's address: {e}")))?;
    Ok((
        Listener::Tcp(listener),
        Own::tcp(addr),
        format!("http://{addr}"),
        None,
    ))
}

/// `--port`: `N`, `ADDRESS:N` or `[ADDRESS]:N`, of a loopback address only.
fn loopback(port: Option<&str>) -> Result<SocketAddr> {
    let Some(text) = port.map(str::trim) else {
        return Ok(SocketAddr::from(([127, 0, 0, 1], 0)));
    };
    let addr = if let Ok(n) = text.parse::<u16>() {
        SocketAddr::from(([127, 0, 0, 1], n))
    } else if let Some(n) = text.strip_prefix("localhost:") {
        let n = n.parse::<u16>().map_err(|_| port_usage(text))?;
        SocketAddr::from(([127, 0, 0, 1], n))
    } else {
        text.parse::<SocketAddr>().map_err(|_| port_usage(text))?
    };
    if !is_loopback(addr.ip()) {
        return Err(CliError::usage(format!(
            "--port {text}: {} is not a loopback address; the proxy hands out your Jira credential to whoever reaches it, so it listens on this machine only",
            addr.ip()
        ))
        .hint("give a port alone (127.0.0.1), or an address of 127.0.0.0/8 or ::1"));
    }
    Ok(addr)
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

fn port_usage(text: &str) -> CliError {
    CliError::usage(format!(
        "--port {text}: not a port (1-65535) or ADDRESS:PORT"
    ))
}

/// A Unix socket at `path`: its directory made 0700 (or already the user's alone), the
/// socket 0600, a stale socket left by a killed proxy replaced.
#[cfg(unix)]
fn socket(path: &std::path::Path) -> Result<(Listener, Own, String, Option<std::path::PathBuf>)> {
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, PermissionsExt as _};
    let shown = path.display();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| {
                CliError::usage(format!(
                    "--socket {shown}: cannot create its directory: {e}"
                ))
            })?;
    }
    let meta = std::fs::metadata(&dir)
        .map_err(|e| CliError::usage(format!("--socket {shown}: its directory: {e}")))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me || meta.mode() & 0o077 != 0 {
        return Err(CliError::usage(format!(
            "--socket {shown}: its directory {} can be entered by other users (mode {:o}) or is not yours; the socket would hand them your Jira credential",
            dir.display(),
            meta.mode() & 0o777
        ))
        .hint("put the socket in a directory only you can enter: `mkdir -m 700 DIR`, or a path under $XDG_RUNTIME_DIR"));
    }
    if let Ok(existing) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt as _;
        let stale = existing.file_type().is_socket()
            && std::os::unix::net::UnixStream::connect(path).is_err();
        if !stale {
            return Err(CliError::usage(format!(
                "--socket {shown}: something is already there (a proxy that is running, or a file)"
            ))
            .hint("stop the other proxy, or choose another path"));
        }
        let _ = std::fs::remove_file(path);
    }
    let listener = std::os::unix::net::UnixListener::bind(path)
        .map_err(|e| CliError::usage(format!("--socket {shown}: cannot listen there: {e}")))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| CliError::unexpected(format!("--socket {shown}: mode 0600: {e}")))?;
    Ok((
        Listener::Unix(listener),
        Own::socket(),
        "http://localhost".to_string(),
        Some(path.to_path_buf()),
    ))
}

#[cfg(not(unix))]
fn socket(_: &std::path::Path) -> Result<(Listener, Own, String, Option<std::path::PathBuf>)> {
    Err(CliError::usage(
        "--socket needs a Unix socket, which this system's proxy does not offer: use --port",
    ))
}

/// The socket file goes with the proxy.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Signals, and the command's end, turned into [`Event::Stop`]; on a thread of its own,
/// with a runtime of its own (this thread's runtime serves the profile's renewals).
struct Watcher {
    child: mpsc::Sender<std::process::Child>,
}

impl Watcher {
    /// Returns once the signal handlers are in.
    fn start(events: mpsc::Sender<Event>) -> Result<Watcher> {
        let (child_tx, child_rx) = mpsc::channel::<std::process::Child>();
        let (ready_tx, ready_rx) = mpsc::channel::<std::io::Result<()>>();
        std::thread::Builder::new()
            .name("jira-auth-proxy-signals".into())
            .spawn(move || watch(events, child_rx, ready_tx))
            .map_err(|e| CliError::unexpected(format!("cannot start the signal watcher: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| CliError::unexpected("the signal watcher stopped"))?
            .map_err(|e| CliError::unexpected(format!("cannot watch signals: {e}")))?;
        Ok(Watcher { child: child_tx })
    }

    fn watch(self, child: std::process::Child) {
        let _ = self.child.send(child);
    }
}

/// The signals a supervisor or a terminal sends that the command should get.
#[cfg(unix)]
const PASSED_ON: &[i32] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

fn watch(
    events: mpsc::Sender<Event>,
    child: mpsc::Receiver<std::process::Child>,
    ready: mpsc::Sender<std::io::Result<()>>,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    runtime.block_on(async move {
        let mut signals = match Signals::install() {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        // The child, when the command has one: it is given once the lines are out or it
        // has started; until then, a stopping signal ends the run.
        let (exited_tx, mut exited) = tokio::sync::oneshot::channel::<u8>();
        let (pid_tx, mut pid_rx) = tokio::sync::oneshot::channel::<u32>();
        std::thread::spawn(move || {
            if let Ok(mut c) = child.recv() {
                let _ = pid_tx.send(c.id());
                let code = c.wait().map_or(1, |status| exit_code(&status));
                let _ = exited_tx.send(code);
            }
        });
        let mut pid: Option<u32> = None;
        loop {
            tokio::select! {
                got = &mut pid_rx, if pid.is_none() => match got {
                    Ok(p) => pid = Some(p),
                    Err(_) => { std::future::pending::<()>().await; }
                },
                code = &mut exited => {
                    let _ = events.send(Event::Stop(code.unwrap_or(1)));
                    return;
                }
                signal = signals.next() => match pid {
                    Some(p) => pass_on(p, signal),
                    None if stops(signal) => {
                        let _ = events.send(Event::Stop(0));
                        return;
                    }
                    None => {}
                },
            }
        }
    });
}

/// 128+N after signal N, as a shell reports it; the code itself otherwise.
fn exit_code(status: &std::process::ExitStatus) -> u8 {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt as _;
        if let Some(signal) = status.signal() {
            return 128u8.saturating_add(u8::try_from(signal).unwrap_or(127));
        }
    }
    status.code().map_or(1, |c| c as u8)
}

/// The signals of [`PASSED_ON`], as they come.
#[cfg(unix)]
struct Signals(Vec<(i32, tokio::signal::unix::Signal)>);

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        PASSED_ON
            .iter()
            .map(|n| Ok((*n, signal(SignalKind::from_raw(*n))?)))
            .collect::<std::io::Result<Vec<_>>>()
            .map(Signals)
    }

    async fn next(&mut self) -> i32 {
        let polls = self.0.iter_mut().map(|(n, s)| {
            let n = *n;
            Box::pin(async move {
                s.recv().await;
                n
            })
        });
        futures_select_all(polls).await
    }
}

/// The first of `futures` to finish (a tiny `select_all`: no futures crate for one call).
#[cfg(unix)]
async fn futures_select_all<F: std::future::Future<Output = i32> + Unpin>(
    futures: impl Iterator<Item = F>,
) -> i32 {
    let mut futures: Vec<F> = futures.collect();
    std::future::poll_fn(move |cx| {
        for f in &mut futures {
            if let std::task::Poll::Ready(n) = std::pin::Pin::new(f).poll(cx) {
                return std::task::Poll::Ready(n);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

#[cfg(unix)]
fn stops(signal: i32) -> bool {
    matches!(signal, libc::SIGINT | libc::SIGTERM | libc::SIGHUP)
}

#[cfg(unix)]
fn pass_on(pid: u32, signal: i32) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill has no memory-safety preconditions; the pid is our child's, which we
    // have not reaped yet (the waiting thread reaps it only once it exits).
    unsafe {
        libc::kill(pid, signal);
    }
}

/// Windows: Ctrl-C reaches the whole console, the command included; nothing to pass on.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> i32 {
        let _ = tokio::signal::ctrl_c().await;
        2
    }
}

#[cfg(not(unix))]
fn stops(_: i32) -> bool {
    true
}

#[cfg(not(unix))]
fn pass_on(_: u32, _: i32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_are_listened_on() {
        assert_eq!(loopback(None).unwrap().to_string(), "127.0.0.1:0");
        assert_eq!(
            loopback(Some("8088")).unwrap().to_string(),
            "127.0.0.1:8088"
        );
        assert_eq!(
            loopback(Some("127.0.0.2:9")).unwrap().to_string(),
            "127.0.0.2:9"
        );
        assert_eq!(loopback(Some("[::1]:9")).unwrap().to_string(), "[::1]:9");
        assert_eq!(
            loopback(Some("localhost:9")).unwrap().to_string(),
            "127.0.0.1:9"
        );
        for refused in ["0.0.0.0:9", "192.168.1.2:9", "[::]:9", "example.com:9", "x"] {
            let e = loopback(Some(refused)).unwrap_err();
            assert_eq!(e.exit().code(), 2, "{refused}");
        }
    }

    #[test]
    fn the_lines_quote_the_one_value_with_a_space() {
        let key = SecretString::from("k".repeat(43));
        let served = Served {
            variables: variables("http://127.0.0.1:1", &key),
            url: "http://127.0.0.1:1".into(),
            socket: None,
            key: "k".repeat(43),
            profile: None,
            upstream: "https://api.example/ex/jira/c".into(),
            unset: Vec::new(),
        };
        let text = lines(&served);
        let text = text.expose_secret();
        assert!(text.starts_with("JIRA_URL=http://127.0.0.1:1\nJIRA_API_BASE_URL="));
        assert!(text.ends_with(&format!("JIRA_AUTH_HEADER='Bearer {}'\n", "k".repeat(43))));
        assert_eq!(text.lines().count(), 7);
    }
}
