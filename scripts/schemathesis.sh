#!/usr/bin/env bash
# Property-based tests of the real server against its own OpenAPI document (schemathesis, every
# check): starts `clearway demo --serve` on a fresh SQLite database, then on a fresh PostgreSQL
# database, and runs `schemathesis run` on /api/openapi.json with an admin token. Exits non-zero
# on any failure not recorded in .ci/schemathesis-baseline.json. That baseline holds only
# positive-data refusals of rules a schema cannot state (an id that must exist, a cross-field or
# file-content rule, an opaque cursor); never a server error or a document mismatch. Each entry
# is one operation + check: fix the cause and delete the entry.
#
# Environment: TEST_DATABASE_URL (PostgreSQL server; default postgres://postgres@127.0.0.1:5432/test),
# SCHEMATHESIS_EXAMPLES (test cases per operation, default 20), SCHEMATHESIS_SEED (default 1),
# SCHEMATHESIS_BASELINE (accepted failures; default .ci/schemathesis-baseline.json when present),
# SCHEMATHESIS_BASELINE_UPDATE=1 (record this run's failures into the baseline),
# CLEARWAY_SKIP_POSTGRES=1 (SQLite only).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/clearway-target}"

command -v schemathesis >/dev/null || pip install --quiet schemathesis
# The debug binary the test suite builds; a no-op when the tests ran first.
cargo build --locked --quiet -p clearway
bin="$CARGO_TARGET_DIR/debug/clearway"

examples="${SCHEMATHESIS_EXAMPLES:-20}"
seed="${SCHEMATHESIS_SEED:-1}"
baseline="${SCHEMATHESIS_BASELINE:-}"
if [ -z "$baseline" ] && [ -f .ci/schemathesis-baseline.json ]; then
  baseline="$repo/.ci/schemathesis-baseline.json"
fi
pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
work=$(mktemp -d /tmp/clearway-schemathesis.XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run NAME DATABASE_URL: serve the demo on that database and test it.
run() {
  local name=$1 db=$2 dir="$work/$1" port
  mkdir -p "$dir/data"
  port=$(free_port)
  CLEARWAY_DATA_DIR="$dir/data" CLEARWAY_LOG=warn "$bin" demo --investors 20 --no-history \
    --tokens-out "$dir/tokens.json" --serve --listen "127.0.0.1:$port" --database-url "$db" \
    >"$dir/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "$server" 2>/dev/null || { cat "$dir/server.log" >&2; return 1; }
    sleep 0.5
  done
  local token
  token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin"])' "$dir/tokens.json")
  echo "== schemathesis, $name (port $port, $examples examples per operation, seed $seed) =="
  local args=(run "http://127.0.0.1:$port/api/openapi.json"
    -H "Authorization: Bearer $token" --checks all --phases examples,coverage,fuzzing
    -n "$examples" --seed "$seed" -w 1 --request-timeout 30 --generation-database none
    --no-color --report junit --report-dir "$dir/report")
  if [ -n "$baseline" ]; then
    args+=(--baseline "$baseline")
    [ "${SCHEMATHESIS_BASELINE_UPDATE:-0}" = "1" ] && args+=(--baseline-update)
  fi
  local rc=0
  (cd "$dir" && schemathesis "${args[@]}") || rc=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  server=""
  if [ "$rc" -ne 0 ]; then
    echo "schemathesis failed on $name (server log: last lines below)" >&2
    tail -20 "$dir/server.log" >&2
  fi
  return "$rc"
}

status=0
run sqlite "sqlite:$work/sqlite/data/clearway.db" || status=1

hostport="${pg_url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  # A database of its own, dropped and made afresh each run.
  fresh="${pg_url%/*}/clearway_schemathesis"
  psql -q "$pg_url" -c 'DROP DATABASE IF EXISTS clearway_schemathesis WITH (FORCE)' \
    -c 'CREATE DATABASE clearway_schemathesis'
  run postgres "$fresh" || status=1
  psql -q "$pg_url" -c 'DROP DATABASE IF EXISTS clearway_schemathesis WITH (FORCE)' || true
elif [ "${CLEARWAY_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL not reachable at $host:$port; skipped (CLEARWAY_SKIP_POSTGRES=1)"
else
  echo "PostgreSQL not reachable at $host:$port (set TEST_DATABASE_URL, or CLEARWAY_SKIP_POSTGRES=1)" >&2
  exit 1
fi
exit "$status"
