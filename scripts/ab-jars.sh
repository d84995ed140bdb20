#!/usr/bin/env bash
# A/B of two jrnn builds on the CPU: runs `jrnn bench` from JAR_A and JAR_B in turn (A B A B ...),
# one JVM per run, and prints each build's median samples/s and the median of the pairwise A/B
# ratios. Alternating pairs keep the ratio meaningful on a shared machine whose speed drifts; a
# difference under the spread of the ratios is noise (on the 2-core VMs, rows move by about 5%
# between JVMs of the same build).
#
#   scripts/ab-jars.sh ROUNDS JAR_A JAR_B [jrnn bench options...]
#
# JAR_A and JAR_B are shaded jars (java/target/jrnn-all.jar of two checkouts, e.g. one made with
# `git worktree add /tmp/base <commit> && (cd /tmp/base && mvn -B -q -pl java -am package -DskipTests)`).
# The options go to `jrnn bench` (default: --cell lstm --units 32); --backend cpu is added.
# Example: scripts/ab-jars.sh 6 /tmp/base/java/target/jrnn-all.jar java/target/jrnn-all.jar --cell gru --inference
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/java-env.sh"
if [ $# -lt 3 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
rounds="$1"; jar_a="$2"; jar_b="$3"; shift 3
[ $# -gt 0 ] || set -- --cell lstm --units 32
for j in "$jar_a" "$jar_b"; do
  [ -f "$j" ] || { echo "ab-jars: no such jar: $j" >&2; exit 2; }
done
run() {   # run JAR -> the bench's median samples/s, or nothing when it failed
  "$JAVA_HOME/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC \
    -jar "$1" bench --backend cpu "${@:2}" 2>/dev/null | sed -n 's/.*samples\/s: median \([0-9.]*\).*/\1/p' | tail -1
}
median() {   # median FORMAT < numbers
  sort -g | awk -v f="$1" '{a[NR]=$1} END {if (NR == 0) print "-"; else printf f "\n", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'
}
as=(); bs=(); ratios=()
for ((r = 1; r <= rounds; r++)); do
  a="$(run "$jar_a" "$@")"; b="$(run "$jar_b" "$@")"
  if [ -z "$a" ] || [ -z "$b" ]; then
    echo "ab-jars: round $r: a bench run printed no samples/s (A: '${a}', B: '${b}'); run it by hand to see why" >&2
    exit 1
  fi
  as+=("$a"); bs+=("$b"); ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.4f", a / b}')")
  echo "round $r: A $a  B $b  A/B ${ratios[-1]}"
done
echo "bench options: --backend cpu $*"
echo "A $jar_a: median $(printf '%s\n' "${as[@]}" | median %.0f) samples/s"
echo "B $jar_b: median $(printf '%s\n' "${bs[@]}" | median %.0f) samples/s"
echo "A/B: median $(printf '%s\n' "${ratios[@]}" | median %.4f) (min $(printf '%s\n' "${ratios[@]}" | sort -g | head -1), max $(printf '%s\n' "${ratios[@]}" | sort -g | tail -1), $rounds pairs)"
