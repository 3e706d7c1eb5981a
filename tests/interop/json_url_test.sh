#!/usr/bin/env bash
# rtr42d --json https://... against Debian's nginx serving a StayRTR-format
# ROA JSON (roa-compile's, as the dn42 generators publish it), with gzip on
# as many sites have it: the first load reaches BIRD; a new file is picked up
# at the next poll and reaches BIRD as a diff; an unchanged file costs a 304
# (nginx's access log); the server gone keeps the last good set; a file
# whose metadata.generated is old is served with a warning, counted, and
# shown by /healthz.
source "$(dirname "$0")/lib.sh"
need nginx nginx-light
need openssl openssl
need bird bird2
need birdc bird2
need_bundle

registry_from_to
mkdir -p "$WORK/www"
publish() {  # publish COMMIT: the generator's output for COMMIT, replaced atomically
  "$TOOLS/roa-compile" --registry "$WORK/registry" --ref "$1" --output "$WORK/www/new.json" --quiet
  mv "$WORK/www/new.json" "$WORK/www/dn42_roa_46.json"
}
publish "$from"
make_tls_cert "$WORK/cert.pem" "$WORK/key.pem"
https=$(free_port)
NGINX_HTTP_EXTRA="gzip on; gzip_types application/json; log_format enc '\$status \$request_method \$uri \$sent_http_content_encoding'; access_log $WORK/nginx/enc.log enc;"
export NGINX_HTTP_EXTRA
start_nginx "$WORK/www" "$https" "$WORK/cert.pem" "$WORK/key.pem"

port=$(free_port); http=$(free_port)
url="https://localhost:$https/dn42_roa_46.json"
start rtr42d "$TOOLS/rtr42d" --json "$url" --json-ca "$WORK/cert.pem" --poll-interval 1 \
  --listen "127.0.0.1:$port" --http "127.0.0.1:$http" --notify-interval 1 --log-level debug
wait_for 20 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }
metric() { metric_at "$http" "$1"; }

start_bird "$port" 1
bird_wait_tables from 30 rtr42d
session=$(bird_field "Session ID"); serial=$(bird_field "Serial number")
grep -q '^200 GET /dn42_roa_46.json gzip$' "$WORK/nginx/enc.log" \
  || { cat "$WORK/nginx/enc.log"; fail "the first download was not gzip encoded"; }
echo "first load: BIRD holds the $(wc -l < "$WORK/got4") + $(wc -l < "$WORK/got6") VRPs of $url (gzip)"

# Unchanged: conditional GETs answered 304.
wait_for 10 grep -q '^304 GET /dn42_roa_46.json' "$WORK/nginx/enc.log" \
  || { cat "$WORK/nginx/enc.log"; fail "no 304 for an unchanged file"; }

# A new file: the next poll takes it, BIRD gets the diff.
publish "$to"
bird_wait_tables to 20 rtr42d
bird_kept_session "$session" "$serial" rtr42d
echo "a new file reached BIRD as a diff (serial $serial -> $new_serial)"

# The server goes away: logged once, the last good set kept.
kill "$(cat "$WORK/nginx/nginx.pid")"
wait_for 10 grep -q "source json (json $url) failed" "$WORK/rtr42d.log" \
  || fail "the server's loss was not logged"
sleep 3
[ "$(grep -c "source json (json $url) failed" "$WORK/rtr42d.log")" = 1 ] || fail "the failure was logged more than once"
[ "$(metric 'rtr42_source_up{source="json"}')" = 0 ] || fail "source_up is not 0"
bird_tables_equal to || fail "BIRD lost the set while the server was down"
"$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --format csv --output "$WORK/kept.csv" 2>/dev/null
csv_to_lines "$WORK/kept.csv" > "$WORK/kept"
sort -u "$WORK/to4" "$WORK/to6" > "$WORK/to_all"
same_lines "$WORK/to_all" "$WORK/kept" "the set kept while the server is down" || fail "last good set not kept"

# Back, with a file a stalled generator left three days ago: served, with a warning.
old=$(( $(date +%s) - 3 * 86400 ))
"$TOOLS/roa-compile" --registry "$WORK/registry" --ref "$from" --output "$WORK/www/new.json" --quiet
sed -i "s/\"generated\": [0-9]*/\"generated\": $old/" "$WORK/www/new.json"
mv "$WORK/www/new.json" "$WORK/www/dn42_roa_46.json"
start_nginx "$WORK/www" "$https" "$WORK/cert.pem" "$WORK/key.pem"
bird_wait_tables from 20 rtr42d
grep -q "source json recovered" "$WORK/rtr42d.log" || fail "recovery not logged"
grep -q "was generated 72h.* ago (metadata.generated $old), longer than --json-max-age 24h; served all the same" "$WORK/rtr42d.log" \
  || { grep json "$WORK/rtr42d.log" | tail -3; fail "no warning for the old file"; }
curl -s "http://127.0.0.1:$http/healthz" | grep -q '^ok: .*warning: source json: .* was generated 72h' \
  || fail "/healthz does not show the warning: $(curl -s "http://127.0.0.1:$http/healthz")"
[ "$(metric 'rtr42_source_old_data_total{source="json"}')" = 1 ] || fail "old data not counted"
[ "$(metric 'rtr42_source_generated_timestamp_seconds{source="json"}')" = "$old" ] || fail "generated time metric"
echo "PASS: --json URL via nginx: gzip, 304, a change as a diff to BIRD, server loss keeps the set, old data warned"
