#!/usr/bin/env bash
# Browser tests: the real `clearway` binary serving demo data (SQLite, then PostgreSQL when
# reachable), driven in Debian's Chromium by playwright-core, every page checked by axe-core.
# Screenshots of every page go to $CLEARWAY_ARTIFACTS (default target/browser-artifacts).
# Needs chromium (apt-get install chromium) and Node.js with npm (packages from the registry
# into tests/browser/node_modules, once).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target="${CARGO_TARGET_DIR:-$root/target}"
export CLEARWAY_ARTIFACTS="${CLEARWAY_ARTIFACTS:-$target/browser-artifacts}"
rm -rf "$CLEARWAY_ARTIFACTS"; mkdir -p "$CLEARWAY_ARTIFACTS"

command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 1; }
command -v node >/dev/null || { echo "node is not installed" >&2; exit 1; }
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

cargo build --locked -p clearway
bin="$target/debug/clearway"

work=$(mktemp -d /tmp/clearway-browser.XXXXXX)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Starts the demo server on a free port over $1 (a database URL, or empty for SQLite in $work).
serve() {
  local url="$1" port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  ( cd "$work" && exec env ${url:+DATABASE_URL=$url} CLEARWAY_LOG=warn "$bin" demo --investors 60 --serve \
      --listen "127.0.0.1:$port" --tokens-out "$work/tokens.json" >"$work/server.log" 2>&1 ) &
  pid=$!
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$port/login" >/dev/null 2>&1; then break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.5
  done
  export CLEARWAY_URL="http://127.0.0.1:$port" CLEARWAY_TOKENS="$work/tokens.json"
  # The flows run the CLI against the same database (the bank's statement file).
  export CLEARWAY_BIN="$bin" CLEARWAY_WORKDIR="$work"
  if [ -n "$url" ]; then export DATABASE_URL="$url"; else unset DATABASE_URL; fi
}

stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; }

# Every *.test.mjs, one file at a time (each capability keeps its flows in its own file);
# CLEARWAY_BROWSER_FILES narrows the run, e.g. "capital.test.mjs".
files="${CLEARWAY_BROWSER_FILES:-*.test.mjs}"

echo "== browser tests, SQLite =="
serve ""
(cd tests/browser && node --test --test-concurrency=1 $files)
stop

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
hostport="${pg_url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
if [ "${CLEARWAY_BROWSER_POSTGRES:-1}" = 1 ] && (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "== browser tests, PostgreSQL ($host:$port) =="
  db="clearway_browser_$$"
  base="${pg_url%/*}"
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  rm -rf "$work/clearway-data"
  serve "$base/$db"
  (cd tests/browser && CLEARWAY_FLOWS=postgres node --test --test-concurrency=1 $files)
  stop
  psql "$base/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
fi
echo "screenshots: $CLEARWAY_ARTIFACTS"
