#!/usr/bin/env bash
# Runs rtr42d and StayRTR side by side on the same synthetic VRP file and
# prints time for concurrent full resets and memory, with the ratios.
#   bench/compare_stayrtr.sh [BUILD_DIR] [VRP_COUNT] [CLIENT_COUNTS...]
# Default: build 1000000 1 20
set -euo pipefail
BUILD=${1:-build}
COUNT=${2:-1000000}
shift 2 || true
CLIENTS=("${@:-1 20}")
read -r -a CLIENTS <<< "${CLIENTS[*]}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-compare-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
command -v stayrtr >/dev/null || { echo "stayrtr is not installed (apt-get install stayrtr)"; exit 77; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b / a }'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_serving() {  # wait until a Reset Query gets End of Data
  local deadline=$((SECONDS + 300))
  until "$BUILD/bench/rtr_load" --connect "127.0.0.1:$1" --clients 1 >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { echo "cache on port $1 never served"; exit 1; }
    sleep 1
  done
}

"$BUILD/bench/vrpgen" --count "$COUNT" --output "$WORK/vrps.json"
ls -l "$WORK/vrps.json" | awk '{printf "VRP file: %.1f MB\n", $5/1e6}'

"$BUILD/tools/rtr42d" --json "$WORK/vrps.json" --listen 127.0.0.1:18400 --log-level warning \
  --max-connections 5000 &
OURS=$!; PIDS+=($OURS)
stayrtr -cache "$WORK/vrps.json" -bind 127.0.0.1:18401 -checktime=false -metrics.addr "" \
  -loglevel error -refresh 86400 &
THEIRS=$!; PIDS+=($THEIRS)
wait_serving 18400
wait_serving 18401
echo "loaded: rtr42d RSS $(( $(rss_kb $OURS) / 1024 )) MB, StayRTR RSS $(( $(rss_kb $THEIRS) / 1024 )) MB"

printf '%-28s %12s %12s %8s\n' "measure" "rtr42d" "StayRTR" "ratio"
for n in "${CLIENTS[@]}"; do
  ours=$("$BUILD/bench/rtr_load" --connect 127.0.0.1:18400 --clients "$n" | sed -n 's/.*all_ms=\([0-9.]*\).*/\1/p')
  theirs=$("$BUILD/bench/rtr_load" --connect 127.0.0.1:18401 --clients "$n" | sed -n 's/.*all_ms=\([0-9.]*\).*/\1/p')
  printf '%-28s %10s ms %10s ms %7sx\n' "$n concurrent full resets" "$ours" "$theirs" "$(ratio "$ours" "$theirs")"
done
o=$(( $(hwm_kb $OURS) / 1024 )); t=$(( $(hwm_kb $THEIRS) / 1024 ))
printf '%-28s %9s MB %9s MB %7sx\n' "peak RSS" "$o" "$t" "$(ratio "$o" "$t")"
o=$(( $(rss_kb $OURS) / 1024 )); t=$(( $(rss_kb $THEIRS) / 1024 ))
printf '%-28s %9s MB %9s MB %7sx\n' "RSS now" "$o" "$t" "$(ratio "$o" "$t")"
