#!/usr/bin/env bash
# BIRD 2's "protocol rpki" against rtr42d following a git clone of the real
# registry: BIRD's roa4/roa6 tables equal the compiled set; then the served
# branch moves forward several commits and BIRD follows incrementally (same
# session, higher serial, a Serial Query answered with a diff) within seconds.
source "$(dirname "$0")/lib.sh"
need bird bird2
need birdc bird2
need_bundle

git clone -q "$BUNDLE" "$WORK/registry"
mapfile -t commits < <(git -C "$WORK/registry" rev-list --reverse HEAD)
# Two points 15 commits apart whose VRP sets differ.
from=${commits[420]}
to=${commits[435]}
git -C "$WORK/registry" branch -f served "$from"

expected() {  # expected COMMIT FAMILY -> sorted lines
  "$TOOLS/roa-compile" --registry "$WORK/registry" --ref "$1" --format csv --family "$2" \
    --quiet --output "$WORK/exp.csv"
  csv_to_lines "$WORK/exp.csv"
}
expected "$from" 4 > "$WORK/from4"; expected "$from" 6 > "$WORK/from6"
expected "$to" 4 > "$WORK/to4"; expected "$to" 6 > "$WORK/to6"
if diff -q "$WORK/from4" "$WORK/to4" >/dev/null && diff -q "$WORK/from6" "$WORK/to6" >/dev/null; then
  fail "test data: commits 420 and 435 have the same VRPs"
fi

port=$(free_port)
start rtr42d "$TOOLS/rtr42d" --registry "$WORK/registry" --registry-ref served \
  --listen "127.0.0.1:$port" --log-level debug
wait_for 20 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }

mkdir -p "$WORK/bird"
cat > "$WORK/bird/bird.conf" <<CONF
log "$WORK/bird/bird.log" all;
router id 192.0.2.1;
roa4 table dn42_roa4;
roa6 table dn42_roa6;
protocol rpki rtr42 {
  roa4 { table dn42_roa4; };
  roa6 { table dn42_roa6; };
  remote 127.0.0.1 port $port;
  retry keep 5;
  refresh keep 600;
  expire keep 7200;
}
CONF
ctl="$WORK/bird/bird.ctl"
start bird bird -f -c "$WORK/bird/bird.conf" -s "$ctl" -P "$WORK/bird/bird.pid"
birdc_() { birdc -s "$ctl" "$@"; }

tables_equal() {  # tables_equal PREFIX_OF_EXPECTED
  birdc_ show route table dn42_roa4 > "$WORK/b4.txt" || return 1
  birdc_ show route table dn42_roa6 > "$WORK/b6.txt" || return 1
  bird_to_lines "$WORK/b4.txt" > "$WORK/got4"
  bird_to_lines "$WORK/b6.txt" > "$WORK/got6"
  diff -q "$WORK/got4" "$WORK/${1}4" >/dev/null && diff -q "$WORK/got6" "$WORK/${1}6" >/dev/null
}
proto_field() { birdc_ show protocols all rtr42 | awk -F': *' -v k="$1" '$1 ~ k { print $2; exit }'; }

if ! wait_for 30 tables_equal from; then
  same_lines "$WORK/from4" "$WORK/got4" "IPv4 table" || true
  same_lines "$WORK/from6" "$WORK/got6" "IPv6 table" || true
  tail -20 "$WORK/rtr42d.log"
  fail "BIRD's tables do not equal the compiled set of commit 420"
fi
session=$(proto_field "Session ID")
serial=$(proto_field "Serial number")
echo "BIRD synchronised: session $session serial $serial, $(wc -l < "$WORK/got4") + $(wc -l < "$WORK/got6") VRPs"

moved_at=$SECONDS
git -C "$WORK/registry" branch -f served "$to"
if ! wait_for 15 tables_equal to; then
  same_lines "$WORK/to4" "$WORK/got4" "IPv4 table" || true
  same_lines "$WORK/to6" "$WORK/got6" "IPv6 table" || true
  tail -20 "$WORK/rtr42d.log"
  fail "BIRD did not follow the registry to commit 435 within 15 s"
fi
took=$((SECONDS - moved_at))
[ "$(proto_field "Session ID")" = "$session" ] || fail "session id changed"
new_serial=$(proto_field "Serial number")
[ "$new_serial" -gt "$serial" ] || fail "serial did not advance ($serial -> $new_serial)"
grep -q "Serial Query answered" "$WORK/rtr42d.log" || fail "BIRD was not answered with a diff"
if grep -q "Cache Reset" "$WORK/rtr42d.log"; then fail "BIRD got a Cache Reset"; fi
echo "PASS: BIRD followed 15 registry commits incrementally in ${took}s (serial $serial -> $new_serial, same session)"
