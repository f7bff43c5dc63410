#!/usr/bin/env bash
# Runs a command inside a hermetic desktop session for tests:
#   - Xvfb, a virtual X display, so the real app window can open;
#   - a private D-Bus session bus, so nothing reaches the user's own session;
#   - a throwaway gnome-keyring, unlocked, whose files live in a temp dir, so Secret Service
#     tests never touch a real login keyring;
#   - XDG_DATA_HOME pointing into the temp dir, so even a test that forgets --data-dir never
#     writes to the real platform data dir.
# HOME is left alone because rustup and cargo live there.
#
# Usage: scripts/test-env.sh CMD [ARGS...]
set -euo pipefail

if [[ "${ASSAY_TEST_ENV:-}" == 1 ]]; then
  exec "$@" # already inside
fi

sandbox="$(mktemp -d "${TMPDIR:-/tmp}/assay-test-env.XXXXXX")"
trap 'rm -rf "$sandbox"' EXIT
mkdir -p "$sandbox"/{data,config,cache,runtime}
chmod 700 "$sandbox/runtime"

export ASSAY_TEST_ENV=1
export ASSAY_TEST_SANDBOX="$sandbox"
export XDG_DATA_HOME="$sandbox/data"
export XDG_CONFIG_HOME="$sandbox/config"
export XDG_CACHE_HOME="$sandbox/cache"
export XDG_RUNTIME_DIR="$sandbox/runtime"
# No accessibility bus: it only adds D-Bus activations and noise to test output.
export NO_AT_BRIDGE=1
# A random password for a keyring that lives only as long as this run.
ASSAY_TEST_KEYRING_PASSWORD="$(head -c 18 /dev/urandom | base64)"
export ASSAY_TEST_KEYRING_PASSWORD

inner='
set -euo pipefail
printf %s "$ASSAY_TEST_KEYRING_PASSWORD" \
  | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>"$ASSAY_TEST_SANDBOX/keyring.log"
unset ASSAY_TEST_KEYRING_PASSWORD
# The daemon forks and registers on the bus a moment later; wait for it, then note its pid
# (asked of our private bus, so it is exactly this daemon) to stop it at the end.
keyring_pid=
for _ in $(seq 100); do
  keyring_pid=$(dbus-send --session --print-reply=literal --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.GetConnectionUnixProcessID \
    string:org.freedesktop.secrets 2>/dev/null | awk "{print \$2}") && break
  sleep 0.05
done
[[ -n "$keyring_pid" ]] || { echo "test-env: the keyring daemon did not start" >&2; cat "$ASSAY_TEST_SANDBOX/keyring.log" >&2; exit 1; }
trap "kill $keyring_pid 2>/dev/null || true" EXIT
status=0
"$@" || status=$?
exit $status
'
xvfb-run -a -s "-screen 0 1400x900x24 -nolisten tcp" \
  dbus-run-session -- bash -c "$inner" bash "$@" 2> >(grep -v "Failed to set fd limit" >&2)
