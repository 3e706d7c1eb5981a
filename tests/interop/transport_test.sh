#!/usr/bin/env bash
# RTR over TLS (rtr-dump --tls and StayRTR's rtrdump -type tls) and TCP-MD5
# (a client with the key gets the set, one without it never gets a session).
source "$(dirname "$0")/lib.sh"
need openssl openssl

make_tls_cert "$WORK/tls.crt" "$WORK/tls.key" || fail "openssl could not make a certificate"

plain=$(free_port); tls=$(free_port)
start rtr42d-tls "$TOOLS/rtr42d" --listen "127.0.0.1:$plain" --tls-listen "127.0.0.1:$tls" \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key"
wait_for 20 port_open "$tls" || { cat "$WORK/rtr42d-tls.log"; fail "rtr42d did not start"; }
"$TOOLS/rtr-dump" --connect "127.0.0.1:$plain" --format csv --output "$WORK/plain.csv"
"$TOOLS/rtr-dump" --connect "localhost:$tls" --tls --tls-ca "$WORK/tls.crt" --format csv --output "$WORK/tls.csv" \
  || fail "rtr-dump --tls failed"
cmp -s "$WORK/plain.csv" "$WORK/tls.csv" || fail "TLS and plain sets differ"
grep -q '(TLS): RTR version 2' "$WORK/rtr42d-tls.log" || fail "no TLS session logged"
if "$TOOLS/rtr-dump" --connect "127.0.0.1:$tls" --tls --format csv > /dev/null 2> "$WORK/verify.txt"; then
  fail "an unverifiable certificate was accepted"
fi
grep -q 'certificate verify failed' "$WORK/verify.txt" || fail "verification error: $(cat "$WORK/verify.txt")"
if command -v rtrdump >/dev/null; then
  rtrdump -connect "127.0.0.1:$tls" -type tls -tls.validate=false -rtr.version 1 -file "$WORK/stay.json" \
    > /dev/null 2>&1 || fail "StayRTR's rtrdump over TLS failed"
  stayrtr_json_to_lines "$WORK/stay.json" > "$WORK/stay"
  csv_to_lines "$WORK/plain.csv" > "$WORK/want"
  same_lines "$WORK/want" "$WORK/stay" "rtrdump over TLS" || fail "rtrdump over TLS"
fi
echo "TLS: rtr-dump and rtrdump get the set; an unverified certificate is refused"
grep -q 'TLS clients are not authenticated' "$WORK/rtr42d-tls.log" || fail "no warning that TLS clients are anonymous"

# RFC 8210 section 9.2: with --tls-client-ca, a router must present a
# certificate from that CA whose iPAddress subjectAltName is its address.
ca() {  # ca NAME: a CA key and certificate
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$WORK/$1.key" -out "$WORK/$1.crt" -subj "/CN=$1" 2>/dev/null || fail "CA $1"
}
client() {  # client NAME CA SAN: a client certificate (with its key) signed by CA
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.csr" 2>/dev/null || fail "CSR $1"
  printf 'subjectAltName=%s\n' "$3" > "$WORK/$1.ext"
  openssl x509 -req -in "$WORK/$1.csr" -CA "$WORK/$2.crt" -CAkey "$WORK/$2.key" -CAcreateserial \
    -days 2 -extfile "$WORK/$1.ext" -out "$WORK/$1.crt" 2>/dev/null || fail "certificate $1"
}
ca routers; ca stranger
client good routers IP:127.0.0.1
client elsewhere routers IP:127.0.0.9
client foreign stranger IP:127.0.0.1
auth=$(free_port)
start rtr42d-auth "$TOOLS/rtr42d" --listen "127.0.0.1:$(free_port)" --tls-listen "127.0.0.1:$auth" \
  --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key" --tls-client-ca "$WORK/routers.crt"
