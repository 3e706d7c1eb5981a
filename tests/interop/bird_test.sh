#!/usr/bin/env bash
# BIRD 2's "protocol rpki" against rtr42d following a git clone of the real
# registry: BIRD's roa4/roa6 tables equal the compiled set; then the served
# branch moves forward several commits and BIRD follows incrementally (same
# session, higher serial, a Serial Query answered with a diff) within seconds.
source "$(dirname "$0")/lib.sh"
need bird bird2
need birdc bird2
need_bundle

registry_from_to

port=$(free_port)
start rtr42d "$TOOLS/rtr42d" --registry "$WORK/registry" --registry-ref served \
  --listen "127.0.0.1:$port" --log-level debug
wait_for 20 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }

start_bird "$port" 5
bird_wait_tables from 30 rtr42d
session=$(bird_field "Session ID")
serial=$(bird_field "Serial number")
echo "BIRD synchronised: session $session serial $serial, $(wc -l < "$WORK/got4") + $(wc -l < "$WORK/got6") VRPs"

moved_at=$SECONDS
git -C "$WORK/registry" branch -f served "$to"
bird_wait_tables to 15 rtr42d
took=$((SECONDS - moved_at))
bird_kept_session "$session" "$serial" rtr42d
echo "PASS: BIRD followed 15 registry commits incrementally in ${took}s (serial $serial -> $new_serial, same session)"
