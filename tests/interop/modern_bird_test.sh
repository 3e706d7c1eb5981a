#!/usr/bin/env bash
# The routers dn42 networks run today: BIRD 2.17 and BIRD 3.1 (Debian 13),
# in a Debian 13 chroot that shares this host's loopback, against rtr42d
# following a clone of the real registry, with ASPA records from SLURM:
#  * RTR version 2 is negotiated; roa4/roa6 equal the compiled set and the
#    aspa table equals the ASPA records (providers as BIRD shows them);
#  * a registry move, then a provider change a few seconds later, reach both
#    in the same session (the second with the next Serial Notify, at most a
#    minute later: RFC 8210 section 8.2);
#  * a session over TCP-MD5 (local address 127.0.0.2, the keyed one) gets
#    the same set; one from that address without the key gets nothing;
#  * BIRD logs no error; on SIGTERM rtr42d sends its version 2 sessions
#    Cache Shutdown (no --state-dir).
#
# The chroot is built once with debootstrap (about a minute) and kept in
# $RTR42_TRIXIE_ROOT (default /var/cache/rtr42-test/trixie).
source "$(dirname "$0")/lib.sh"
need_bundle
need curl curl
[ "$(id -u)" -eq 0 ] || skip "a chroot needs root"
ensure_trixie_root
declare -A BIN=([2]=/usr/sbin/bird [3]=/opt/bird3/usr/sbin/bird)
declare -A CTL=([2]=/usr/sbin/birdc [3]=/opt/bird3/usr/sbin/birdc)
for v in 2 3; do
  echo "BIRD $v: $(chroot "$ROOT" "${BIN[$v]}" --version 2>&1)"
done

# --- rtr42d: the registry at commit 420, ASPA from SLURM, TCP-MD5 for 127.0.0.2
registry_from_to
slurm() {  # slurm PROVIDERS...: AS4242420001's providers
  local list; list=$(IFS=,; echo "$*")
  cat > "$WORK/local.slurm.new" <<JSON
{"slurmVersion": 1,
 "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": []},
 "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": [],
   "aspaAssertions": [{"customerAsid": 4242420001, "providerSet": [$list]},
                      {"customerAsid": 4242420005, "providerSet": [0]}]}}
JSON
  mv "$WORK/local.slurm.new" "$WORK/local.slurm"
}
slurm 4242420002 4242420003
printf 'rtr42-md5-test' > "$WORK/md5.key"
port=$(free_port); hport=$(free_port)
start rtr42d "$TOOLS/rtr42d" --registry "$WORK/registry" --registry-ref served \
  --listen "127.0.0.1:$port" --http "127.0.0.1:$hport" --slurm "$WORK/local.slurm" \
  --md5-peer "127.0.0.2/32=$WORK/md5.key" --log-level debug
wait_for 20 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }

