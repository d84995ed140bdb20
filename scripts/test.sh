#!/usr/bin/env bash
# The test command (README.md, .ci/run): builds everything and runs every test with a JDK 25.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$here/scripts/java-env.sh"
cd "$here"
exec mvn -B -ntp verify "$@"
