#!/usr/bin/env bash
# What operators see (issue 17), against real peers: rtr42d follows a remote
# copy of the registry bundle (file://, polled once an hour) with BIRD 2
# connected.
#  1. 200 routes drawn from the registry and mutated (the route itself,
#     another origin, a longer prefix, a prefix nobody has): /api/v1/validity
#     gives the state `birdc eval roa_check(...)` gives on BIRD holding the set.
#  2. A merge pushed to the remote reaches BIRD on a signed Gitea-shaped
#     webhook (the time from POST to BIRD's table change is printed); a bad
#     signature is refused with 401 and counted.
#  3. Headless Chromium (Debian's chromium) loads the status page: serial,
#     counts, the router row, a diagnostic row and the lookup of a valid, an
#     invalid and a not-found route in the DOM; a screenshot is left in
#     $TOOLS/../status-page.png.
source "$(dirname "$0")/lib.sh"
need bird bird2
need birdc bird2
need curl curl
need openssl openssl
need_bundle

registry_from_to
git clone -q --bare "$WORK/registry" "$WORK/remote.git"
git -C "$WORK/remote.git" branch -f served "$from"
printf 'a shared secret for the test\n' > "$WORK/secret"

port=$(free_port)
hport=$(free_port)
start rtr42d "$TOOLS/rtr42d" --registry "file://$WORK/remote.git" --registry-ref served \
  --cache-dir "$WORK/cache" --poll-interval 3600 --webhook-secret-file "$WORK/secret" \
  --listen "127.0.0.1:$port" --http "127.0.0.1:$hport"
# The first clone of the remote takes a while under ASan on a loaded machine.
wait_for 120 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }
start_bird "$port" 5
bird_wait_tables from 60 rtr42d
echo "BIRD synchronised: $(wc -l < "$WORK/got4") + $(wc -l < "$WORK/got6") VRPs"

# 1. Validity against BIRD's roa_check.
api_state() {  # api_state ASN PREFIX: valid, invalid or not-found
  curl -sf "http://127.0.0.1:$hport/api/v1/validity/AS$1/$2" |
    sed -n 's/.*"state": "\([a-z-]*\)".*/\1/p' | head -1 || true
}
bird_state() {  # bird_state TABLE ASN PREFIX, in the API's words
  # BIRD 2.0 prints the enum's value ("(enum 35)1"), later ones its name.
  case "$(birdc_ eval "roa_check($1, $3, $2)" | tail -1)" in
    *ROA_VALID* | "(enum 35)1") echo valid ;;
    *ROA_INVALID* | "(enum 35)2") echo invalid ;;
    *ROA_UNKNOWN* | "(enum 35)0") echo not-found ;;
    *) echo "?" ;;
  esac
}
# Routes: "prefix maxlen asn" lines of the served set, 50 drawn at random,
# each asked four ways.
cat "$WORK/from4" "$WORK/from6" | shuf -n 50 --random-source=<(yes) > "$WORK/picked"
: > "$WORK/routes"
while read -r prefix maxlen asn; do
  addr=${prefix%/*}
  len=${prefix#*/}
  echo "$prefix $asn" >> "$WORK/routes"                  # the route as registered
  echo "$prefix $((asn + 1))" >> "$WORK/routes"          # another origin
  # One bit longer than the VRP allows (or its longest, for a /32 or /128).
  top=32
  [[ $addr == *:* ]] && top=128
  longer=$((maxlen < top ? maxlen + 1 : top))
  echo "$addr/$longer $asn" >> "$WORK/routes"
  if [[ $addr == *:* ]]; then
    echo "2001:db8:$(printf %x $((RANDOM % 65536)))::/48 $asn" >> "$WORK/routes"
  else
    echo "198.18.$((RANDOM % 256)).0/24 $asn" >> "$WORK/routes"
  fi
done < "$WORK/picked"
checked=0
declare -A seen=()
while read -r prefix asn; do
  state=$(api_state "$asn" "$prefix")
  [ -n "$state" ] || fail "no answer from /api/v1/validity for AS$asn $prefix"
  table=dn42_roa4
  [[ $prefix == *:* ]] && table=dn42_roa6
  expected=$(bird_state "$table" "$asn" "$prefix")
  [ "$state" = "$expected" ] || fail "AS$asn $prefix: the API says $state, BIRD's roa_check says $expected"
  seen[$state]=$((${seen[$state]:-0} + 1))
  checked=$((checked + 1))
done < "$WORK/routes"
[ "$checked" -ge 180 ] || fail "only $checked routes could be checked"
for s in valid invalid not-found; do
  [ "${seen[$s]:-0}" -gt 0 ] || fail "no route came out $s"
done
echo "PASS: $checked routes, /api/v1/validity = BIRD's roa_check (valid ${seen[valid]}, invalid ${seen[invalid]}, not-found ${seen[not-found]})"

