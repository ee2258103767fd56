//! Integration tests: the real `jira-auth` binary against the Atlassian emulator on loopback,
//! a fake browser (this test binary re-run as `$BROWSER`) and, on Linux, a real Secret Service.

// A test crate has no public surface: its `pub` means "for the other test modules".
#![allow(unreachable_pub)]
// Tests read their own switches (JIRA_AUTH_TEST_*) and build environments by hand.
#![allow(clippy::disallowed_methods)]
// Tests print what a person debugging them needs (screenshots' paths), and the fake browser
// is a process of its own that ends itself.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::exit)]

mod cases;
mod support;
