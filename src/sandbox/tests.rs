//! The sandbox's worlds: their sites, app and secrets, and what a scenario changes. (The
//! emulator's behaviour is pinned by its own tests; whole flows by tests/cases/sandbox.rs.)

use super::*;

fn world(scenario: Scenario, served: bool) -> World {
    World::start(Options {
        redirect_uri: "http://127.0.0.1:8976/callback".into(),
        scenario,
        ask: false,
        served,
    })
}

#[test]
fn a_world_has_two_sandbox_sites_and_made_up_secrets() {
    let inside = world(Scenario::Normal, false);
    assert_eq!(inside.sites.len(), 2);
    for (i, site) in inside.sites.iter().enumerate() {
        assert_eq!(site.id, cloud_id(i));
        assert!(site.id.starts_with(SANDBOX_CLOUD_ID_PREFIX));
        assert_eq!(
            site.url,
            format!("https://{}.jira-auth.invalid", SITE_NAMES[i])
        );
    }
    assert_eq!(inside.app.client_id.len(), 32);
    assert!(inside.app.client_secret.starts_with("ATOA") && inside.app.client_secret.len() == 64);
    let other = world(Scenario::Normal, false);
    assert_ne!(
        inside.app.client_secret, other.app.client_secret,
        "per world"
    );
    let served = world(Scenario::Normal, true);
    assert!(served.sites[0].url.starts_with("http://127.0.0.1:"));
    assert!(
        served
            .endpoints()
            .auth
            .as_str()
            .starts_with("http://127.0.0.1:")
    );
}

#[test]
fn scenarios_queue_their_faults() {
    let limited = world(Scenario::RateLimited, false);
    let unavailable = world(Scenario::Unavailable, false);
    let normal = world(Scenario::Normal, false);
    let get = |w: &World, path: &str| {
        std::net::TcpStream::connect(w.endpoints().api.socket_addrs(|| None).unwrap()[0])
            .and_then(|mut s| {
                use std::io::{Read, Write};
                let request =
                    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
                s.write_all(request.as_bytes())?;
                let mut out = String::new();
                s.read_to_string(&mut out)?;
                Ok(out)
            })
            .unwrap()
    };
    // The rehearsal Jira meets the scenario as the rest of the API does.
    let issue = format!("/ex/jira/{}/rest/api/2/issue/DEMO-1", cloud_id(0));
    for path in ["/me", issue.as_str()] {
        assert!(get(&limited, path).starts_with("HTTP/1.1 429 "), "{path}");
        assert!(
            get(&limited, path).starts_with("HTTP/1.1 401 "),
            "once only"
        );
        for _ in 0..3 {
            assert!(get(&unavailable, path).starts_with("HTTP/1.1 503 "));
        }
        assert!(
            get(&normal, path).starts_with("HTTP/1.1 401 "),
            "no token, no fault"
        );
    }
}
