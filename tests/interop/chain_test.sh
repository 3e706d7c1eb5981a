#!/usr/bin/env bash
# A hierarchy of caches on 127.0.0.1, as issue 16 wants it:
#   root rtr42d (following a clone of the registry bundle)
#     -> middle rtr42d over RTR/TCP -> BIRD 2.0.12 and BIRD 3.1 (Debian 13 chroot)
#     -> middle rtr42d over RTR/TLS (checked with rtr-dump)
# The served branch moves over several commits: at each, BIRD's tables equal
# roa-compile at that commit, reached through diffs (one BIRD session, no
# Cache Reset in the middle's log or BIRD's). The middle is restarted: BIRD
# keeps its tables, reconnects, and follows the next move with a diff. Then
# StayRTR as the upstream of an rtr42d: Debian 12's 0.5.1 with BIRD behind
# it, and Debian 13's 0.6.2 (in the chroot).
source "$(dirname "$0")/lib.sh"
need bird bird2
need birdc bird2
need openssl openssl
need_bundle

git clone -q "$BUNDLE" "$WORK/registry"
mapfile -t commits < <(git -C "$WORK/registry" rev-list --reverse HEAD)
steps=(${commits[400]} ${commits[410]} ${commits[420]} ${commits[435]})
for i in "${!steps[@]}"; do compiled_lines "$WORK/registry" "${steps[$i]}" "c$i"; done
git -C "$WORK/registry" branch -f served "${steps[0]}"

make_tls_cert "$WORK/cert.pem" "$WORK/key.pem"
p_root=$(free_port); p_root_tls=$(free_port); p_mid=$(free_port); p_tls_mid=$(free_port)
h_mid=$(free_port)
start root "$TOOLS/rtr42d" --registry "$WORK/registry" --registry-ref served \
  --listen "127.0.0.1:$p_root" --tls-listen "127.0.0.1:$p_root_tls" \
  --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" --notify-interval 1
wait_for 20 port_open "$p_root" || { cat "$WORK/root.log"; fail "root rtr42d did not start"; }

start_middle() {
  start middle "$TOOLS/rtr42d" --rtr-upstream "127.0.0.1:$p_root" --listen "127.0.0.1:$p_mid" \
    --state-dir "$WORK/middle-state" --http "127.0.0.1:$h_mid" --notify-interval 1 --log-level debug
  MIDDLE=${PIDS[-1]}
}
start_middle
start tls_middle "$TOOLS/rtr42d" --rtr-upstream "localhost:$p_root_tls" \
  --rtr-upstream-ca "$WORK/cert.pem" --listen "127.0.0.1:$p_tls_mid" --notify-interval 1
wait_for 20 port_open "$p_mid" || { cat "$WORK/middle.log"; fail "middle rtr42d did not start"; }

