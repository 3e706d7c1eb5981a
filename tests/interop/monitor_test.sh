#!/usr/bin/env bash
# rtr-dump --monitor A B --http: two caches side by side (rtr42d and
# Debian's StayRTR, as an operator migrating runs them), followed for as
# long as it runs: they agree; one changes and they differ (the counts only
# in each, a log line, differ=1); the other follows and they agree again
# (with how long they differed); one goes down (up=0, logged).
source "$(dirname "$0")/lib.sh"
need stayrtr stayrtr

"$TOOLS/roa-compile" --output "$WORK/a.json" --quiet  # the embedded sample
cp "$WORK/a.json" "$WORK/b.json"
pa=$(free_port); pb=$(free_port); hm=$(free_port)
start rtr42d "$TOOLS/rtr42d" --json "$WORK/a.json" --listen "127.0.0.1:$pa" --notify-interval 1
start stayrtr stayrtr -cache "$WORK/b.json" -bind "127.0.0.1:$pb" -metrics.addr "" -refresh 1
wait_for 20 port_open "$pa" || fail "rtr42d did not start"
wait_for 20 port_open "$pb" || fail "stayrtr did not start"
start monitor "$TOOLS/rtr-dump" --no-order-check --monitor "127.0.0.1:$pa" "127.0.0.1:$pb" \
  --http "127.0.0.1:$hm"
metric() { metric_at "$hm" "$1"; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
A="127.0.0.1:$pa"; B="127.0.0.1:$pb"

wait_for 20 grep -q "$A (serial 1) and $B (serial [0-9]*) agree: 37 VRPs" "$WORK/monitor.log" \
  || { cat "$WORK/monitor.log"; fail "no agreement logged"; }
metric_is rtr42_monitor_differ 0 || fail "differ is not 0"
metric_is "rtr42_monitor_vrps{cache=\"$B\"}" 37 || fail "StayRTR's VRPs: $(metric "rtr42_monitor_vrps{cache=\"$B\"}")"

# A gains two VRPs and loses one: they differ, 2 only in A, 1 only in B.
python3 - "$WORK/a.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["roas"] = d["roas"][1:] + [{"prefix": "10.42.0.0/16", "maxLength": 24, "asn": "AS64496"},
                             {"prefix": "10.43.0.0/16", "maxLength": 16, "asn": "AS64496"}]
json.dump(d, open(sys.argv[1] + ".new", "w"))
PY
mv "$WORK/a.json.new" "$WORK/a.json"
wait_for 20 metric_is rtr42_monitor_differ 1 || fail "the difference is not seen"
metric_is "rtr42_monitor_only_vrps{cache=\"$A\"}" 2 || fail "only in A: $(metric "rtr42_monitor_only_vrps{cache=\"$A\"}")"
metric_is "rtr42_monitor_only_vrps{cache=\"$B\"}" 1 || fail "only in B: $(metric "rtr42_monitor_only_vrps{cache=\"$B\"}")"
grep -q "$A (serial 2) and $B (serial [0-9]*) differ: 2 VRPs and 0 ASPAs only in $A, 1 VRPs and 0 ASPAs only in $B" "$WORK/monitor.log" \
  || { cat "$WORK/monitor.log"; fail "the difference is not logged"; }
sleep 2
[ "$(metric rtr42_monitor_differ_seconds | cut -d. -f1)" -ge 1 ] || fail "differ_seconds does not grow"

# B follows: they agree again.
cp "$WORK/a.json" "$WORK/b.json.new"; mv "$WORK/b.json.new" "$WORK/b.json"
wait_for 20 metric_is rtr42_monitor_differ 0 || fail "agreement not seen again"
grep -q "$A (serial 2) and $B (serial [0-9]*) agree: 38 VRPs, after differing for" "$WORK/monitor.log" \
  || { cat "$WORK/monitor.log"; fail "the agreement is not logged"; }

# B goes down.
kill "${PIDS[1]}"
wait_for 20 metric_is "rtr42_monitor_up{cache=\"$B\"}" 0 || fail "B down not seen"
wait_for 10 grep -q "$B down: " "$WORK/monitor.log" || fail "B down not logged"
echo "PASS: rtr-dump --monitor followed rtr42d and StayRTR: agreement, a difference with its counts, agreement again, a cache down"
