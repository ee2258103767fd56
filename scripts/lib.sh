# Shared by scripts/test.sh and scripts/bench.sh (sourced, not run): logging, installing
# missing Debian packages, and a throwaway keyring/runtime directory.
# shellcheck shell=bash

log() { printf '%s: %s\n' "${script_name:-scripts}" "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}

as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "not root and no sudo: install these packages yourself: $*"
    fi
}

# ensure_commands CMD:PACKAGE… — installs with apt-get the packages of the missing commands.
ensure_commands() {
    local pair missing_cmds=() packages=()
    for pair in "$@"; do
        if ! command -v "${pair%%:*}" >/dev/null 2>&1; then
            missing_cmds+=("${pair%%:*}")
            packages+=("${pair#*:}")
        fi
    done
    [[ ${#missing_cmds[@]} -eq 0 ]] && return 0
    log "missing ${missing_cmds[*]}; installing ${packages[*]} with apt-get"
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; install the equivalents of these Debian packages yourself: ${packages[*]}"
    # `env` carries DEBIAN_FRONTEND through sudo, which resets the environment.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${packages[@]}"
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null 2>&1 || die "still missing after apt-get install: ${pair%%:*}"
    done
}

# The tools every keyring run needs: a session bus, gnome-keyring, libsecret's CLI, keyutils.
KEYRING_TOOLS=(dbus-run-session:dbus gnome-keyring-daemon:gnome-keyring secret-tool:libsecret-tools keyctl:keyutils)

ensure_cargo() {
    if ! command -v cargo >/dev/null 2>&1 && [[ -f ${HOME:-}/.cargo/env ]]; then
        # shellcheck source=/dev/null
        . "$HOME/.cargo/env"
    fi
    command -v cargo >/dev/null 2>&1 || die "cargo not found on PATH (install Rust with rustup)"
}

# Sets up $scratch with a throwaway keyring and runtime dir, removed on exit. HOME stays as it
# is: rustup and cargo find the toolchain through it.
make_scratch() {
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/jira-auth-${script_name:-run}.XXXXXX")
    # gnome-keyring-daemon may take a moment to notice that its bus is gone.
    trap 'rm -rf -- "$scratch" 2>/dev/null || { sleep 1; rm -rf -- "$scratch" || true; }' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    export JIRA_AUTH_TEST_SCRATCH=$scratch
    export XDG_DATA_HOME=$scratch/data # keyrings live in $XDG_DATA_HOME/keyrings
    export XDG_RUNTIME_DIR=$scratch/runtime
    mkdir -p -- "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
    chmod 700 -- "$XDG_RUNTIME_DIR"
    # Never talk to a keyring daemon from the calling desktop session.
    unset GNOME_KEYRING_CONTROL
}

# ensure_python_env NAME — a virtual environment holding exactly the packages pinned (with
# their hashes) in .ci/python/NAME.txt, for the tests that drive real Python clients and
# servers (.ci/python/README.md). Made once per machine under ~/.cache, keyed by the lock
# file's hash (an edited lock makes a new one); a marker file says it is complete. Sets
# python_env to its directory.
ensure_python_env() {
    local name=$1 lock key dir
    lock="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/.ci/python/$name.txt"
    [[ -f $lock ]] || die "no lock file $lock"
    key=$(sha256sum -- "$lock" | cut -c1-16)
    dir=${XDG_CACHE_HOME:-$HOME/.cache}/jira-auth-ci/python-$name-$key
    if [[ ! -f $dir/.complete ]]; then
        if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
            ensure_commands python3:python3
            as_root env DEBIAN_FRONTEND=noninteractive \
                apt-get install -y -q --no-install-recommends python3-venv
        fi
        log "installing the Python environment '$name' from .ci/python/$name.txt (once per machine)"
        rm -rf -- "$dir"
        python3 -m venv -- "$dir" || die "python3 -m venv $dir failed"
        if ! timeout 10m "$dir/bin/python" -m pip install --quiet --no-input \
            --disable-pip-version-check --require-hashes --no-deps --prefer-binary \
            -r "$lock"; then
            rm -rf -- "$dir"
            die "could not install .ci/python/$name.txt from PyPI"
        fi
        : >"$dir/.complete"
    fi
    python_env=$dir
}
