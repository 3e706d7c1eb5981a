#!/usr/bin/env bash
# NRTMv4 end to end: nrtm4-publish puts the shared registry bundle on a feed,
# Debian's nginx serves it over HTTPS as an operator would (with
# Content-Length, keep-alive, a certificate made here), and
# rtr42d mirrors it: from the snapshot, then through several deltas, a key
# rotation and a new session, always serving exactly what roa-compile makes
# from git at the same commit. A tampered notification and a delta the server
# does not have (404) are refused and the set stays; an unchanged
# notification is answered 304 (conditional GET); a restart resumes with
# deltas. Last, roa-compile mirrors the feed from a server that ends each
# body by closing the connection (openssl s_server -WWW, no Content-Length).
source "$(dirname "$0")/lib.sh"
need openssl openssl
need curl curl
need nginx nginx-light
need_bundle

git clone -q "$BUNDLE" "$WORK/reg"
at() { git -C "$WORK/reg" rev-list --first-parent HEAD | sed -n "${1}p"; }
"$TOOLS/nrtm4-publish" keygen --private-key "$WORK/feed.key" --public-key "$WORK/feed.pub" >/dev/null
"$TOOLS/nrtm4-publish" keygen --private-key "$WORK/feed2.key" --public-key "$WORK/feed2.pub" >/dev/null
make_tls_cert "$WORK/tls.crt" "$WORK/tls.key"

