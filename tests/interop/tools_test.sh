#!/usr/bin/env bash
# The command-line tools end to end, on a registry made here:
#  * roa-compile: formats, --family, atomic --output, --diagnostics, clear errors;
#  * rtr42d keeps serving the last good set when its source breaks (a missing
#    ref, a broken filter file) and follows it again when it recovers;
#  * rtr42d --json reloads the file when it changes;
#  * rtr-dump --watch prints each serial's diff; rtr42d stops cleanly on SIGTERM.
source "$(dirname "$0")/lib.sh"
command -v git >/dev/null || skip "git is not installed"

reg="$WORK/registry"
mkdir -p "$reg/data/route" "$reg/data/route6"
printf '1100 permit 172.20.0.0/14 21 29\n9999 deny 0.0.0.0/0 0 32\n' > "$reg/data/filter.txt"
printf '1001 permit fd00::/8 44 64\n9999 deny ::/0 0 128\n' > "$reg/data/filter6.txt"
printf 'route: 172.20.1.0/24\norigin: AS4242420001\n' > "$reg/data/route/172.20.1.0_24"
printf 'route6: fd42:1::/48\norigin: AS4242420002\n' > "$reg/data/route6/fd42_1__48"
printf 'route: 172.20.9.0/30\norigin: AS4242420003\n' > "$reg/data/route/172.20.9.0_30"
git -C "$reg" init -q -b master
git -C "$reg" -c user.name=t -c user.email=t@t add -A
git -C "$reg" -c user.name=t -c user.email=t@t commit -qm one

# --- roa-compile
"$TOOLS/roa-compile" --registry "$reg" --format bird2 > "$WORK/out.bird" 2> "$WORK/err.txt"
grep -qx 'route 172.20.1.0/24 max 29 as 4242420001;' "$WORK/out.bird" || fail "bird2 output: $(cat "$WORK/out.bird")"
grep -qx 'route fd42:1::/48 max 64 as 4242420002;' "$WORK/out.bird" || fail "bird2 IPv6 output"
grep -q '2 VRPs (1 IPv4, 1 IPv6), 1 diagnostics' "$WORK/err.txt" || fail "summary: $(cat "$WORK/err.txt")"
"$TOOLS/roa-compile" --registry "$reg" --format bird1 --family 6 --quiet > "$WORK/out.bird1"
[ "$(cat "$WORK/out.bird1")" = 'roa fd42:1::/48 max 64 as 4242420002;' ] || fail "bird1 --family 6"
"$TOOLS/roa-compile" --registry "$reg" --diagnostics --quiet --output "$WORK/out.json" 2> "$WORK/diag.txt"
grep -q '^data/route/172.20.9.0_30:1: dropped: 172.20.9.0/30: prefix length 30 is longer than MaxLen 29' \
  "$WORK/diag.txt" || fail "diagnostics: $(cat "$WORK/diag.txt")"
grep -q '"commit": "[0-9a-f]\{40\}"' "$WORK/out.json" || fail "JSON metadata has no commit"
now=$(date +%s)
gen=$(sed -n 's/.*"generated": \([0-9]*\).*/\1/p' "$WORK/out.json")
[ $((now - gen)) -lt 60 ] || fail "generated is not the time of writing"
ls "$WORK" | grep -q 'tmp' && fail "a temporary file was left behind"
for bad in "--registry $WORK/nowhere" "--registry $reg --ref no-such-ref" "--format yaml" "--family 5" "--bogus"; do
  set +e
  "$TOOLS/roa-compile" $bad > /dev/null 2> "$WORK/err.txt"
  rc=$?
  set -e
  [ $rc -ne 0 ] || fail "roa-compile $bad exited 0"
  grep -q '^roa-compile: ' "$WORK/err.txt" || fail "roa-compile $bad: no clear error"
done
echo "roa-compile: formats, diagnostics, metadata and errors ok"

