#!/usr/bin/env bash
# Runs every test: the whole workspace on SQLite, then the database-backed suites again on
# PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
# Without a reachable PostgreSQL it fails, unless CLEARWAY_SKIP_POSTGRES=1 is set.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== all tests, SQLite =="
TEST_DATABASE_URL= cargo test --workspace --locked 2>&1 | tee -a "$log"

hostport="${pg_url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "== database-backed tests, PostgreSQL ($host:$port) =="
  TEST_DATABASE_URL="$pg_url" cargo test --locked -p clearway-server -p clearway -p clearway-store 2>&1 | tee -a "$log"
elif [ "${CLEARWAY_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL not reachable at $host:$port; skipped (CLEARWAY_SKIP_POSTGRES=1)"
else
  echo "PostgreSQL not reachable at $host:$port (set TEST_DATABASE_URL, or CLEARWAY_SKIP_POSTGRES=1 to skip)" >&2
  exit 1
fi

# One closing line for both runs together.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
