#!/usr/bin/env bash
# The Windows suite: the x86_64-pc-windows-gnu build run under Wine, against the emulator on
# this machine's loopback (tests/cases/windows.rs; CONTRIBUTING.md says what Wine can and
# cannot show).
#
#     scripts/test-windows.sh                    # the whole Windows suite
#     scripts/test-windows.sh quick_start        # extra args filter the tests (cargo test's)
#
# Linux (Debian or Ubuntu). It installs what it lacks with apt-get (as root, or through sudo):
# `wine64` and MinGW's C compiler (`gcc-mingw-w64-x86-64`, which also builds ring), and adds the
# Rust target with rustup. Then it builds jira-auth.exe and, beside it, two test-only helpers
# from scripts/windows/: `bcryptprimitives.dll` (Debian 12's Wine 8 lacks the DLL, whose
# ProcessPrng Rust's standard library calls before main) and `credlist.exe` (what Credential
# Manager holds, read with CredEnumerateW). It makes a throwaway Wine prefix for this run
# (`wineboot`), keeps one wineserver running for it, and runs the suite in it.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
script_name=test-windows.sh
# shellcheck source=scripts/lib.sh
. "$repo_root/scripts/lib.sh"

WINDOWS_TARGET=x86_64-pc-windows-gnu
# Debian's wine64 puts its loader in /usr/lib/wine, not on PATH.
export PATH=$PATH:/usr/lib/wine
ensure_commands wine64:wine64 wineserver:wine64 x86_64-w64-mingw32-gcc:gcc-mingw-w64-x86-64
ensure_cargo
if ! rustup target list --installed 2>/dev/null | grep -qx "$WINDOWS_TARGET"; then
    command -v rustup >/dev/null 2>&1 || die "the Rust target $WINDOWS_TARGET is missing and there is no rustup to add it"
    rustup target add "$WINDOWS_TARGET"
fi

log "building jira-auth.exe ($WINDOWS_TARGET)"
cargo build --locked --target "$WINDOWS_TARGET" --bin jira-auth
bin_dir=${CARGO_TARGET_DIR:-$repo_root/target}/$WINDOWS_TARGET/debug
[[ -f $bin_dir/jira-auth.exe ]] || die "no $bin_dir/jira-auth.exe after the build"
x86_64-w64-mingw32-gcc -shared -O2 -Wall -Wextra -Werror \
    -o "$bin_dir/bcryptprimitives.dll" scripts/windows/bcryptprimitives.c -ladvapi32
x86_64-w64-mingw32-gcc -O2 -Wall -Wextra -Werror -municode \
    -o "$bin_dir/credlist.exe" scripts/windows/credlist.c -ladvapi32

# The throwaway prefix, and a keyring-less world: the Windows build stores in Wine's own
# Credential Manager (the prefix's registry), never in the caller's keyrings.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/jira-auth-test-windows.XXXXXX")
export WINEPREFIX=$scratch/prefix
export WINEDEBUG=-all
# No Mono or Gecko: nothing here needs .NET or an HTML engine, and wineboot would otherwise
# look for their installers.
export WINEDLLOVERRIDES="mscoree,mshtml="
cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    rm -rf -- "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "making a Wine prefix in $WINEPREFIX (wineboot)"
started=$SECONDS
mkdir -- "$WINEPREFIX"
# One persistent server for the prefix, started first (it refuses to start beside one that
# wineboot left): every jira-auth.exe of the suite reuses it instead of starting its own.
wineserver -p || die "wineserver -p failed in $WINEPREFIX"
wine64 wineboot --init >/dev/null 2>&1 || die "wineboot failed in $WINEPREFIX"
log "Wine prefix ready in $((SECONDS - started)) s"

export JIRA_AUTH_TEST_WINE
JIRA_AUTH_TEST_WINE=$(command -v wine64)
export JIRA_AUTH_TEST_WINDOWS_EXE=$bin_dir/jira-auth.exe
# The Linux test binary that drives it (the same build scripts/test.sh makes); the Windows
# tests are #[ignore]d for every other run.
cargo test --locked --test cli -- --ignored cases::windows:: "$@"
