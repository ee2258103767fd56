//! docs/reference.md is generated from the code (`jira_auth::reference`) and
//! checked in. This test fails when it is stale, naming the command that rewrites it; that
//! command is this test with `JIRA_AUTH_UPDATE_REFERENCE=1` (write mode instead of check mode).

use std::path::Path;

use jira_auth::reference::{PATH, REGENERATE, markdown};

#[test]
fn reference_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(PATH);
    let generated = markdown();
    if std::env::var_os("JIRA_AUTH_UPDATE_REFERENCE").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("writing {PATH}: {e}"));
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == generated {
        return;
    }
    let first = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
    panic!(
        "{PATH} is stale: run `{REGENERATE}` and commit it\n\
         first difference at line {}:\n  in {PATH}: {:?}\n  generated:  {:?}",
        first + 1,
        committed.lines().nth(first).unwrap_or("(end of file)"),
        generated.lines().nth(first).unwrap_or("(end of file)"),
    );
}
