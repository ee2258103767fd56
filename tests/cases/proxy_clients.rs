//! Real clients no one here wrote, through `jira-auth proxy`: pycontribs `jira` and
//! `atlassian-python-api` (tests/python/jira_clients.py's round: server info, myself, a search,
//! an issue, a new issue, a comment, an edit) for every method, configured as their users
//! would with the proxy's URL and key, and across access-token expiries; mcp-atlassian driven
//! over stdio by the `mcp` SDK as an agent host drives it (tests/python/mcp_agent.py); and 20
//! clients at once for a minute on tokens that keep expiring, with `jira-auth token` from
//! other processes meanwhile.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::jira_clients::{CLIENTS, Target, expected, round};
use crate::support::emulator::{ApiToken, Endpoint, TokenKind, USER_EMAIL};
use crate::support::env::{TestEnv, random_hex, run};
use crate::support::proxy::Proxy;
use crate::support::python;

fn proxy(env: &TestEnv) -> Proxy {
    let mut cmd = env.cmd();
    cmd.arg("proxy");
    Proxy::start(cmd, env.dir.path())
}

/// The client as its users configure it for the proxy: the URL and the key as a Bearer token.
fn via(proxy: &Proxy, cloud: bool) -> Target {
    Target {
        cloud,
        url: proxy.url.clone(),
        token: proxy.key.clone(),
        email: None,
    }
}

/// A world whose profile is made by `init`, `init` being `setup`'s command (in the file store).
fn world(
    builder: crate::support::env::TestEnvBuilder,
    setup: impl Fn(&TestEnv) -> Option<Command>,
) -> TestEnv {
    let env = builder.build();
    if let Some(mut cmd) = setup(&env) {
        if !cmd.get_args().any(|a| a == "--store") {
            cmd.args(["--store", "file"]);
        }
        run(cmd).assert_code(0);
    }
    env
}

