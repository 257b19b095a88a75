#!/usr/bin/env bash
# `make bench`: the performance targets of docs/PERFORMANCE.md, measured on this machine, and
# written into docs/PERFORMANCE.md. Synthetic organisation: 100k deployments, 1M commits,
# 50k pull requests, 10k incidents (BENCH_SCALE=0.1 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
scale=${BENCH_SCALE:-1}
data=bench-data
mkdir -p "$data"
work=$(mktemp -d /tmp/nagare-bench.XXXXXX); chmod 755 "$work"
cleanup() {
  # Servers are started inside $(…) subshells, so their pids live in files.
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  scripts/pg.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '\033[1m[bench]\033[0m %s\n' "$*" >&2; }

say "building (release)"
scripts/build.sh >&2
cargo build --release -p nagare-server --bin nagare-bench >&2
bin=./target/release/nagare

file="$data/org-$scale.ndjson"
if [ ! -s "$file" ]; then
  say "generating the synthetic organisation (scale $scale)"
  ./target/release/nagare-bench "$file" --scale "$scale" >&2
fi
events=$(wc -l <"$file")
say "$events events in $file ($(du -h "$file" | cut -f1))"

# to = the generator's fixed end; one year back.
year="from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"
one_service=$(head -n 50 "$file" | python3 -c 'import sys,json
for l in sys.stdin:
    e=json.loads(l)
    if e["kind"]=="service": print(e["name"]); break')

import_rate() { # DATABASE_URL -> events/s line
  local out
  out=$(DATABASE_URL="$1" $bin import --quiet "$file")
  echo "$out" >&2
  echo "$out" | sed -n 's/.*(\([0-9]*\) events\/s).*/\1/p'
}

serve() { # name DATABASE_URL -> base URL, after /readyz answers; records start-up seconds
  local port t0
  port=$(scripts/free-port.sh); t0=$(date +%s.%N)
  NAGARE_BIND="127.0.0.1:$port" DATABASE_URL="$2" NAGARE_LOG=warn $bin serve >"$work/$1.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$work/$1.pid"
  until curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do
    sleep 0.2
    kill -0 "$pid" 2>/dev/null || { cat "$work/$1.log" >&2; exit 1; }
  done
  echo "$(python3 -c "print(round($(date +%s.%N) - $t0, 1))")" >"$work/$1.startup"
  echo "http://127.0.0.1:$port"
}

stop() { kill "$(cat "$work/$1.pid")" 2>/dev/null || true; rm -f "$work/$1.pid"; sleep 0.5; }

declare -A R
run_backend() { # name url
  local name=$1 url=$2 base
  say "$name: nagare import"
  R[${name}_import]=$(import_rate "$url")
  say "$name: serve (loads and derives the model)"
  base=$(serve "$name" "$url")
  R[${name}_startup]=$(cat "$work/$name.startup")
  say "$name: DORA org-wide, 1 year, 200 requests"
  R[${name}_org]=$(python3 scripts/bench_http.py query "$base" 200 "$year")
  say "$name: DORA one service ($one_service), 1 year, 200 requests"
  R[${name}_svc]=$(python3 scripts/bench_http.py query "$base" 200 "$year&service=$one_service")
  say "$name: DORA org-wide with weekly series, 200 requests"
  R[${name}_week]=$(python3 scripts/bench_http.py query "$base" 200 "$year&interval=week")
  R[${name}_rss]=$(ps -o rss= -p "$(cat "$work/$name.pid")" | awk '{printf "%.0f", $1/1024}')
  stop "$name"
}

run_backend sqlite "sqlite://$work/bench.db"
say "sqlite: POST /api/v1/events in batches of 5000 into a fresh database"
base=$(serve api "sqlite://$work/api.db")
R[api_ingest]=$(python3 scripts/bench_http.py ingest "$base" "$file" 5000)
stop api

say "postgres: starting a throwaway cluster"
pg_url=$(scripts/pg.sh start "$work/pg")
run_backend postgres "$pg_url"

# Every file of each kind the page loads (the app's JS glue and the boot loader).
size() { cat "$@" | wc -c; }
gz() { local t=0 f; for f in "$@"; do t=$((t + $(gzip -9 -c "$f" | wc -c))); done; echo $t; }
wasm_raw=$(size dist/*.wasm); wasm_gz=$(gz dist/*.wasm); js_raw=$(size dist/*.js); js_gz=$(gz dist/*.js)
total_gz=$((wasm_gz + js_gz))

field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
kb() { python3 -c "print(round($1/1024, 1))"; }
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -n1)

python3 - "$@" <<PY
import re
doc = open("docs/PERFORMANCE.md").read()
results = """<!-- bench:start (written by scripts/bench.sh; do not edit by hand) -->
Measured $(date -u +%Y-%m-%d) on: ${cpu}, $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB,
$(uname -sr), rustc $(rustc --version | cut -d' ' -f2). Data: ${events} events
(scale ${scale}: \`nagare-bench\` synthetic organisation). Command: \`make bench\`.

| measure | SQLite | PostgreSQL | target |
|---|---|---|---|
| \`nagare import\` (events/s) | ${R[sqlite_import]} | ${R[postgres_import]} | ≥ 20 000 |
| server start-up: load + derive the model (s) | ${R[sqlite_startup]} | ${R[postgres_startup]} | |
| DORA, org-wide, 1 year: p50 / p95 (ms) | $(field "${R[sqlite_org]}" p50_ms) / $(field "${R[sqlite_org]}" p95_ms) | $(field "${R[postgres_org]}" p50_ms) / $(field "${R[postgres_org]}" p95_ms) | p95 ≤ 50 |
| DORA, one service, 1 year: p50 / p95 (ms) | $(field "${R[sqlite_svc]}" p50_ms) / $(field "${R[sqlite_svc]}" p95_ms) | $(field "${R[postgres_svc]}" p50_ms) / $(field "${R[postgres_svc]}" p95_ms) | |
| DORA, org-wide, 1 year, weekly series: p50 / p95 (ms) | $(field "${R[sqlite_week]}" p50_ms) / $(field "${R[sqlite_week]}" p95_ms) | $(field "${R[postgres_week]}" p50_ms) / $(field "${R[postgres_week]}" p95_ms) | |
| server memory after the queries (MiB RSS) | ${R[sqlite_rss]} | ${R[postgres_rss]} | |

- Org-wide window: $(field "${R[sqlite_org]}" deployments) deployments and $(field "${R[sqlite_org]}" changes) changes counted.
- \`POST /api/v1/events\` (NDJSON, batches of 5 000, one keep-alive connection, SQLite):
  $(field "${R[api_ingest]}" events_per_s) events/s ($(field "${R[api_ingest]}" events) events in $(field "${R[api_ingest]}" seconds) s).
- Web app bundle: wasm $(kb $wasm_raw) KB raw / $(kb $wasm_gz) KB gzip; JS $(kb $js_raw) KB raw / $(kb $js_gz) KB gzip;
  total **$(kb $total_gz) KB gzipped** (target ≤ 400 KB).
<!-- bench:end -->"""
doc = re.sub(r"<!-- bench:start.*?<!-- bench:end -->", lambda m: results, doc, flags=re.S)
open("docs/PERFORMANCE.md", "w").write(doc)
PY
say "results written to docs/PERFORMANCE.md"
sed -n '/bench:start/,/bench:end/p' docs/PERFORMANCE.md
