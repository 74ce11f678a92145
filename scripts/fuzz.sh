#!/usr/bin/env bash
# Coverage-guided fuzzing of every bank-file reader (fuzz/, cargo-fuzz + libFuzzer), each
# target for a bounded time. A crash, timeout or out-of-memory fails the script and prints
# the reproducer's path (kept; everything else is under a temporary directory).
#
#   FUZZ_SECONDS   seconds per target (default 30)
#   FUZZ_JOBS      targets fuzzed at once (default 2: one per core of the CI box)
#   FUZZ_TARGETS   space-separated subset (default: every target built)
#   FUZZ_FEATURES  fuzz crate features (the default ones are always on)
#   FUZZ_CORPUS_DIR  keep the corpora there across runs (default: a temporary directory)
#
# Runs on the stable toolchain: `-s none` turns off AddressSanitizer, the only part of
# cargo-fuzz that needs a nightly `-Z` flag. The sancov instrumentation libFuzzer's coverage
# guidance needs is plain `-C` flags. The readers are safe Rust, so ASan would catch little
# that debug assertions and overflow checks (on, `cargo fuzz build`'s default) do not.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds="${FUZZ_SECONDS:-30}"
jobs="${FUZZ_JOBS:-2}"
features="${FUZZ_FEATURES:-}"
# Beside the workspace's target dir, never inside it: different RUSTFLAGS would make the two
# builds evict each other's artifacts.
ws_target="${CARGO_TARGET_DIR:-$HOME/.cache/clearway-target}"
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-$ws_target-fuzz}"

# The samples the corpus is seeded from, found as scripts/test.sh finds them.
samples="${CLEARWAY_CONFORMANCE_DIR:-$root/../shared/conformance}"
if [ ! -f "$samples/README.md" ]; then
  if [ "${CLEARWAY_REQUIRE_CONFORMANCE:-0}" = "1" ]; then
    echo "CLEARWAY_REQUIRE_CONFORMANCE=1 but no conformance samples at $samples" >&2
    exit 1
  fi
  echo "no conformance samples at $samples: corpus seeded from the project's own files only"
  samples=""
fi

CARGO_FUZZ_VERSION=0.13.2
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  echo "== installing cargo-fuzz $CARGO_FUZZ_VERSION =="
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION"
fi

feature_args=()
[ -n "$features" ] && feature_args=(--features "$features")
echo "== fuzz build =="
cargo fuzz build -s none "${feature_args[@]}"
# Where cargo fuzz put the binaries: release profile, built for the host triple.
bin_dir="$CARGO_TARGET_DIR/$(rustc -vV | sed -n 's/^host: //p')/release"
read -r -a targets <<< "${FUZZ_TARGETS:-$(cargo fuzz list | tr '\n' ' ')}"

work=$(mktemp -d "${TMPDIR:-/tmp}/clearway-fuzz.XXXXXX")
keep=0
trap '[ "$keep" = 1 ] || rm -rf "$work"' EXIT

# The project's own files (what our writers produce), seeding every corpus.
own="$work/own"
mkdir -p "$own"
CARGO_TARGET_DIR="$ws_target" cargo run -q --locked -p clearway-formats --example fuzz_seeds -- "$own"

# Copies the files matching the globs (relative to the samples) into corpus dir $1.
seed() {
  local dir=$1; shift
  mkdir -p "$dir"
  [ -n "$samples" ] || return 0
  local glob f
  for glob in "$@"; do
    for f in $samples/$glob; do
      [ -f "$f" ] && cp "$f" "$dir/"
    done
  done
  return 0
}

# The XLSX target also reads a workbook's parts, \0-separated (see fuzz/fuzz_targets/xlsx.rs).
xlsx_parts() {
  command -v python3 >/dev/null || return 0
  python3 - "$1" "${@:2}" <<'PY'
import sys, zipfile, os
out = sys.argv[1]
for path in sys.argv[2:]:
    if not os.path.isfile(path):
        continue  # an unmatched glob, or a seed libFuzzer already replaced
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        parts = [z.read(n) if n in names else b"" for n in
                 ("xl/worksheets/sheet1.xml", "xl/sharedStrings.xml", "xl/styles.xml")]
    with open(os.path.join(out, os.path.basename(path) + ".parts"), "wb") as f:
        f.write(b"\0".join(parts))
PY
}

corpus() {
  local t=$1 dir="${FUZZ_CORPUS_DIR:-$work/corpus}/$1"
  case "$t" in
    ach) seed "$dir" 'ach/*/*.ach' 'ach/*.ach'; cp "$own"/*.ach "$dir/" ;;
    bai2) seed "$dir" 'bai2/*.bai2'; cp "$own"/*.bai2 "$dir/" ;;
    mt940) seed "$dir" 'mt940/*.940' 'mt940/*.sta' 'mt940/*.swi' 'mt940/*.940.txt' ;;
    camt) seed "$dir" 'iso20022/camt*/*.xml' ;;
    csv) seed "$dir" 'csv/*.csv'; cp "$own"/*.csv "$dir/" ;;
    xlsx)
      seed "$dir" 'csv/*.xlsx'; cp "$own"/*.xlsx "$dir/"
      xlsx_parts "$dir" "$dir"/*.xlsx ;;
    detect)
      seed "$dir" 'bai2/*.bai2' 'mt940/*.940' 'mt940/*.sta' 'iso20022/camt*/*.xml' 'csv/*.csv' 'csv/*.xlsx'
      cp "$own"/* "$dir/" ;;
    ofx) seed "$dir" 'ofx/*' ;;
    pain002) seed "$dir" 'iso20022/other/*pain002*' ;;
    *) mkdir -p "$dir" ;;
  esac
  echo "$dir"
}

# Long enough for a few records of each kind (XML and zipped workbooks are verbose), short
# enough to keep the runs fast: readers find their bugs in a few records, and a CSV input is
# parsed once per preset.
max_len() {
  case "$1" in
    xlsx|detect) echo 32768 ;;
    ach|camt|ofx|pain002) echo 16384 ;;
    csv) echo 4096 ;;
    *) echo 8192 ;;
  esac
}

run() {
  local t=$1 dir log status dict=()
  dir=$(corpus "$t")
  log="$work/$t.log"
  mkdir -p "$work/artifacts/$t"
  [ -f "fuzz/dict/$t.dict" ] && dict=("-dict=fuzz/dict/$t.dict")
  set +e
  "$bin_dir/$t" "$dir" \
    -max_total_time="$seconds" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/$t/" "${dict[@]}" >"$log" 2>&1
  status=$?
  set -e
  local runs speed
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  if [ "$status" = 0 ]; then
    echo "$t: ok, ${runs:-?} runs, ${speed:-?} exec/s, corpus $(ls "$dir" | wc -l) files"
  else
    echo "$t: FAILED (exit $status), log $log" >&2
    grep -E '^(==[0-9]+==|thread .* panicked|SUMMARY|artifact_prefix|Test unit written)' "$log" | head -20 >&2
    for a in "$work/artifacts/$t"/*; do
      [ -f "$a" ] && echo "reproducer: $a  (replay: cargo fuzz run -s none $t $a)" >&2
    done
    return 1
  fi
}

echo "== fuzzing ${targets[*]}: ${seconds}s each, $jobs at a time =="
for t in "${targets[@]}"; do
  { run "$t" || echo "$t" >>"$work/failed"; } &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait
if [ -s "$work/failed" ]; then
  keep=1
  echo "fuzzing found failures in: $(tr '\n' ' ' <"$work/failed")(inputs kept under $work)" >&2
  exit 1
fi
echo "fuzzing: ${#targets[@]} targets, no failure"