/// A method's name, whether it is Cloud, and how to make a world with a profile of it.
type Method = (&'static str, bool, Box<dyn Fn() -> TestEnv>);

/// The methods, each as a fresh world (so each round's new issue is OPS-3).
fn methods() -> Vec<Method> {
    vec![
        (
            "cloud oauth",
            true,
            Box::new(|| {
                world(
                    TestEnv::builder()
                        .scopes("read:jira-work write:jira-work read:jira-user read:me")
                        .profile_in_file_store(),
                    |_| None,
                )
            }),
        ),
        (
            "cloud service account",
            true,
            Box::new(|| world(TestEnv::builder(), |env| Some(env.init_service_account()))),
        ),
        (
            "cloud classic api token",
            true,
            Box::new(|| {
                world(TestEnv::builder(), |env| {
                    Some(env.init_api_token(&env.classic_token))
                })
            }),
        ),
        (
            "cloud scoped api token",
            true,
            Box::new(|| {
                world(TestEnv::builder(), |env| {
                    let token = format!("ATATT{}", random_hex(24));
                    env.emu.register_api_token(ApiToken {
                        email: USER_EMAIL.into(),
                        token: token.clone(),
                        kind: TokenKind::Scoped(vec![
                            "read:jira-work".into(),
                            "write:jira-work".into(),
                            "read:jira-user".into(),
                        ]),
                    });
                    Some(env.init_api_token(&token))
                })
            }),
        ),
        (
            "data center oauth",
            false,
            Box::new(|| {
                world(TestEnv::builder().data_center("/jira"), |env| {
                    Some(env.init_dc_oauth())
                })
            }),
        ),
        (
            "data center pat",
            false,
            Box::new(|| {
                world(TestEnv::builder().data_center("/jira"), |env| {
                    Some(env.init_pat())
                })
            }),
        ),
        (
            "data center service account",
            false,
            Box::new(|| {
                world(TestEnv::builder().data_center("/jira"), |env| {
                    let mut cmd = env.init_dc_service_account();
                    cmd.env("JIRA_AUTH_SCOPES", "WRITE");
                    Some(cmd)
                })
            }),
        ),
    ]
}

#[test]
fn python_clients_work_through_the_proxy_for_every_method() {
    let Some(dir) = python::env("libraries") else {
        return;
    };
    for (name, cloud, make) in methods() {
        for client in CLIENTS {
            let env = make();
            let proxy = proxy(&env);
            let steps = round(&dir, client, &via(&proxy, cloud));
            let mut want = expected(client, cloud);
            // A service account acts as itself, not as the user.
            if name.ends_with("service account") {
                want[1]["displayName"] = steps[1]["displayName"].clone();
                want[5]["author"] = steps[1]["displayName"].clone();
                assert_ne!(steps[1]["displayName"], "Ada Lovelace");
            }
            assert_eq!(steps, want, "{} through the proxy, {name}", client.name());
            // Everything went through the proxy with the profile's own credential: the
            // client never had it.
            assert!(!proxy.lines.contains(&env.classic_token));
        }
    }
}

/// Rounds of `client` through the proxy for `secs` seconds: how many, and what failed.
fn rounds_for(dir: &Path, proxy: &Proxy, cloud: bool, secs: u64) -> (usize, Vec<String>) {
    let started = Instant::now();
    let (mut done, mut failed) = (0, Vec::new());
    while started.elapsed() < Duration::from_secs(secs) {
        for client in CLIENTS {
            let steps = std::panic::catch_unwind(|| round(dir, client, &via(proxy, cloud)));
            match steps {
                Ok(steps) if steps.len() == 8 => done += 1,
                Ok(steps) => failed.push(format!("{}: {steps:?}", client.name())),
                Err(_) => failed.push(format!("{}: the round failed", client.name())),
            }
        }
    }
    (done, failed)
}

#[test]
fn python_clients_keep_working_across_access_token_expiries() {
    let Some(dir) = python::env("libraries") else {
        return;
    };
    // Cloud OAuth and a service account with tokens of 3 s; Data Center OAuth too.
    let cloud = world(
        TestEnv::builder()
            .scopes("read:jira-work write:jira-work read:jira-user read:me")
            .access_token_ttl(3)
            .profile_in_file_store(),
        |_| None,
    );
    let sa = world(TestEnv::builder().access_token_ttl(3), |env| {
        Some(env.init_service_account())
    });
    let dc = world(TestEnv::builder().data_center("/jira"), |env| {
        env.dc().set_access_token_ttl(3);
        Some(env.init_dc_oauth())
    });
    for (name, env, is_cloud) in [
        ("cloud oauth", &cloud, true),
        ("service account", &sa, true),
        ("data center oauth", &dc, false),
    ] {
        let before = renewals(env, is_cloud);
        let proxy = proxy(env);
        let (done, failed) = rounds_for(&dir, &proxy, is_cloud, 10);
        assert!(failed.is_empty(), "{name}: {failed:?}");
        let renewed = renewals(env, is_cloud) - before;
        assert!(renewed >= 3, "{name}: {renewed} renewals in {done} rounds");
    }
}

/// Token requests the world's servers answered (a code exchange, a refresh, a mint).
fn renewals(env: &TestEnv, cloud: bool) -> usize {
    if cloud {
        env.emu.hits(Endpoint::Token)
    } else {
        env.dc()
            .hits(jira_auth_emulator::datacenter::DcEndpoint::Token)
    }
}

/// The JSON summary mcp_agent.py prints last.
fn agent(dir: &Path, env: &TestEnv, secs: u64) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/mcp_agent.py");
    let bin = std::env::var_os("JIRA_AUTH_TEST_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_jira-auth").into());
    // The agent host starts `jira-auth proxy -- mcp-atlassian` with this environment, as an
    // MCP configuration would: the profile and config dir, and no Jira variable at all.
    let mut host = Command::new(dir.join("bin/python"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("JIRA_") || k.to_string_lossy().starts_with("ATLASSIAN_")
        {
            host.env_remove(k);
        }
    }
    host.arg(&script)
        .env("AGENT_SECONDS", secs.to_string())
        .env("AGENT_COMMAND", bin)
        .env(
            "AGENT_ARGS",
            "proxy\n--\n".to_string() + dir.join("bin/mcp-atlassian").to_str().unwrap(),
        )
        .env("JIRA_AUTH_CONFIG_DIR", env.config_dir())
        .env("JIRA_AUTH_PROFILE", &env.profile)
        .env("JIRA_AUTH_AUTH_URL", env.emu.auth_url())
        .env("JIRA_AUTH_API_URL", env.emu.api_url())
        .env("NO_PROXY", "*")
        .env("NETRC", "/dev/null");
    let out = host.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the agent host: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[test]
fn mcp_atlassian_run_by_an_agent_host_works_across_expiries() {
    let Some(dir) = python::env("mcp") else {
        return;
    };
    // mcp-atlassian takes a loopback URL for Jira Server/Data Center (API v2, the token as
    // Bearer): a Data Center profile whose OAuth tokens live 3 s.
    let env = world(TestEnv::builder().data_center("/jira"), |env| {
        env.dc().set_access_token_ttl(3);
        Some(env.init_dc_oauth())
    });
    let before = renewals(&env, false);
    let summary = agent(&dir, &env, 12);
    let tools: Vec<&str> = summary["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for tool in ["jira_get_issue", "jira_search"] {
        assert!(tools.contains(&tool), "{tool} not in {tools:?}");
    }
    assert_eq!(summary["failed"], serde_json::json!([]), "{summary}");
    assert!(summary["calls"].as_u64().unwrap() >= 10, "{summary}");
    assert_eq!(summary["issue"]["key"], "DEMO-2", "{summary}");
    assert_eq!(
        summary["search"],
        serde_json::json!(["DEMO-1", "DEMO-2", "DEMO-3"]),
        "{summary}"
    );
    let renewed = renewals(&env, false) - before;
    assert!(renewed >= 3, "{renewed} renewals: {summary}");
}

/// 20 clients at once for 60 s through one proxy, on tokens of 4 s and a strict rotation (a
/// rotated refresh token used again revokes the family at once), while other processes ask
/// `jira-auth token` for the same profile: every request succeeds, no refresh token is
/// spent twice (the family would be revoked, and every later request fail), and the
/// refreshes are those of the rotations, not one per request. About 60 s.
#[test]
fn twenty_clients_for_a_minute_with_token_calls_from_other_processes() {
    let env = TestEnv::builder()
        .access_token_ttl(4)
        .reuse_interval(0)
        .profile_in_file_store()
        .build();
    let proxy = proxy(&env);
    let before = env.emu.hits(Endpoint::Token);
    let until = Instant::now() + Duration::from_secs(60);
    let (requests, failures, tokens) = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..20)
            .map(|_| {
                scope.spawn(|| {
                    let (mut done, mut failed) = (0usize, Vec::new());
                    while Instant::now() < until {
                        let (code, body) = proxy.get("/rest/api/3/myself");
                        done += 1;
                        if code != 200 {
                            failed.push(format!("{code}: {body}"));
                        }
                    }
                    (done, failed)
                })
            })
            .collect();
        // The environment of `env.cmd()`, to build commands on another thread.
        let template = env.cmd();
        let program = template.get_program().to_owned();
        let envs: Vec<_> = template
            .get_envs()
            .map(|(k, v)| (k.to_owned(), v.map(ToOwned::to_owned)))
            .collect();
        let others = scope.spawn(move || {
            let mut runs = Vec::new();
            while Instant::now() < until {
                let mut cmd = Command::new(&program);
                for (k, v) in &envs {
                    match v {
                        Some(v) => cmd.env(k, v),
                        None => cmd.env_remove(k),
                    };
                }
                cmd.args(["token", "--min-ttl", "2"]);
                runs.push(run(cmd).code);
                std::thread::sleep(Duration::from_millis(300));
            }
            runs
        });
        let mut requests = 0;
        let mut failures = Vec::new();
        for client in clients {
            let (done, failed) = client.join().unwrap();
            requests += done;
            failures.extend(failed);
        }
        (requests, failures, others.join().unwrap())
    });
    assert!(
        failures.is_empty(),
        "{} of {requests} failed: {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
    assert!(tokens.iter().all(|c| *c == 0), "token calls: {tokens:?}");
    // The family is alive: a forced renewal (a token valid longer than any lives) works.
    let mut cmd = env.cmd();
    cmd.args(["token", "--min-ttl", "1000000"]);
    run(cmd).assert_code(0);
    // Tokens of 4 s over 60 s: some 15 to 30 rotations, never one per request.
    let refreshes = env.emu.hits(Endpoint::Token) - before - 1;
    assert!(
        (10..=60).contains(&refreshes),
        "{refreshes} refreshes for {requests} requests and {} token calls",
        tokens.len()
    );
}

/// What a newcomer does after the README's `init --sandbox`: point a real client at
/// `jira-auth proxy`, offline. The proxy hosts the sandbox's emulated Jira itself (restored
/// from the profile), so nothing answers but this process: not the Atlassian the environment
/// names (the test's emulator, never asked), not the network.
#[test]
fn after_init_sandbox_real_clients_work_through_the_proxy_offline() {
    let Some(dir) = python::env("libraries") else {
        return;
    };
    let env = TestEnv::new();
    let mut init = env.cmd();
    init.env_remove("BROWSER")
        .args(["init", "--sandbox", "--no-browser", "--store", "file"])
        .args(["--preset", "read-write"])
        .args(["--port", &env.port.to_string(), "--timeout", "20"]);
    run(init).assert_code(0);
    for client in CLIENTS {
        // Each proxy restores a world of its own: each round makes OPS-3.
        let proxy = proxy(&env);
        assert_eq!(
            round(&dir, client, &via(&proxy, true)),
            expected(client, true),
            "{} through the proxy to the sandbox",
            client.name()
        );
    }
    for ep in [Endpoint::Token, Endpoint::Jira, Endpoint::Myself] {
        assert_eq!(env.emu.hits(ep), 0, "{ep:?}");
    }
}
