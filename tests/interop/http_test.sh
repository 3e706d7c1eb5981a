#!/usr/bin/env bash
# rtr42d's HTTP endpoints with a real HTTP client (curl) and StayRTR chained
# from /rpki.json; SLURM loading, reloading and rejection.
source "$(dirname "$0")/lib.sh"
need curl curl
command -v git >/dev/null || skip "git is not installed"

reg="$WORK/registry"
mkdir -p "$reg/data/route" "$reg/data/route6"
printf '1100 permit 172.20.0.0/14 21 29\n9999 deny 0.0.0.0/0 0 32\n' > "$reg/data/filter.txt"
printf 'route: 172.20.1.0/24\norigin: AS4242420001\n' > "$reg/data/route/172.20.1.0_24"
printf 'route: 172.20.2.0/24\norigin: AS4242420002\n' > "$reg/data/route/172.20.2.0_24"
printf 'route: 172.20.9.0/30\norigin: AS4242420003\n' > "$reg/data/route/172.20.9.0_30"
g() { git -C "$reg" -c user.name=t -c user.email=t@t "$@"; }
git -C "$reg" init -q -b master && g add -A && g commit -qm one

cat > "$WORK/local.slurm" <<'JSON'
{"slurmVersion": 1,
 "validationOutputFilters": {"prefixFilters": [{"prefix": "172.20.2.0/24", "comment": "drop"}], "bgpsecFilters": []},
 "locallyAddedAssertions": {"prefixAssertions": [{"asn": 4242420099, "prefix": "172.21.0.0/24", "maxPrefixLength": 26}],
                            "bgpsecAssertions": []}}
JSON

port=$(free_port); hport=$(free_port)
# (One SLURM edit of this tiny set is a large share: the withdraw guard is off.)
start rtr42d "$TOOLS/rtr42d" --registry "$reg" --registry-ref master --listen "127.0.0.1:$port" \
  --http "127.0.0.1:$hport" --slurm "$WORK/local.slurm" --stale-after 3 --max-withdraw-percent 100
