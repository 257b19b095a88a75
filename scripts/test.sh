#!/usr/bin/env bash
# `make test`: every check CI runs, against real parts (SQLite, PostgreSQL, Chromium) on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

work=$(mktemp -d /tmp/nagare-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  # Servers are started inside $(…) subshells, so their pids live in files.
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  scripts/pg.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%T)"; }

step "format"
cargo fmt --all --check

step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (app on wasm32)"
cargo clippy -p nagare-app --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL (throwaway cluster on loopback)"
pg_url=$(scripts/pg.sh start "$work/pg")
echo "$pg_url"

step "cargo test (store suite on SQLite and PostgreSQL)"
NAGARE_TEST_DATABASE_URL="$pg_url" NAGARE_REQUIRE_POSTGRES=1 cargo test --workspace

step "release build (trunk + server)"
scripts/build.sh

# Starts a server on a free port; prints its base URL once /readyz answers.
start_server() {
  local name=$1 db=$2 seed=$3 port
  port=$(scripts/free-port.sh)
  NAGARE_BIND="127.0.0.1:$port" DATABASE_URL="$db" NAGARE_SEED_DEMO="$seed" NAGARE_LOG=warn \
    ./target/release/nagare serve >"$work/$name.log" 2>&1 &
  echo $! >"$work/$name.pid"
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      echo "http://127.0.0.1:$port"; return 0
    fi
    sleep 0.2
  done
  echo "server $name did not become ready; its log:" >&2; cat "$work/$name.log" >&2; return 1
}

step "API contract check (server on PostgreSQL)"
contract_url=$(start_server contract "$pg_url" false)
# The shared checker is the reference; end2end/contract_check.py is a copy for clones without it.
checker=../shared/tools/contract_check.py
[ -f "$checker" ] || checker=end2end/contract_check.py
python3 "$checker" "$contract_url"

step "Playwright (Debian chromium against the real server)"
E2E_DEMO_URL=$(start_server demo "sqlite://$work/demo.db" true)
E2E_EMPTY_URL=$(start_server empty "sqlite://$work/empty.db" false)
export E2E_DEMO_URL E2E_EMPTY_URL
mkdir -p end2end/.tmp
(cd end2end && TMPDIR="$PWD/.tmp" npx --no-install playwright test)

step "all checks passed"
