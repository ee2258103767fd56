#!/usr/bin/env bash
# Second half of scripts/test.sh and scripts/bench.sh, run by `dbus-run-session` on a
# private session bus. Do not call it directly: use those.
#
# Creates and unlocks a throwaway `login` keyring, checks that the Secret Service
# really stores and returns secrets, then runs its arguments as a command.
set -euo pipefail

script_name=in-keyring-session.sh
# shellcheck source=scripts/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# Guard: only ever touch the throwaway keyring directory made by scripts/test.sh.
[[ -n ${JIRA_AUTH_TEST_SCRATCH:-} && -n ${DBUS_SESSION_BUS_ADDRESS:-} &&
    ${XDG_DATA_HOME:-} == "$JIRA_AUTH_TEST_SCRATCH"/* ]] ||
    die "$(basename -- "$0") is run by scripts/test.sh or scripts/bench.sh; run those instead"

# A random password: the keyring is thrown away afterwards anyway.
pw=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# --unlock creates the `login` collection (the default one) and unlocks it; without
# it there is no default collection and every write fails. It may print VAR=value
# lines (e.g. GNOME_KEYRING_CONTROL): export those, without eval-ing anything else.
out=$(printf %s "$pw" | gnome-keyring-daemon --unlock --components=secrets) ||
    die "gnome-keyring-daemon --unlock failed"
while IFS= read -r line; do
    if [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
        export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
    fi
done <<<"$out"

# --unlock exits 0 even when it did not unlock anything: prove the keyring works.
# (timeout: a locked collection would otherwise wait for a prompt nobody answers.)
probe=(service jira-auth-probe user probe)
probe_value="probe-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf %s "$probe_value" | timeout 30 secret-tool store --label=probe "${probe[@]}" ||
    die "the throwaway keyring does not work: 'secret-tool store' failed"
got=$(timeout 30 secret-tool lookup "${probe[@]}") ||
    die "the throwaway keyring does not work: 'secret-tool lookup' failed"
[[ $got == "$probe_value" ]] ||
    die "the throwaway keyring does not work: 'secret-tool lookup' returned another value"
timeout 30 secret-tool clear "${probe[@]}" ||
    die "the throwaway keyring does not work: 'secret-tool clear' failed"

# The kernel-keyring cache tests need keyutils in the user keyring (@u): refused in some
# containers (seccomp). Say so here rather than let those tests fail obscurely.
if key=$(keyctl add user "jira-auth-test-probe-$$" probe @u 2>/dev/null) &&
    keyctl unlink "$key" @u >/dev/null 2>&1; then
    export JIRA_AUTH_TEST_KEYUTILS=1
else
    log "warning: keyutils refused a key in the user keyring; the kernel-keyring cache tests will fail"
fi

# The keychain tests refuse to run unless this is set.
export JIRA_AUTH_TEST_SECRET_SERVICE=1
[[ $# -gt 0 ]] || die "no command to run"
exec "$@"