url="http://127.0.0.1:$hport"
wait_for 20 curl -sf "$url/healthz" || { cat "$WORK/rtr42d.log"; fail "/healthz never became 200"; }
metric() { metric_at "$hport" "$1"; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
metric_ge() { local v; v=$(metric "$1"); [ -n "$v" ] && [ "${v%.*}" -ge "$2" ]; }

[ "$(metric 'rtr42_vrps{family="ipv4"}')" = 2 ] || fail "vrps metric: $(curl -s "$url/metrics" | grep vrps)"
[ "$(metric rtr42_serial)" = 1 ] || fail "serial metric"
[ "$(metric rtr42_reset_queries_total)" = 0 ] || fail "reset queries before any session"
dump() { "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --format csv --output "$WORK/dump.csv" 2>/dev/null && csv_to_lines "$WORK/dump.csv"; }
dump > "$WORK/got"
printf '172.20.1.0/24 29 4242420001\n172.21.0.0/24 26 4242420099\n' > "$WORK/want"
same_lines "$WORK/want" "$WORK/got" "SLURM-filtered set" || fail "SLURM not applied"
[ "$(metric rtr42_reset_queries_total)" = 1 ] || fail "reset query not counted"
[ "$(metric rtr42_pdus_sent_total)" = 4 ] || fail "PDUs: $(metric rtr42_pdus_sent_total)"
[ "$(metric rtr42_bytes_sent_total)" -gt 0 ] || fail "bytes not counted"

start watch "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --watch --format csv
wait_for 10 metric_is 'rtr42_sessions{version="2"}' 1 || fail "session gauge: $(metric 'rtr42_sessions{version="2"}')"

# A new serial: the serial, notify and fan-out figures move.
printf 'route: 172.20.3.0/24\norigin: AS4242420004\n' > "$reg/data/route/172.20.3.0_24"
g add -A && g commit -qm two
wait_for 10 metric_is rtr42_serial 2 || fail "serial did not move"
wait_for 10 metric_ge rtr42_serial_notifies_sent_total 1 || fail "notify not counted"
wait_for 10 metric_ge rtr42_serial_queries_total 1 || fail "serial query not counted"
awk '$1 == "rtr42_serial_notify_fanout_seconds" && $2 > 0 { ok = 1 } END { exit !ok }' < <(curl -s "$url/metrics") \
  || fail "fan-out time not recorded"

# /rpki.json: ETag and 304, and StayRTR chaining from it.
etag=$(curl -sfD - -o "$WORK/rpki.json" "$url/rpki.json" | awk -F': ' 'tolower($1) == "etag" { gsub("\r", "", $2); print $2 }')
[ -n "$etag" ] || fail "no ETag"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$url/rpki.json")
[ "$code" = 304 ] || fail "If-None-Match gave $code"
grep -q '"prefix": "172.20.3.0/24"' "$WORK/rpki.json" || fail "/rpki.json lacks the new route"
if command -v stayrtr >/dev/null; then
  sport=$(free_port)
  start stayrtr stayrtr -cache "$url/rpki.json" -bind "127.0.0.1:$sport" -metrics.addr ""
  # (StayRTR 0.5 predates the 8210bis section 11.2 order rtr-dump checks.)
  wait_for 30 "$TOOLS/rtr-dump" --no-order-check --connect "127.0.0.1:$sport" --compare "127.0.0.1:$port" \
    || { tail -5 "$WORK/stayrtr.log"; fail "StayRTR chained from /rpki.json differs from rtr42d"; }
  echo "StayRTR chained from /rpki.json serves the same set"
fi

# /diagnostics names the dropped object.
curl -sf "$url/diagnostics" | grep -q '"file": "data/route/172.20.9.0_30"' || fail "/diagnostics"

# An invalid SLURM file is rejected; the previous one stays in force.
echo '{"slurmVersion": 3}' > "$WORK/local.slurm"
wait_for 10 grep -q 'SLURM .* rejected: .*slurmVersion' "$WORK/rtr42d.log" || fail "bad SLURM not logged"
[ "$(metric rtr42_slurm_up)" = 0 ] || fail "slurm_up"
[ "$(metric rtr42_slurm_failures_total)" = 1 ] || fail "the rejected SLURM file is not counted once"
dump | grep -q '172.21.0.0/24 26 4242420099' || fail "previous SLURM not kept"
# A valid change is applied without a registry change.
sed 's/4242420099/4242420098/' > "$WORK/new.slurm" <<'JSON'
{"slurmVersion": 1,
 "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": []},
 "locallyAddedAssertions": {"prefixAssertions": [{"asn": 4242420099, "prefix": "172.21.0.0/24"}], "bgpsecAssertions": []}}
JSON
mv "$WORK/new.slurm" "$WORK/local.slurm"
wait_for 10 sh -c "\"$TOOLS/rtr-dump\" --connect 127.0.0.1:$port --format csv 2>/dev/null | grep -q '^AS4242420098,172.21.0.0/24,24'" \
  || fail "SLURM change not applied"
dump | grep -q '172.20.2.0/24' || fail "the removed filter still applies"

# The source goes away: /healthz turns 503 once it is stale.
g branch -q -m master gone
wait_for 15 sh -c "test \"\$(curl -s -o /dev/null -w '%{http_code}' $url/healthz)\" = 503" || fail "/healthz did not turn 503"
curl -s "$url/healthz" | grep -q '^stale: source registry has not answered' || fail "503 reason: $(curl -s "$url/healthz")"
[ "$(metric 'rtr42_source_up{source="registry"}')" = 0 ] || fail "source_up"
echo "PASS: HTTP endpoints, ETag, StayRTR chaining, SLURM load/reject/reload, staleness"
