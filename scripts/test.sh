#!/usr/bin/env bash
# The one command that runs the whole test suite, keychain tests included:
#
#     scripts/test.sh                        # everything
#     scripts/test.sh cli::init              # extra args go to `cargo test`
#     scripts/test.sh cli::init -- --nocapture
#
# Linux only. It starts a private D-Bus session bus with a throwaway, unlocked
# gnome-keyring (a real Secret Service), so the tests never see your own keyrings.
# Missing system tools are installed with apt-get (root, or sudo when available).
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
script_name=test.sh
# shellcheck source=scripts/lib.sh
. "$repo_root/scripts/lib.sh"

# ps and kill (procps) are used by the tests themselves: the process-list check, signals.
ensure_commands "${KEYRING_TOOLS[@]}" ps:procps kill:procps
ensure_cargo
make_scratch

log "running 'cargo test --locked${*:+ $*}' with JIRA_AUTH_TEST_SECRET_SERVICE=1 against a throwaway gnome-keyring in a private D-Bus session ($scratch)"
dbus-run-session -- "$repo_root/scripts/in-keyring-session.sh" cargo test --locked "$@"
