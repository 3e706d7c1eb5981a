#!/usr/bin/env bash
# The NRTMv4 mirror at IRR scale: a synthetic feed of 4,000,000 objects, of
# which 500,000 are route/route6 (bench/nrtm4_irr.cc generate; kept in $FEED
# between runs), served by Debian's nginx over HTTPS, mirrored into a fresh
# SQLite state and compiled (time, peak RSS), then DELTAS deltas of 1,000
# changes, each timed through poll + compile + confirm, with the RSS after
# each; last a restart from the saved state.
# Usage: bench/nrtm4_irr.sh [BUILD_DIR] [DELTAS]   (./dev bench-irr)
BUILD=$(realpath "${1:-build}")
DELTAS=${2:-100}
source "$(dirname "$0")/../tests/interop/lib.sh" "$BUILD/tools"
need nginx nginx-light
need openssl openssl
FEED=${FEED:-${TMPDIR:-/tmp}/rtr42-irrbench-feed}
GEN="$BUILD/bench/nrtm4_irr"

if [ ! -f "$FEED.base.jose" ]; then
  "$GEN" generate "$FEED" || fail "generate"
  cp "$FEED/update-notification-file.jose" "$FEED.base.jose"
fi
# Every run starts from the snapshot alone.
rm -f "$FEED"/*/nrtm-delta.*
cp "$FEED.base.jose" "$FEED/update-notification-file.jose"
echo "feed: $(du -sh "$FEED" | cut -f1) in $FEED"

make_tls_cert "$WORK/tls.crt" "$WORK/tls.key"
port=$(free_port)
start_nginx "$FEED" "$port" "$WORK/tls.crt" "$WORK/tls.key"
"$GEN" mirror "https://localhost:$port/update-notification-file.jose" "$FEED" "$WORK/state" \
  "$WORK/tls.crt" "$DELTAS" || fail "mirror"
grep -c '" 200 ' "$WORK/nginx/access.log" | sed 's/^/nginx: /; s/$/ files served/'
