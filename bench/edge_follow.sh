#!/usr/bin/env bash
# An edge rtr42d following an upstream rtr42d over RTR (--rtr-upstream), the
# upstream serving a synthetic VRP set: how long a 1% change takes from the
# upstream to a router of the edge, and the edge's memory.
#   bench/edge_follow.sh [BUILD_DIR] [VRP_COUNT] [ROUNDS]     (default: build 1000000 5)
# For each round the upstream's JSON file is replaced by one differing in 1%
# of the VRPs (half withdrawn, half new); a router (rtr-dump --watch) on the
# upstream and one on the edge print each serial as it arrives. Reported per
# round: file replaced -> upstream's router has it (the upstream's reading
# and compiling, which an edge cannot change), upstream's router -> edge's
# router (what the edge adds), and in all; then the edge's RSS and peak.
set -euo pipefail
BUILD=${1:-build}
COUNT=${2:-1000000}
ROUNDS=${3:-5}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-edge-XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; while :; do p=$((20000 + RANDOM % 12000)); port_open "$p" || { echo "$p"; return; }; done; }
now() { date +%s.%N; }
kb() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
serials() { grep -c '^# serial' "$1" 2>/dev/null || true; }
# wait_serials FILE N: until FILE has N serial lines; prints the time.
wait_serials() {
  until [ "$(serials "$1")" -ge "$2" ]; do sleep 0.005; done
  now
}

"$BUILD/bench/vrpgen" --count "$COUNT" --output "$WORK/base.json" 2>/dev/null
# Two variants, each 1% away from the other: A = base, B = base without its
# first COUNT/200 VRPs and with COUNT/200 new ones.
"$BUILD/bench/vrpgen" --count $((COUNT / 200)) --seed 99 --output "$WORK/extra.json" 2>/dev/null
python3 - "$WORK" "$COUNT" <<'PY'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
base = json.load(open(f"{work}/base.json"))
extra = json.load(open(f"{work}/extra.json"))
have = {(r["prefix"], r["maxLength"], r["asn"]) for r in base["roas"]}
new = [r for r in extra["roas"] if (r["prefix"], r["maxLength"], r["asn"]) not in have]
b = dict(base)
b["roas"] = base["roas"][count // 200:] + new
json.dump(b, open(f"{work}/b.json", "w"))
print(f"variant B: {count // 200} withdrawn, {len(new)} new", file=sys.stderr)
PY
cp "$WORK/base.json" "$WORK/a.json"
cp "$WORK/a.json" "$WORK/served.json"

up=$(free_port); edge=$(free_port)
"$BUILD/tools/rtr42d" --json "$WORK/served.json" --listen "127.0.0.1:$up" --notify-interval 1 \
  --max-withdraw-percent 100 > "$WORK/up.log" 2>&1 &
PIDS+=($!)
until grep -q "^.*serial 1 " "$WORK/up.log"; do sleep 0.1; done
"$BUILD/tools/rtr42d" --rtr-upstream "127.0.0.1:$up" --listen "127.0.0.1:$edge" --notify-interval 1 \
  --max-withdraw-percent 100 > "$WORK/edge.log" 2>&1 &
EDGE=$!
PIDS+=($EDGE)
until grep -q "serial 1 " "$WORK/edge.log"; do sleep 0.1; done
"$BUILD/tools/rtr-dump" --connect "127.0.0.1:$up" --watch --format csv --output /dev/null \
  > "$WORK/up.watch" 2>/dev/null &
PIDS+=($!)
"$BUILD/tools/rtr-dump" --connect "127.0.0.1:$edge" --watch --format csv --output /dev/null \
  > "$WORK/edge.watch" 2>/dev/null &
PIDS+=($!)
sleep 2
echo "upstream and edge serve $COUNT VRPs; edge RSS $(( $(kb $EDGE VmRSS) / 1024 )) MB"
printf '%-6s %12s %12s %12s\n' round "to upstream" "up -> edge" "in all"
for ((i = 1; i <= ROUNDS; i++)); do
  variant=$([ $((i % 2)) = 1 ] && echo b || echo a)
  cp "$WORK/$variant.json" "$WORK/next.json"
  t0=$(now)
  mv "$WORK/next.json" "$WORK/served.json"
  t1=$(wait_serials "$WORK/up.watch" "$i")
  t2=$(wait_serials "$WORK/edge.watch" "$i")
  awk -v i="$i" -v a="$t0" -v b="$t1" -v c="$t2" \
    'BEGIN { printf "%-6d %9.0f ms %9.0f ms %9.0f ms\n", i, (b-a)*1000, (c-b)*1000, (c-a)*1000 }'
  sleep 1.5  # past the notify interval
done
grep '^# serial' "$WORK/edge.watch" | tail -1
echo "edge: RSS $(( $(kb $EDGE VmRSS) / 1024 )) MB, peak $(( $(kb $EDGE VmHWM) / 1024 )) MB"
