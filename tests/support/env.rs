//! The test environment: [`TestEnv::builder`] describes a test's world (an emulator with the
//! test app registered, its sites, and maybe a profile already set up), each with a private
//! config dir, a unique profile name and callback port; [`TestEnv::jira`] and friends run the
//! real `jira-auth` binary against it.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use super::browser;
use super::emulator::{
    ApiToken, Client, Emulator, Endpoint, ServiceAccount, Site, TokenKind, USER_EMAIL,
};
use jira_auth_emulator::datacenter::{DataCenter, Link};

pub const CLIENT_ID: &str = "JiraAuthTestClient0123456789abcd";
/// The client id of the service account every world has (admin.atlassian.com's credential).
pub const SA_CLIENT_ID: &str = "JiraAuthServiceAccount0123456789";
/// The scopes chosen for that service account's credential.
pub const SA_SCOPES: &[&str] = &["read:jira-work", "read:jira-user", "write:jira-work"];
pub const SITE_ID: &str = "1324a887-45db-1bf4-1e99-ef0ff456d421";
/// The client id of the Data Center world's incoming application link.
pub const DC_CLIENT_ID: &str = "5f0c6a8e9d2b4c1a8e7f6d5c4b3a2910";
/// The client id of the Data Center world's service account, and the user it acts as.
pub const DC_SA_CLIENT_ID: &str = "9a8b7c6d5e4f30211203f4e5d6c7b8a9";
pub const DC_SA_NAME: &str = "ci-bot";
/// Scopes ticked for the default test app in the emulated console.
pub const TICKED: &[&str] = &[
    "read:jira-work",
    "read:jira-user",
    "write:jira-work",
    "read:me",
];

/// A run of the binary: what was run, its exit code and what it printed.
#[derive(Debug)]
pub struct Run {
    /// The arguments and the environment the test set on top of [`TestEnv::cmd`]'s, as a
    /// shell would show them (for snapshots: see `screen.rs`).
    pub command: String,
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

    /// Asserts that stderr says `text`.
    #[track_caller]
    pub fn assert_says(&self, text: &str) -> &Run {
        assert!(
            self.stderr.contains(text),
            "stderr does not say {text:?}:\n{}",
            self.stderr
        );
        self
    }

