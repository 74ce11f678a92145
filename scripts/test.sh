#!/usr/bin/env bash
# Runs every test: the whole workspace on SQLite, then the database-backed suites again on
# PostgreSQL (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
# Without a reachable PostgreSQL it fails, unless CLEARWAY_SKIP_POSTGRES=1 is set.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
log=$(mktemp)
# The notification tests deliver mail to scripts/smtp-sink.py, which needs aiosmtpd.
python3 -c 'import aiosmtpd' 2>/dev/null || pip install -q aiosmtpd 2>/dev/null \
  || pip install -q --break-system-packages aiosmtpd
trap 'rm -f "$log"' EXIT

# The third-party conformance suite (tests named third_party_*) reads other people's bank
# files, which are not in this repository: from CLEARWAY_CONFORMANCE_DIR, else from
# shared/conformance beside the checkout. Without them it is skipped by name, and said so.
samples="${CLEARWAY_CONFORMANCE_DIR:-$(pwd)/../shared/conformance}"
skip=()
if [ -f "$samples/README.md" ]; then
  export CLEARWAY_CONFORMANCE_DIR="$(cd "$samples" && pwd)"
  conformance="third-party conformance suite: run against $CLEARWAY_CONFORMANCE_DIR"
elif [ "${CLEARWAY_REQUIRE_CONFORMANCE:-0}" = "1" ]; then
  echo "CLEARWAY_REQUIRE_CONFORMANCE=1 but no conformance samples at $samples" >&2
  exit 1
else
  unset CLEARWAY_CONFORMANCE_DIR
  skip=(-- --skip third_party)
  conformance="third-party conformance suite: SKIPPED (no samples at $samples). The project's own
fixtures still test every reader and writer. To run the suite, put the samples folder there or
set CLEARWAY_CONFORMANCE_DIR=/path/to/conformance; the pain.001 XSD check inside the payments
tests is skipped with it."
fi
echo "$conformance"

echo "== all tests, SQLite =="
TEST_DATABASE_URL= cargo test --workspace --locked "${skip[@]}" 2>&1 | tee -a "$log"

hostport="${pg_url#*://}"; hostport="${hostport#*@}"; hostport="${hostport%%/*}"
host="${hostport%%:*}"; port="${hostport##*:}"; [ "$port" = "$host" ] && port=5432
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "== database-backed tests, PostgreSQL ($host:$port) =="
  # Each test drops the database it made; one left behind is a test that forgot (they piled up).
  left() { psql "$pg_url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'clearway\_t\_%' ORDER BY 1"; }
  command -v psql >/dev/null && before=$(left)
  TEST_DATABASE_URL="$pg_url" cargo test --locked -p clearway-server -p clearway -p clearway-store "${skip[@]}" 2>&1 | tee -a "$log"
  if command -v psql >/dev/null; then
    added=$(comm -13 <(echo "$before") <(left) | sed '/^$/d')
    if [ -n "$added" ]; then
      echo "test databases left behind (a test without drop_database / stop): $added" >&2
      exit 1
    fi
  fi
elif [ "${CLEARWAY_SKIP_POSTGRES:-0}" = "1" ]; then
  echo "PostgreSQL not reachable at $host:$port; skipped (CLEARWAY_SKIP_POSTGRES=1)"
else
  echo "PostgreSQL not reachable at $host:$port (set TEST_DATABASE_URL, or CLEARWAY_SKIP_POSTGRES=1 to skip)" >&2
  exit 1
fi

# The pages in a real browser (Debian's Chromium, playwright-core, axe-core), SQLite then
# PostgreSQL; without Chromium or Node.js it fails, unless CLEARWAY_SKIP_BROWSER=1 is set.
if command -v chromium >/dev/null && command -v node >/dev/null; then
  bash scripts/browser.sh 2>&1 | tee -a "$log"
elif [ "${CLEARWAY_SKIP_BROWSER:-0}" = "1" ]; then
  echo "browser tests skipped (CLEARWAY_SKIP_BROWSER=1)"
else
  echo "browser tests need chromium and node (apt-get install chromium nodejs npm), or CLEARWAY_SKIP_BROWSER=1" >&2
  exit 1
fi

echo "$conformance"
# One closing line for both runs together.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i; if ($(i+1) ~ /^filtered/) s += $i } }
     /^# pass / { p += $3 } /^# fail / { f += $3 }
     END { if (s > 0) printf "%d passed, %d failed, %d skipped\n", p, f, s; else printf "%d passed, %d failed\n", p, f }' "$log"
