#!/usr/bin/env bash
# Checks the release .deb that `make package` built:
#   1. its Depends field names only packages this distribution has (apt-cache knows each);
#   2. `dpkg-deb -x` into a temp root holds the binary, the desktop entry and the icons;
#   3. the extracted binary launches under the test display and reaches the welcome screen
#      (the e2e harness drives it through tauri-driver, ASSAY_APP_BINARY pointing at it).
set -euo pipefail
cd "$(dirname "$0")/.."

deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)
[[ -n "$deb" ]] || { echo "package-test: no .deb; run make package first" >&2; exit 1; }
echo "package-test: $deb"

fail() { echo "package-test: $*" >&2; exit 1; }

# 1. Depends: every package named (alternatives included) is known to this distribution.
depends=$(dpkg-deb -f "$deb" Depends)
[[ -n "$depends" ]] || fail "the package declares no Depends"
echo "package-test: Depends: $depends"
IFS=',' read -ra clauses <<< "$depends"
for clause in "${clauses[@]}"; do
  IFS='|' read -ra alternatives <<< "$clause"
  for alt in "${alternatives[@]}"; do
    name=$(sed -E 's/\(.*\)//; s/:any$//; s/[[:space:]]//g' <<< "$alt")
    apt-cache show "$name" >/dev/null 2>&1 || fail "Depends names $name, which this distribution does not have"
  done
done

# 2. The files a desktop install needs.
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
bin="$root/usr/bin/assay-desktop"
[[ -x "$bin" ]] || fail "no executable usr/bin/assay-desktop"
desktop=$(ls "$root"/usr/share/applications/*.desktop 2>/dev/null | head -1 || true)
[[ -n "$desktop" ]] || fail "no desktop entry in usr/share/applications"
grep -q '^Exec=assay-desktop' "$desktop" || fail "$desktop does not run assay-desktop"
grep -q '^Icon=' "$desktop" || fail "$desktop names no icon"
icons=$(find "$root/usr/share/icons" -name '*.png' | wc -l)
(( icons > 0 )) || fail "no icons under usr/share/icons"
echo "package-test: binary, $(basename "$desktop") and $icons icon(s) present"

# 3. The extracted binary reaches the welcome screen.
ASSAY_APP_BINARY="$bin" scripts/test-env.sh cargo nextest run -p assay-desktop \
  -E 'binary(e2e) & test(the_packaged_app_launches)' --run-ignored only
echo "package-test: passed"