    /// Asserts a failure in JSON mode with no report: exit code `exit`, and on stdout the
    /// error document alone, `{"schema_version": 1, "error": {"code", "message", "hints"}}`,
    /// of code `code`.
    #[track_caller]
    pub fn assert_error(&self, exit: i32, code: &str) -> &Run {
        self.assert_code(exit);
        let doc = self.json();
        let keys: Vec<&String> = doc.as_object().expect("a JSON object").keys().collect();
        assert_eq!(keys, ["error", "schema_version"], "{}", self.stdout);
        assert_error_document(&doc, code);
        self
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

/// Asserts that `doc` is a document of version 1 with an `error` of code `code`: a message,
/// and hints that are strings.
#[track_caller]
pub fn assert_error_document(doc: &Value, code: &str) {
    assert_eq!(doc["schema_version"], 1, "{doc}");
    let error = &doc["error"];
    assert_eq!(error["code"], code, "{doc}");
    let keys: Vec<&String> = error.as_object().expect("an error object").keys().collect();
    assert_eq!(keys, ["code", "hints", "message"], "{doc}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{doc}"
    );
    assert!(
        error["hints"]
            .as_array()
            .is_some_and(|h| h.iter().all(Value::is_string)),
        "{doc}"
    );
}

pub struct TestEnv {
    pub emu: Emulator,
    pub dir: TempDir,
    pub profile: String,
    pub port: u16,
    /// The client secret registered in the emulator (random per test).
    pub secret: String,
    /// The service account's client secret ([`SA_CLIENT_ID`]).
    pub sa_secret: String,
    /// The user's classic API token (the site takes it) and scoped one (only the gateway
    /// does), for [`USER_EMAIL`].
    pub classic_token: String,
    pub scoped_token: String,
    /// The own host of the world's first site (`https://acme.atlassian.net` of a real one).
    pub site_url: String,
    /// A Jira Data Center instance, when the builder asked for one
    /// ([`TestEnvBuilder::data_center`]), with its link's secret and the user's PAT.
    pub dc: Option<DataCenter>,
    pub dc_secret: String,
    pub dc_pat: String,
    /// The client secret of the Data Center instance's service account ([`DC_SA_CLIENT_ID`]).
    pub dc_sa_secret: String,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A site as the tests name them: `https://NAME.atlassian.net`, with cloud id `id`.
pub fn site(name: &str, id: &str) -> Site {
    Site::new(id, name, format!("https://{name}.atlassian.net"))
}

/// Where the profile a [`TestEnvBuilder`] sets up is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Store {
    Keychain,
    File,
}

/// The world a test starts from, in the spirit of just's `Test::new().arg(…).run()`:
///
/// ```ignore
/// let env = TestEnv::builder()
///     .sites([site("acme", SITE_ID), site("beta", BETA_ID)])
///     .also_ticked(&[NEW_SCOPE])
///     .profile_in_file_store()
///     .due_for_refresh()
///     .build();
/// ```
///
/// Without a profile it is an emulator with the test app registered (callback on a free port,
/// [`TICKED`] ticked) and one site, `acme`; with one, that profile was set up by a scripted
/// `init` (`--preset read-only` unless [`TestEnvBuilder::scopes`] says otherwise).
#[must_use]
pub struct TestEnvBuilder {
    sites: Vec<Site>,
    also_ticked: Vec<String>,
    access_token_ttl: Option<u64>,
    reuse_interval: Option<u64>,
    profile: Option<Store>,
    scopes: Option<String>,
    init_args: Vec<String>,
    due_for_refresh: bool,
    data_center: Option<String>,
}

impl TestEnvBuilder {
    /// A Jira Data Center instance too, under `context` (`/jira`, or `""`): an incoming
    /// application link for [`DC_CLIENT_ID`] with this world's callback and permission WRITE,
    /// and a personal access token of its user ([`TestEnv::dc_pat`]).
    pub fn data_center(mut self, context: &str) -> Self {
        self.data_center = Some(context.to_string());
        self
    }

    /// The sites the grant covers (accessible-resources), instead of `acme` alone.
    pub fn sites(mut self, sites: impl IntoIterator<Item = Site>) -> Self {
        self.sites = sites.into_iter().collect();
        self
    }

    /// Ticks these scopes for the test app too, beside [`TICKED`], as a developer would in
    /// the console.
    pub fn also_ticked(mut self, scopes: &[&str]) -> Self {
        self.also_ticked
            .extend(scopes.iter().map(|s| s.to_string()));
        self
    }

    /// `expires_in` of every access token the emulator issues, the profile's included.
    pub fn access_token_ttl(mut self, secs: u64) -> Self {
        self.access_token_ttl = Some(secs);
        self
    }

    /// How long a rotated refresh token keeps working at the emulator; 0 is strict: any
    /// reuse of a rotated refresh token revokes the whole family.
    pub fn reuse_interval(mut self, secs: u64) -> Self {
        self.reuse_interval = Some(secs);
        self
    }

    /// A profile set up by `init` in the real Secret Service (the test then needs one: see
    /// [`require_secret_service`]).
    pub fn with_profile(mut self) -> Self {
        self.profile = Some(Store::Keychain);
        self
    }

    /// A profile set up by `init --store file`: no keychain needed, and the test can read
    /// and edit what is stored ([`TestEnv::stored`], [`TestEnv::edit_stored`]).
    pub fn profile_in_file_store(mut self) -> Self {
        self.profile = Some(Store::File);
        self
    }

    /// The profile's init asks for `--scopes LIST` instead of `--preset read-only`.
    pub fn scopes(mut self, list: &str) -> Self {
        self.scopes = Some(list.to_string());
        self
    }

    /// More arguments for the profile's `init` (`--site beta`, `--profile work`…).
    pub fn init_args(mut self, args: &[&str]) -> Self {
        self.init_args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// The profile's stored access token is due for refresh: it has 30 s left, under the
    /// default --min-ttl of 60 s. (A token issued with ttl 0 cannot be used: init's own
    /// accessible-resources call would be refused.) Later tokens live an hour, or
    /// [`Self::access_token_ttl`].
    pub fn due_for_refresh(mut self) -> Self {
        self.due_for_refresh = true;
        self
    }

    pub fn build(self) -> TestEnv {
        if self.profile == Some(Store::Keychain) {
            require_secret_service();
        }
        let emu = Emulator::start();
        let port = free_port();
        let secret = format!("ATOA{}", random_hex(24));
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let site_url = emu.site_url(self.sites.first().map_or("none", |s| s.id.as_str()));
        let env = TestEnv {
            emu,
            dir: tempfile::tempdir().expect("temp dir"),
            // Unique per test and per run: the Secret Service is shared by the whole suite.
            profile: format!("t{}-{n}-{}", std::process::id(), random_hex(4)),
            port,
            secret,
            sa_secret: format!("ATSA{}", random_hex(24)),
            classic_token: format!("ATATT{}", random_hex(20)),
            scoped_token: format!("ATATT{}", random_hex(24)),
            site_url,
            dc: self.data_center.as_deref().map(DataCenter::start),
            dc_secret: random_hex(32),
            dc_pat: format!("NjQ{}", random_hex(20)),
            dc_sa_secret: random_hex(40),
        };
        if let Some(dc) = &env.dc {
            dc.create_link(Link {
                client_id: DC_CLIENT_ID.into(),
                client_secret: env.dc_secret.clone(),
                redirect_uri: env.redirect_uri(),
                permission: "WRITE".into(),
            });
            dc.add_pat(&env.dc_pat);
            dc.create_service_account(jira_auth_emulator::datacenter::ServiceAccount {
                client_id: DC_SA_CLIENT_ID.into(),
                client_secret: env.dc_sa_secret.clone(),
                name: DC_SA_NAME.into(),
            });
        }
        env.emu.register_service_account(ServiceAccount::new(
            SA_CLIENT_ID,
            &env.sa_secret,
            SA_SCOPES,
        ));
        for (token, kind) in [
            (&env.classic_token, TokenKind::Classic),
            (
                &env.scoped_token,
                TokenKind::Scoped(vec!["read:jira-work".into(), "read:jira-user".into()]),
            ),
        ] {
            env.emu.register_api_token(ApiToken {
                email: USER_EMAIL.into(),
                token: token.clone(),
                kind,
            });
        }
        let ticked: Vec<&str> = TICKED
            .iter()
            .copied()
            .chain(self.also_ticked.iter().map(String::as_str))
            .collect();
        env.emu.register_client(Client::new(
            CLIENT_ID,
            env.secret.as_str(),
            &env.redirect_uri(),
            &ticked,
        ));
        env.emu.set_sites(self.sites);
        if let Some(secs) = self.access_token_ttl {
            env.emu.set_access_token_ttl(secs);
        }
        if let Some(secs) = self.reuse_interval {
            env.emu.set_reuse_interval(secs);
        }
        if let Some(store) = self.profile {
            if self.due_for_refresh {
                env.emu.set_access_token_ttl(30);
            }
            let mut init = match &self.scopes {
                Some(list) => env.init_scopes(list),
                None => env.init(),
            };
            if store == Store::File {
                init.args(["--store", "file"]);
            }
            init.args(&self.init_args);
            run(init).assert_code(0);
            assert_eq!(
                env.emu.hits(Endpoint::Token),
                1,
                "the profile's init exchanged its code once"
            );
            if self.due_for_refresh {
                env.emu
                    .set_access_token_ttl(self.access_token_ttl.unwrap_or(3600));
            }
        } else {
            assert!(
                self.scopes.is_none() && self.init_args.is_empty() && !self.due_for_refresh,
                "scopes, init_args and due_for_refresh describe a profile: add with_profile() or profile_in_file_store()"
            );
        }
        env
    }
}

impl TestEnv {
    /// A world to be described further: see [`TestEnvBuilder`].
    pub fn builder() -> TestEnvBuilder {
        TestEnvBuilder {
            sites: vec![site("acme", SITE_ID)],
            also_ticked: Vec::new(),
            access_token_ttl: None,
            reuse_interval: None,
            profile: None,
            scopes: None,
            init_args: Vec::new(),
            due_for_refresh: false,
            data_center: None,
        }
    }

    /// An emulator with one registered app (callback on a free port) and one site; no profile.
    pub fn new() -> TestEnv {
        TestEnv::builder().build()
    }

    /// A world with a profile already set up by `init --preset read-only` (read:jira-work,
    /// read:jira-user, read:me and offline_access) in the real keychain.
    pub fn with_profile() -> TestEnv {
        TestEnv::builder().with_profile().build()
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

    /// `jira-auth` with an environment that points only at this test's world. The binary is
    /// this build's, or the one `JIRA_AUTH_TEST_BIN` names: a test of a fix must fail
    /// against the build before it.
    pub fn cmd(&self) -> Command {
        let bin = std::env::var_os("JIRA_AUTH_TEST_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_jira-auth").into());
        let mut cmd = Command::new(bin);
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
            .env("LANG", "C.UTF-8")
            // clap wraps --help to $COLUMNS when stdout is no terminal.
            .env_remove("COLUMNS");
        cmd
    }

    /// Runs `jira-auth ARGS…` in this world.
    pub fn jira(&self, args: &[&str]) -> Run {
        let mut cmd = self.cmd();
        cmd.args(args);
        run(cmd)
    }

    /// `init` with every value given by flag or env, as a script would: `--preset read-only`.
    pub fn init(&self) -> Command {
        let mut cmd = self.init_without_scopes();
        cmd.args(["--preset", "read-only"]);
        cmd
    }

    /// As [`Self::init`], with `--scopes LIST` instead of the preset.
    pub fn init_scopes(&self, list: &str) -> Command {
        let mut cmd = self.init_without_scopes();
        cmd.args(["--scopes", list]);
        cmd
    }

    fn init_without_scopes(&self) -> Command {
        let mut cmd = self.cmd();
        cmd.args(["init", "--no-input", "--client-id", CLIENT_ID])
            .args(["--port", &self.port.to_string()])
            // By env, so that a test can still pass its own --timeout.
            .env("JIRA_AUTH_TIMEOUT", "20")
            .env("JIRA_AUTH_CLIENT_SECRET", &self.secret);
        cmd
    }

    /// Runs [`Self::init`] with `extra` arguments.
    pub fn init_with(&self, extra: &[&str]) -> Run {
        let mut cmd = self.init();
        cmd.args(extra);
        run(cmd)
    }

    /// The file store's credentials of the test profile.
    pub fn credentials_path(&self) -> PathBuf {
        self.config_dir()
            .join("credentials")
            .join(format!("{}.json", self.profile))
    }

    /// What the file store holds for the test profile.
    pub fn stored(&self) -> Value {
        let path = self.credentials_path();
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        serde_json::from_str(&text).expect("the credentials file is JSON")
    }

    /// Applies `edit` to what the file store holds for the test profile. (Written in place:
    /// the file keeps its 0600 mode.)
    pub fn edit_stored(&self, edit: impl FnOnce(&mut Value)) {
        let mut cfg = self.stored();
        edit(&mut cfg);
        std::fs::write(
            self.credentials_path(),
            serde_json::to_string(&cfg).unwrap(),
        )
        .unwrap();
    }

    /// Records `auth` and `api` as the servers profile `name` was made with, in the index,
    /// which every command checks before it sends anything of a profile: for a test that
    /// moves Atlassian to a broken or scripted server under an existing profile (a profile's
    /// secrets go only to its own servers, so the endpoint variables alone are refused).
    pub fn record_servers(&self, name: &str, auth: &str, api: &str) {
        let path = self.config_dir().join("profiles.json");
        let mut index: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let site = &mut index["profiles"][name]["site"];
        assert!(site.is_object(), "no profile {name} in {index}");
        site["servers"] = serde_json::json!({"auth": auth, "api": api});
        std::fs::write(&path, serde_json::to_string(&index).unwrap()).unwrap();
    }

    pub fn browser_entries(&self) -> Vec<Value> {
        browser::read_browser_log(self.browser_log())
    }

    /// Every secret this test world holds: the client secret and everything the emulator
    /// issued. None may ever appear in output or in files outside the store.
    pub fn secrets(&self) -> Vec<String> {
        let mut all = self.emu.issued_secrets();
        all.push(self.secret.clone());
        all.extend(self.emu.registered_secrets());
        if let Some(dc) = &self.dc {
            all.extend(dc.secrets());
            all.push(self.dc_pat.clone());
            all.push(self.dc_secret.clone());
            all.push(self.dc_sa_secret.clone());
        }
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
        let text = secret_tool_lookup(&self.keychain_account())?;
        Some(serde_json::from_str(&text).expect("the keychain item is JSON"))
    }

    /// The keychain account of the test profile: `PROFILE@NAMESPACE`, the namespace naming
    /// this world's config dir. Computed here as documented (FNV-1a 64 of the canonical
    /// path, in hex), not with jira-auth's code: a change to it would orphan every stored
    /// item, and must fail a test.
    pub fn keychain_account(&self) -> String {
        format!("{}@{}", self.profile, namespace(&self.config_dir()))
    }

    /// The description of the test profile's access token in the kernel keyring (the same
    /// namespace as the keychain's).
    pub fn cache_description(&self) -> String {
        format!(
            "jira-auth:v1:{}:{}",
            namespace(&self.config_dir()),
            self.profile
        )
    }
}

/// The namespace of `config_dir` (see [`TestEnv::keychain_account`]).
pub fn namespace(config_dir: &std::path::Path) -> String {
    let canonical = match std::fs::canonicalize(config_dir) {
        Ok(p) => p,
        Err(_) => std::fs::canonicalize(config_dir.parent().unwrap())
            .unwrap()
            .join(config_dir.file_name().unwrap()),
    };
    let hash = canonical
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    format!("{hash:016x}")
}

/// The keychain item of `account` (service jira-auth), read with libsecret's own tool.
pub fn secret_tool_lookup(account: &str) -> Option<String> {
    require_secret_service();
    let out = Command::new("secret-tool")
        .args(["lookup", "service", "jira-auth", "username", account])
        .output()
        .expect("secret-tool runs");
    (out.status.success() && !out.stdout.is_empty())
        .then(|| String::from_utf8(out.stdout).expect("the keychain item is UTF-8"))
}

/// Stores `value` as the keychain item of `account` (service jira-auth), with libsecret's tool.
pub fn secret_tool_store(account: &str, value: &str) {
    require_secret_service();
    let mut child = Command::new("secret-tool")
        .args(["store", "--label", "jira-auth test"])
        .args(["service", "jira-auth", "username", account])
        .stdin(Stdio::piped())
        .spawn()
        .expect("secret-tool runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(value.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "secret-tool store failed");
}

/// Removes the keychain item of `account` (service jira-auth), with libsecret's tool.
#[cfg(target_os = "linux")]
pub fn secret_tool_clear(account: &str) {
    require_secret_service();
    let cleared = Command::new("secret-tool")
        .args(["clear", "service", "jira-auth", "username", account])
        .status()
        .expect("secret-tool runs");
    assert!(cleared.success(), "secret-tool clear failed");
}

impl TestEnv {}

/// The kernel-keyring cache tests need keyutils in the user keyring, which scripts/test.sh
/// checks before it sets this. Such tests are `#[ignore]`d, for a plain `cargo test`, and
/// call this first, so that one run by hand without scripts/test.sh says why it fails.
#[track_caller]
pub fn require_keyutils() {
    assert_eq!(
        std::env::var("JIRA_AUTH_TEST_KEYUTILS").as_deref(),
        Ok("1"),
        "this test needs keyutils (keyctl add … @u) to work: run the suite with scripts/test.sh, outside a container that filters keyctl"
    );
}

/// The keychain tests need the throwaway Secret Service that scripts/test.sh starts. They
/// are `#[ignore]`d, for a plain `cargo test` (which runs what needs no keyring), and call
/// this first, so that one run by hand without scripts/test.sh says why it fails.
#[track_caller]
pub fn require_secret_service() {
    assert_eq!(
        std::env::var("JIRA_AUTH_TEST_SECRET_SERVICE").as_deref(),
        Ok("1"),
        "this test needs a real Secret Service: run the suite with scripts/test.sh"
    );
}

/// `cmd` run by another command: `wrapper…` then `cmd`'s program and arguments, with `cmd`'s
/// environment (`timeout 2 jira-auth …`, `sh -c 'umask 077 && exec "$0" "$@"' jira-auth …`).
pub fn wrapped(wrapper: &[&str], cmd: &Command) -> Command {
    let mut outer = Command::new(wrapper[0]);
    outer
        .args(&wrapper[1..])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => outer.env(k, v),
            None => outer.env_remove(k),
        };
    }
    outer
}

/// Runs `cmd` to completion with `stdin` fed in, killing it (and failing) after `limit`, so
/// that a hang is a clear failure instead of a stuck suite.
pub fn run_with(mut cmd: Command, stdin: Option<&str>, limit: Duration) -> Run {
    let command = command_line(&cmd);
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
        command,
        code: status.code().unwrap_or(-1),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

/// `cmd` as a shell would show it: the variables set on top of [`TestEnv::cmd`]'s (the
/// world's own are the same in every test), then `jira-auth` and its arguments. Values are
/// shown as they are: callers redact (see `screen.rs`).
pub fn command_line(cmd: &Command) -> String {
    const WORLD: [&str; 7] = [
        "JIRA_AUTH_CONFIG_DIR",
        "JIRA_AUTH_AUTH_URL",
        "JIRA_AUTH_API_URL",
        "JIRA_AUTH_PROFILE",
        "BROWSER",
        browser::LOG_ENV,
        "NO_COLOR",
    ];
    let of_the_world = |k: &str, v: &str| WORLD.contains(&k) || (k, v) == ("LANG", "C.UTF-8");
    let mut words: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_string_lossy(), v?.to_string_lossy())))
        .filter(|(k, v)| !of_the_world(k, v))
        .map(|(k, v)| format!("{k}={}", shell_word(&v)))
        .collect();
    let program = std::path::Path::new(cmd.get_program());
    words.push(
        program
            .file_name()
            .unwrap_or(program.as_os_str())
            .to_string_lossy()
            .into_owned(),
    );
    words.extend(cmd.get_args().map(|a| shell_word(&a.to_string_lossy())));
    words.join(" ")
}

fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

pub fn run(cmd: Command) -> Run {
    run_with(cmd, None, Duration::from_secs(60))
}

/// A loopback port free now, for a callback listener that `jira-auth` opens later. It is
/// drawn below the kernel's ephemeral range (32768 and up on Linux): a port the kernel handed
/// out for `127.0.0.1:0` would be handed out again, to the emulator's or the client's next
/// connection, between this test choosing it and the binary binding it.
pub fn free_port() -> u16 {
    for _ in 0..1000 {
        let port = 20_000 + (u16::from_str_radix(&random_hex(2), 16).unwrap() % 12_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port in 20000..32000")
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

/// Every file under `dir`, recursively.
pub fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
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
