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

# The keyring daemon is started by D-Bus activation, through our own service file, which takes
# precedence over the stock one (it starts the daemon locked); see scripts/test-keyring-daemon.sh.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$XDG_RUNTIME_DIR/dbus-1/services"
cat >"$XDG_RUNTIME_DIR/dbus-1/services/org.freedesktop.secrets.service" <<SERVICE
[D-BUS Service]
Name=org.freedesktop.secrets
Exec="$here/test-keyring-daemon.sh"
SERVICE

inner='
set -euo pipefail
unset ASSAY_TEST_KEYRING_PASSWORD # only the bus, which starts the daemon, keeps it
bus() { dbus-send --session --print-reply=literal "$@" 2>/dev/null; }
keyring_pid() {
  bus --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk "{print \$2}"
}
bus --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.StartServiceByName \
  string:org.freedesktop.secrets uint32:0 >/dev/null || true
# Wait until the default collection answers, and check that it is unlocked: a locked one
# would open a prompt no one answers, and the tests would hang.
locked=
for _ in $(seq 100); do
  locked=$(bus --dest=org.freedesktop.secrets /org/freedesktop/secrets/aliases/default \
    org.freedesktop.DBus.Properties.Get string:org.freedesktop.Secret.Collection string:Locked \
    | awk "{print \$NF}") && [[ -n "$locked" ]] && break
  sleep 0.05
done
if [[ "$locked" != false ]]; then
  echo "test-env: the keyring daemon did not start unlocked (Locked=${locked:-no answer})" >&2
  cat "$ASSAY_TEST_SANDBOX/keyring.log" >&2
  exit 1
fi
on_exit() {
  pid=$(keyring_pid) && kill "$pid" 2>/dev/null || true
  starts=$(grep -c "daemon starting" "$ASSAY_TEST_SANDBOX/keyring.log" || true)
  if (( starts > 1 )); then
    echo "test-env: the keyring daemon was restarted $((starts - 1)) time(s); its log:" >&2
    cat "$ASSAY_TEST_SANDBOX/keyring.log" >&2
  fi
}
trap on_exit EXIT
status=0
"$@" || status=$?
exit $status
'
xvfb-run -a -s "-screen 0 1400x900x24 -nolisten tcp" \
  dbus-run-session -- bash -c "$inner" bash "$@" 2> >(grep -v -e "Failed to set fd limit" -e "ctivat.* service" >&2)
