//! The shape of every JSON document, pinned as a snapshot: with those pinned where their
//! command is tested (`init_json`, `init_api_token_scoped_json`, `status_json`, `token_json`,
//! `stateless_token_json`, `sites_json`, `scopes_check_missing_json`, `doctor_healthy_json`,
//! `doctor_scope_missing_json`, `init_paste_over_ssh`, `composio_init_json`,
//! `composio_status_json`), these are docs/usage.md's "JSON output".

use crate::support::env::{SITE_ID, TestEnv, site};

#[test]
fn the_documents_of_login_sites_use_scopes_list_switch_logout_and_an_error() {
    let env = TestEnv::builder()
        .sites([
            site("acme", SITE_ID),
            site("beta", "bbbbbbbb-0000-4000-8000-000000000002"),
        ])
        .profile_in_file_store()
        .init_args(&["--site", "acme"])
        .build();
    let _snapshots = env.snapshots();
    let profile = env.profile.clone();
    for (name, args) in [
        ("login_json", &["login", "--no-input", "--json"][..]),
        ("sites_use_json", &["sites", "use", "beta", "--json"]),
        (
            "scopes_list_json",
            &["scopes", "list", "--search", "read:me", "--json"],
        ),
        ("switch_json", &["switch", &profile, "--json"]),
        ("error_json", &["token", "--profile", "nobody", "--json"]),
        ("logout_json", &["logout", "--json"]),
    ] {
        let out = env.jira(args);
        insta::assert_snapshot!(name, env.screen(&out));
        assert!(
            out.stdout.starts_with("{\n  \"schema_version\": 1,\n"),
            "{name}: {}",
            out.stdout
        );
        env.assert_no_leaks(&out);
    }
}
