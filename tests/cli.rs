//! Integration tests: the real `jira-auth` binary against the Atlassian emulator on loopback,
//! a fake browser (this test binary re-run as `$BROWSER`) and, on Linux, a real Secret Service.

mod cases;
mod support;
