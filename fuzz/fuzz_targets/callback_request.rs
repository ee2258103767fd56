//! Fuzz target: raw bytes as a request to the loopback callback listener, through the same
//! pure path the listener uses (head scan, head parse, query parse, decision); the invariants
//! are asserted in `jira_auth::fuzz_request`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jira_auth::fuzz_request(data);
});
