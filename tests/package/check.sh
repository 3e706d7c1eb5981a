#!/usr/bin/env bash
# The Debian package as an operator meets it (issue 18), on this machine
# (root; CI): lintian; install; the installed unit passes systemd-analyze
# verify; rtr42d started as the unit starts it (without systemd where
# systemd is not PID 1) serves the embedded sample on 127.0.0.1; an upgrade
# keeps a locally edited configuration; purge leaves nothing behind.
#   tests/package/check.sh DIST_DIR     (what ./dev package made)
set -euo pipefail
DIST=$1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-package-XXXXXX")
PID=""
cleanup() { [ -z "$PID" ] || kill "$PID" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "installs a package: run as root"
deb=$(ls "$DIST"/rtr42_*.deb | head -1)
changes=$(ls "$DIST"/rtr42_*.changes | head -1)

echo "== lintian $changes"
lintian --info --display-info "$changes" | tee "$WORK/lintian.txt" || true
if grep -q '^E: ' "$WORK/lintian.txt"; then fail "lintian reports errors"; fi
echo "lintian: $(grep -c '^E: ' "$WORK/lintian.txt") errors, $(grep -c '^W: ' "$WORK/lintian.txt") warnings"

echo "== install $deb"
dpkg -s rtr42 >/dev/null 2>&1 && fail "rtr42 is already installed here"
apt-get install -y -qq "$(realpath "$deb")" > "$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; fail "apt install"; }
for p in rtr42d roa-compile rtr-dump bird-rpki-lint nrtm4-publish; do
  [ -x "/usr/bin/$p" ] || fail "/usr/bin/$p is missing"
  [ -f "/usr/share/man/man1/$p.1.gz" ] || fail "no man page for $p"
done
zcat /usr/share/man/man1/rtr42d.1.gz | grep -q 'rtr\\-upstream' || fail "the man page lacks the options"
unit=/lib/systemd/system/rtr42d.service
[ -f "$unit" ] || fail "no $unit"
out=$(systemd-analyze verify "$unit" 2>&1 || true)
[ -z "$out" ] || fail "systemd-analyze verify: $out"
dpkg-query -W -f '${Conffiles}\n' rtr42 | grep -q '/etc/rtr42/rtr42d.toml' || fail "the configuration is not a conffile"
grep -q '^DynamicUser=yes' "$unit" || fail "the unit does not run as its own user"
echo "installed: programs, man pages, $unit (verified), /etc/rtr42/rtr42d.toml (a conffile)"

echo "== rtr42d as the unit starts it"
if [ -d /run/systemd/system ]; then
  systemctl is-active rtr42d >/dev/null || systemctl start rtr42d
  sleep 2
else
  # No systemd here: the unit's ExecStartPre and ExecStart, as an unprivileged user.
  pre=$(sed -n 's/^ExecStartPre=//p' "$unit" | sed 's/\$RTR42D_ARGS//')
  start=$(sed -n 's/^ExecStart=//p' "$unit" | sed 's/\$RTR42D_ARGS//' | sed "s|/var/lib/rtr42|$WORK/state|")
  chmod 755 "$WORK" && mkdir -p "$WORK/state" && chown nobody "$WORK/state"
  runuser -u nobody -- $pre || fail "the unit's ExecStartPre fails: $pre"
  runuser -u nobody -- $start > "$WORK/rtr42d.log" 2>&1 &
  PID=$!
fi
for _ in $(seq 50); do rtr-dump --connect 127.0.0.1:8282 --format csv --output "$WORK/got.csv" 2>/dev/null && break; sleep 0.2; done
roa-compile --format csv --output "$WORK/sample.csv" --quiet
cmp -s "$WORK/got.csv" "$WORK/sample.csv" || { cat "$WORK/rtr42d.log" 2>/dev/null; fail "the installed rtr42d does not serve the sample"; }
curl -sf http://127.0.0.1:9323/healthz | grep -q '^ok: serial 1, 37 VRPs' || fail "/healthz"
ss -ltn | awk '$4 ~ /:8282$/ { print $4 }' | grep -qv -e '^127\.0\.0\.1:' -e '^\[::1\]:' \
  && fail "rtr42d listens beyond the loopback"
echo "serving: the sample's $(($(wc -l < "$WORK/got.csv") - 1)) VRPs on 127.0.0.1:8282 only; /healthz ok"
if [ -n "$PID" ]; then kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""; fi

echo "== upgrade, with a locally edited configuration"
echo "# edited here" >> /etc/rtr42/rtr42d.toml
mkdir -p "$WORK/next"
dpkg-deb -R "$deb" "$WORK/next"
version=$(dpkg-deb -f "$deb" Version)
sed -i "s/^Version: .*/Version: $version+1/" "$WORK/next/DEBIAN/control"
dpkg-deb -b "$WORK/next" "$WORK/rtr42_next.deb" > /dev/null
dpkg -i --force-confold "$WORK/rtr42_next.deb" > "$WORK/upgrade.log" 2>&1 || { cat "$WORK/upgrade.log"; fail "upgrade"; }
[ "$(dpkg-query -W -f '${Version}' rtr42)" = "$version+1" ] || fail "not upgraded"
grep -q '^# edited here' /etc/rtr42/rtr42d.toml || fail "the upgrade lost the local edit"
echo "upgraded $version -> $version+1; the edited /etc/rtr42/rtr42d.toml kept"

echo "== purge"
apt-get purge -y -qq rtr42 > "$WORK/purge.log" 2>&1 || { cat "$WORK/purge.log"; fail "purge"; }
left=$(ls -d /usr/bin/rtr42d /etc/rtr42 /lib/systemd/system/rtr42d.service /var/lib/rtr42 \
  /var/lib/private/rtr42 /var/cache/rtr42 /usr/share/man/man1/rtr42d.1.gz /usr/share/doc/rtr42 2>/dev/null || true)
[ -z "$left" ] || fail "purge left: $left"
dpkg -s rtr42 >/dev/null 2>&1 && fail "still known to dpkg"
echo "PASS: the package lints without errors, installs, serves the sample on 127.0.0.1, upgrades keeping local edits, and purges clean"
