//! The test environment builder: an emulator with a registered app, a private config dir,
//! a unique profile and callback port, and the real `jira-auth` binary run against them.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::browser;
use super::emulator::{Client, Emulator, Site};

pub const CLIENT_ID: &str = "JiraAuthTestClient0123456789abcd";
pub const SITE_ID: &str = "1324a887-45db-1bf4-1e99-ef0ff456d421";
/// Scopes ticked for the default test app in the emulated console.
pub const TICKED: &[&str] = &[
    "read:jira-work",
    "read:jira-user",
    "write:jira-work",
    "read:me",
];

/// A run of the binary: exit code and what it printed.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

pub struct TestEnv {
    pub emu: Emulator,
    pub dir: TempDir,
    pub profile: String,
    pub port: u16,
    /// The client secret registered in the emulator (random per test).
    pub secret: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

impl TestEnv {
    /// An emulator with one registered app (callback on a free port) and one site.
    pub fn new() -> TestEnv {
        let emu = Emulator::start();
        let port = free_port();
        let secret = format!("ATOA{}", random_hex(24));
        emu.register_client(Client::new(
            CLIENT_ID,
            secret.as_str(),
            &format!("http://127.0.0.1:{port}/callback"),
            TICKED,
        ));
        emu.set_sites(vec![Site::new(
            SITE_ID,
            "acme",
            "https://acme.atlassian.net",
        )]);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        TestEnv {
            emu,
            dir: tempfile::tempdir().expect("temp dir"),
            // Unique per test and per run: the Secret Service is shared by the whole suite.
            profile: format!("t{}-{n}-{}", std::process::id(), random_hex(4)),
            port,
            secret,
        }
    }

    /// Ticks `extra` scopes for the test app too, as a developer would in the console.
    pub fn tick(&self, extra: &[&str]) {
        let ticked: Vec<&str> = TICKED.iter().chain(extra).copied().collect();
        self.emu.register_client(Client::new(
            CLIENT_ID,
            self.secret.as_str(),
            &self.redirect_uri(),
            &ticked,
        ));
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn browser_log(&self) -> PathBuf {
        self.dir.path().join("browser.jsonl")
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/callback", self.port)
    }

    /// `jira-auth` with an environment that points only at this test's world.
    pub fn cmd(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jira-auth"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("JIRA_AUTH_")
                || k == "BROWSER"
                || k == "DISPLAY"
                || k == "WAYLAND_DISPLAY"
            {
                cmd.env_remove(&k);
            }
        }
        cmd.env("JIRA_AUTH_CONFIG_DIR", self.config_dir())
            .env("JIRA_AUTH_AUTH_URL", self.emu.auth_url())
            .env("JIRA_AUTH_API_URL", self.emu.api_url())
            .env("JIRA_AUTH_PROFILE", &self.profile)
            .env("BROWSER", browser::browser_env_value())
            .env(browser::LOG_ENV, self.browser_log())
            .env("NO_COLOR", "1")
            // A UTF-8 locale whatever the machine's, so marks like ✓ are predictable; tests
            // of the ASCII fallback set LANG=C themselves.
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env("LANG", "C.UTF-8");
        cmd
    }

    /// Runs `jira-auth ARGS…` in this world.
    pub fn jira(&self, args: &[&str]) -> Run {
        let mut cmd = self.cmd();
        cmd.args(args);
        run(cmd)
    }

    /// A world with a profile already set up by `init --preset read-only` (read:jira-work,
    /// read:jira-user, read:me and offline_access) in the real keychain.
    pub fn with_profile() -> TestEnv {
        require_secret_service();
        let env = TestEnv::new();
        run(env.init()).assert_code(0);
        env
    }

    /// `init` with every value given by flag or env, as a script would.
    pub fn init(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.args([
            "init",
            "--no-input",
            "--client-id",
            CLIENT_ID,
            "--preset",
            "read-only",
        ])
        .args(["--port", &self.port.to_string()])
        // By env, so that a test can still pass its own --timeout.
        .env("JIRA_AUTH_TIMEOUT", "20")
        .env("JIRA_AUTH_CLIENT_SECRET", &self.secret);
        cmd
    }

    pub fn browser_entries(&self) -> Vec<Value> {
        browser::read_browser_log(self.browser_log())
    }

    /// Every secret this test world holds: the client secret and everything the emulator
    /// issued. None may ever appear in output or in files outside the store.
    pub fn secrets(&self) -> Vec<String> {
        let mut all = self.emu.issued_secrets();
        all.push(self.secret.clone());
        all
    }

    #[track_caller]
    pub fn assert_no_secret_in(&self, what: &str, text: &str) {
        for s in self.secrets() {
            assert!(!text.contains(&s), "a secret leaked into {what}:\n{text}");
        }
    }

    /// Asserts no secret in the run's output, nor in any file under the test dir except the
    /// file store's credentials (which is where secrets belong with --store file).
    #[track_caller]
    pub fn assert_no_leaks(&self, run: &Run) {
        self.assert_no_secret_in("stdout", &run.stdout);
        self.assert_no_secret_in("stderr", &run.stderr);
        let creds = self.config_dir().join("credentials");
        for path in walk(self.dir.path()) {
            if path.starts_with(&creds) {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap_or_default();
            self.assert_no_secret_in(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
            );
        }
    }

    /// The profile's item in the real Secret Service, read with libsecret's own tool.
    pub fn keychain_item(&self) -> Option<Value> {
        require_secret_service();
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "jira-auth", "username", &self.profile])
            .output()
            .expect("secret-tool runs");
        if !out.status.success() || out.stdout.is_empty() {
            return None;
        }
        Some(serde_json::from_slice(&out.stdout).expect("the keychain item is JSON"))
    }
}

/// The kernel-keyring cache tests need keyutils in the user keyring, which scripts/test.sh
/// checks before it sets this.
#[track_caller]
pub fn require_keyutils() {
    assert_eq!(
        std::env::var("JIRA_AUTH_TEST_KEYUTILS").as_deref(),
        Ok("1"),
        "this test needs keyutils (keyctl add … @u) to work: run the suite with scripts/test.sh, outside a container that filters keyctl"
    );
}

/// The keychain tests need the throwaway Secret Service that scripts/test.sh starts.
#[track_caller]
pub fn require_secret_service() {
    assert_eq!(
        std::env::var("JIRA_AUTH_TEST_SECRET_SERVICE").as_deref(),
        Ok("1"),
        "this test needs a real Secret Service: run the suite with scripts/test.sh"
    );
}

/// Runs `cmd` to completion with `stdin` fed in, killing it (and failing) after `limit`, so
/// that a hang is a clear failure instead of a stuck suite.
pub fn run_with(mut cmd: Command, stdin: Option<&str>, limit: Duration) -> Run {
    // No stdin unless given: a command that tried to prompt would then fail, not hang.
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("jira-auth starts");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(input.as_bytes()).unwrap();
    }
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "jira-auth did not finish within {limit:?}\n--- stderr\n{}",
                t_err.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

pub fn run(cmd: Command) -> Run {
    run_with(cmd, None, Duration::from_secs(60))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

pub fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(out.len());
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out.truncate(bytes * 2);
    out
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