wait_for 20 port_open "$auth" || { cat "$WORK/rtr42d-auth.log"; fail "rtr42d (client CA) did not start"; }
dump_auth() {  # dump_auth [CLIENT]
  "$TOOLS/rtr-dump" --connect "localhost:$auth" --tls --tls-ca "$WORK/tls.crt" --timeout 5 \
    ${1:+--tls-cert "$WORK/$1.crt" --tls-key "$WORK/$1.key"} --format csv --output "$WORK/auth.csv"
}
dump_auth good || fail "a client certificate from the CA naming 127.0.0.1 was refused"
cmp -s "$WORK/plain.csv" "$WORK/auth.csv" || fail "the authenticated TLS set differs"
for who in elsewhere foreign ""; do
  if dump_auth $who 2>/dev/null; then fail "TLS client '${who:-without a certificate}' got the set"; fi
done
wait_for 5 grep -q 'refused: its certificate has no iPAddress subjectAltName 127.0.0.1' \
  "$WORK/rtr42d-auth.log" || fail "the wrong address was not logged: $(grep refused "$WORK/rtr42d-auth.log")"
grep -q 'refused: TLS handshake failed: certificate verify failed' "$WORK/rtr42d-auth.log" \
  || fail "another CA's certificate was not refused by verification"
grep -q 'refused: TLS handshake failed: peer did not return a certificate' "$WORK/rtr42d-auth.log" \
  || fail "a client without a certificate was not refused at the handshake"
[ "$(grep -cE 'refused: (its certificate|TLS handshake failed: (certificate verify|peer did not))' \
  "$WORK/rtr42d-auth.log")" -eq 3 ] \
  || fail "expected three refusals: $(grep refused "$WORK/rtr42d-auth.log")"
[ "$(grep -c '(TLS) opened' "$WORK/rtr42d-auth.log")" -eq 1 ] || fail "a refused client got a session"
echo "TLS client certificates: the CA's with the right address gets the set; a wrong address, another CA and none are refused"

printf 'dn42-rtr-key\n' > "$WORK/md5.key"
printf 'another-key\n' > "$WORK/wrong.key"
md5=$(free_port)
start rtr42d-md5 "$TOOLS/rtr42d" --listen "127.0.0.1:$md5" --md5-peer "127.0.0.0/8=$WORK/md5.key"
wait_for 20 grep -q listening "$WORK/rtr42d-md5.log" || fail "rtr42d (MD5) did not start"
"$TOOLS/rtr-dump" --connect "127.0.0.1:$md5" --md5-key-file "$WORK/md5.key" --format csv --output "$WORK/md5.csv" \
  || fail "rtr-dump with the TCP-MD5 key failed"
cmp -s "$WORK/plain.csv" "$WORK/md5.csv" || fail "MD5 set differs"
for bad in "" "--md5-key-file $WORK/wrong.key"; do
  if "$TOOLS/rtr-dump" --connect "127.0.0.1:$md5" $bad --timeout 2 --format csv > /dev/null 2>&1; then
    fail "a client ${bad:-without a key} got the set"
  fi
done
[ "$(grep -c 'opened' "$WORK/rtr42d-md5.log")" -eq 1 ] || fail "a client without the key got a session"

# An rtr42d following that cache over TCP-MD5 (--rtr-upstream-md5-key-file).
edge=$(free_port)
start rtr42d-edge "$TOOLS/rtr42d" --listen "127.0.0.1:$edge" --rtr-upstream "127.0.0.1:$md5" \
  --rtr-upstream-md5-key-file "$WORK/md5.key"
wait_for 20 sh -c "\"$TOOLS/rtr-dump\" --connect 127.0.0.1:$edge --format csv --output '$WORK/edge.csv' 2>/dev/null" \
  || { cat "$WORK/rtr42d-edge.log"; fail "the edge over TCP-MD5 got no set"; }
cmp -s "$WORK/plain.csv" "$WORK/edge.csv" || fail "the set followed over TCP-MD5 differs"
[ "$(grep -c 'opened' "$WORK/rtr42d-md5.log")" -eq 2 ] || fail "the upstream did not log the edge's session"
echo "PASS: TLS and TCP-MD5 (also as an RTR upstream)"
