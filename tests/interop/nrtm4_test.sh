#!/usr/bin/env bash
# NRTMv4 end to end: nrtm4-publish puts the shared registry bundle on a feed,
# Debian's nginx serves it over HTTPS as an operator would (with
# Content-Length, keep-alive, a certificate made here), and
# rtr42d mirrors it: from the snapshot, then through several deltas, always
# serving exactly what roa-compile makes from git at the same commit. A
# tampered notification is refused and the set stays; a restart resumes.
source "$(dirname "$0")/lib.sh"
need openssl openssl
need curl curl
need nginx nginx-light
need_bundle

git clone -q "$BUNDLE" "$WORK/reg"
at() { git -C "$WORK/reg" rev-list --first-parent HEAD | sed -n "${1}p"; }
"$TOOLS/nrtm4-publish" keygen --private-key "$WORK/feed.key" --public-key "$WORK/feed.pub" >/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null

# Publish the registry as of commit N (counted back from the newest) and the
# policy files of that commit.
publish() {
  local c; c=$(at "$1")
  local f
  for f in filter.txt filter6.txt; do  # replaced only when the commit changed them
    git -C "$WORK/reg" show "$c:data/$f" > "$WORK/$f.new"
    cmp -s "$WORK/$f.new" "$WORK/$f" && rm "$WORK/$f.new" || mv "$WORK/$f.new" "$WORK/$f"
  done
  "$TOOLS/nrtm4-publish" --registry "$WORK/reg" --ref "$c" --feed-dir "$WORK/feed" \
    --private-key "$WORK/feed.key" 2>/dev/null || fail "nrtm4-publish at commit -$1"
  "$TOOLS/roa-compile" --registry "$WORK/reg" --ref "$c" --format csv --output "$WORK/want.csv" 2>/dev/null
  csv_to_lines "$WORK/want.csv" > "$WORK/want"
}
publish 40

mkdir -p "$WORK/feed" "$WORK/nginx"
port=$(free_port)
# Run as root (CI), nginx's workers would drop to "nobody", who cannot read
# $WORK (mode 0700): they keep root's user here.
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"
cat > "$WORK/nginx/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log;
events { worker_connections 64; }
http {
  access_log $WORK/nginx/access.log;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  types { application/jose jose; application/gzip gz; }
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    ssl_certificate $WORK/tls.crt;
    ssl_certificate_key $WORK/tls.key;
    root $WORK/feed;
  }
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' > "$WORK/nginx.log" 2>&1 &
PIDS+=($!)
wait_for 10 port_open "$port" || { cat "$WORK/nginx.log" "$WORK/nginx/error.log"; fail "nginx did not start"; }
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
[ ! -e "$WORK/feed/.nrtm4-publish-state.json" ] && [ -f "$WORK/feed.nrtm4-publish-state.json" ] \
  || fail "the publisher's state is inside the feed directory"
snap=$(ls "$WORK"/feed/*/nrtm-snapshot.*.json.gz | head -1)
[ "$(zcat "$snap" | grep -o 'route:  *172\.20\.0\.53/32' | wc -l)" -ge 2 ] \
  || fail "172.20.0.53/32 (several origins) is not split into one object per origin"
grep -q 'GET /[^ ]*/nrtm-snapshot[^ ]* HTTP/1.1" 200' "$WORK/nginx/access.log" \
  || fail "the snapshot did not come from nginx: $(cat "$WORK/nginx/access.log")"

matches() { served && diff -q "$WORK/want" "$WORK/got" >/dev/null; }
for n in 25 12 5 1; do
  publish "$n"
  wait_for 30 matches || { served; same_lines "$WORK/want" "$WORK/got" "git and NRTMv4 (commit -$n)";
    tail "$WORK/rtr42d1.log"; fail "set at commit -$n"; }
done
serial=$(metric rtr42_serial)
grep -q 'version 5' "$WORK/rtr42d1.log" || fail "the mirror is not at version 5: $(grep nrtm4 "$WORK/rtr42d1.log" | tail -3)"
echo "deltas: 4 published, each served as git compiles it"

# A notification whose signature does not verify: logged, the set stays.
jws=$(cat "$WORK/feed/update-notification-file.jose")
printf '%sAAAA' "${jws%.*}." > "$WORK/feed/update-notification-file.jose"
wait_for 15 grep -q 'rejected' "$WORK/rtr42d1.log" || fail "tampered notification not reported"
served
same_lines "$WORK/want" "$WORK/got" "served set after a bad signature" || fail "set changed"
[ "$(metric rtr42_serial)" = "$serial" ] || fail "serial moved after a bad signature"
[ "$(metric rtr42_source_up)" = 0 ] || fail "/metrics does not show the failing source"
[ "$(grep -c 'rejected' "$WORK/rtr42d1.log")" = 1 ] || fail "the bad signature was logged more than once"
printf '%s' "$jws" > "$WORK/feed/update-notification-file.jose"

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
echo "PASS: NRTMv4 over HTTPS from nginx: snapshot, 4 deltas, bad signature refused, restart resumed"
