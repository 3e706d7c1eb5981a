# Shared helpers for the interoperability tests. Sourced by each test script.
# Usage of a test: script BUILD_TOOL_DIR SHARED_DIR
set -euo pipefail

TOOLS=$1
SHARED=${2:-}
BUNDLE="$SHARED/data/dn42-registry-2023H1.bundle"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-interop-XXXXXX")
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 is not installed (Debian package $2)"; }
need_bundle() { [ -f "$BUNDLE" ] || skip "$BUNDLE is absent (../shared is for developers and CI only)"; }

# A TCP port nothing listens on, below Linux's ephemeral range (32768-60999),
# so no outgoing connection on this host can be holding it.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# metric_at PORT NAME: the value of one Prometheus sample on rtr42d's --http
# port (NAME with its labels, as /metrics writes it), or nothing.
metric_at() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }

# wait_for SECONDS COMMAND...: retries COMMAND every 0.2 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# start NAME COMMAND...: runs COMMAND in the background, logging to $WORK/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_nginx ROOT PORT CERT KEY: Debian's nginx serving ROOT over HTTPS on
# 127.0.0.1:PORT as an operator would configure it (static files, so
# Content-Length, ETag and Last-Modified), logging to $WORK/nginx/.
# $NGINX_HTTP_EXTRA, if set, is added to its http block (gzip, say).
start_nginx() {
  local root=$1 port=$2 cert=$3 key=$4
  mkdir -p "$WORK/nginx"
  # Run as root (CI), nginx's workers would drop to "nobody", who cannot read
  # $WORK (mode 0700): they keep root's user here.
  local user_line=""
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
  sendfile on;
  types { application/jose jose; application/gzip gz; application/json json; }
  ${NGINX_HTTP_EXTRA:-}
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    ssl_certificate $cert;
    ssl_certificate_key $key;
    root $root;
  }
}
CONF
  nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' > "$WORK/nginx.log" 2>&1 &
  PIDS+=($!)
  wait_for 10 port_open "$port" || { cat "$WORK/nginx.log" "$WORK/nginx/error.log"; fail "nginx did not start"; }
}

# make_tls_cert CERT KEY: a self-signed P-256 certificate for localhost.
make_tls_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
    -keyout "$2" -out "$1" 2>/dev/null
}

# Sorted "prefix maxlen asn" lines from roa-compile CSV / rtr-dump CSV.
csv_to_lines() { tail -n +2 "$1" | awk -F, '{sub(/^AS/, "", $1); print $2, $3, $1}' | sort; }

# The same from RTRlib's csv export ("prefix, len, maxlen, asn"; ASNs above
# 2^31 come out negative there, so they are folded back).
rtrlib_to_lines() {
  awk -F', *' 'NF >= 4 { asn = $4 + 0; if (asn < 0) asn += 4294967296;
    printf "%s/%s %s %.0f\n", $1, $2, $3, asn }' "$1" | sort
}

# The same from StayRTR's rtrdump JSON.
stayrtr_json_to_lines() {
  tr '{' '\n' < "$1" | sed -n 's/.*"prefix":"\([^"]*\)","maxLength":\([0-9]*\),"asn":"\{0,1\}A\{0,1\}S\{0,1\}\([0-9]*\).*/\1 \2 \3/p' | sort
}

# The same from "birdc show route table T" ("prefix-max ASn [...]").
bird_to_lines() {
  awk '$1 ~ /^[0-9a-f:.]+\/[0-9]+-[0-9]+$/ && $2 ~ /^AS[0-9]+$/ {
    split($1, a, "-"); sub(/^AS/, "", $2); print a[1], a[2], $2 }' "$1" | sort
}

same_lines() {  # same_lines A B WHAT
  if ! diff -q "$1" "$2" >/dev/null; then
    echo "--- $3 differ (< $1, > $2):"; diff "$1" "$2" | head -20
    return 1
  fi
}

# compiled_lines REGISTRY COMMIT NAME: roa-compile's VRPs of COMMIT as sorted
# lines in $WORK/NAME4 and $WORK/NAME6.
compiled_lines() {
  local f
  for f in 4 6; do
    "$TOOLS/roa-compile" --registry "$1" --ref "$2" --format csv --family "$f" --quiet \
      --output "$WORK/compiled.csv"
    csv_to_lines "$WORK/compiled.csv" > "$WORK/$3$f"
  done
}