# --- both BIRDs, each with a plain, a keyed and an unkeyed-from-127.0.0.2 session
CH=$(mktemp -d "$ROOT/tmp/rtr42-modern-XXXXXX")
IN=${CH#"$ROOT"}  # the same directory seen from inside the chroot
cleanup_chroot() {
  for v in 2 3; do chroot "$ROOT" "${CTL[$v]}" -s "$IN/bird$v.ctl" down >/dev/null 2>&1 || true; done
  rm -rf "$CH"
}
trap 'cleanup_chroot; cleanup' EXIT
for v in 2 3; do
  cat > "$CH/bird$v.conf" <<CONF
log "$IN/bird$v.log" all;
router id 192.0.2.$v;
roa4 table r4; roa6 table r6; aspa table at;
roa4 table m4; roa6 table m6;
roa4 table n4; roa6 table n6;
protocol rpki rtr42 {
  roa4 { table r4; }; roa6 { table r6; }; aspa { table at; };
  remote 127.0.0.1 port $port;
  retry keep 5; refresh keep 600; expire keep 7200;
}
protocol rpki rtr42md5 {
  roa4 { table m4; }; roa6 { table m6; };
  remote 127.0.0.1 port $port;
  local address 127.0.0.2;
  transport tcp { authentication md5; password "rtr42-md5-test"; };
  retry keep 5; refresh keep 600; expire keep 7200;
}
protocol rpki rtr42nokey {
  roa4 { table n4; }; roa6 { table n6; };
  remote 127.0.0.1 port $port;
  local address 127.0.0.2;
  retry keep 5; refresh keep 600; expire keep 7200;
}
CONF
  chroot "$ROOT" "${BIN[$v]}" -c "$IN/bird$v.conf" -s "$IN/bird$v.ctl" -P "$IN/bird$v.pid" \
    || fail "BIRD $v did not start"
done
b() { local v=$1; shift; chroot "$ROOT" "${CTL[$v]}" -s "$IN/bird$v.ctl" "$@"; }
field() {  # field V PROTOCOL NAME
  b "$1" show protocols all "$2" | awk -F': *' -v k="$3" '$1 ~ k { print $2; exit }'
}
# tables_equal V T4 T6 NAME: BIRD V's tables T4/T6 equal $WORK/NAME4, NAME6.
tables_equal() {
  b "$1" show route table "$2" > "$WORK/t4.txt" && b "$1" show route table "$3" > "$WORK/t6.txt" &&
    bird_to_lines "$WORK/t4.txt" > "$WORK/got4" && bird_to_lines "$WORK/t6.txt" > "$WORK/got6" &&
    diff -q "$WORK/got4" "$WORK/${4}4" >/dev/null && diff -q "$WORK/got6" "$WORK/${4}6" >/dev/null
}
# BIRD's "aspa table" as "CUSTOMER PROVIDERS..." lines.
aspa_lines() {
  b "$1" show route table at all | awk '$1 ~ /^[0-9]+$/ { c = $1 }
    /aspa_providers:/ { sub(/.*aspa_providers: */, ""); print c, $0 }' | sort
}
aspa_is() { [ "$(aspa_lines "$1")" = "$2" ]; }
wait_all() {  # wait_all SECONDS NAME ASPA
  for v in 2 3; do
    wait_for "$1" tables_equal "$v" r4 r6 "$2" \
      || { same_lines "$WORK/${2}4" "$WORK/got4" "BIRD $v IPv4" || true; tail -5 "$WORK/rtr42d.log";
           fail "BIRD $v's tables are not the compiled set $2"; }
    wait_for "$1" aspa_is "$v" "$3" \
      || fail "BIRD $v's aspa table: $(aspa_lines "$v" | tr '\n' ';') (want $3)"
  done
}

want_aspa=$'4242420001 4242420002 4242420003\n4242420005 0'
wait_all 30 from "$want_aspa"
for v in 2 3; do
  [ "$(field "$v" rtr42 "Protocol version")" = 2 ] || fail "BIRD $v did not negotiate version 2"
  tables_equal "$v" m4 m6 from || fail "BIRD $v: the TCP-MD5 session has not the same set"
  [ "$(field "$v" rtr42md5 "Transport")" != "" ] && echo "BIRD $v keyed session: $(field "$v" rtr42md5 Transport)"
  [ "$(field "$v" rtr42nokey "Status")" != Established ] && b "$v" show route table n4 count \
    | grep -qE '(^|[^0-9])0 of 0 routes' \
    || fail "BIRD $v: the session from 127.0.0.2 without the key got routes"
done
session=$(field 2 rtr42 "Session ID")
echo "BIRD 2.17 and 3.1: version 2, $(wc -l < "$WORK/from4") + $(wc -l < "$WORK/from6") VRPs, 2 ASPA records, TCP-MD5 alike"

# A registry move (notified at once), then a provider change a few seconds
# later (coalesced into the next notify, within the minute).
git -C "$WORK/registry" branch -f served "$to"
wait_all 20 to "$want_aspa"
sleep 3
slurm 4242420002 4242420004
wait_all 75 to $'4242420001 4242420002 4242420004\n4242420005 0'
for v in 2 3; do
  [ "$(field "$v" rtr42 "Session ID")" = "$session" ] || fail "BIRD $v: session id changed"
  [ "$(field "$v" rtr42 "Serial number")" -ge 3 ] || fail "BIRD $v: serial did not advance"
  if grep -iE 'error|corrupt|unexpected|invalid' "$CH/bird$v.log" | grep -v rtr42nokey; then
    fail "BIRD $v logged an error"
  fi
done
grep -q "Cache Reset" "$WORK/rtr42d.log" && fail "a BIRD got a Cache Reset"
echo "both followed a registry move and a provider change in the same session"

# SIGTERM: version 2 sessions are told Cache Shutdown before the close.
kill "${PIDS[0]}"
wait "${PIDS[0]}" 2>/dev/null || true
grep -q 'sent Cache Shutdown' "$WORK/rtr42d.log" || fail "no Cache Shutdown sent: $(tail -5 "$WORK/rtr42d.log")"
[ "$(grep -c 'sent Cache Shutdown' "$WORK/rtr42d.log")" -ge 4 ] || fail "not every v2 session was told"
echo "PASS: BIRD 2.17 and 3.1 over RTR version 2 with ASPA and TCP-MD5 follow rtr42d"
