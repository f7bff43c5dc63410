#!/usr/bin/env bash
# Installs what building (and, with `test`, testing) Assay needs, and only what is missing:
#   Debian packages (when apt is available and we are root or have sudo), the UI's npm
#   modules, and cargo tools (cargo-nextest, tauri-driver).
#
# Usage: scripts/setup.sh app|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- Debian packages --------------------------------------------------------------------
app_pkgs=(libwebkit2gtk-4.1-dev build-essential pkg-config curl)
test_pkgs=(xvfb xauth webkit2gtk-driver gnome-keyring dbus dbus-x11 keyutils procps xdotool)
pkgs=("${app_pkgs[@]}")
[[ "$mode" == test ]] && pkgs+=("${test_pkgs[@]}")

if command -v dpkg >/dev/null && command -v apt-get >/dev/null; then
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((${#missing[@]})); then
    if [[ $EUID -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
      echo "Missing Debian packages: ${missing[*]}; install them as root." >&2; exit 1
    fi
    say "Installing Debian packages: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
else
  say "No apt here: make sure the equivalents of ${pkgs[*]} are installed."
fi

# --- Node and the UI's modules ----------------------------------------------------------
if ! command -v node >/dev/null; then
  echo "Node.js >= 20.19 is required to build the UI (https://nodejs.org)." >&2; exit 1
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
  echo "Node.js >= 20.19 is required; found $(node --version)." >&2; exit 1
fi
stamp=ui/node_modules/.package-lock.json
if [[ ! -f "$stamp" || ui/package-lock.json -nt "$stamp" ]]; then
  say "Installing the UI's npm modules"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi

# --- cargo tools --------------------------------------------------------------------------
cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$cargo_bin:$PATH"
if [[ "$mode" == test ]]; then
  if ! cargo nextest --version >/dev/null 2>&1; then
    say "Installing cargo-nextest"
    cargo install cargo-nextest --locked
  fi
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver"
    cargo install tauri-driver --version '^2' --locked
  fi
fi
