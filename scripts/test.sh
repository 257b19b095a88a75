#!/usr/bin/env bash
# `make test`: every check CI runs, against real parts (SQLite, PostgreSQL, an OpenID provider,
# Chromium) on loopback.
#   scripts/test.sh                       everything (what CI runs)
#   scripts/test.sh e2e [PLAYWRIGHT ARGS]  only the release build and the Playwright suite, e.g.
#                                         `scripts/test.sh e2e tests/sso.spec.ts`
set -euo pipefail
mode=${1:-all}
[ "$mode" = e2e ] && shift
cd "$(dirname "$0")/.."
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never

work=$(mktemp -d /tmp/nagare-test.XXXXXX)
chmod 755 "$work"
cleanup() {
  local status=$?
  # Servers are started inside $(…) subshells, so their pids live in files.
  for f in "$work"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  # Wait (up to 10 s) for them to exit, so that none is still writing into $work.
  for _ in $(seq 1 50); do
    alive=0
    for f in "$work"/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  scripts/pg.sh stop "$work/pg" || true
  [ -d "$work/seaweedfs" ] && { scripts/seaweedfs.sh stop "$work/seaweedfs" || true; }
  rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work" || true; }
  exit $status
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m (%s)\n' "$*" "$(date +%T)"; }

if [ "$mode" != e2e ]; then
step "format"
cargo fmt --all --check

step "clippy (native)"
cargo clippy --workspace --all-targets -- -D warnings

step "clippy (app on wasm32)"
cargo clippy -p nagare-app --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL (throwaway cluster on loopback)"
pg_url=$(scripts/pg.sh start "$work/pg")
echo "$pg_url"

step "SeaweedFS (S3-compatible, on loopback: the cost tests read AWS Data Exports from it)"
s3_url=$(scripts/seaweedfs.sh start "$work/seaweedfs")
echo "$s3_url"

step "cargo test (store suite on SQLite and PostgreSQL)"
NAGARE_TEST_DATABASE_URL="$pg_url" NAGARE_REQUIRE_POSTGRES=1 NAGARE_TEST_S3_ENDPOINT="$s3_url" \
  cargo test --workspace

fi

step "release build (trunk + server)"
scripts/build.sh

# Waits up to 60 s for URL to answer; otherwise prints $work/NAME.log and fails.
wait_for() {
  local name=$1 url=$2
  for _ in $(seq 1 300); do
    curl -fsS "$url" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "$name ($url) did not become ready; its log:" >&2; cat "$work/$name.log" >&2; return 1
}

# Starts a server on a free port; prints its base URL once /readyz answers.
start_server() {
  local name=$1 db=$2 seed=$3 port
  port=$(scripts/free-port.sh)
  NAGARE_BIND="127.0.0.1:$port" DATABASE_URL="$db" NAGARE_SEED_DEMO="$seed" NAGARE_LOG=warn \
    ./target/release/nagare serve >"$work/$name.log" 2>&1 &
  echo $! >"$work/$name.pid"
  wait_for "$name" "http://127.0.0.1:$port/readyz" && echo "http://127.0.0.1:$port"
}

if [ "$mode" != e2e ]; then
step "API contract check (server on PostgreSQL)"
contract_url=$(start_server contract "$pg_url" false)
# The shared checker is the reference; end2end/contract_check.py is a copy for clones without it.
checker=../shared/tools/contract_check.py
[ -f "$checker" ] || checker=end2end/contract_check.py
python3 "$checker" "$contract_url"
fi

step "Playwright (Debian chromium against the real server)"
# The demo server takes GitHub webhooks too: the Sources page's test signs recorded payloads.
export E2E_GITHUB_SECRET=e2e-github-webhook-secret-0123456789
E2E_DEMO_URL=$(NAGARE_HOOK_GITHUB_SECRETS=$E2E_GITHUB_SECRET start_server demo "sqlite://$work/demo.db" true)
E2E_EMPTY_URL=$(start_server empty "sqlite://$work/empty.db" false)
export E2E_DEMO_URL E2E_EMPTY_URL

# SSO: a real OpenID provider (npm oidc-provider, end2end/oidc/provider.mjs) and a server "sso" that
# signs in through it, with roles and teams mapped from the provider's groups.
idp_port=$(scripts/free-port.sh)
sso_port=$(scripts/free-port.sh)
while [ "$sso_port" = "$idp_port" ]; do sso_port=$(scripts/free-port.sh); done
E2E_IDP_URL="http://127.0.0.1:$idp_port"
E2E_SSO_URL="http://127.0.0.1:$sso_port"
sso_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
PORT="$idp_port" CLIENT_SECRET="$sso_secret" REDIRECT_URI="$E2E_SSO_URL/auth/callback" \
  POST_LOGOUT_URI="$E2E_SSO_URL/" node end2end/oidc/provider.mjs >"$work/idp.log" 2>&1 &
echo $! >"$work/idp.pid"
wait_for idp "$E2E_IDP_URL/.well-known/openid-configuration"
cat >"$work/sso.toml" <<EOF
[server]
bind = "127.0.0.1:$sso_port"

[database]
url = "sqlite://$work/sso.db"

[auth]
issuer = "$E2E_IDP_URL"
client_id = "nagare"
client_secret = "$sso_secret"
redirect_url = "$E2E_SSO_URL/auth/callback"
scopes = ["groups"]
groups_claim = "groups"
viewers_see_all_teams = true

[auth.roles]
"platform-admins" = "admin"
"team-payments" = "engineer"
"dev-viewers" = "viewer"

[auth.teams]
"team-payments" = "payments"
EOF
# Configured by a file, not like start_server by env: the [auth] tables have no env form.
NAGARE_SEED_DEMO=true NAGARE_LOG=warn \
  ./target/release/nagare --config "$work/sso.toml" serve >"$work/sso.log" 2>&1 &
echo $! >"$work/sso.pid"
wait_for sso "$E2E_SSO_URL/readyz"
export E2E_SSO_URL E2E_IDP_URL

# GitHub as a source, backfilled and mirrored from the Sources page: a stand-in for GitHub's
# REST API (end2end/github/rest.mjs, recorded objects) and a repository made here with the git
# CLI, three commits at known times, the first and last of which the two deployments shipped.
hello="$work/hello"
git init -q -b master "$hello"
now=$(date +%s)
shas=()
for hours in 96 60 40; do
  at="@$((now - hours * 3600)) +0000"
  GIT_AUTHOR_DATE="$at" GIT_COMMITTER_DATE="$at" git -C "$hello" -c user.name=Mona \
    -c user.email=mona@example.com commit -q --allow-empty -m "A change made $hours h ago"
  shas+=("$(git -C "$hello" rev-parse HEAD)")
done
rest_port=$(scripts/free-port.sh)
gh_port=$(scripts/free-port.sh)
while [ "$gh_port" = "$rest_port" ]; do gh_port=$(scripts/free-port.sh); done
gh_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$gh_token" >"$work/github-token"
E2E_GITHUB_REST="http://127.0.0.1:$rest_port"
E2E_GITHUB_URL="http://127.0.0.1:$gh_port"
PORT="$rest_port" TOKEN="$gh_token" SHAS="${shas[0]},${shas[2]}" \
  node end2end/github/rest.mjs >"$work/rest.log" 2>&1 &
echo $! >"$work/rest.pid"
wait_for rest "$E2E_GITHUB_REST/_seen"
cat >"$work/github.toml" <<EOF
[server]
bind = "127.0.0.1:$gh_port"

[database]
url = "sqlite://$work/github.db"

[sources.github]
api_url = "$E2E_GITHUB_REST"
token_file = "$work/github-token"
secrets = ["$E2E_GITHUB_SECRET"]

[[sources.github.repos]]
repo = "Codertocat/Hello-World"
service = "hello"

[[sources.git.mirrors]]
repo = "Codertocat/Hello-World"
url = "$hello"
EOF
NAGARE_LOG=warn ./target/release/nagare --config "$work/github.toml" serve >"$work/github.log" 2>&1 &
echo $! >"$work/github.pid"
wait_for github "$E2E_GITHUB_URL/readyz"
export E2E_GITHUB_URL E2E_GITHUB_REST

# Cloud cost: the real FOCUS sample (server/tests/fixtures/cost/, CC BY 4.0) imported by
# `nagare import-cost` into a server of its own, allocated by the sample's own tag keys.
cost_port=$(scripts/free-port.sh)
E2E_COST_URL="http://127.0.0.1:$cost_port"
E2E_COST_SAMPLE="$PWD/server/tests/fixtures/cost/focus_sample.csv"
cat >"$work/cost.toml" <<EOF
[server]
bind = "127.0.0.1:$cost_port"

[database]
url = "sqlite://$work/cost.db"

[cost]
team_tags = ["business_unit"]
service_tags = ["application"]

[[cost.sources]]
name = "sample"
location = "$E2E_COST_SAMPLE"
poll_secs = 0
EOF
NAGARE_LOG=warn ./target/release/nagare --config "$work/cost.toml" import-cost --quiet
NAGARE_LOG=warn ./target/release/nagare --config "$work/cost.toml" serve >"$work/cost.log" 2>&1 &
echo $! >"$work/cost.pid"
wait_for cost "$E2E_COST_URL/readyz"
export E2E_COST_URL E2E_COST_SAMPLE

mkdir -p end2end/.tmp
(cd end2end && TMPDIR="$PWD/.tmp" npx --no-install playwright test "$@")

if [ "$mode" = e2e ]; then step "Playwright passed"; else step "all checks passed"; fi
