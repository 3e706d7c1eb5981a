#!/usr/bin/env bash
# bird-rpki-lint parses every configuration BIRD parses:
#  * our corpus, tests/lint/parity/*.conf (the styles people write: dn42
#    nodes, route servers, IXP tooling, templates, includes) and the linter
#    fixtures marked "# bird: 2.0": BIRD 2.0.12 (Debian 12) must accept each
#    one, so the corpus is real BIRD, and the linter must not fail on it;
#    files named *.bird214.conf are checked with BIRD 2.17 (Debian 13) instead;
#  * every example in BIRD's user's guide as Debian installs it (bird2-doc,
#    the <PRE> blocks of /usr/share/doc/bird2/bird-*.html), extracted here,
#    never copied into the repository: each block that BIRD accepts, as it is
#    or with "protocol device {}" added, must parse in the linter. Debian 12's
#    guide with BIRD 2.0.12; Debian 13's (bird2-doc 2.17) with BIRD 2.17 in the
#    chroot, when we are root.
source "$(dirname "$0")/lib.sh"
need bird bird2
LINT=$(realpath "$TOOLS")/bird-rpki-lint
CORPUS=$(cd "$(dirname "$0")/../lint" && pwd)
failures=0

# accepted_by BIRD FILE: does this BIRD parse FILE (includes relative to it)?
# BIRD is "host" or "chroot" (BIRD 2.17 in $ROOT).
accepted_by() {
  local dir base; dir=$(dirname "$2"); base=$(basename "$2")
  if [ "$1" = host ]; then
    (cd "$dir" && bird -p -c "$base") >/dev/null 2>&1
  else
    local inside; inside=$(mktemp -d "$ROOT/tmp/rtr42-parity-XXXXXX")
    cp -r "$dir"/. "$inside"/
    chroot "$ROOT" sh -c "cd ${inside#"$ROOT"} && /usr/sbin/bird -p -c $base" >/dev/null 2>&1
    local rc=$?
    rm -rf "$inside"
    return $rc
  fi
}

# lint_parses FILE: the linter reads FILE without an error (exit 0 or 1).
lint_parses() {
  local rc=0
  (cd "$(dirname "$1")" && "$LINT" "$(basename "$1")") > "$WORK/lint.out" 2>&1 || rc=$?
  [ "$rc" -le 1 ] && return 0
  echo "  bird-rpki-lint: $(grep -m1 error "$WORK/lint.out")"
  return 1
}

# --- our corpus
have_chroot=0
if [ "$(id -u)" -eq 0 ]; then ensure_trixie_root && have_chroot=1; fi
checked=0; newer=0
for f in "$CORPUS"/parity/*.conf "$CORPUS"/signalling/*.conf "$CORPUS"/clean/*.conf; do
  case "$f" in
    */parity/*.bird214.conf) [ $have_chroot = 1 ] || continue; bird=chroot; newer=$((newer + 1)) ;;
    */parity/*) bird=host ;;
    *) head -1 "$f" | grep -q '^# bird: 2.0' || continue; bird=host ;;
  esac
  checked=$((checked + 1))
  accepted_by "$bird" "$f" || { echo "NOT BIRD ($bird): $f"; failures=$((failures + 1)); continue; }
  lint_parses "$f" || { echo "LINT FAILED: $f"; failures=$((failures + 1)); }
done
echo "corpus: $checked configurations BIRD accepts ($newer with BIRD 2.17), all parse in the linter" \
  "unless listed above"

# --- the user's guide: <PRE> blocks, HTML entities decoded
extract_guide() {  # extract_guide HTML_DIR OUT_DIR
  mkdir -p "$2"
  local html
  for html in "$1"/bird-*.html; do
    awk -v out="$2/$(basename "$html" .html)" '
      /<PRE>/ { n++; file = sprintf("%s-%03d.conf", out, n); inside = 1; sub(/.*<PRE>/, "") }
      inside {
        line = $0; done = sub(/<\/PRE>.*/, "", line)
        print line > file
        if (done) { inside = 0; close(file) }
      }' "$html"
  done
  local f
  for f in "$2"/*.conf; do
    sed -i 's/<[^>]*>//g; s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g' "$f"
  done
}
guide() {  # guide LABEL HTML_DIR BIRD
  [ -n "$(ls "$2"/bird-*.html 2>/dev/null)" ] || { echo "$1: no user's guide in $2"; return; }
  local out="$WORK/guide-$1" blocks=0 accepted=0 f
  extract_guide "$2" "$out"
  for f in "$out"/*.conf; do
    blocks=$((blocks + 1))
    if ! accepted_by "$3" "$f"; then
      printf '\nprotocol device {}\n' >> "$f"
      accepted_by "$3" "$f" || continue
    fi
    accepted=$((accepted + 1))
    lint_parses "$f" || { echo "LINT FAILED on a guide example: $f"; cat "$f"; failures=$((failures + 1)); }
  done
  echo "$1: $accepted of $blocks examples in the user's guide are accepted by BIRD; all parse in the linter unless listed above"
  [ "$accepted" -ge 5 ] || { echo "too few guide examples accepted: the extraction is broken"; failures=$((failures + 1)); }
}
if [ -d /usr/share/doc/bird2 ]; then
  guide "bird2-doc $(dpkg-query -W -f='${Version}' bird2-doc 2>/dev/null)" /usr/share/doc/bird2 host
else
  echo "Debian 12's guide is not installed (Debian package bird2-doc)"
fi
if [ $have_chroot = 1 ]; then
  if [ ! -d "$ROOT/opt/bird2-doc/usr/share/doc/bird2" ]; then
    chroot "$ROOT" sh -c 'cd /tmp && apt-get download -qq bird2-doc && dpkg -x bird2-doc_*.deb /opt/bird2-doc && rm bird2-doc_*.deb' \
      > "$WORK/doc.log" 2>&1 || { cat "$WORK/doc.log"; fail "fetching Debian 13's bird2-doc"; }
  fi
  guide "Debian 13 bird2-doc" "$ROOT/opt/bird2-doc/usr/share/doc/bird2" chroot
fi

[ "$failures" -eq 0 ] || fail "$failures configurations BIRD accepts were not read by the linter"
echo "PASS: bird-rpki-lint parses every configuration BIRD accepts here"
