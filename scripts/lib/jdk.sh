# Finding a JDK new enough for Puck; sourced by ./mvnw and ./puck.

java_feature() { # prints the feature release of the java binary $1, or 0
  local v
  v=$("$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)
  printf '%s' "${v:-0}"
}

pick_jdk() { # prints the JDK to use: JAVA_HOME if >= $1, else the newest of PATH and /usr/lib/jvm
  local min_java=$1 candidates=() c best="" best_v=0 v
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
  fi
  for c in ${PUCK_JDK_SEARCH_PATH:-/usr/lib/jvm}/*; do candidates+=("$c"); done
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v=$(java_feature "$c/bin/java")
    # JAVA_HOME wins if it is new enough; otherwise take the newest.
    if [ "$c" = "${JAVA_HOME:-}" ] && [ "$v" -ge "$min_java" ]; then best=$c; break; fi
    if [ "$v" -gt "$best_v" ]; then best=$c; best_v=$v; fi
  done
  [ -n "$best" ] && [ "$(java_feature "$best/bin/java")" -ge "$min_java" ] ||
    { printf 'puck: %s\n' "no JDK >= $min_java found (looked at JAVA_HOME, PATH and ${PUCK_JDK_SEARCH_PATH:-/usr/lib/jvm}). Install one (e.g. apt-get install openjdk-21-jdk or a Temurin JDK) or set JAVA_HOME." >&2; return 1; }
  printf '%s' "$best"
}

