#!/usr/bin/env bash
# Variable-length sequences, measured: LSTM-32 on trimmed Fashion-MNIST (docs/data.md) trained
# three ways with the same seed, data and threads, one after the other:
#   padded   the trimmed images as 28 full steps (content first, zeros after; no lengths)
#   lengths  each image's own length (--dataset fashion-mnist-trimmed)
#   bucket   lengths, batches formed from samples of similar length (--bucket)
# Prints a Markdown table of test accuracy and epoch times (median over epochs; the first carries
# the JIT warm-up) and leaves each run's metrics JSON in OUT.
#
#   scripts/lengths-bench.sh [EPOCHS=3] [OUT=runs/lengths-bench] [THREADS=2]
#
# The padded run reads the same sequences as .npy files written by scripts/trimmed-npy.py
# --no-lengths (identical floats: both compute pixel / 255 in float32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
epochs="${1:-3}"; out="${2:-runs/lengths-bench}"; threads="${3:-2}"
src="${FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
python="${PYTHON:-/usr/bin/python3}"
mkdir -p "$out"
if [ ! -f "$out/padded-npy/x_train.npy" ]; then
  "$python" "$here/scripts/trimmed-npy.py" "$src" "$out/padded-npy" --no-lengths
fi
common=(--cell lstm --units 32 --epochs "$epochs" --seed 42 --backend cpu --threads "$threads" --no-progress --overwrite)
run() {   # name, flags...
  local name="$1"; shift
  echo "== $name: $*" >&2
  "$here/jrnn" train "${common[@]}" "$@" --metrics-out "$out/$name.json" | tee "$out/$name.log" >&2
}
run padded --data "$out/padded-npy"
run lengths --dataset fashion-mnist-trimmed --data-dir "$src"
run bucket --dataset fashion-mnist-trimmed --data-dir "$src" --bucket
"$python" - "$out" <<'PY'
import json, statistics, sys, os
out = sys.argv[1]
print("| run | test accuracy | test loss | s/epoch (median) | first epoch s | samples/s (median) |")
print("|---|--:|--:|--:|--:|--:|")
for name in ("padded", "lengths", "bucket"):
    m = json.load(open(os.path.join(out, name + ".json")))
    secs = [e["seconds"] for e in m["epochs"]]
    sps = [e["samples_per_second"] for e in m["epochs"]]
    print(f"| {name} | {m['test']['accuracy']:.4f} | {m['test']['loss']:.4f} | {statistics.median(secs):.1f} | "
          f"{secs[0]:.1f} | {statistics.median(sps):,.0f} |")
PY
