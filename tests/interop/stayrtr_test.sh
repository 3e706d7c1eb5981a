#!/usr/bin/env bash
# roa-compile JSON -> StayRTR loads it; rtr42d serves the same JSON; StayRTR's
# rtrdump against rtr42d and rtr-dump against StayRTR see identical sets.
# Also: roa-compile's bird2 output passes "bird -p" as a static ROA include.
source "$(dirname "$0")/lib.sh"
need stayrtr stayrtr
need rtrdump stayrtr

registry=""
if [ -f "$BUNDLE" ]; then
  git clone -q "$BUNDLE" "$WORK/registry"
  registry="--registry $WORK/registry"
fi
"$TOOLS/roa-compile" $registry --output "$WORK/vrps.json"
"$TOOLS/roa-compile" $registry --format csv --output "$WORK/vrps.csv"
csv_to_lines "$WORK/vrps.csv" > "$WORK/expected"
echo "compiled $(wc -l < "$WORK/expected") VRPs"

p_stay=$(free_port)
# No -checktime=false: roa-compile writes "generated" as the time of writing.
start stayrtr stayrtr -cache "$WORK/vrps.json" -bind "127.0.0.1:$p_stay" -metrics.addr ""
p_ours=$(free_port)
start rtr42d "$TOOLS/rtr42d" --json "$WORK/vrps.json" --listen "127.0.0.1:$p_ours"
wait_for 20 port_open "$p_stay" || { cat "$WORK/stayrtr.log"; fail "stayrtr did not start"; }
wait_for 20 port_open "$p_ours" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }
# StayRTR answers No Data until it has loaded the file. StayRTR 0.5 predates
# the payload order of draft-ietf-sidrops-8210bis section 11.2, which rtr-dump
# checks in version 2 sessions: --no-order-check wherever StayRTR is read.
wait_for 20 "$TOOLS/rtr-dump" --no-order-check --connect "127.0.0.1:$p_stay" --format csv --output "$WORK/stay.csv" \
  || fail "rtr-dump could not read StayRTR"
csv_to_lines "$WORK/stay.csv" > "$WORK/stay"
same_lines "$WORK/expected" "$WORK/stay" "roa-compile and StayRTR (read by rtr-dump)" || fail "StayRTR set"

for v in 2 1 0; do
  wait_for 20 rtrdump -connect "127.0.0.1:$p_ours" -rtr.version $v -file "$WORK/rtrdump$v.json" \
    || fail "StayRTR's rtrdump -rtr.version $v against rtr42d"
  stayrtr_json_to_lines "$WORK/rtrdump$v.json" > "$WORK/ours$v"
  same_lines "$WORK/expected" "$WORK/ours$v" "roa-compile and rtr42d v$v (read by rtrdump)" || fail "rtr42d set v$v"
done
grep -q 'RTR version 2' "$WORK/rtr42d.log" || fail "rtrdump -rtr.version 2 did not get a version 2 session"
"$TOOLS/rtr-dump" --no-order-check --connect "127.0.0.1:$p_ours" --compare "127.0.0.1:$p_stay" \
  || fail "rtr-dump --compare found rtr42d and StayRTR different"

# --compare exits 1 on a difference: serve a set with one VRP less.
head -n -3 "$WORK/vrps.json" | sed '$ s/,$//' > "$WORK/less.json"
printf '\n  ]\n}\n' >> "$WORK/less.json"
p_less=$(free_port)
start rtr42d-less "$TOOLS/rtr42d" --json "$WORK/less.json" --listen "127.0.0.1:$p_less"
wait_for 20 port_open "$p_less" || { cat "$WORK/rtr42d-less.log"; fail "second rtr42d did not start"; }
set +e
"$TOOLS/rtr-dump" --no-order-check --connect "127.0.0.1:$p_less" --compare "127.0.0.1:$p_stay" > "$WORK/cmp.txt"
rc=$?
set -e
[ $rc -eq 1 ] || fail "rtr-dump --compare returned $rc for different caches"
[ "$(grep -c '^> ' "$WORK/cmp.txt")" -eq 1 ] || fail "expected one VRP only in StayRTR: $(cat "$WORK/cmp.txt")"

if command -v bird >/dev/null; then
  mkdir -p "$WORK/bird"
  "$TOOLS/roa-compile" $registry --format bird2 --family 4 --output "$WORK/bird/roa4.conf"
  "$TOOLS/roa-compile" $registry --format bird2 --family 6 --output "$WORK/bird/roa6.conf"
  cat > "$WORK/bird/bird.conf" <<CONF
router id 192.0.2.1;
roa4 table dn42_roa4;
roa6 table dn42_roa6;
protocol static {
  roa4 { table dn42_roa4; };
  include "roa4.conf";
}
protocol static {
  roa6 { table dn42_roa6; };
  include "roa6.conf";
}
CONF
  bird -p -c "$WORK/bird/bird.conf" || fail "bird -p rejected roa-compile's bird2 output"
  echo "bird -p accepts the bird2 output ($(wc -l < "$WORK/bird/roa4.conf") + $(wc -l < "$WORK/bird/roa6.conf") routes)"
fi
echo "PASS: $(wc -l < "$WORK/expected") VRPs identical in roa-compile, StayRTR, rtr42d (v0, v1, v2 prefixes)"
