#!/usr/bin/env bash
# Second half of scripts/bench.sh, run inside the throwaway keyring session. Do not call it
# directly: use scripts/bench.sh.
set -euo pipefail

script_name=bench.sh
repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$repo_root/scripts/lib.sh"
[[ -n ${JIRA_AUTH_TEST_SCRATCH:-} && -n ${BENCH_RUNS:-} ]] || die "run scripts/bench.sh instead"

bin=$repo_root/target/release/jira-auth
export JIRA_AUTH_CONFIG_DIR=$JIRA_AUTH_TEST_SCRATCH/config
export JIRA_AUTH_PROFILE=bench
unset JIRA_AUTH_NO_CACHE JIRA_AUTH_STORE

# The same size as a jira-auth config, so that both sides move the same bytes over D-Bus.
head -c 1500 /dev/urandom | base64 -w0 |
    secret-tool store --label="jira-auth benchmark" service jira-auth-bench username one
seed=$repo_root/target/release/examples/seed_profile
"$seed" bench oauth
"$seed" bench-sa service-account
"$seed" bench-tok api-token
"$bin" token >/dev/null # fills the kernel-keyring cache
"$bin" token --profile bench-sa >/dev/null
# Without keyutils the "cached" row would time the Secret Service path under another name.
[[ ${JIRA_AUTH_TEST_KEYUTILS:-} == 1 ]] ||
    log "warning: keyutils refused a key in the user keyring: the kernel-keyring cache cannot work here, and its row will miss its target"

lookup="env secret-tool lookup service jira-auth-bench username one"
cached="env $bin token"
uncached="env JIRA_AUTH_NO_CACHE=1 $bin token"
sa_cached="env $bin token --profile bench-sa"
# An API token is a static secret, never cached: always the Secret Service path.
api_token="env $bin header --profile bench-tok"
# Sanity: each command works and prints something.
for c in "$lookup" "$cached" "$uncached" "$sa_cached" "$api_token"; do
    [[ -n $($c) ]] || die "'$c' printed nothing"
done

hyperfine -N --style basic --warmup 20 --runs "$BENCH_RUNS" \
    --export-json "$JIRA_AUTH_TEST_SCRATCH/times.json" \
    -n "secret-tool lookup" "$lookup" \
    -n "jira-auth token (kernel keyring cache)" "$cached" \
    -n "jira-auth token (JIRA_AUTH_NO_CACHE=1)" "$uncached" \
    -n "jira-auth token, service account (kernel keyring cache)" "$sa_cached" \
    -n "jira-auth header, API token (Secret Service)" "$api_token" >&2

python3 - "$JIRA_AUTH_TEST_SCRATCH/times.json" "$bin" <<'PY'
import json, os, statistics, subprocess, sys

times = json.load(open(sys.argv[1]))["results"]
bin_ = sys.argv[2]
median = {r["command"]: statistics.median(r["times"]) for r in times}
base = median["secret-tool lookup"]
cached = median["jira-auth token (kernel keyring cache)"]
uncached = median["jira-auth token (JIRA_AUTH_NO_CACHE=1)"]
sa_cached = median["jira-auth token, service account (kernel keyring cache)"]
api_token = median["jira-auth header, API token (Secret Service)"]

def peak_rss_kb(env_extra, runs=20):
    # Through GNU time, not os.wait4 here: a child forked from this Python process would
    # report Python's own RSS as its peak (ru_maxrss survives execve).
    env = dict(os.environ, **env_extra)
    peak = 0
    for _ in range(runs):
        p = subprocess.run(["/usr/bin/time", "-f", "%M", bin_, "token"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            sys.exit(f"jira-auth token failed with {p.returncode}")
        peak = max(peak, int(p.stderr.strip().splitlines()[-1]))  # KiB
    return peak

rss_cached = peak_rss_kb({})
rss_uncached = peak_rss_kb({"JIRA_AUTH_NO_CACHE": "1"})

rows = [
    ("median secret-tool lookup", f"{base*1e3:.2f} ms", "", True),
    ("median token, cached", f"{cached*1e3:.2f} ms", f"{cached/base:.2f}x  (target <= 0.30x)", cached / base <= 0.3),
    ("median token, no cache", f"{uncached*1e3:.2f} ms", f"{uncached/base:.2f}x  (target <= 1.20x)", uncached / base <= 1.2),
    ("median token, sa, cached", f"{sa_cached*1e3:.2f} ms", f"{sa_cached/base:.2f}x  (target <= 0.30x)", sa_cached / base <= 0.3),
    ("median header, api token", f"{api_token*1e3:.2f} ms", f"{api_token/base:.2f}x  (target <= 1.20x)", api_token / base <= 1.2),
    ("peak RSS token, cached", f"{rss_cached/1024:.1f} MB", "(target <= 15 MB)", rss_cached <= 15 * 1024),
    ("peak RSS token, no cache", f"{rss_uncached/1024:.1f} MB", "(target <= 15 MB)", rss_uncached <= 15 * 1024),
]
print()
for name, value, ratio, ok in rows:
    print(f"{name:<28}{value:>10}   {ratio:<26}{'' if not ratio else ('ok' if ok else 'MISSED')}")
sys.exit(0 if all(r[3] for r in rows) else 1)
PY
