#!/usr/bin/env bash
# Several sources merged, from a configuration file: a registry clone, a JSON
# file and an RTR upstream (an rtr42d serving the embedded sample) in one
# rtr42d. The served set is exactly their union; a source that fails keeps
# its part while the others go on; a broken file is refused at start with
# file:line, and on SIGHUP the configuration in force stays.
source "$(dirname "$0")/lib.sh"
need_bundle

registry_from_to
# The JSON source: a few VRPs of its own and one the registry has too.
"$TOOLS/roa-compile" --registry "$WORK/registry" --ref "$from" --format csv --family 4 --quiet \
  --output "$WORK/reg.csv"
dup=$(sed -n 2p "$WORK/reg.csv")  # ASN,prefix,maxlen,trust anchor
IFS=, read -r dup_asn dup_prefix dup_max _ <<< "$dup"
cat > "$WORK/extra.json" <<JSON
{"roas": [
  {"prefix": "10.42.0.0/16", "maxLength": 24, "asn": "AS64496"},
  {"prefix": "2001:db8:42::/48", "maxLength": 48, "asn": 64497},
  {"prefix": "$dup_prefix", "maxLength": $dup_max, "asn": "$dup_asn"}
]}
JSON
printf '%s\n' "10.42.0.0/16 24 64496" "2001:db8:42::/48 48 64497" > "$WORK/extra_lines"

# The upstream: the embedded sample.
up=$(free_port)
start upstream "$TOOLS/rtr42d" --listen "127.0.0.1:$up" --notify-interval 1
"$TOOLS/roa-compile" --format csv --output "$WORK/sample.csv" --quiet
csv_to_lines "$WORK/sample.csv" > "$WORK/sample_lines"

port=$(free_port); http=$(free_port)
cat > "$WORK/rtr42d.toml" <<TOML
# rtr42d, three sources
listen = ["127.0.0.1:$port"]
http = "127.0.0.1:$http"
notify-interval = 1
max-withdraw-percent = 100

[source.dn42]
registry = "$WORK/registry"
registry-ref = "served"

[source.extra]
json = "$WORK/extra.json"

[source.upstream]
rtr-upstream = "127.0.0.1:$up"
TOML

# A mistake first: refused at start, naming the file and line.
sed 's/^notify-interval = 1/notify-intervall = 1/' "$WORK/rtr42d.toml" > "$WORK/bad.toml"
if "$TOOLS/rtr42d" --config "$WORK/bad.toml" > "$WORK/bad.log" 2>&1; then fail "a bad file was accepted"; fi
grep -q "^rtr42d: $WORK/bad.toml:4: unknown option 'notify-intervall'" "$WORK/bad.log" \
  || { cat "$WORK/bad.log"; fail "the error does not name file:line"; }

wait_for 20 port_open "$up" || { cat "$WORK/upstream.log"; fail "upstream did not start"; }
start rtr42d "$TOOLS/rtr42d" --config "$WORK/rtr42d.toml"
wait_for 20 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }
metric() { metric_at "$http" "$1"; }

# union_is NAME: the served set equals the union of the registry's set NAME,
# the JSON file's and the sample's.
union_is() {
  sort -u "$WORK/${1}4" "$WORK/${1}6" "$WORK/extra_lines" "$WORK/sample_lines" > "$WORK/want"
  "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --format csv --output "$WORK/got.csv" 2>/dev/null || return 1
  csv_to_lines "$WORK/got.csv" > "$WORK/got"
  diff -q "$WORK/want" "$WORK/got" >/dev/null
}
check_union() {
  if ! wait_for 20 union_is "$1"; then
    same_lines "$WORK/want" "$WORK/got" "$2" || true
    grep -v session "$WORK/rtr42d.log" | tail -8
    fail "$2"
  fi
}
check_union from "the union of three sources"
echo "three sources merged: $(wc -l < "$WORK/got") VRPs, the union exactly ($(wc -l < "$WORK/sample_lines") from the upstream, one duplicate served once)"
grep -q "sources dn42 (git $WORK/registry@served), extra (json $WORK/extra.json), upstream (rtr 127.0.0.1:$up)" "$WORK/rtr42d.log" \
  || fail "the start line does not name the three sources"
