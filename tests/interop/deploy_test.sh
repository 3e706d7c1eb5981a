#!/usr/bin/env bash
# The deployment files: the Dockerfile builds with the README's own script,
# the compose file's BIRD configuration passes "bird -p" and bird-rpki-lint,
# and the systemd unit passes "systemd-analyze verify".
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

grep -q '^RUN \./dev build' "$root/docker/Dockerfile" || fail "the Dockerfile does not build with ./dev build"
grep -q '^\./dev run' "$root/README.md" || fail "the README's quick start is not ./dev"
grep -q 'dockerfile: docker/Dockerfile' "$root/docker/compose.yaml" || fail "compose does not build docker/Dockerfile"
grep -q './bird/bird.conf:/etc/bird/bird.conf' "$root/docker/compose.yaml" || fail "compose does not mount bird.conf"
grep -q 'remote "rtr42d" port 8282' "$root/docker/bird/bird.conf" || fail "BIRD does not point at the rtr42d service"

"$TOOLS/bird-rpki-lint" "$root/docker/bird/bird.conf" || fail "bird-rpki-lint flags docker/bird/bird.conf"
if command -v bird >/dev/null; then
  bird -p -c "$root/docker/bird/bird.conf" || fail "bird -p rejects docker/bird/bird.conf"
fi
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/rtr42d|$TOOLS/rtr42d|" "$root/docker/systemd/rtr42d.service" > "$WORK/rtr42d.service"
  out=$(systemd-analyze verify "$WORK/rtr42d.service" 2>&1 || true)
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
echo "PASS: Dockerfile uses ./dev build; compose BIRD config passes bird -p and bird-rpki-lint; unit verifies"
