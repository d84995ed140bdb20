#!/usr/bin/env bash
# The test command (README.md, .ci/run): builds everything and runs every test with a JDK 25.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/java-env.sh"
cd "$here"
# NB: Maven activates the cuda-kernels profile only for nvcc at /usr/local/cuda/bin/nvcc; an nvcc
# found elsewhere on PATH is named here, so the GPU suite runs against the fake device there too
# (and scripts/check-gpu-suite.sh fails the build where nvcc exists but the suite did not run).
extra=()
if [ ! -x /usr/local/cuda/bin/nvcc ] && nvcc="$(command -v nvcc)" && [[ "$*" != *cuda-kernels* ]]; then
  extra=(-Pcuda-kernels "-Djrnn.nvcc=$nvcc")
fi
exec mvn -B -ntp verify "${extra[@]}" "$@"
