#!/usr/bin/env bash
# The one command that runs the whole test suite, keychain tests included:
#
#     scripts/test.sh                            # everything
#     scripts/test.sh cases::init                # extra args go to `cargo test`
#     scripts/test.sh cases::init -- --nocapture # and those after `--` to the test harness
#     scripts/test.sh --test cli cases::init
#
# Linux only. It starts a private D-Bus session bus with a throwaway, unlocked
# gnome-keyring (a real Secret Service), so the tests never see your own keyrings, and
# runs the tests that need it, or Chromium, too: a plain `cargo test` skips them (#[ignore]).
# Missing system tools (the keyring's, Chromium) are installed with apt-get (root, or sudo
# when available).
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
script_name=test.sh
# shellcheck source=scripts/lib.sh
. "$repo_root/scripts/lib.sh"

# ps and kill (procps) are used by the tests themselves: the process-list check, signals.
# Chromium is the real browser of the end-to-end tests (tests/cases/real_browser.rs), which
# keep their screenshots in target/browser-screenshots/. curl: the documented curl lines
# (docs/sandbox.md, the proxy's examples) are run by the tests as a newcomer would.
ensure_commands "${KEYRING_TOOLS[@]}" ps:procps kill:procps chromium:chromium curl:curl
ensure_cargo
make_scratch

# The real Python clients and servers the tests drive (mcp-atlassian, pycontribs jira,
# OpenBao, Composio's SDK...), each in a virtual environment of its own made from a hashed
# lock in .ci/python/, handed to the tests as JIRA_AUTH_TEST_PYTHON_<NAME>. Here a test whose
# environment is missing fails (JIRA_AUTH_TEST_PYTHON_REQUIRED); under a plain `cargo test`
# it is skipped with the reason.
for lock in .ci/python/*.txt; do
    name=$(basename -- "$lock" .txt)
    ensure_python_env "$name"
    export "JIRA_AUTH_TEST_PYTHON_${name^^}=$python_env"
done
export JIRA_AUTH_TEST_PYTHON_REQUIRED=1

# The arguments before the first `--` are cargo's, those after it the test harness's.
cargo_args=()
harness_args=()
seen_separator=false
for arg in "$@"; do
    if [[ $seen_separator == false && $arg == -- ]]; then
        seen_separator=true
    elif [[ $seen_separator == true ]]; then
        harness_args+=("$arg")
    else
        cargo_args+=("$arg")
    fi
done
# The #[ignore]d tests are those that need the keyring: run them too (unless the caller
# asked for the ignored ones alone, which --include-ignored would contradict). Not the fake
# browser, though: the tests run it themselves as $BROWSER, and as a test of its own it
# would fail. Its full path matches it alone, with or without --exact.
include_ignored=(--include-ignored)
for arg in ${harness_args[@]+"${harness_args[@]}"}; do
    [[ $arg == --ignored ]] && include_ignored=()
done
# The whole workspace: jira-auth and the emulator crate (crates/jira-auth-emulator), whose
# own tests run with its `testing` feature (jira-auth's dev-dependency turns it on). Not the
# Windows suite either: it needs the Windows build under Wine (scripts/test-windows.sh).
command=(cargo test --locked --workspace ${cargo_args[@]+"${cargo_args[@]}"} --
    ${include_ignored[@]+"${include_ignored[@]}"} --skip support::browser::act_as_browser
    --skip cases::windows::
    ${harness_args[@]+"${harness_args[@]}"})

log "running '${command[*]}' with JIRA_AUTH_TEST_SECRET_SERVICE=1 against a throwaway gnome-keyring in a private D-Bus session ($scratch)"
dbus-run-session -- "$repo_root/scripts/in-keyring-session.sh" "${command[@]}"
