#!/usr/bin/env bash
# The container images built and run the way these machines allow (issue 18):
# Buildah with --isolation=chroot (Docker and `podman run` cannot set
# container rlimits here). A Debian 12 base made by debootstrap is imported
# as docker.io/library/debian:12 and :12-slim; docker/Dockerfile and
# docker/bird/Dockerfile are built with --pull=never; rtr42d from the image
# serves the sample to rtr-dump on the host (the container shares the host's
# loopback) as the image's non-root user; BIRD from its image connects to it.
#   tests/image/check.sh [HOST_TOOLS_DIR]     (./dev image; root)
set -euo pipefail
cd "$(dirname "$0")/../.."
TOOLS=${1:-build/tools}
BASE_CACHE=${RTR42_IMAGE_BASE:-/var/cache/rtr42-test/bookworm-minbase.tar}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rtr42-image-XXXXXX")
PIDS=()
INSIDE=()  # command lines of what runs in the containers (buildah run does not pass on a kill)
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for c in "${INSIDE[@]}"; do pkill -f "^$c" 2>/dev/null || true; done
  wait 2>/dev/null || true
  buildah rm --all > /dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
command -v buildah > /dev/null || fail "buildah is not installed (Debian package buildah)"
run_in() { buildah run --isolation=chroot "$@"; }

t0=$SECONDS
if [ ! -s "$BASE_CACHE" ]; then
  echo "== a Debian 12 base: debootstrap --variant=minbase bookworm (once, kept in $BASE_CACHE)"
  mkdir -p "$(dirname "$BASE_CACHE")"
  debootstrap --variant=minbase bookworm "$WORK/base" http://deb.debian.org/debian > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap bookworm"; }
  tar -C "$WORK/base" -cf "$BASE_CACHE.new" . && mv "$BASE_CACHE.new" "$BASE_CACHE"
  rm -rf "$WORK/base"
fi
ctr=$(buildah from scratch)
buildah add "$ctr" "$BASE_CACHE" / > /dev/null
buildah config --cmd /bin/bash "$ctr"
buildah commit -q "$ctr" docker.io/library/debian:12 > /dev/null
buildah tag docker.io/library/debian:12 docker.io/library/debian:12-slim
buildah rm "$ctr" > /dev/null
echo "base imported as debian:12 and debian:12-slim ($((SECONDS - t0)) s)"

echo "== buildah bud docker/Dockerfile"
t1=$SECONDS
buildah bud --isolation=chroot --pull=never -q -f docker/Dockerfile -t rtr42 . > "$WORK/bud.log" 2>&1 \
  || { tail -40 "$WORK/bud.log"; fail "building docker/Dockerfile"; }
echo "image rtr42 built ($((SECONDS - t1)) s)"
user=$(buildah inspect --type image --format '{{.OCIv1.Config.User}}' rtr42)
[ -n "$user" ] && [ "$user" != root ] && [ "$user" != 0 ] || fail "the image runs as '$user'"

port=$(( 20000 + RANDOM % 12000 ))
rtr=$(buildah from --pull=never rtr42)
# The image's ENTRYPOINT with our flags; buildah run takes the command itself.
run_in "$rtr" -- /usr/local/bin/rtr42d --listen "127.0.0.1:$port" > "$WORK/rtr42d.log" 2>&1 &
PIDS+=($!)
INSIDE+=("/usr/local/bin/rtr42d --listen 127.0.0.1:$port")
for _ in $(seq 100); do port_open "$port" && break; sleep 0.2; done
port_open "$port" || { cat "$WORK/rtr42d.log"; fail "rtr42d from the image did not listen"; }
"$TOOLS/rtr-dump" --connect "127.0.0.1:$port" --format csv --output "$WORK/got.csv" 2>/dev/null \
  || { cat "$WORK/rtr42d.log"; fail "rtr-dump got nothing from the image's rtr42d"; }
"$TOOLS/roa-compile" --format csv --output "$WORK/sample.csv" --quiet
cmp -s "$WORK/got.csv" "$WORK/sample.csv" || fail "the image serves another set than the sample"
pid=$(pgrep -f "^/usr/local/bin/rtr42d --listen 127.0.0.1:$port" | head -1)  # not buildah's own
uid=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
[ "$uid" != 0 ] || fail "rtr42d in the container runs as root"
echo "rtr42d from the image serves the sample's $(($(wc -l < "$WORK/got.csv") - 1)) VRPs to rtr-dump on the host, as $user (uid $uid)"

echo "== buildah bud docker/bird/Dockerfile"
buildah bud --isolation=chroot --pull=never -q -f docker/bird/Dockerfile -t rtr42-bird docker/bird \
  > "$WORK/bud-bird.log" 2>&1 || { tail -20 "$WORK/bud-bird.log"; fail "building docker/bird/Dockerfile"; }
# compose names the cache "rtr42d"; here it is on our loopback.
sed "s/remote \"rtr42d\" port 8282;/remote 127.0.0.1 port $port;/" docker/bird/bird.conf > "$WORK/bird.conf"
bird=$(buildah from --pull=never rtr42-bird)
run_in -v "$WORK/bird.conf:/etc/bird/bird.conf:ro" "$bird" -- \
  /usr/sbin/bird -f -c /etc/bird/bird.conf -s /run/bird/bird.ctl > "$WORK/bird.log" 2>&1 &
PIDS+=($!)
INSIDE+=("/usr/sbin/bird -f -c /etc/bird/bird.conf -s /run/bird/bird.ctl")
ok=""
for _ in $(seq 100); do
  if run_in "$bird" -- birdc -s /run/bird/bird.ctl show protocols rtr42 2>/dev/null | grep -q Established; then
    ok=yes; break
  fi
  sleep 0.3
done
[ -n "$ok" ] || { cat "$WORK/bird.log"; fail "BIRD from its image did not connect to rtr42d"; }
n=$(run_in "$bird" -- birdc -s /run/bird/bird.ctl show route table dn42_roa4 count 2>/dev/null | awk '/routes/ {print $1; exit}')
echo "BIRD from docker/bird connected to the image's rtr42d: $n IPv4 ROAs"
[ "${n:-0}" -gt 0 ] || fail "BIRD holds no ROAs"
echo "PASS: both images built with buildah (chroot isolation) and run; rtr42d as $user; BIRD connected ($((SECONDS - t0)) s in all)"
