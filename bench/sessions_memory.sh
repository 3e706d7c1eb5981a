#!/usr/bin/env bash
# rtr42d under many sessions: 100 concurrent full resets of a large set, and
# the server's memory per held session for a small and a large set (it must
# not grow with the number of VRPs).
#   bench/sessions_memory.sh [BUILD_DIR] [SESSIONS] [LARGE_VRP_COUNT]
set -euo pipefail
BUILD=${1:-build}
SESSIONS=${2:-1000}
LARGE=${3:-1000000}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-sessions-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

for count in 1000 "$LARGE"; do
  "$BUILD/bench/vrpgen" --count "$count" --output "$WORK/vrps.json" 2>/dev/null
  port=$((18500 + RANDOM % 1000))
  "$BUILD/tools/rtr42d" --json "$WORK/vrps.json" --listen "127.0.0.1:$port" --log-level warning \
    --max-connections $((SESSIONS + 100)) &
  pid=$!; PIDS+=($pid)
  until "$BUILD/bench/rtr_load" --connect "127.0.0.1:$port" --clients 1 > "$WORK/one.txt" 2>/dev/null; do sleep 0.5; done
  echo "$count VRPs: one full reset: $(cat "$WORK/one.txt")"
  if [ "$count" = "$LARGE" ]; then
    echo "$count VRPs: 100 concurrent full resets: $("$BUILD/bench/rtr_load" --connect "127.0.0.1:$port" --clients 100)"
  fi
  before=$(rss_kb $pid)
  start=$SECONDS
  "$BUILD/bench/rtr_load" --connect "127.0.0.1:$port" --sessions "$SESSIONS" --wait-notify 120 --hold 2 \
    > "$WORK/hold.txt" 2>&1 &
  load=$!
  until grep -q synchronised "$WORK/hold.txt" 2>/dev/null; do
    [ $((SECONDS - start)) -lt 120 ] || break
    sleep 0.2
  done
  during=$(rss_kb $pid)
  # Trigger a new serial, so every held session gets a Serial Notify.
  "$BUILD/bench/vrpgen" --count "$count" --seed 2 --output "$WORK/vrps.json" 2>/dev/null
  wait $load || true
  echo "$count VRPs: $(head -1 "$WORK/hold.txt")"
  echo "$count VRPs: $(tail -1 "$WORK/hold.txt")"
  awk -v b="$before" -v d="$during" -v n="$SESSIONS" -v c="$count" 'BEGIN {
    printf "%s VRPs: RSS %.1f MB before, %.1f MB with %d sessions: %.1f KB per session\n",
           c, b / 1024, d / 1024, n, (d - b) / n }'
  kill $pid; wait $pid 2>/dev/null || true
done
