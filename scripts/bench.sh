#!/usr/bin/env bash
# Runs jrnn's JMH benchmarks and writes the report (the same as `./jrnn bench --jmh ...`):
#   scripts/bench.sh [--quick] [--out DIR] [--backend auto|cpu|cuda]
# --quick: 10 rows (20 with a GPU) in about 2 minutes; without it the full grid (1.5 hours or more on 2 cores).
# DIR (default runs/bench-<date>-<time>) receives jmh-result.json, machine.txt, report.md and PNG charts.
# Builds the CLI and the benchmarks jar first when they are missing or older than the sources.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$here/jrnn" bench --jmh "$@"
