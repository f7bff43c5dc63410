#!/usr/bin/env bash
# The throwaway test keyring daemon, started by D-Bus activation inside scripts/test-env.sh.
#
# Activation (rather than starting it once by hand) matters because gnome-keyring-daemon
# aborts now and then when a client vanishes mid-call, an upstream race
# (gitlab.gnome.org/GNOME/gnome-keyring issues 190, 196, 199) that our crash tests, which
# SIGKILL clients on purpose, can trigger. On a real desktop systemd or D-Bus restarts the
# daemon; here the next call restarts it through this script, unlocked with the run's password
# so nothing prompts. The stock activation file would start it locked, and a locked keyring
# opens an unlock prompt that no one answers.
set -euo pipefail
echo "test-keyring: daemon starting (pid $$) at $(date +%T.%N)" >>"$ASSAY_TEST_SANDBOX/keyring.log"
password="$ASSAY_TEST_KEYRING_PASSWORD"
unset ASSAY_TEST_KEYRING_PASSWORD
exec gnome-keyring-daemon --foreground --unlock --components=secrets \
  < <(printf %s "$password") >/dev/null 2>>"$ASSAY_TEST_SANDBOX/keyring.log"
