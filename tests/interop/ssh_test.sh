#!/usr/bin/env bash
# RTR over SSH (RFC 8210 section 9.1) with the routers that use it: BIRD
# 2.0.12 (Debian 12), BIRD 2.17 and 3.1 (Debian 13, in the chroot), `transport ssh`
# with a key of their own, against rtr42d --ssh-listen following a clone of
# the registry:
#  * the host key is made at first start (its fingerprint logged) and kept
#    across a restart;
#  * both BIRDs' tables equal the compiled set (BIRD 2.0.12 with an Ed25519
#    and with an ECDSA key; rtr-dump with an RSA key: BIRD's libssh client
#    offers an RSA key only if the server's EXT_INFO came before it
#    authenticates, which a libssh server sends one round trip too late, see
#    the README); a registry move reaches them
#    as a diff in the same session;
#  * a BIRD whose key is not in the authorized keys never gets a session (the
#    failure is logged and counted); one whose known_hosts holds another key
#    refuses rtr42d;
#  * rtr-dump --ssh gets the same set; OpenSSH's client asking for a shell,
#    a command, another subsystem or a port forward is refused;
#  * a key added to the authorized keys file is honoured without a restart.
source "$(dirname "$0")/lib.sh"
need bird bird2
need birdc bird2
need ssh-keygen openssh-client
need ssh openssh-client
need curl curl
need_bundle
registry_from_to

key() { ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$WORK/$1"; }
key bird_key bird@router1
key stranger stranger@elsewhere
key later later@router2
key impostor impostor
ssh-keygen -q -t ecdsa -N '' -C ecdsa@router3 -f "$WORK/ecdsa_key"
ssh-keygen -q -t rsa -b 3072 -N '' -C rsa@router4 -f "$WORK/rsa_key"
# Written as operators write them: an option that only restricts, comments.
{
  echo "# routers allowed to fetch ROAs over SSH"
  echo "restrict,no-pty $(cat "$WORK/bird_key.pub")"
  cat "$WORK/ecdsa_key.pub" "$WORK/rsa_key.pub"
} > "$WORK/authorized_keys"

port=$(free_port); sport=$(free_port); hport=$(free_port)
run_rtr42d() {
  start "rtr42d$1" "$TOOLS/rtr42d" --registry "$WORK/registry" --registry-ref served \
    --listen "127.0.0.1:$port" --ssh-listen "127.0.0.1:$sport" --ssh-host-key "$WORK/host_key" \
    --ssh-authorized-keys "$WORK/authorized_keys" --http "127.0.0.1:$hport" --notify-interval 1
  wait_for 20 port_open "$sport" || { cat "$WORK/rtr42d$1.log"; fail "rtr42d did not start"; }
}
run_rtr42d ""
[ -f "$WORK/host_key" ] || fail "no host key was made"
[ "$(stat -c %a "$WORK/host_key")" = 600 ] || fail "the host key is not mode 0600"
fingerprint=$(ssh-keygen -l -f "$WORK/host_key" | awk '{print $2}')
grep -q "SSH host key $WORK/host_key created: $fingerprint" "$WORK/rtr42d.log" \
  || fail "the new host key's fingerprint $fingerprint is not logged"
echo "[127.0.0.1]:$sport $(ssh-keygen -y -f "$WORK/host_key")" > "$WORK/known_hosts"
echo "[127.0.0.1]:$sport $(ssh-keygen -y -f "$WORK/impostor")" > "$WORK/wrong_known_hosts"

# --- BIRD 2.0.12: the authorized key, an unauthorized one, a wrong host key
mkdir -p "$WORK/bird"
cat > "$WORK/bird/bird.conf" <<CONF
log "$WORK/bird/bird.log" all;
router id 192.0.2.1;
roa4 table dn42_roa4;
roa6 table dn42_roa6;
roa4 table s4;
roa4 table w4;
roa4 table e4;
protocol rpki rtr42 {
  roa4 { table dn42_roa4; };
  roa6 { table dn42_roa6; };
  remote 127.0.0.1 port $sport;
  transport ssh {
    bird private key "$WORK/bird_key";
    remote public key "$WORK/known_hosts";
    user "bird";
  };
  retry keep 2;
  refresh keep 600;
  expire keep 7200;
}
protocol rpki ecdsa {
  roa4 { table e4; };
  remote 127.0.0.1 port $sport;
  transport ssh { bird private key "$WORK/ecdsa_key"; remote public key "$WORK/known_hosts"; user "ecdsa"; };
  retry keep 2;
}
protocol rpki stranger {
  roa4 { table s4; };
  remote 127.0.0.1 port $sport;
  transport ssh { bird private key "$WORK/stranger"; remote public key "$WORK/known_hosts"; user "stranger"; };
  retry keep 2;
}
protocol rpki wronghost {
  roa4 { table w4; };
  remote 127.0.0.1 port $sport;
  transport ssh { bird private key "$WORK/bird_key"; remote public key "$WORK/wrong_known_hosts"; user "bird"; };
  retry keep 2;
}
CONF
start bird bird -f -c "$WORK/bird/bird.conf" -s "$WORK/bird/bird.ctl" -P "$WORK/bird/bird.pid"
bird_wait_tables from 30 rtr42d
session=$(bird_field "Session ID")
serial=$(bird_field "Serial number")
grep -q "(SSH bird): RTR version 1" "$WORK/rtr42d.log" || fail "BIRD 2.0.12's session is not logged as SSH"
wait_for 20 grep -q "(SSH ecdsa): RTR version 1" "$WORK/rtr42d.log" || fail "BIRD 2.0.12 with an ECDSA key got no session"
echo "BIRD $(bird --version 2>&1 | awk '{print $NF}') over SSH: session $session serial $serial, $(wc -l < "$WORK/got4") + $(wc -l < "$WORK/got6") VRPs"

# --- BIRD 2.17 and 3.1 in the Debian 13 chroot, where one can be made
chroot_bird=""
declare -A CBIN=([2]=/usr/sbin/bird [3]=/opt/bird3/usr/sbin/bird)
declare -A CCTL=([2]=/usr/sbin/birdc [3]=/opt/bird3/usr/sbin/birdc)
if [ "$(id -u)" -eq 0 ]; then
  ensure_trixie_root
  CH=$(mktemp -d "$ROOT/tmp/rtr42-ssh-XXXXXX")
  IN=${CH#"$ROOT"}
  cp "$WORK/bird_key" "$WORK/known_hosts" "$CH/"
  trap 'for v in 2 3; do chroot "$ROOT" "${CCTL[$v]}" -s "$IN/bird$v.ctl" down >/dev/null 2>&1 || true; done; rm -rf "$CH"; cleanup' EXIT
  chroot_equal() {  # chroot_equal V NAME
    chroot "$ROOT" "${CCTL[$1]}" -s "$IN/bird$1.ctl" show route table r4 > "$WORK/c4.txt" || return 1
    chroot "$ROOT" "${CCTL[$1]}" -s "$IN/bird$1.ctl" show route table r6 > "$WORK/c6.txt" || return 1
    bird_to_lines "$WORK/c4.txt" > "$WORK/cgot4"
    bird_to_lines "$WORK/c6.txt" > "$WORK/cgot6"
    diff -q "$WORK/cgot4" "$WORK/${2}4" >/dev/null && diff -q "$WORK/cgot6" "$WORK/${2}6" >/dev/null
  }
  for v in 2 3; do
    version=$(chroot "$ROOT" "${CBIN[$v]}" --version 2>&1 | awk '{print $NF}')
    cat > "$CH/bird$v.conf" <<CONF
log "$IN/bird$v.log" all;
router id 192.0.2.1$v;
roa4 table r4; roa6 table r6;
protocol rpki rtr42 {
  roa4 { table r4; }; roa6 { table r6; };
  remote 127.0.0.1 port $sport;
  transport ssh { bird private key "$IN/bird_key"; remote public key "$IN/known_hosts"; user "bird$v"; };
  retry keep 2; refresh keep 600; expire keep 7200;
}
CONF
    chroot "$ROOT" "${CBIN[$v]}" -c "$IN/bird$v.conf" -s "$IN/bird$v.ctl" -P "$IN/bird$v.pid" \
      || fail "BIRD $version did not start"
    wait_for 30 chroot_equal "$v" from || { tail -5 "$CH/bird$v.log"; fail "BIRD $version's tables over SSH"; }
    grep -q "(SSH bird$v): RTR version" "$WORK/rtr42d.log" || fail "BIRD $version's SSH session not logged"
    echo "BIRD $version over SSH: tables equal the compiled set"
    chroot_bird="$chroot_bird${chroot_bird:+ and }$version"
  done
else
  echo "not root: BIRD 2.17 and 3.1 (Debian 13 chroot) not tried"
fi

# --- refusals
wait_for 10 grep -q "authentication failed: user stranger: key $(ssh-keygen -l -f "$WORK/stranger.pub" | awk '{print $2}') is not in $WORK/authorized_keys" "$WORK/rtr42d.log" \
  || { tail -20 "$WORK/rtr42d.log"; fail "the unauthorized key's failure is not logged"; }
[ "$(metric_at "$hport" rtr42_ssh_auth_failures_total)" -ge 1 ] || fail "auth failures not counted"
birdc -s "$WORK/bird/bird.ctl" show protocols all stranger > "$WORK/stranger.txt"
if grep -q "Established" "$WORK/stranger.txt"; then fail "BIRD with an unauthorized key got a session"; fi
birdc -s "$WORK/bird/bird.ctl" show protocols all wronghost > "$WORK/wronghost.txt"
if grep -q "Established" "$WORK/wronghost.txt"; then fail "BIRD accepted a host key it does not know"; fi
grep -q "server key has changed" "$WORK/bird/bird.log" || fail "BIRD did not log the changed host key"
if grep -q "(SSH stranger)" "$WORK/rtr42d.log"; then fail "an unauthorized key opened a session"; fi
echo "refused: an unauthorized key (logged, counted), and by BIRD a host key it does not hold"

# --- rtr-dump --ssh, and what OpenSSH's client may not do
"$TOOLS/rtr-dump" --ssh "dump@127.0.0.1:$sport" --ssh-key "$WORK/bird_key" --ssh-known-hosts "$WORK/known_hosts" \
  --version 1 --format csv --output "$WORK/ssh.csv" || fail "rtr-dump --ssh"
"$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --version 1 --format csv --output "$WORK/tcp.csv"
cmp -s "$WORK/ssh.csv" "$WORK/tcp.csv" || fail "rtr-dump --ssh and --connect differ"
"$TOOLS/rtr-dump" --ssh "rsa@127.0.0.1:$sport" --ssh-key "$WORK/rsa_key" --ssh-known-hosts "$WORK/known_hosts" \
  --version 1 --format csv --output "$WORK/rsa.csv" || fail "rtr-dump --ssh with an RSA key"
cmp -s "$WORK/rsa.csv" "$WORK/tcp.csv" || fail "rtr-dump --ssh with an RSA key got another set"
if "$TOOLS/rtr-dump" --ssh "dump@127.0.0.1:$sport" --ssh-key "$WORK/bird_key" \
  --ssh-known-hosts "$WORK/wrong_known_hosts" --timeout 5 > /dev/null 2> "$WORK/wrong.txt"; then
  fail "rtr-dump accepted a wrong host key"
fi
grep -q "not the one $WORK/wrong_known_hosts holds" "$WORK/wrong.txt" || fail "rtr-dump: $(cat "$WORK/wrong.txt")"
O=(-o "UserKnownHostsFile=$WORK/known_hosts" -o BatchMode=yes -o IdentitiesOnly=yes -i "$WORK/bird_key" -p "$sport")
if timeout 10 ssh "${O[@]}" -tt bird@127.0.0.1 < /dev/null > /dev/null 2>&1; then fail "a shell was granted"; fi
if timeout 10 ssh "${O[@]}" bird@127.0.0.1 id < /dev/null > /dev/null 2>&1; then fail "a command ran"; fi
if timeout 10 ssh "${O[@]}" -s bird@127.0.0.1 sftp < /dev/null > /dev/null 2>&1; then fail "sftp was granted"; fi
timeout 10 ssh "${O[@]}" -N -L "$(free_port):127.0.0.1:$port" -o ExitOnForwardFailure=yes \
  -W "127.0.0.1:$port" bird@127.0.0.1 < /dev/null > /dev/null 2>&1 && fail "port forwarding was granted"
for what in "refused a shell" 'refused exec "id"' 'refused subsystem "sftp"' "refused port forwarding"; do
  grep -q "$what" "$WORK/rtr42d.log" || fail "not logged: $what"
done
echo "rtr-dump --ssh equals the TCP set; shell, exec, sftp and port forwarding refused and logged"

# --- a key added while running (the file is re-read when it changes)
"$TOOLS/rtr-dump" --ssh "later@127.0.0.1:$sport" --ssh-key "$WORK/later" --ssh-known-hosts "$WORK/known_hosts" \
  --timeout 5 > /dev/null 2>&1 && fail "a key not yet authorized was accepted"
sleep 1.1  # a new modification time
cat "$WORK/later.pub" >> "$WORK/authorized_keys"
wait_for 10 "$TOOLS/rtr-dump" --ssh "later@127.0.0.1:$sport" --ssh-key "$WORK/later" \
  --ssh-known-hosts "$WORK/known_hosts" --timeout 5 || fail "the added key is not honoured"
echo "a key added to the file is honoured without a restart"

# --- the registry moves: a diff over SSH, in the same session
git -C "$WORK/registry" branch -f served "$to"
bird_wait_tables to 20 rtr42d
[ "$(bird_field "Session ID")" = "$session" ] || fail "BIRD 2.0.12's session id changed"
new_serial=$(bird_field "Serial number")
[ "$new_serial" -gt "$serial" ] || fail "serial did not advance"
if grep -q "Cache Reset" "$WORK/bird/bird.log"; then fail "BIRD got a Cache Reset"; fi
if [ -n "$chroot_bird" ]; then
  for v in 2 3; do
    wait_for 20 chroot_equal "$v" to || fail "BIRD ${CBIN[$v]} (chroot) did not follow the move over SSH"
  done
fi
[ "$(metric_at "$hport" 'rtr42_sessions_by_transport{transport="ssh"}')" -ge 1 ] || fail "no SSH session in /metrics"
echo "the registry moved: BIRD followed over SSH in the same session (serial $serial -> $new_serial)"

# --- a restart keeps the host key (BIRD's known_hosts still matches)
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null || true
run_rtr42d 2
grep -q "SSH host key $WORK/host_key: $fingerprint" "$WORK/rtr42d2.log" || fail "the host key was not kept"
wait_for 30 grep -q "(SSH bird): RTR version" "$WORK/rtr42d2.log" || fail "BIRD did not come back over SSH"
echo "PASS: RTR over SSH with BIRD 2.0.12${chroot_bird:+ and $chroot_bird}"