# Publish the registry as of commit N (counted back from the newest) and the
# policy files of that commit, into a staging directory that is then copied
# to what nginx serves, the notification last (as a deployment would);
# further arguments go to nrtm4-publish. HOLD_BACK=1 copies all but the
# newest delta.
KEY=$WORK/feed.key
publish() {
  local c; c=$(at "$1"); shift
  local f
  for f in filter.txt filter6.txt; do  # replaced only when the commit changed them
    git -C "$WORK/reg" show "$c:data/$f" > "$WORK/$f.new"
    cmp -s "$WORK/$f.new" "$WORK/$f" && rm "$WORK/$f.new" || mv "$WORK/$f.new" "$WORK/$f"
  done
  "$TOOLS/nrtm4-publish" --registry "$WORK/reg" --ref "$c" --feed-dir "$WORK/stage" \
    --private-key "$KEY" "$@" 2>/dev/null || fail "nrtm4-publish at commit $c"
  mkdir -p "$WORK/feed"
  local newest; newest=$(ls -t "$WORK"/stage/*/nrtm-delta.* 2>/dev/null | head -1 || true)
  (cd "$WORK/stage" && find . -type f ! -name update-notification-file.jose) | while read -r f; do
    [ "${HOLD_BACK:-0}" = 1 ] && [ "$WORK/stage/${f#./}" = "$newest" ] && continue
    mkdir -p "$(dirname "$WORK/feed/$f")"; cp "$WORK/stage/$f" "$WORK/feed/$f"
  done
  cp "$WORK/stage/update-notification-file.jose" "$WORK/feed/.n.tmp"
  mv "$WORK/feed/.n.tmp" "$WORK/feed/update-notification-file.jose"
  "$TOOLS/roa-compile" --registry "$WORK/reg" --ref "$c" --format csv --output "$WORK/want.csv" 2>/dev/null
  csv_to_lines "$WORK/want.csv" > "$WORK/want"
}
publish 40

mkdir -p "$WORK/feed"
port=$(free_port)
start_nginx "$WORK/feed" "$port" "$WORK/tls.crt" "$WORK/tls.key"
# The feed's files come with a Content-Length, as from any real web server.
curl -sfI --cacert "$WORK/tls.crt" "https://localhost:$port/update-notification-file.jose" \
  | grep -qi '^content-length:' || fail "nginx sent no Content-Length"

rport=$(free_port); hport=$(free_port)
run_rtr42d() {
  start "rtr42d$1" "$TOOLS/rtr42d" --nrtm4-url "https://localhost:$port/update-notification-file.jose" \
    --nrtm4-source DN42 --nrtm4-key "$WORK/feed.pub" --nrtm4-ca "$WORK/tls.crt" \
    --nrtm4-state-dir "$WORK/mirror" --filter "$WORK/filter.txt" --filter6 "$WORK/filter6.txt" \
    --poll-interval 1 --listen "127.0.0.1:$rport" --http "127.0.0.1:$hport"
}
run_rtr42d 1
metric() { metric_at "$hport" "$1"; }
wait_for 30 curl -sf "http://127.0.0.1:$hport/healthz" || { cat "$WORK/rtr42d1.log"; fail "no set from the feed"; }
served() {
  "$TOOLS/rtr-dump" --connect "127.0.0.1:$rport" --format csv --output "$WORK/got.csv" 2>/dev/null &&
    csv_to_lines "$WORK/got.csv" > "$WORK/got"
}
served
same_lines "$WORK/want" "$WORK/got" "git and NRTMv4 snapshot (commit -40)" || fail "snapshot set"
echo "snapshot: $(wc -l < "$WORK/got") VRPs, as git compiles them"
# IRRd-compatible output: the publisher's state is not in the served
# directory, and a multi-origin registry object is one route object per origin.
[ ! -e "$WORK/stage/.nrtm4-publish-state.json" ] && [ -f "$WORK/stage.nrtm4-publish-state.json" ] \
  || fail "the publisher's state is inside the feed directory"
snap=$(ls "$WORK"/feed/*/nrtm-snapshot.*.json.gz | head -1)
[ "$(zcat "$snap" | grep -o 'route:  *172\.20\.0\.53/32' | wc -l)" -ge 2 ] \
  || fail "172.20.0.53/32 (several origins) is not split into one object per origin"
grep -q 'GET /[^ ]*/nrtm-snapshot[^ ]* HTTP/1.1" 200' "$WORK/nginx/access.log" \
  || fail "the snapshot did not come from nginx: $(cat "$WORK/nginx/access.log")"

matches() { served && diff -q "$WORK/want" "$WORK/got" >/dev/null; }
follows() {
  wait_for 30 matches || { served; same_lines "$WORK/want" "$WORK/got" "git and NRTMv4 (commit -$1)";
    tail "$WORK/rtr42d1.log"; fail "set at commit -$1"; }
}
publish 25 --next-public-key "$WORK/feed2.pub"; follows 25
KEY=$WORK/feed2.key
publish 18; follows 18
grep -q 'the next signing key verified' "$WORK/rtr42d1.log" || fail "key rotation not followed"
publish 12; follows 12
grep -q 'version 4' "$WORK/rtr42d1.log" || fail "the mirror is not at version 4: $(grep nrtm4 "$WORK/rtr42d1.log" | tail -3)"
echo "deltas: 3 published (one announcing the next key, two signed by it), each served as git compiles it"

# An unchanged notification costs a 304 and nothing else.
sleep 3
grep -q '"GET /update-notification-file.jose HTTP/1.1" 304' "$WORK/nginx/access.log" \
  || fail "no conditional GET answered 304: $(tail -3 "$WORK/nginx/access.log")"

# A delta the server does not have yet: the error names it, the set stays.
serial=$(metric rtr42_serial)
cp "$WORK/want" "$WORK/want.before"
HOLD_BACK=1 publish 5
wait_for 15 grep -q 'nrtm-delta[^ ]*: HTTP status 404 Not Found' "$WORK/rtr42d1.log" \
  || fail "a missing delta was not reported: $(tail -3 "$WORK/rtr42d1.log")"
served
same_lines "$WORK/want.before" "$WORK/got" "served set while a delta is missing" || fail "set changed"
[ "$(metric rtr42_serial)" = "$serial" ] || fail "serial moved while a delta is missing"
publish 5; follows 5
echo "a missing delta (404) was reported and the set kept; once there, it was applied"

# A notification whose signature does not verify: logged, the set stays.
serial=$(metric rtr42_serial)
jws=$(cat "$WORK/feed/update-notification-file.jose")
printf '%sAAAA' "${jws%.*}." > "$WORK/feed/update-notification-file.jose"
wait_for 15 grep -q 'rejected' "$WORK/rtr42d1.log" || fail "tampered notification not reported"
served
same_lines "$WORK/want" "$WORK/got" "served set after a bad signature" || fail "set changed"
[ "$(metric rtr42_serial)" = "$serial" ] || fail "serial moved after a bad signature"
[ "$(metric 'rtr42_source_up{source="nrtm4"}')" = 0 ] || fail "/metrics does not show the failing source"
[ "$(grep -c 'rejected' "$WORK/rtr42d1.log")" = 1 ] || fail "the bad signature was logged more than once"
printf '%s' "$jws" > "$WORK/feed/update-notification-file.jose"

# A new session: the mirror starts again from its snapshot.
publish 1 --new-session; follows 1
grep -q 'session changed' "$WORK/rtr42d1.log" || fail "the new session was not noticed"

# A restart resumes from the mirror state: no snapshot is fetched again.
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true
: > "$WORK/nginx/access.log"
run_rtr42d 2
wait_for 30 curl -sf "http://127.0.0.1:$hport/healthz" || { cat "$WORK/rtr42d2.log"; fail "restart"; }
grep -q 'resuming session' "$WORK/rtr42d2.log" || fail "did not resume: $(head -5 "$WORK/rtr42d2.log")"
served
same_lines "$WORK/want" "$WORK/got" "served set after a restart" || fail "set after restart"
grep -q 'update-notification-file.jose' "$WORK/nginx/access.log" || fail "no request after the restart"
! grep -q 'nrtm-snapshot' "$WORK/nginx/access.log" || fail "the restart fetched the snapshot again"

# A server that sends no Content-Length and ends each body by closing.
kill "${PIDS[-1]}" 2>/dev/null; wait "${PIDS[-1]}" 2>/dev/null || true
wport=$(free_port)
(cd "$WORK/feed" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$wport" \
  -cert "$WORK/tls.crt" -key "$WORK/tls.key") > "$WORK/s_server.log" 2>&1 &
PIDS+=($!)
wait_for 10 port_open "$wport" || fail "openssl s_server did not start"
close_mirror() {
  "$TOOLS/roa-compile" --nrtm4-url "https://localhost:$wport/update-notification-file.jose" \
    --nrtm4-source DN42 --nrtm4-key "$WORK/feed2.pub" --nrtm4-ca "$WORK/tls.crt" \
    --nrtm4-state-dir "$WORK/mirror-close" --filter "$WORK/filter.txt" --filter6 "$WORK/filter6.txt" \
    --format csv --output "$WORK/close.csv" "$@" 2> "$WORK/close.log"
}
# With a cap below the snapshot's size: a clear error, and nothing kept.
! close_mirror --nrtm4-max-file-size 100000 || fail "a snapshot over --nrtm4-max-file-size was taken"
grep -q 'nrtm-snapshot[^ ]*: the body is larger than the limit of 100000 bytes' "$WORK/close.log" \
  || fail "the size cap error does not name the file and the limit: $(cat "$WORK/close.log")"
close_mirror || { cat "$WORK/close.log"; fail "roa-compile from s_server"; }
csv_to_lines "$WORK/close.csv" > "$WORK/got"
same_lines "$WORK/want" "$WORK/got" "git and NRTMv4 from a close-delimited server" || fail "close-delimited"
echo "PASS: NRTMv4 over HTTPS from nginx: snapshot, deltas, key rotation, 304, missing delta and bad signature refused, restart resumed, new session; and from a close-delimited server"
