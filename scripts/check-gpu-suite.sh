#!/usr/bin/env bash
# Run by the Maven build (java/pom.xml, phase verify): fails where the GPU suite could have run
# against the fake CUDA device but did not, so that it cannot vanish from a green build.
#   check-gpu-suite.sh <kernels-built true|false> <fake-device surefire reports folder> \
#                      <required|optional> <skipTests> <maven.test.skip>
# - nvcc present (at /usr/local/cuda/bin/nvcc or on PATH) but the kernels not built (profile
#   cuda-kernels off): an error, unless -Djrnn.gpuSuite=optional was given.
# - tests skipped (-DskipTests, -Dmaven.test.skip): nothing to check.
# - kernels built: the fake-device reports must exist and hold at least one test that ran (not
#   skipped).
set -euo pipefail
built="$1"
reports="$2"
if [ "${4:-false}" = "true" ] || [ "${5:-false}" = "true" ]; then
  echo "jrnn: tests skipped: the GPU suite is not checked"
  exit 0
fi
if [ "${3:-required}" = "optional" ]; then
  echo "jrnn: -Djrnn.gpuSuite=optional: the GPU suite is not required"
  exit 0
fi
nvcc=""
if [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc; else nvcc="$(command -v nvcc || true)"; fi
if [ "$built" != "true" ]; then
  if [ -n "$nvcc" ]; then
    echo "jrnn: nvcc is installed ($nvcc) but this build did not compile the kernels (profile cuda-kernels off)," >&2
    echo "jrnn: so the @Tag(\"gpu\") tests did not run against the fake CUDA device." >&2
    echo "jrnn: build with scripts/test.sh, or mvn -Pcuda-kernels -Djrnn.nvcc=$nvcc; to build without them on purpose add -Djrnn.gpuSuite=optional." >&2
    exit 1
  fi
  echo "jrnn: no nvcc: the GPU suite did not run against the fake device (nothing to check)"
  exit 0
fi
shopt -s nullglob
files=("$reports"/TEST-*.xml)
if [ ${#files[@]} -eq 0 ]; then
  echo "jrnn: the kernels were built, but the fake-device test run left no reports in $reports" >&2
  exit 1
fi
# the <testsuite ...> element of each report: tests= and skipped= attributes
read -r tests skipped < <(for f in "${files[@]}"; do
  grep -o '<testsuite [^>]*>' "$f" | head -1
done | awk '{
  t = 0; s = 0
  if (match($0, / tests="[0-9]+"/)) t = substr($0, RSTART + 8, RLENGTH - 9)
  if (match($0, / skipped="[0-9]+"/)) s = substr($0, RSTART + 10, RLENGTH - 11)
  T += t; S += s
} END { print T + 0, S + 0 }')
ran=$((tests - skipped))
if [ "$ran" -le 0 ]; then
  echo "jrnn: the fake-device run in $reports ran no test ($tests tests, $skipped skipped)" >&2
  exit 1
fi
echo "jrnn: the GPU suite ran on the fake device: $ran tests ran ($tests in ${#files[@]} classes, $skipped skipped)"
