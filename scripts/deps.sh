#!/usr/bin/env bash
# The one list of Debian packages dialconf needs to build, run and test.
# Installs only what is missing; does nothing when everything is there.
set -euo pipefail

PACKAGES=(
  build-essential pkg-config meson ninja-build
  libsqlite3-dev libpq-dev libmicrohttpd-dev libjansson-dev libsodium-dev
  libcurl4-openssl-dev libcsv-dev libinih-dev libcmocka-dev libical-dev
  libsystemd-dev
  sqlite3 postgresql python3 python3-aiosmtpd python3-icalendar curl
  chromium nodejs
  libre-dev librem-dev baresip-core espeak-ng sox
  kamailio wrk scdoc sip-tester nginx
  debhelper lintian
  clang-14 libclang-rt-14-dev
)
# npm: Debian's package, unless the installed nodejs brings its own (NodeSource's
# nodejs provides and conflicts with the npm package).
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -q "${missing[@]}" >/dev/null || {
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q "${missing[@]}" >/dev/null
}
