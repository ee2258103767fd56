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

log() { printf 'test.sh: %s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

# --- (a) system tools ---------------------------------------------------------
required_commands=(dbus-run-session gnome-keyring-daemon secret-tool keyctl)
required_packages=(gnome-keyring dbus libsecret-tools keyutils)

missing_commands() {
    local cmd
    for cmd in "${required_commands[@]}"; do
        command -v "$cmd" >/dev/null 2>&1 || printf '%s ' "$cmd"
    done
}

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "not root and no sudo: install these packages yourself: ${required_packages[*]}"
    fi
}

missing=$(missing_commands)
if [[ -n $missing ]]; then
    log "missing ${missing% }; installing ${required_packages[*]} with apt-get"
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; install the equivalents of these Debian packages yourself: ${required_packages[*]}"
    # `env` carries DEBIAN_FRONTEND through sudo, which resets the environment.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${required_packages[@]}"
    missing=$(missing_commands)
    [[ -z $missing ]] || die "still missing after apt-get install: ${missing% }"
fi

if ! command -v cargo >/dev/null 2>&1 && [[ -f ${HOME:-}/.cargo/env ]]; then
    # shellcheck source=/dev/null
    . "$HOME/.cargo/env"
fi
command -v cargo >/dev/null 2>&1 || die "cargo not found on PATH (install Rust with rustup)"

# --- (b) throwaway keyring and runtime directories ----------------------------
# HOME stays as it is: rustup and cargo find the toolchain through it.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/jira-auth-test.XXXXXX")
cleanup() {
    # gnome-keyring-daemon may take a moment to notice that its bus is gone.
    rm -rf -- "$scratch" 2>/dev/null || { sleep 1; rm -rf -- "$scratch" || true; }
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

export JIRA_AUTH_TEST_SCRATCH=$scratch
export XDG_DATA_HOME=$scratch/data # keyrings live in $XDG_DATA_HOME/keyrings
export XDG_RUNTIME_DIR=$scratch/runtime
mkdir -p -- "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 -- "$XDG_RUNTIME_DIR"
# Never talk to a keyring daemon from the calling desktop session.
unset GNOME_KEYRING_CONTROL

# --- (c) run the tests inside a private session bus ---------------------------
log "running 'cargo test --locked${*:+ $*}' with JIRA_AUTH_TEST_SECRET_SERVICE=1 against a throwaway gnome-keyring in a private D-Bus session ($scratch)"
dbus-run-session -- "$repo_root/scripts/in-keyring-session.sh" "$@"
