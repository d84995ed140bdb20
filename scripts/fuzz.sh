#!/usr/bin/env bash
# The long fuzzing campaign (issue 13): every parser of outside input under Jazzer's coverage-guided
# engine, one target at a time, each for SECONDS. The normal test run (scripts/test.sh) only replays
# each target's committed corpus and mutates it for a few seconds without coverage feedback.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET (default 300)] [Class#method ...]
#
# Targets: src/test/java/dev/jrnn/{data/IdxFuzzTest,io/FormatFuzzTest,cli/InputFuzzTest}.java.
# Inputs Jazzer finds interesting accumulate in java/.cifuzz-corpus/ (not committed); a finding is
# written by Jazzer into the target's src/test/resources/.../<Class>Inputs/<method>/ directory, so
# that it becomes a regression input of every later test run, and the campaign stops with exit 1.
# Prints one summary line per target: inputs tried, seconds, exec/s, result.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/java-env.sh"
cd "$here"
secs="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(IdxFuzzTest#idxRaw IdxFuzzTest#idxGzip FormatFuzzTest#safetensorsHeader FormatFuzzTest#checkpointLoad
           FormatFuzzTest#pytorchImport InputFuzzTest#pngImage InputFuzzTest#metricsJson InputFuzzTest#sweepJson)
fi
logs="$here/java/target/fuzz"
mkdir -p "$logs"
echo "fuzz: compiling ..." >&2
mvn -B -ntp -q -pl java test-compile -P '!cuda-kernels'
status=0
summary=()
for t in "${targets[@]}"; do
  log="$logs/${t/\#/.}.log"
  echo "fuzz: $t for ${secs}s (log: $log)" >&2
  # NB: surefire passes -D properties on to the forked JVM: jazzer.max_duration bounds the run.
  if JAZZER_FUZZ=1 mvn -B -ntp -pl java surefire:test -P '!cuda-kernels' -Dtest="$t" -Dsurefire.failIfNoSpecifiedTests=false \
       -Djazzer.max_duration="${secs}s" >"$log" 2>&1; then result=ok; else result="FINDING or failure (see log)"; status=1; fi
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -1)
  n=${runs% *}; s=${runs#* }
  rate=$([ -n "$runs" ] && [ "${s:-0}" -gt 0 ] && echo $((n / s)) || echo "?")
  summary+=("$(printf '%-36s %10s inputs %6ss %8s exec/s  %s' "$t" "${n:-?}" "${s:-?}" "$rate" "$result")")
  echo "${summary[-1]}" >&2
done
echo
printf '%s\n' "${summary[@]}"
exit $status
