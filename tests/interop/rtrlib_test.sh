#!/usr/bin/env bash
# RTRlib's rtrclient gets the compiled set from rtr42d over v1, and over v0
# after negotiating down (rtr42d --max-version 0).
source "$(dirname "$0")/lib.sh"
need rtrclient rtr-tools

registry=""
if [ -f "$BUNDLE" ]; then
  git clone -q "$BUNDLE" "$WORK/registry"
  registry="--registry $WORK/registry"
fi
"$TOOLS/roa-compile" $registry --format csv --output "$WORK/vrps.csv"
csv_to_lines "$WORK/vrps.csv" > "$WORK/expected"

for v in 1 0; do
  port=$(free_port)
  start "rtr42d-v$v" "$TOOLS/rtr42d" $registry --listen "127.0.0.1:$port" --max-version $v
  wait_for 20 port_open "$port" || { cat "$WORK/rtr42d-v$v.log"; fail "rtr42d did not start"; }
  # A set first: RTRlib answers No Data Available by waiting out its retry
  # interval (the registry compile takes longer in the sanitizer build).
  wait_for 60 grep -q 'serial 1 (session' "$WORK/rtr42d-v$v.log" \
    || { cat "$WORK/rtr42d-v$v.log"; fail "rtr42d made no set"; }
  # rtrclient -e exports the table once synchronised, then exits.
  timeout 60 rtrclient -e -t csv -o "$WORK/rtrlib$v.csv" tcp 127.0.0.1 "$port" > "$WORK/rtrclient$v.log" 2>&1 \
    || { tail "$WORK/rtrclient$v.log"; fail "rtrclient failed against v$v"; }
  rtrlib_to_lines "$WORK/rtrlib$v.csv" > "$WORK/got$v"
  same_lines "$WORK/expected" "$WORK/got$v" "roa-compile and RTRlib over v$v" || fail "RTRlib set v$v"
  grep -q "RTR version $v" "$WORK/rtr42d-v$v.log" || { cat "$WORK/rtr42d-v$v.log"; fail "session was not v$v"; }
done
echo "PASS: RTRlib received $(wc -l < "$WORK/expected") VRPs over v1 and v0"