for s in dn42 extra upstream; do
  [ "$(metric "rtr42_source_up{source=\"$s\"}")" = 1 ] || fail "source $s is not up in /metrics"
done
[ "$(metric 'rtr42_source_vrps{source="extra"}')" = 3 ] || fail "the JSON source's VRPs"

# The upstream goes: its part stays.
kill "${PIDS[0]}"
wait_for 10 grep -q "source upstream (rtr 127.0.0.1:$up) failed" "$WORK/rtr42d.log" || fail "upstream loss not logged"
# The JSON file breaks: its part stays too, and the registry moves on.
echo '{"roas": [' > "$WORK/extra.json.new"; mv "$WORK/extra.json.new" "$WORK/extra.json"
wait_for 10 grep -q "source extra (json $WORK/extra.json) failed" "$WORK/rtr42d.log" || fail "JSON breakage not logged"
git -C "$WORK/registry" branch -f served "$to"
check_union to "the registry's move with two sources failing"
[ "$(metric 'rtr42_source_up{source="upstream"}')" = 0 ] || fail "upstream up in /metrics"
[ "$(metric 'rtr42_source_up{source="extra"}')" = 0 ] || fail "extra up in /metrics"
echo "two sources failing: their parts kept, the registry's move served"

# SIGHUP with a broken file: the configuration in force stays, and so does serving.
cp "$WORK/rtr42d.toml" "$WORK/good.toml"
echo "refresh = [" >> "$WORK/rtr42d.toml"
kill -HUP "$(pgrep -f "rtr42d --config $WORK/rtr42d.toml" | head -1)"
wait_for 10 grep -q "SIGHUP: $WORK/rtr42d.toml:.*; the configuration in force stays" "$WORK/rtr42d.log" \
  || { tail -3 "$WORK/rtr42d.log"; fail "the broken file on SIGHUP was not reported"; }
check_union to "serving after a SIGHUP with a broken file"

# SIGHUP with a valid change: the JSON source removed (its part leaves the
# union), the upstream's table kept as it is, log-level applied at once, and
# a change that needs a restart named.
grep -v -e '^\[source.extra\]' -e '^json = ' "$WORK/good.toml" \
  | sed 's/^notify-interval = 1/notify-interval = 2/' > "$WORK/rtr42d.toml.new"
echo 'log-level = "debug"' | cat - "$WORK/rtr42d.toml.new" > "$WORK/rtr42d.toml"
polls=$(metric 'rtr42_source_polls_total{source="upstream"}')
kill -HUP "$(pgrep -f "rtr42d --config $WORK/rtr42d.toml" | head -1)"
wait_for 10 grep -q "source extra (json $WORK/extra.json) removed: its 3 VRPs leave the union" "$WORK/rtr42d.log" \
  || { tail -5 "$WORK/rtr42d.log"; fail "the removed source was not logged"; }
grep -q "SIGHUP: $WORK/rtr42d.toml: the sources are now dn42, upstream (0 opened anew)" "$WORK/rtr42d.log" \
  || fail "the new sources were not logged"
grep -q "SIGHUP: $WORK/rtr42d.toml: these changes take effect at the next restart: notify-interval = 2" "$WORK/rtr42d.log" \
  || fail "the change waiting for a restart was not named"
: > "$WORK/extra_lines"
check_union to "the union without the removed source"
wait_for 10 grep -q " DEBUG " "$WORK/rtr42d.log" || fail "log-level debug was not applied"
[ -z "$(metric 'rtr42_source_up{source="extra"}')" ] || fail "the removed source is still in /metrics"
# The kept source is the same one, with its state: its poll count went on.
[ "$(metric 'rtr42_source_polls_total{source="upstream"}')" -gt "$polls" ] || fail "the kept source was made anew"
echo "SIGHUP with a changed file: a source removed, log-level applied, a restart-only change named"
echo "PASS: three sources merged from --config; failures keep their parts; bad files refused with file:line; SIGHUP applies a changed file"
