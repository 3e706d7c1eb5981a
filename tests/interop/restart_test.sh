#!/usr/bin/env bash
# rtr42d restarts with --state-dir under a real router (BIRD 2):
#  1. rtr42d is stopped, the registry moves on, rtr42d starts again: it
#     restores its session and serial, and BIRD's Serial Query is answered
#     with a diff (same session id, no Cache Reset); BIRD's tables equal the
#     new commit's compiled set.
#  2. A commit that deletes every IPv6 route object is held back by the
#     withdraw guard (logged, /metrics shows it, BIRD keeps its tables) until
#     SIGUSR1 confirms it (a SIGHUP reload does not).
#  3. A damaged state file: rtr42d says so and starts a new session; BIRD
#     gets a Cache Reset and resynchronises.
source "$(dirname "$0")/lib.sh"
need bird bird2
need birdc bird2
need curl curl
need_bundle

registry_from_to

port=$(free_port)
http=$(free_port)
daemon_pid=
run_rtr42d() {  # run_rtr42d LOGNAME
  "$TOOLS/rtr42d" --registry "$WORK/registry" --registry-ref served --listen "127.0.0.1:$port" \
    --http "127.0.0.1:$http" --state-dir "$WORK/state" --log-level debug >"$WORK/$1.log" 2>&1 &
  daemon_pid=$!
  PIDS+=("$daemon_pid")
  wait_for 20 port_open "$port" || { cat "$WORK/$1.log"; fail "rtr42d did not start"; }
}
stop_rtr42d() {
  kill "$daemon_pid"
  wait "$daemon_pid" 2>/dev/null || true
}

metric() { metric_at "$http" "$1"; }

# --- 1. restart with the registry moved meanwhile ---------------------------
run_rtr42d first
grep -q "no saved state in $WORK/state/rtr-state.bin: starting a new RTR session" "$WORK/first.log" \
  || fail "the first start did not say it starts a new session"
start_bird "$port" 2
bird_wait_tables from 30 first
session=$(bird_field "Session ID")
serial=$(bird_field "Serial number")
echo "BIRD synchronised: session $session serial $serial"
[ -f "$WORK/state/rtr-state.bin" ] || fail "no state file written"

stop_rtr42d
git -C "$WORK/registry" branch -f served "$to"
run_rtr42d second
grep -q "restored RTR session $session serial $serial" "$WORK/second.log" \
  || { head -5 "$WORK/second.log"; fail "rtr42d did not restore session $session serial $serial"; }
bird_wait_tables to 30 second
bird_kept_session "$session" "$serial" second
echo "PASS: restart kept session $session; BIRD's Serial Query got the diff $serial -> $new_serial"

# --- 2. the withdraw guard ----------------------------------------------------
git -C "$WORK/registry" checkout -q served
git -C "$WORK/registry" rm -q -r data/route6
git -C "$WORK/registry" -c user.name=t -c user.email=t@t commit -q -m "lose IPv6"
wait_for 15 grep -q "withdraw guard: holding back" "$WORK/second.log" \
  || fail "deleting every IPv6 route was not held back"
[ "$(metric 'rtr42_withdraw_guard_holding{source="registry"}')" = 1 ] || fail "/metrics does not show the hold"
curl -sf "http://127.0.0.1:$http/healthz" | grep -q "withdraw guard holding back" \
  || fail "/healthz does not mention the hold"
sleep 3  # more polls: still held, logged once
[ "$(grep -c "withdraw guard: holding back" "$WORK/second.log")" = 1 ] || fail "hold logged twice"
bird_tables_equal to || fail "BIRD's tables changed while the set was held"
cp "$WORK/to4" "$WORK/v4only4"
: > "$WORK/v4only6"
kill -HUP "$daemon_pid"  # a reload (SLURM, poll) confirms nothing
sleep 2
[ "$(metric 'rtr42_withdraw_guard_holding{source="registry"}')" = 1 ] || fail "SIGHUP let the held set through"
bird_tables_equal to || fail "BIRD's tables changed after a SIGHUP"
kill -USR1 "$daemon_pid"
bird_wait_tables v4only 20 second
[ "$(metric 'rtr42_withdraw_guard_holding{source="registry"}')" = 0 ] || fail "hold not released"
[ "$(metric 'rtr42_withdraw_guard_confirmations_total{source="registry"}')" = 1 ] || fail "confirmation not counted"
echo "PASS: mass withdrawal held through a SIGHUP reload until SIGUSR1, then served"

# --- 3. a damaged state file ----------------------------------------------------
stop_rtr42d
printf 'rtr42 RTR state\ngarbage' > "$WORK/state/rtr-state.bin"
run_rtr42d third
grep -q "saved state unusable: .*rtr-state.bin: .*starting a new RTR session" "$WORK/third.log" \
  || { head -5 "$WORK/third.log"; fail "a damaged state file was not reported"; }
new_session() { [ "$(bird_field "Session ID")" != "$session" ]; }
wait_for 30 new_session || fail "BIRD did not take up a new session after the damaged state"
bird_wait_tables v4only 30 third
grep -q "Cache Reset" "$WORK/third.log" || fail "BIRD's old session was not answered with Cache Reset"
echo "PASS: damaged state file: new session, BIRD resynchronised after a Cache Reset"
