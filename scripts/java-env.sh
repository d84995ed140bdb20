# Sourced by ./jrnn and scripts/test.sh: points JAVA_HOME at a JDK 25 or newer.
# Order: $JAVA_HOME if it is new enough, the `java` on PATH, then /usr/lib/jvm/*.
java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'; }
jrnn_find_jdk() {
  local c
  for c in "${JAVA_HOME:-}" "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
           /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] || continue
    local v; v=$(java_major "$c/bin/java")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$c"; return 0; fi
  done
  return 1
}
if ! JAVA_HOME=$(jrnn_find_jdk); then
  echo "jrnn: needs a JDK 25 or newer; none found in \$JAVA_HOME, on PATH or under /usr/lib/jvm." >&2
  echo "jrnn: install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME
# NB: Maven 3.8 bundles a Guava that warns on JDK 24+ about sun.misc.Unsafe; this keeps build output clean.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