# --- rtr42d following a branch, through failures
port=$(free_port)
start rtr42d "$TOOLS/rtr42d" --registry "$reg" --registry-ref master --listen "127.0.0.1:$port"
wait_for 20 port_open "$port" || fail "rtr42d did not start"
dump() { "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --format csv --output "$WORK/dump.csv" 2>/dev/null && csv_to_lines "$WORK/dump.csv"; }
has() { dump | grep -qx "$1"; }
wait_for 10 has "172.20.1.0/24 29 4242420001" || fail "rtr42d did not serve the registry"

start watch "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --watch --format csv
sleep 1

# A commit with a broken filter file: logged, the last good set stays.
printf '1100 permit 172.20.0.0/14 21\n' > "$reg/data/filter.txt"
printf 'route: 172.20.2.0/24\norigin: AS4242420004\n' > "$reg/data/route/172.20.2.0_24"
git -C "$reg" -c user.name=t -c user.email=t@t commit -qam broken
git -C "$reg" -c user.name=t -c user.email=t@t add -A
git -C "$reg" -c user.name=t -c user.email=t@t commit -qm broken2
wait_for 10 grep -q 'data/filter.txt:1: expected 5 fields' "$WORK/rtr42d.log" || fail "broken filter not logged"
has "172.20.1.0/24 29 4242420001" || fail "the last good set was not kept"
has "172.20.2.0/24 29 4242420004" && fail "a route from the broken commit was served"

# The fix arrives: the new route is served and --watch shows it.
printf '1100 permit 172.20.0.0/14 21 29\n9999 deny 0.0.0.0/0 0 32\n' > "$reg/data/filter.txt"
git -C "$reg" -c user.name=t -c user.email=t@t commit -qam fixed
wait_for 10 has "172.20.2.0/24 29 4242420004" || fail "rtr42d did not recover"
grep -q 'recovered' "$WORK/rtr42d.log" || fail "recovery not logged"
wait_for 10 grep -q '^+ 172.20.2.0/24-29 AS4242420004' "$WORK/watch.log" || fail "--watch: $(cat "$WORK/watch.log")"
grep -q '^# serial 1 -> 2: +1 -0' "$WORK/watch.log" || fail "--watch header: $(cat "$WORK/watch.log")"

# The followed branch disappears: logged once, the set stays.
git -C "$reg" branch -q -m master gone
wait_for 10 grep -q "ref 'master'" "$WORK/rtr42d.log" || fail "missing ref not logged"
sleep 2
[ "$(grep -c "ref 'master'" "$WORK/rtr42d.log")" -eq 1 ] || fail "the same failure was logged more than once"
has "172.20.2.0/24 29 4242420004" || fail "set lost after the ref vanished"
echo "rtr42d: kept the last good set through a broken filter and a missing ref"

# SIGTERM: a clean stop.
kill -TERM "${PIDS[0]}"
wait_for 10 grep -q 'rtr42d stopped' "$WORK/rtr42d.log" || fail "no clean shutdown"

# --- rtr42d --json reloads a changed file
"$TOOLS/roa-compile" --registry "$reg" --ref gone --quiet --output "$WORK/vrps.json"
jport=$(free_port)
# (A one-VRP edit of this tiny set is a large share: the withdraw guard is off.)
start rtr42d-json "$TOOLS/rtr42d" --json "$WORK/vrps.json" --listen "127.0.0.1:$jport" \
  --max-withdraw-percent 100
wait_for 20 port_open "$jport" || fail "rtr42d --json did not start"
port=$jport
wait_for 10 has "172.20.2.0/24 29 4242420004" || fail "JSON not served"
sed -i 's/4242420004/4242420099/' "$WORK/vrps.json"
wait_for 10 has "172.20.2.0/24 29 4242420099" || fail "JSON change not picked up"
echo '{"roas": [' > "$WORK/vrps.json"
wait_for 10 grep -q 'JSON syntax error' "$WORK/rtr42d-json.log" || fail "bad JSON not logged"
has "172.20.2.0/24 29 4242420099" || fail "set lost after a bad JSON file"

# --- operator mistakes get a clear error, never a quiet wrong answer
mistake() {  # mistake EXPECTED-TEXT COMMAND...: fails, saying EXPECTED-TEXT
  local want=$1; shift
  if "$@" > "$WORK/mistake.out" 2>&1; then fail "accepted: $*"; fi
  grep -q -- "$want" "$WORK/mistake.out" || fail "$*: $(cat "$WORK/mistake.out")"
}
mistake "--registry is empty" "$TOOLS/roa-compile" --registry ''
mkdir -p "$WORK/adir"
mistake "is a directory" "$TOOLS/roa-compile" --filter "$WORK/adir"
mistake "is a directory" "$TOOLS/bird-rpki-lint" "$WORK/adir"
mistake "No space left on device" sh -c "'$TOOLS/roa-compile' > /dev/full"
mistake "the port must be a number" "$TOOLS/rtr-dump" --connect 127.0.0.1:99999
# --output through a symbolic link keeps the link, into a FIFO writes into it
ln -s real.csv "$WORK/link.csv"
"$TOOLS/roa-compile" --format csv --output "$WORK/link.csv" 2>/dev/null
[ -L "$WORK/link.csv" ] && [ -s "$WORK/real.csv" ] || fail "--output replaced the link"
mkfifo "$WORK/out.fifo"
(cat "$WORK/out.fifo" > "$WORK/from.fifo") &
reader=$!
"$TOOLS/roa-compile" --format csv --output "$WORK/out.fifo" 2>/dev/null
wait "$reader"
[ -p "$WORK/out.fifo" ] && cmp -s "$WORK/from.fifo" "$WORK/real.csv" || fail "--output into a FIFO"
echo "PASS: tools behave"
