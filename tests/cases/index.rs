//! The profile index (`profiles.json`): a damaged one is reported with its path and a fix
//! that works, and never replaced by a command that could not read it.

use crate::support::env::{TestEnv, run};

#[test]
fn a_damaged_index_is_never_overwritten_and_says_how_to_fix_it() {
    let env = TestEnv::builder().profile_in_file_store().build();
    let _snapshots = env.snapshots();
    let index = env.config_dir().join("profiles.json");
    let good = std::fs::read_to_string(&index).unwrap();
    let cut_short = good[..good.len() / 2].to_string();
    for (what, text) in [
        ("an array", "[]"),
        ("cut short", cut_short.as_str()),
        ("empty", ""),
        ("null", "null"),
        ("wrongly typed", r#"{"default": 5, "profiles": {}}"#),
    ] {
        std::fs::write(&index, text).unwrap();
        // A new profile would have to rewrite the index: it must not.
        let mut init = env.init();
        init.args(["--store", "file", "--profile", "other"]);
        let out = run(init);
        out.assert_code(2);
        assert!(
            out.stderr.contains(&index.display().to_string())
                && out.stderr.contains("holds no secret")
                && out.stderr.contains("mv "),
            "{what}:\n{}",
            out.stderr
        );
        if what == "an array" {
            insta::assert_snapshot!("index_damaged", env.screen(&out));
        }
        assert_eq!(
            std::fs::read_to_string(&index).unwrap(),
            text,
            "{what}: the index was rewritten"
        );
        let token = env.jira(&["token"]);
        token.assert_code(2);
        assert!(token.stdout.is_empty());

        // doctor gives the same fix, not an `init` that would fail the same way.
        let doctor = env.jira(&["doctor", "--store", "file"]);
        doctor.assert_code(2);
        let profile_line = doctor
            .stdout
            .lines()
            .skip_while(|l| !l.contains(" profile "))
            .take(2)
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            profile_line.contains("damaged") && profile_line.contains("mv "),
            "{what}:\n{}",
            doctor.stdout
        );
        env.assert_no_leaks(&doctor);
    }

    // The fix works: moved aside, the profile is set up again.
    std::fs::rename(&index, env.config_dir().join("profiles.json.broken")).unwrap();
    let mut init = env.init();
    init.args(["--store", "file"]);
    run(init).assert_code(0);
    env.jira(&["token"]).assert_code(0);
}
