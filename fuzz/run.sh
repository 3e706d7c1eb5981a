#!/usr/bin/env bash
# Runs every libFuzzer target for a bounded time from its seed corpora, one
# target per core at a time.
#
#   fuzz/run.sh BUILD_DIR [SECONDS_EACH=20]
#
# BUILD_DIR is a build configured with -DRTR42_FUZZ=ON (and RTR42_SANITIZE=ON
# for ASan and UBSan). The seeds are fuzz/corpus/TARGET plus the test data of
# each parser (the sample registry, the linter's test configurations). New
# inputs go to a scratch corpus; a crash, leak or timeout is kept in
# BUILD_DIR/fuzz-artifacts and fails the run (reproduce: BUILD_DIR/fuzz/T_fuzz FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS_EACH]}
SECONDS_EACH=${2:-20}
ARTIFACTS="$BUILD/fuzz-artifacts"
mkdir -p "$ARTIFACTS"
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-fuzz-XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

seeds() {  # the seed directories of a target
  case "$1" in
    rpsl) echo fuzz/corpus/rpsl sources/sample/data/route sources/sample/data/route6 ;;
    filter) echo sources/sample/data/filter.txt ;;
    bird_config) echo tests/lint/signalling tests/lint/clean ;;
    *) echo "fuzz/corpus/$1" ;;
  esac
}

failed=()
targets=()  # every fuzz/*_fuzz.cc (fuzz/CMakeLists.txt builds each)
for f in fuzz/*_fuzz.cc; do t=${f#fuzz/}; targets+=("${t%_fuzz.cc}"); done
# fuzz_one TARGET: one run; its line goes to $SCRATCH/TARGET.result, and a
# finding leaves $SCRATCH/TARGET.failed.
fuzz_one() {
  local target=$1 bin="$BUILD/fuzz/${1}_fuzz" s inputs=() log="$SCRATCH/$1.log"
  mkdir -p "$SCRATCH/$target"
  for s in $(seeds "$target"); do
    if [ -f "$s" ]; then mkdir -p "$SCRATCH/$target-seed"; cp "$s" "$SCRATCH/$target-seed/"; s="$SCRATCH/$target-seed"; fi
    inputs+=("$s")
  done
  if "$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$ARTIFACTS/$target-" -print_final_stats=1 \
      "$SCRATCH/$target" "${inputs[@]}" >"$log" 2>&1; then
    local runs cov
    runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $target: $runs inputs in ${SECONDS_EACH}s, $cov, no finding" > "$SCRATCH/$target.result"
  else
    { echo "fuzz: $target: FINDING (artifacts in $ARTIFACTS):"
      grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -10; } > "$SCRATCH/$target.result"
    touch "$SCRATCH/$target.failed"
  fi
}

# One target per core at a time (each fuzzer is single-threaded).
jobs_max=$(nproc)
for target in "${targets[@]}"; do
  [ -x "$BUILD/fuzz/${target}_fuzz" ] || { echo "fuzz: $BUILD/fuzz/${target}_fuzz is missing (configure with -DRTR42_FUZZ=ON)"; exit 2; }
done
for target in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  fuzz_one "$target" &
done
wait
for target in "${targets[@]}"; do
  cat "$SCRATCH/$target.result"
  [ ! -e "$SCRATCH/$target.failed" ] || failed+=("$target")
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: findings in ${failed[*]}"; exit 1; }
