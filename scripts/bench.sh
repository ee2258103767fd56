#!/usr/bin/env bash
# Benchmark of `jira-auth token` against one Secret Service round trip, in one run:
#
#     scripts/bench.sh            # 300 timed runs of each command, then the proxy's part
#     RUNS=1000 scripts/bench.sh
#     scripts/bench.sh proxy      # the proxy's part alone (scripts/bench-proxy.sh)
#
# Inside a private D-Bus session with a throwaway gnome-keyring (as scripts/test.sh), it
# stores one 1.5 KB secret with `secret-tool` and a ready profile with examples/seed_profile,
# then times with hyperfine, interleaved in one run:
#   - `secret-tool lookup` of that secret (C libsecret: the cost of one Secret Service lookup);
#   - `jira-auth token` answered from the kernel-keyring cache;
#   - `jira-auth token` with JIRA_AUTH_NO_CACHE=1, i.e. from the Secret Service;
#   - `jira-auth token` of a service-account profile, from the kernel-keyring cache;
#   - `jira-auth header` of an API-token profile (a static secret, never cached: the Secret
#     Service path);
# and measures the peak RSS of both OAuth `token` variants. Every command runs through `env`
# so that all carry the same exec overhead. Targets (issues 3 and 10): median with the cache
# (OAuth and service account) <= 0.3x secret-tool, from the Secret Service (OAuth without the
# cache, an API token) <= 1.2x, peak RSS <= 15 MB. Exits 1 if one is missed.
# Machines here are shared and noisy: compare the ratios, not the milliseconds.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"
script_name=bench.sh
# shellcheck source=scripts/lib.sh
. "$repo_root/scripts/lib.sh"

if [[ ${1:-} == proxy ]]; then
    ensure_cargo
    log "building the release binary (a few minutes when cold)"
    cargo build --release --locked --bin jira-auth
    exec "$repo_root/scripts/bench-proxy.sh"
fi

ensure_commands "${KEYRING_TOOLS[@]}" hyperfine:hyperfine python3:python3
# GNU time measures peak RSS; `time` alone is the shell keyword, hence the path.
[[ -x /usr/bin/time ]] || ensure_commands /usr/bin/time:time
ensure_cargo

log "building the release binary and the seeding example (a few minutes when cold)"
cargo build --release --locked --bin jira-auth --example seed_profile
make_scratch
export BENCH_RUNS=${RUNS:-300}
status=0
dbus-run-session -- "$repo_root/scripts/in-keyring-session.sh" "$repo_root/scripts/bench-in-session.sh" || status=1
# `jira-auth proxy` against the emulator it forwards to (no keyring: a file-store profile).
"$repo_root/scripts/bench-proxy.sh" || status=1
exit "$status"
