#!/usr/bin/env bash
# Builds the web app (trunk, release) into dist/ and the server binary (target/release/nagare).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
echo "[build] web app (trunk build --release)"
trunk build --release
echo "[build] server (cargo build --release)"
cargo build --release -p nagare-server
