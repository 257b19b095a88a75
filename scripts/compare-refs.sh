#!/usr/bin/env bash
# Before/after comparison of the API's JSON: the same organisation served by two builds.
#
#   scripts/compare-refs.sh [BEFORE_REF] [SCALE]
#
# BEFORE_REF (default: origin/main, else HEAD~1) is built in a git worktree under
# target/compare/; the working tree is built as "after". Both are asked the same questions
# (scripts/compare_api.py) on two organisations: the demo organisation, and the synthetic bench
# organisation at SCALE (default 0.1; `make bench` uses 1). Each server gets its own copy of
# one database file, so both see exactly the same events. Exits non-zero on any difference.
# BEFORE_BIN=path/to/nagare skips building the before ref.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
ref=${1:-$(git rev-parse --verify -q origin/main >/dev/null && echo origin/main || echo HEAD~1)}
scale=${2:-0.1}
say() { printf '\033[1m[compare]\033[0m %s\n' "$*" >&2; }
work=$(mktemp -d /tmp/nagare-compare.XXXXXX)
cleanup() {
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

say "building after (working tree)"
cargo build --release -p nagare-server --bin nagare --bin nagare-bench >&2
after=./target/release/nagare
if [ -n "${BEFORE_BIN:-}" ]; then
  before=$BEFORE_BIN
else
  say "building before ($ref)"
  tree=target/compare/tree
  git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
  git worktree add --detach "$tree" "$ref" >&2
  (cd "$tree" && CARGO_TARGET_DIR="$PWD/../target" cargo build --release -p nagare-server --bin nagare >&2)
  before=target/compare/target/release/nagare
  git worktree remove --force "$tree"
fi

serve() { # name bin db -> base URL once /readyz answers
  local port pid
  port=$(scripts/free-port.sh)
  NAGARE_BIND="127.0.0.1:$port" DATABASE_URL="sqlite://$3" NAGARE_LOG=warn "$2" serve >"$work/$1.log" 2>&1 &
  pid=$!
  echo "$pid" >"$work/$1.pid"
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    sleep 0.2
    kill -0 "$pid" 2>/dev/null || { cat "$work/$1.log" >&2; exit 1; }
  done
  echo "http://127.0.0.1:$port"
}

compare() { # name: $work/$name.db holds the organisation
  local name=$1 a b
  cp "$work/$name.db" "$work/$name-before.db"
  cp "$work/$name.db" "$work/$name-after.db"
  a=$(serve "$name-before" "$before" "$work/$name-before.db")
  b=$(serve "$name-after" "$after" "$work/$name-after.db")
  say "$name: comparing $a (before) with $b (after)"
  python3 scripts/compare_api.py "$a" "$b"
  kill "$(cat "$work/$name-before.pid")" "$(cat "$work/$name-after.pid")" 2>/dev/null || true
}

say "demo organisation"
DATABASE_URL="sqlite://$work/demo.db" "$before" demo >&2
compare demo

file=bench-data/org-$scale.ndjson
if [ ! -s "$file" ]; then
  mkdir -p bench-data
  say "generating the bench organisation (scale $scale)"
  ./target/release/nagare-bench "$file" --scale "$scale" >&2
fi
say "bench organisation (scale $scale, $(wc -l <"$file") events)"
DATABASE_URL="sqlite://$work/bench.db" "$before" import --quiet "$file" >&2
compare bench
say "no differences"