# 2. The webhook.
sign() { printf '%s' "$1" | openssl dgst -sha256 -hmac "$(head -1 "$WORK/secret")" -r | cut -d' ' -f1; }
payload="{\"ref\":\"refs/heads/served\",\"before\":\"$from\",\"after\":\"$to\",\"repository\":{\"full_name\":\"dn42/registry\"}}"
git -C "$WORK/remote.git" branch -f served "$to"
sleep 2  # polled once an hour: nothing may change without the webhook
bird_tables_equal from || fail "BIRD changed before the webhook (the remote is polled hourly)"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H 'X-Gitea-Event: push' -H "X-Gitea-Signature: $(sign "wrong$payload")" \
  --data-binary "$payload" "http://127.0.0.1:$hport/api/v1/refresh")
[ "$code" = 401 ] || fail "a bad signature got $code, not 401"
[ "$(metric_at "$hport" 'rtr42_webhook_requests_total{result="bad_signature"}')" = 1 ] ||
  fail "the bad signature was not counted"
sleep 1
bird_tables_equal from || fail "BIRD changed after a refused webhook"
start_ns=$(date +%s%N)
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -H 'X-Gitea-Event: push' -H "X-Gitea-Signature: $(sign "$payload")" \
  --data-binary "$payload" "http://127.0.0.1:$hport/api/v1/refresh")
[ "$code" = 202 ] || fail "a signed webhook got $code, not 202"
until bird_tables_equal to; do
  [ $(( ($(date +%s%N) - start_ns) / 1000000000 )) -lt 30 ] || { tail -20 "$WORK/rtr42d.log"; fail "BIRD did not follow the webhook"; }
  sleep 0.05
done
ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
echo "PASS: a signed Gitea push reached BIRD's tables ${ms} ms after the POST; a bad signature got 401"

# 3. The status page in a browser.
browser=""
for b in chromium chromium-browser; do command -v "$b" >/dev/null && browser=$b && break; done
[ -n "$browser" ] || skip "chromium is not installed (Debian package chromium); parts 1 and 2 passed"
page() {  # page QUERY: the DOM Chromium builds of /QUERY
  "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/chromium" \
    --dump-dom "http://127.0.0.1:$hport/$1" 2>/dev/null
}
serial=$(bird_field "Serial number")
page "" > "$WORK/page.html"
cp "$WORK/page.html" "$TOOLS/../status-page.html"  # to look at when a check below fails
grep -q "<b id=\"serial\">$serial</b>" "$WORK/page.html" || fail "the page's serial is not BIRD's $serial"
grep -q "<b id=\"vrps-ipv4\">$(wc -l < "$WORK/to4")</b>" "$WORK/page.html" || fail "IPv4 count"
grep -q "<b id=\"vrps-ipv6\">$(wc -l < "$WORK/to6")</b>" "$WORK/page.html" || fail "IPv6 count"
grep -q '<tr class="router"><td class="peer">127.0.0.1:' "$WORK/page.html" || fail "no router row"
grep -q "<td class=\"held\">$serial <span class=\"ok\">(current)" "$WORK/page.html" ||
  fail "the router row does not hold serial $serial"
grep -q '<tr class="diagnostic">' "$WORK/page.html" || fail "no diagnostic row"
grep -q '<svg id="history-chart"' "$WORK/page.html" || fail "no history chart"
[ "$(grep -o '<tr class="step">' "$WORK/page.html" | wc -l)" -ge 2 ] || fail "no serial history rows"
# A diagnostic's file filters the table to its rows.
file=$(sed -n 's/.*<tr class="diagnostic"><td>[^<]*<\/td><td><code>\([^<:]*\).*/\1/p' "$WORK/page.html" | head -1)
page "?q=$file" > "$WORK/filtered.html"
rows=$(grep -o '<tr class="diagnostic">' "$WORK/filtered.html" | wc -l)
[ "$rows" -ge 1 ] && ! grep -o '<tr class="diagnostic"><td>[^<]*</td><td><code>[^<]*' "$WORK/filtered.html" |
  grep -vq "$file" || fail "filtering by $file"
read -r vprefix vasn < <(head -1 "$WORK/routes")
lookup() {  # lookup ASN PREFIX EXPECTED
  page "?asn=AS$1&prefix=$2" > "$WORK/lookup.html"
  grep -q "<div id=\"lookup-result\" data-state=\"$3\">" "$WORK/lookup.html" ||
    fail "the page's lookup of AS$1 $2 is not $3"
}
[ "$(api_state "$vasn" "$vprefix")" = valid ] || fail "test data: AS$vasn $vprefix is not valid"
lookup "$vasn" "$vprefix" valid
grep -q '<h3>Matched VRPs</h3>' "$WORK/lookup.html" || fail "the valid lookup shows no matched VRP"
grep -q '<code>data/route6\{0,1\}/' "$WORK/lookup.html" || fail "the lookup names no route object"
lookup "$((vasn + 1))" "$vprefix" invalid
lookup "$vasn" "198.18.0.0/15" not-found
"$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/chromium" --hide-scrollbars \
  --window-size=1280,1800 --screenshot="$WORK/status-page.png" \
  "http://127.0.0.1:$hport/?asn=AS$vasn&prefix=$vprefix" >/dev/null 2>&1 || fail "screenshot"
[ -s "$WORK/status-page.png" ] || fail "no screenshot"
cp "$WORK/status-page.png" "$TOOLS/../status-page.png"
echo "PASS: Chromium's DOM of the status page: serial $serial, counts, router row, diagnostics, lookups; screenshot $TOOLS/../status-page.png"
