#!/usr/bin/env bash
# Soak: rtr42d follows a clone of the dn42 registry bundle whose served branch
# moves one merge commit per second (forwards to the newest, then backwards,
# so every step is one real registry change), while rtr_soak keeps SESSIONS
# RTR sessions connecting, querying and hanging up at random. At the end every
# live session must hold the cache's set, the cache's set must equal
# roa-compile's for the commit it serves, its descriptors must be back to
# where they started and its memory flat after warm-up.
#
#   bench/soak.sh [DURATION_SECONDS=600] [SESSIONS=500]
#
# BUILD_DIR (default build) holds the binaries; SHARED (default ../shared)
# the registry bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${1:-600}
SESSIONS=${2:-500}
BUILD_DIR=${BUILD_DIR:-build}
SHARED=${SHARED:-../shared}
BUNDLE="$SHARED/data/dn42-registry-2023H1.bundle"
[ -f "$BUNDLE" ] || { echo "soak: $BUNDLE is absent"; exit 77; }
for b in tools/rtr42d tools/roa-compile tools/rtr-dump bench/rtr_soak; do
  [ -x "$BUILD_DIR/$b" ] || { echo "soak: build first ($BUILD_DIR/$b missing)"; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-soak-XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT

git clone -q "$BUNDLE" "$WORK/registry"
mapfile -t commits < <(git -C "$WORK/registry" rev-list --first-parent --reverse HEAD)
n=${#commits[@]}
git -C "$WORK/registry" branch -f served "${commits[0]}"
port=$((20000 + RANDOM % 12000))  # below the ephemeral range its own clients use
"$BUILD_DIR/tools/rtr42d" --registry "$WORK/registry" --registry-ref served \
  --listen "127.0.0.1:$port" --max-connections $((SESSIONS * 2)) --log-level warning \
  --notify-interval 1 \
  `# one Serial Notify a second per session, not a minute: the most churn` \
  2> "$WORK/rtr42d.log" &
daemon=$!
pids+=("$daemon")
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

# One commit per second; stops two seconds before the churn does.
(
  i=0 step=1 end=$((SECONDS + DURATION - 2)) moves=0
  while [ $SECONDS -lt $end ]; do
    sleep 1
    if [ $((i + step)) -ge "$n" ] || [ $((i + step)) -lt 0 ]; then step=$((-step)); fi
    i=$((i + step))
    git -C "$WORK/registry" update-ref refs/heads/served "${commits[$i]}"
    moves=$((moves + 1))
  done
  echo "$moves" > "$WORK/moves"
) &
pids+=("$!")
mover=$!

echo "soak: rtr42d pid $daemon on port $port, $n commits, $SESSIONS sessions, ${DURATION}s"
status=0
"$BUILD_DIR/bench/rtr_soak" --connect "127.0.0.1:$port" --sessions "$SESSIONS" \
  --duration "$DURATION" --pid "$daemon" || status=1
wait "$mover" || true
serial=$(grep -c ' serial ' "$WORK/rtr42d.log" || true)

# The cache serves exactly what roa-compile makes of the commit it follows.
"$BUILD_DIR/tools/roa-compile" --registry "$WORK/registry" --ref served --format csv --quiet \
  | tail -n +2 | sort > "$WORK/expected.csv"
"$BUILD_DIR/tools/rtr-dump" --connect "127.0.0.1:$port" --format csv | tail -n +2 | sort \
  > "$WORK/served.csv"
if cmp -s "$WORK/expected.csv" "$WORK/served.csv"; then
  echo "soak: the served set equals roa-compile's for the final commit ($(wc -l < "$WORK/served.csv") VRPs)"
else
  echo "soak: FAIL: the served set differs from roa-compile's for the final commit"
  status=1
fi
echo "soak: the registry moved $(cat "$WORK/moves" 2>/dev/null || echo '?') times;" \
  "rtr42d logged $(grep -c WARN "$WORK/rtr42d.log" || true) warnings and" \
  "$(grep -c ERROR "$WORK/rtr42d.log" || true) errors"
grep -E "WARN|ERROR" "$WORK/rtr42d.log" | head -5 || true
: "$serial"
exit $status
