# shellcheck shell=bash
# debian_mirror [security]: prints the URI of the Debian mirror this host's apt already uses,
# so that Puck's scripts name no host: the first enabled source (deb822 *.sources, then
# one-line sources.list) of a Debian suite; with "security", of a Debian security suite.
# PUCK_DEBIAN_MIRROR (and PUCK_DEBIAN_SECURITY_MIRROR) override it. Prints nothing if none.
debian_mirror() {
  local kind="${1:-main}" re uri="" f
  if [ "$kind" = security ]; then
    if [ -n "${PUCK_DEBIAN_SECURITY_MIRROR:-}" ]; then echo "$PUCK_DEBIAN_SECURITY_MIRROR"; return 0; fi
    re='^(bookworm|trixie|forky|duke|stable|testing|oldstable)-security$'
  else
    if [ -n "${PUCK_DEBIAN_MIRROR:-}" ]; then echo "$PUCK_DEBIAN_MIRROR"; return 0; fi
    re='^(bookworm|trixie|forky|duke|sid|stable|testing|unstable|oldstable)(-updates)?$'
  fi
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    uri=$(awk -v re="$re" '
      BEGIN { RS = ""; FS = "\n" }
      {
        uris = ""; ok = 0; on = 1; deb = 0
        for (i = 1; i <= NF; i++) {
          line = $i; sub(/^[ \t]+/, "", line)
          if (line ~ /^#/ || index(line, ":") == 0) continue
          key = tolower(substr(line, 1, index(line, ":") - 1))
          val = substr(line, index(line, ":") + 1); sub(/^[ \t]+/, "", val)
          if (key == "types" && val ~ /(^|[ \t])deb([ \t]|$)/) deb = 1
          if (key == "enabled" && tolower(val) == "no") on = 0
          if (key == "uris") { split(val, u, /[ \t]+/); uris = u[1] }
          if (key == "suites") { n = split(val, s, /[ \t]+/); for (j = 1; j <= n; j++) if (s[j] ~ re) ok = 1 }
        }
        if (deb && on && ok && uris != "") { print uris; exit }
      }' "$f")
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
      | sed -E 's/\[[^]]*\]//' | awk -v re="$re" '$1 == "deb" && $3 ~ re {print $2; exit}' || true)
  fi
  printf '%s' "$uri"
  [ -n "$uri" ]
}