# start_bird PORT RETRY: BIRD 2 with "protocol rpki rtr42" to 127.0.0.1:PORT
# (its own retry interval RETRY), roa4/roa6 tables, control socket in $WORK/bird.
start_bird() {
  mkdir -p "$WORK/bird"
  cat > "$WORK/bird/bird.conf" <<CONF
log "$WORK/bird/bird.log" all;
router id 192.0.2.1;
roa4 table dn42_roa4;
roa6 table dn42_roa6;
protocol rpki rtr42 {
  roa4 { table dn42_roa4; };
  roa6 { table dn42_roa6; };
  remote 127.0.0.1 port $1;
  retry keep $2;
  refresh keep 600;
  expire keep 7200;
}
CONF
  start bird bird -f -c "$WORK/bird/bird.conf" -s "$WORK/bird/bird.ctl" -P "$WORK/bird/bird.pid"
}
birdc_() { birdc -s "$WORK/bird/bird.ctl" "$@"; }
# bird_tables_equal NAME: BIRD's tables (left in $WORK/got4, got6) equal $WORK/NAME4, NAME6.
bird_tables_equal() {
  birdc_ show route table dn42_roa4 > "$WORK/b4.txt" || return 1
  birdc_ show route table dn42_roa6 > "$WORK/b6.txt" || return 1
  bird_to_lines "$WORK/b4.txt" > "$WORK/got4"
  bird_to_lines "$WORK/b6.txt" > "$WORK/got6"
  diff -q "$WORK/got4" "$WORK/${1}4" >/dev/null && diff -q "$WORK/got6" "$WORK/${1}6" >/dev/null
}
# bird_wait_tables NAME SECONDS LOG: waits for bird_tables_equal; on failure
# shows the differences and the tail of $WORK/LOG.log, and fails.
bird_wait_tables() {
  if ! wait_for "$2" bird_tables_equal "$1"; then
    same_lines "$WORK/${1}4" "$WORK/got4" "IPv4 table" || true
    same_lines "$WORK/${1}6" "$WORK/got6" "IPv6 table" || true
    tail -20 "$WORK/$3.log"
    fail "BIRD's tables do not equal the compiled set '$1'"
  fi
}
# bird_field NAME: a field of "show protocols all rtr42" ("Session ID", "Serial number").
bird_field() {
  birdc_ show protocols all rtr42 | awk -F': *' -v k="$1" '$1 ~ k { print $2; exit }'
}

# registry_from_to: clones the bundle to $WORK/registry with branch "served"
# at commit 420 ($from); $to is commit 435, 15 merges later with other VRPs.
# Their compiled sets are in $WORK/from4, from6, to4, to6.
registry_from_to() {
  git clone -q "$BUNDLE" "$WORK/registry"
  local commits
  mapfile -t commits < <(git -C "$WORK/registry" rev-list --reverse HEAD)
  from=${commits[420]}
  to=${commits[435]}
  git -C "$WORK/registry" branch -f served "$from"
  compiled_lines "$WORK/registry" "$from" from
  compiled_lines "$WORK/registry" "$to" to
  if diff -q "$WORK/from4" "$WORK/to4" >/dev/null && diff -q "$WORK/from6" "$WORK/to6" >/dev/null; then
    fail "test data: commits 420 and 435 have the same VRPs"
  fi
}

# bird_kept_session SESSION SERIAL LOG: BIRD still holds session SESSION at a
# serial above SERIAL (set in $new_serial), reached by a Serial Query that
# $WORK/LOG.log shows answered with a diff, never a Cache Reset.
bird_kept_session() {
  [ "$(bird_field "Session ID")" = "$1" ] || fail "session id changed"
  new_serial=$(bird_field "Serial number")
  [ "$new_serial" -gt "$2" ] || fail "serial did not advance ($2 -> $new_serial)"
  grep -q "Serial Query answered" "$WORK/$3.log" || fail "BIRD's Serial Query got no diff"
  if grep -q "Cache Reset" "$WORK/$3.log"; then fail "BIRD got a Cache Reset"; fi
}

# ensure_trixie_root: sets ROOT to a Debian 13 chroot with bird2 (2.17)
# installed, bird3 (3.1) unpacked in /opt/bird3 and stayrtr (0.6) in
# /opt/stayrtr, building it once with
# debootstrap (about a minute) in $RTR42_TRIXIE_ROOT (default
# /var/cache/rtr42-test/trixie); tests that run at once wait for each other.
ensure_trixie_root() {
  ROOT=${RTR42_TRIXIE_ROOT:-/var/cache/rtr42-test/trixie}
  mkdir -p "$(dirname "$ROOT")"
  exec 9>"$ROOT.lock"
  flock 9
  if [ ! -x "$ROOT/usr/sbin/bird" ] || [ ! -x "$ROOT/opt/bird3/usr/sbin/bird" ]; then
    need debootstrap debootstrap
    echo "building a Debian 13 chroot with BIRD 2.17 and 3.1 in $ROOT (once; about a minute)"
    rm -rf "$ROOT.new"
    debootstrap --variant=minbase --include=bird2 trixie "$ROOT.new" http://deb.debian.org/debian \
      > "$WORK/debootstrap.log" 2>&1 || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap trixie"; }
    cp /etc/resolv.conf "$ROOT.new/etc/resolv.conf"
    chroot "$ROOT.new" sh -c 'cd /tmp && apt-get update -qq && apt-get download -qq bird3 &&
      dpkg -x bird3_*.deb /opt/bird3 && rm bird3_*.deb' > "$WORK/bird3.log" 2>&1 \
      || { tail -20 "$WORK/bird3.log"; fail "unpacking Debian 13's bird3"; }
    rm -rf "$ROOT"
    mv "$ROOT.new" "$ROOT"
  fi
  # StayRTR 0.6 (Debian 13's), unpacked in /opt/stayrtr: added to a chroot
  # built before it was wanted.
  if [ ! -x "$ROOT/opt/stayrtr/usr/bin/stayrtr" ]; then
    chroot "$ROOT" sh -c 'cd /tmp && apt-get update -qq && apt-get download -qq stayrtr &&
      dpkg -x stayrtr_*.deb /opt/stayrtr && rm stayrtr_*.deb' > "$WORK/stayrtr06.log" 2>&1 \
      || { tail -20 "$WORK/stayrtr06.log"; fail "unpacking Debian 13's stayrtr"; }
  fi
  flock -u 9
}
