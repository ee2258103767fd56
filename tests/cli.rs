//! Integration tests: the real `jira-auth` binary against the Atlassian emulator on loopback,
//! a fake browser (this test binary re-run as `$BROWSER`) and, on Linux, a real Secret Service.

// A test crate has no public surface: its `pub` means "for the other test modules".
#![allow(unreachable_pub)]

mod cases;
mod support;
