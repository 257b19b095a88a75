#!/usr/bin/env bash
# Builds the web app (trunk, release) into dist/ and the server binary (target/release/nagare).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
echo "[build] web app: the portal (trunk build --release) into dist/"
trunk build --release
# The administration's own bundle (/admin/*), after the portal's: each build empties its dist.
echo "[build] web app: the administration into dist/admin-app/"
trunk build app/admin/index.html --release true --dist dist/admin-app --public-url /admin-app/
echo "[build] web app: the flow (pipelines) into dist/flow-app/"
trunk build app/flow/index.html --release true --dist dist/flow-app --public-url /flow-app/
echo "[build] server (cargo build --release)"
cargo build --release -p nagare-server