start_bird "$p_mid" 1
BIRD=${PIDS[-1]}
# And BIRD 3.1 (Debian 13, in the chroot; it shares our loopback) behind the
# same middle, where the chroot can be had.
B3=""
if [ "$(id -u)" -eq 0 ] && { command -v debootstrap >/dev/null || [ -x "${RTR42_TRIXIE_ROOT:-/var/cache/rtr42-test/trixie}/opt/bird3/usr/sbin/bird" ]; }; then
  ensure_trixie_root
  B3=$(mktemp -d "$ROOT/tmp/rtr42-chain3-XXXXXX")
  B3IN=${B3#"$ROOT"}
  cat > "$B3/bird.conf" <<CONF
log "$B3IN/bird.log" all;
router id 192.0.2.3;
roa4 table r4; roa6 table r6;
protocol rpki middle {
  roa4 { table r4; }; roa6 { table r6; };
  remote 127.0.0.1 port $p_mid;
  retry keep 1; refresh keep 600; expire keep 7200;
}
CONF
  chroot "$ROOT" /opt/bird3/usr/sbin/bird -c "$B3IN/bird.conf" -s "$B3IN/bird.ctl" -P "$B3IN/bird.pid"
  trap 'chroot "$ROOT" /opt/bird3/usr/sbin/birdc -s "$B3IN/bird.ctl" down >/dev/null 2>&1 || true; rm -rf "$B3"; cleanup' EXIT
fi
bird3_tables_equal() {  # bird3_tables_equal NAME: BIRD 3.1's tables equal $WORK/NAME4, NAME6
  [ -n "$B3" ] || return 0
  local f
  for f in 4 6; do
    chroot "$ROOT" /opt/bird3/usr/sbin/birdc -s "$B3IN/bird.ctl" show route table "r$f" > "$WORK/b3_$f.txt" || return 1
    bird_to_lines "$WORK/b3_$f.txt" > "$WORK/got3_$f"
    diff -q "$WORK/got3_$f" "$WORK/${1}$f" >/dev/null || return 1
  done
}
bird3_wait_tables() {
  wait_for "$2" bird3_tables_equal "$1" || { same_lines "$WORK/${1}4" "$WORK/got3_4" "BIRD 3.1's IPv4 table" || true; fail "BIRD 3.1's tables do not equal '$1'"; }
}
bird_wait_tables c0 30 middle
bird3_wait_tables c0 30
session=$(bird_field "Session ID")
serial=$(bird_field "Serial number")
echo "BIRD synchronised through the middle: session $session serial $serial, $(wc -l < "$WORK/got4") + $(wc -l < "$WORK/got6") VRPs"

# The TLS middle holds the same set.
tls_middle_equal() {
  "$TOOLS/rtr-dump" --connect "127.0.0.1:$p_tls_mid" --format csv --output "$WORK/tls.csv" 2>/dev/null \
    || return 1
  csv_to_lines "$WORK/tls.csv" > "$WORK/tls_lines"
  sort -u "$WORK/${1}4" "$WORK/${1}6" > "$WORK/want_lines"
  diff -q "$WORK/tls_lines" "$WORK/want_lines" >/dev/null
}
wait_for 20 tls_middle_equal c0 || { grep -v session "$WORK/tls_middle.log"; fail "the TLS middle does not hold commit 400's set"; }
grep -q "cache localhost:$p_root_tls: RTR version 2" "$WORK/tls_middle.log" \
  || fail "the TLS middle did not log its upstream session"

for i in 1 2; do
  moved_at=$SECONDS
  git -C "$WORK/registry" branch -f served "${steps[$i]}"
  bird_wait_tables "c$i" 20 middle
  bird3_wait_tables "c$i" 20
  wait_for 20 tls_middle_equal "c$i" || fail "the TLS middle did not follow to step $i"
  echo "step $i: BIRD holds roa-compile's set of commit ${steps[$i]:0:12} after $((SECONDS - moved_at)) s"
done
bird_kept_session "$session" "$serial" middle
grep -qi "cache reset" "$WORK/bird/bird.log" && fail "BIRD's log shows a Cache Reset"
serial=$new_serial

# The middle restarts: BIRD keeps its tables meanwhile, then reconnects to
# the same session (restored from --state-dir) and gets the next move as a diff.
kill -TERM "$MIDDLE"
wait "$MIDDLE" 2>/dev/null || true
mv "$WORK/middle.log" "$WORK/middle-1.log"
sleep 2
bird_tables_equal c2 || fail "BIRD dropped its tables while the middle was down"
start_middle
wait_for 20 port_open "$p_mid" || { cat "$WORK/middle.log"; fail "middle rtr42d did not restart"; }
grep -q "restored RTR session $session" "$WORK/middle.log" || fail "the middle did not restore its session"
git -C "$WORK/registry" branch -f served "${steps[3]}"
bird_wait_tables c3 30 middle
bird3_wait_tables c3 30
bird_kept_session "$session" "$serial" middle
grep -qi "cache reset" "$WORK/bird/bird.log" && fail "BIRD's log shows a Cache Reset"
if [ -n "$B3" ]; then
  grep -qi "cache reset" "$B3/bird.log" && fail "BIRD 3.1's log shows a Cache Reset"
  v3=$(chroot "$ROOT" /opt/bird3/usr/sbin/birdc -s "$B3IN/bird.ctl" show protocols all middle | awk -F': *' '/Protocol version/ {print $2; exit}')
  echo "BIRD 3.1 behind the same middle (RTR version ${v3:-?}) followed every step, no Cache Reset"
fi
echo "the middle restarted: BIRD kept its tables and followed to serial $new_serial with a diff"

edge_equal() {  # edge_equal NAME: the rtr42d on $p_edge holds the set NAME
  "$TOOLS/rtr-dump" --connect "127.0.0.1:$p_edge" --format csv --output "$WORK/edge.csv" 2>/dev/null \
    || return 1
  csv_to_lines "$WORK/edge.csv" > "$WORK/edge_lines"
  sort -u "$WORK/${1}4" "$WORK/${1}6" > "$WORK/want_lines"
  diff -q "$WORK/edge_lines" "$WORK/want_lines" >/dev/null
}

# StayRTR as the upstream: StayRTR -> rtr42d -> BIRD; rtr42d follows what
# StayRTR serves and its change (StayRTR re-reads its file every second
# here), and BIRD gets it as a diff.
if command -v stayrtr >/dev/null; then
  "$TOOLS/roa-compile" --registry "$WORK/registry" --ref "${steps[0]}" --output "$WORK/stay.json" --quiet
  p_stay=$(free_port); p_edge=$(free_port)
  start stayrtr stayrtr -cache "$WORK/stay.json" -bind "127.0.0.1:$p_stay" -metrics.addr "" \
    -refresh 1
  wait_for 20 port_open "$p_stay" || { cat "$WORK/stayrtr.log"; fail "stayrtr did not start"; }
  wait_for 20 "$TOOLS/rtr-dump" --no-order-check --connect "127.0.0.1:$p_stay" --format csv --output /dev/null \
    || fail "StayRTR serves no data"
  start edge "$TOOLS/rtr42d" --rtr-upstream "127.0.0.1:$p_stay" --listen "127.0.0.1:$p_edge" \
    --notify-interval 1 --log-level debug
  kill "$BIRD"; wait "$BIRD" 2>/dev/null || true
  rm -rf "$WORK/bird"
  start_bird "$p_edge" 1
  wait_for 60 edge_equal c0 || { tail "$WORK/edge.log" "$WORK/stayrtr.log"; fail "rtr42d does not hold StayRTR's set"; }
  bird_wait_tables c0 30 edge
  session=$(bird_field "Session ID"); serial=$(bird_field "Serial number")
  "$TOOLS/roa-compile" --registry "$WORK/registry" --ref "${steps[3]}" --output "$WORK/stay.json.new" --quiet
  mv "$WORK/stay.json.new" "$WORK/stay.json"
  wait_for 30 edge_equal c3 || { tail "$WORK/edge.log" "$WORK/stayrtr.log"; fail "rtr42d did not follow StayRTR's change"; }
  bird_wait_tables c3 30 edge
  bird_kept_session "$session" "$serial" edge
  grep -qi "cache reset" "$WORK/bird/bird.log" && fail "BIRD's log shows a Cache Reset"
  bird_version=$(bird --version 2>&1 | awk '{print $NF}')
  grep -q "cache 127.0.0.1:$p_stay: RTR version" "$WORK/edge.log" || fail "no upstream line"
  echo "StayRTR $(dpkg-query -W -f '${Version}' stayrtr 2>/dev/null) -> rtr42d -> BIRD $bird_version: followed StayRTR's change by a diff"
else
  echo "stayrtr is not installed: Debian 12's StayRTR as the upstream not checked"
fi

# Debian 13's StayRTR 0.6 (in the chroot; it shares our loopback) as the
# upstream too: it speaks version 1 by default, and rtr42d falls back to it.
if command -v debootstrap >/dev/null || [ -x "${RTR42_TRIXIE_ROOT:-/var/cache/rtr42-test/trixie}/opt/stayrtr/usr/bin/stayrtr" ]; then
  ensure_trixie_root
  inside=$(mktemp -d "$ROOT/tmp/rtr42-chain-XXXXXX")
  "$TOOLS/roa-compile" --registry "$WORK/registry" --ref "${steps[1]}" --output "$inside/stay.json" --quiet
  p_stay6=$(free_port); p_edge6=$(free_port)
  start stayrtr06 chroot "$ROOT" /opt/stayrtr/usr/bin/stayrtr -cache "/tmp/$(basename "$inside")/stay.json" \
    -bind "127.0.0.1:$p_stay6" -metrics.addr "" -refresh 1
  wait_for 20 port_open "$p_stay6" || { cat "$WORK/stayrtr06.log"; fail "stayrtr 0.6 did not start"; }
  # StayRTR answers No Data Available until it has read its file; rtr42d
  # then retries with its back-off (1, 2, 4... s): wait for the data first.
  wait_for 20 "$TOOLS/rtr-dump" --no-order-check --connect "127.0.0.1:$p_stay6" --format csv --output /dev/null \
    || fail "StayRTR 0.6 serves no data"
  start edge6 "$TOOLS/rtr42d" --rtr-upstream "127.0.0.1:$p_stay6" --listen "127.0.0.1:$p_edge6" \
    --notify-interval 1
  p_edge=$p_edge6
  # StayRTR 0.6 closes a version 2 connection, its Error Report racing the
  # close: rtr42d falls back at once either way, so no retry back-off is
  # waited out (the first retry is 1 s, the fifth 16 s).
  edge_started=$SECONDS
  wait_for 60 edge_equal c1 || { grep -v " session " "$WORK/edge6.log" | tail; tail "$WORK/stayrtr06.log"; rm -rf "$inside"; fail "rtr42d does not hold StayRTR 0.6's set"; }
  [ $((SECONDS - edge_started)) -le 15 ] || fail "rtr42d took $((SECONDS - edge_started)) s to hold StayRTR 0.6's set"
  "$TOOLS/roa-compile" --registry "$WORK/registry" --ref "${steps[2]}" --output "$inside/stay.json.new" --quiet
  mv "$inside/stay.json.new" "$inside/stay.json"
  wait_for 30 edge_equal c2 || { tail "$WORK/edge6.log" "$WORK/stayrtr06.log"; rm -rf "$inside"; fail "rtr42d did not follow StayRTR 0.6's change"; }
  v=$(sed -n 's/.*cache 127.0.0.1:[0-9]*: RTR version \([0-9]\).*/\1/p' "$WORK/edge6.log" | head -1)
  rm -rf "$inside"
  echo "StayRTR 0.6 (Debian 13) -> rtr42d over RTR version $v: followed its change"
fi
echo "PASS: root -> middle (TCP, TLS) -> BIRD over 4 commits and a middle restart, all by diffs; StayRTR as an upstream"
