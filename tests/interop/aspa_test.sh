#!/usr/bin/env bash
# RTR version 2 with ASPA: rtr42d serves the "aspas" of a VRP JSON file (the
# rpki-client shape) with SLURM ASPA filters and assertions applied; rtr-dump
# --version 2 receives them, follows a change as a diff, and version 1 and 0
# sessions (rtr-dump, RTRlib) get the prefixes only.
source "$(dirname "$0")/lib.sh"
need curl curl

write_json() {  # write_json PROVIDERS_OF_64496
  cat > "$WORK/vrps.json.new" <<JSON
{"metadata": {"generated": 1700000000},
 "roas": [{"prefix": "172.20.0.0/24", "maxLength": 28, "asn": "AS4242420000", "ta": "dn42"},
          {"prefix": "fd42::/48", "maxLength": 64, "asn": "AS4242420001", "ta": "dn42"}],
 "aspas": [{"customer_asid": 64496, "expires": 1700086400, "providers": [$1]},
           {"customer_asid": 64500, "expires": 1700086400, "providers": [64501]},
           {"customer_asid": 4242420000, "expires": 1700086400, "providers": [4242420001, 4242420002]}]}
JSON
  mv "$WORK/vrps.json.new" "$WORK/vrps.json"
}
write_json "64498, 64497"
cat > "$WORK/aspa.slurm" <<'JSON'
{"slurmVersion": 1,
 "validationOutputFilters": {"prefixFilters": [], "bgpsecFilters": [],
                             "aspaFilters": [{"customerAsid": 64500, "comment": "not trusted"}]},
 "locallyAddedAssertions": {"prefixAssertions": [], "bgpsecAssertions": [],
                            "aspaAssertions": [{"customerAsid": 64510, "providerSet": [64512, 64511]}]}}
JSON

port=$(free_port); hport=$(free_port)
start rtr42d "$TOOLS/rtr42d" --json "$WORK/vrps.json" --slurm "$WORK/aspa.slurm" \
  --listen "127.0.0.1:$port" --http "127.0.0.1:$hport"
wait_for 20 port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d did not start"; }
wait_for 20 curl -sf "http://127.0.0.1:$hport/healthz" || fail "/healthz never became 200"
[ "$(curl -sf "http://127.0.0.1:$hport/metrics" | awk '$1 == "rtr42_aspas" { print $2 }')" = 3 ] \
  || fail "rtr42_aspas metric"

# Version 2: every ASPA record, providers in increasing order, SLURM applied.
"$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --version 2 --output "$WORK/v2.json" 2> "$WORK/v2.err" \
  || { cat "$WORK/v2.err"; fail "rtr-dump --version 2"; }
grep -q 'RTR v2, .* 2 VRPs, 0 Router Keys, 3 ASPAs' "$WORK/v2.err" || fail "v2 summary: $(cat "$WORK/v2.err")"
grep -o '{"customer_asid".*}' "$WORK/v2.json" > "$WORK/aspas"
cat > "$WORK/want" <<'TXT'
{"customer_asid": 64496, "providers": [64497, 64498]}
{"customer_asid": 64510, "providers": [64511, 64512]}
{"customer_asid": 4242420000, "providers": [4242420001, 4242420002]}
TXT
diff -u "$WORK/want" "$WORK/aspas" || fail "ASPA records received over version 2"
grep -q '"prefix": "fd42::/48"' "$WORK/v2.json" || fail "prefixes missing in version 2"

# Versions 1 and 0: the same prefixes, no ASPA.
for v in 1 0; do
  "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --version $v --output "$WORK/v$v.json" 2> "$WORK/v$v.err" \
    || fail "rtr-dump --version $v"
  grep -q "RTR v$v, .* 2 VRPs, 0 Router Keys, 0 ASPAs" "$WORK/v$v.err" || fail "v$v summary: $(cat "$WORK/v$v.err")"
  ! grep -q aspas "$WORK/v$v.json" || fail "a version $v session saw ASPA"
done
if command -v rtrclient >/dev/null; then
  timeout 60 rtrclient -e -t csv -o "$WORK/rtrlib.csv" tcp 127.0.0.1 "$port" > "$WORK/rtrclient.log" 2>&1 \
    || { tail "$WORK/rtrclient.log"; fail "rtrclient beside ASPA"; }
  rtrlib_to_lines "$WORK/rtrlib.csv" > "$WORK/rtrlib"
  printf '172.20.0.0/24 28 4242420000\nfd42::/48 64 4242420001\n' > "$WORK/want_rtrlib"
  same_lines "$WORK/want_rtrlib" "$WORK/rtrlib" "RTRlib beside ASPA" || fail "RTRlib set"
fi

# A change of providers reaches a watching version 2 session as a diff.
start watch "$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --version 2 --watch --format csv
wait_for 10 grep -q 'RTR v2' "$WORK/watch.log" || fail "watcher did not connect"
write_json "64497, 64499"
wait_for 10 grep -q '^+ AS64496 => AS64497, AS64499' "$WORK/watch.log" \
  || { cat "$WORK/watch.log"; fail "watcher did not get the new ASPA"; }
grep -q '^- AS64496 => AS64497, AS64498' "$WORK/watch.log" || fail "old record not withdrawn"
grep -q '# serial 1 -> 2: +1 -1' "$WORK/watch.log" || fail "not a one-record diff: $(cat "$WORK/watch.log")"
echo "PASS: ASPA over RTR v2 (3 records, SLURM applied, diff followed); v1/v0 prefixes only"
