#!/usr/bin/env bash
# The deployment files: the Dockerfile builds with the README's own script,
# the compose file's BIRD configuration passes "bird -p" and bird-rpki-lint,
# and the systemd unit passes "systemd-analyze verify".
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

grep -q '^RUN .*\./dev build' "$root/docker/Dockerfile" || fail "the Dockerfile does not build with ./dev build"
grep -q '^\./dev run' "$root/README.md" || fail "the README's quick start is not ./dev"
grep -q 'dockerfile: docker/Dockerfile' "$root/docker/compose.yaml" || fail "compose does not build docker/Dockerfile"
grep -q './bird/bird.conf:/etc/bird/bird.conf' "$root/docker/compose.yaml" || fail "compose does not mount bird.conf"
grep -q 'remote "rtr42d" port 8282' "$root/docker/bird/bird.conf" || fail "BIRD does not point at the rtr42d service"

grep -q -- '--config=/etc/rtr42/rtr42d.toml' "$root/docker/compose.yaml" || fail "compose does not use the configuration file"
grep -q -- '--config /etc/rtr42/rtr42d.toml' "$root/docker/systemd/rtr42d.service" || fail "the unit does not use the configuration file"
"$TOOLS/rtr42d" --config "$root/docker/rtr42d.toml" --check-config | grep -q ': ok, 1 source$' \
  || fail "docker/rtr42d.toml does not pass --check-config"
# The example with its commented sources enabled passes too.
sed 's/^# \(\[source\.\|json = \|rtr-upstream = \|poll-interval = \)/\1/' "$root/docker/rtr42d.toml" > "$WORK/all.toml"
"$TOOLS/rtr42d" --config "$WORK/all.toml" --check-config | grep -q ': ok, 3 sources$' \
  || { cat "$WORK/all.toml"; fail "the example's commented sources do not pass --check-config"; }
# Its commented SSH settings, pointed at files here, pass too; an authorized
# keys line with an option rtr42d cannot honour is refused, by file:line.
if command -v ssh-keygen >/dev/null; then
  sed -e 's/^# \(ssh-\)/\1/' -e "s|/var/lib/rtr42/|$WORK/|; s|/etc/rtr42/|$WORK/|" \
    "$root/docker/rtr42d.toml" > "$WORK/ssh.toml"
  grep -q '^ssh-listen' "$WORK/ssh.toml" || fail "docker/rtr42d.toml has no commented ssh-listen"
  ssh-keygen -q -t ed25519 -N '' -C router1 -f "$WORK/router1"
  cp "$WORK/router1.pub" "$WORK/ssh_authorized_keys"
  "$TOOLS/rtr42d" --config "$WORK/ssh.toml" --check-config > /dev/null \
    || fail "the example's SSH settings do not pass --check-config"
  echo "from=\"10.0.0.0/8\" $(cat "$WORK/router1.pub")" >> "$WORK/ssh_authorized_keys"
  if "$TOOLS/rtr42d" --config "$WORK/ssh.toml" --check-config > /dev/null 2> "$WORK/ssh.err"; then
    fail "an authorized key with from= passed --check-config"
  fi
  grep -q "ssh_authorized_keys:2: option 'from=" "$WORK/ssh.err" || fail "check-config: $(cat "$WORK/ssh.err")"
fi

"$TOOLS/bird-rpki-lint" "$root/docker/bird/bird.conf" || fail "bird-rpki-lint flags docker/bird/bird.conf"
if command -v bird >/dev/null; then
  bird -p -c "$root/docker/bird/bird.conf" || fail "bird -p rejects docker/bird/bird.conf"
fi
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/local/bin/rtr42d|$TOOLS/rtr42d|g" "$root/docker/systemd/rtr42d.service" > "$WORK/rtr42d.service"
  out=$(systemd-analyze verify "$WORK/rtr42d.service" 2>&1 || true)
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
echo "PASS: Dockerfile uses ./dev build; compose BIRD config passes bird -p and bird-rpki-lint; unit verifies; both use rtr42d.toml, which passes --check-config"
