#!/usr/bin/env bash
# Variable-length sequences, measured: LSTM-32 on trimmed Fashion-MNIST (docs/data.md) trained
# three ways with the same seed, data and threads, in alternating rounds:
#   padded   the trimmed images as 28 full steps (content first, zeros after; no lengths)
#   lengths  each image's own length (--dataset fashion-mnist-trimmed)
#   bucket   lengths, batches formed from samples of similar length (--bucket)
# Prints a Markdown table: test accuracy (the same in every round: runs are deterministic), the
# median epoch time over every round's epochs 2..E (the first carries the JIT warm-up) with the
# rounds' medians beside it, and the median first epoch. Each run's metrics JSON stays in OUT.
#
#   scripts/lengths-bench.sh [EPOCHS=5] [OUT=runs/lengths-bench] [THREADS=2] [ROUNDS=3]
#
# The padded run reads the same sequences as .npy files written by scripts/trimmed-npy.py
# --no-lengths (identical floats: both compute pixel / 255 in float32).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
epochs="${1:-5}"; out="${2:-runs/lengths-bench}"; threads="${3:-2}"; rounds="${4:-3}"
src="${FASHION_DIR:-/usr/share/datasets/fashion-mnist}"
python="${PYTHON:-/usr/bin/python3}"
mkdir -p "$out"
if [ ! -f "$out/padded-npy/x_train.npy" ]; then
  "$python" "$here/scripts/trimmed-npy.py" "$src" "$out/padded-npy" --no-lengths
fi
common=(--cell lstm --units 32 --epochs "$epochs" --seed 42 --backend cpu --threads "$threads" --no-progress --overwrite)
run() {   # name, round, flags...
  local name="$1" round="$2"; shift 2
  echo "== $name, round $round: $*" >&2
  "$here/jrnn" train "${common[@]}" "$@" --metrics-out "$out/$name-r$round.json" > "$out/$name-r$round.log"
  tail -1 "$out/$name-r$round.log" >&2
}
for r in $(seq 1 "$rounds"); do
  run padded "$r" --data "$out/padded-npy"
  run lengths "$r" --dataset fashion-mnist-trimmed --data-dir "$src"
  run bucket "$r" --dataset fashion-mnist-trimmed --data-dir "$src" --bucket
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$python" - "$out" "$rounds" <<'PY'
import json, statistics, sys, os
out, rounds = sys.argv[1], int(sys.argv[2])
print("| run | test accuracy | s/epoch, epochs 2+ (median; per round) | first epoch s (median) |")
print("|---|--:|--:|--:|")
for name in ("padded", "lengths", "bucket"):
    ms = [json.load(open(os.path.join(out, f"{name}-r{r}.json"))) for r in range(1, rounds + 1)]
    accs = {round(m["test"]["accuracy"], 4) for m in ms}
    later = [e["seconds"] for m in ms for e in m["epochs"][1:]]
    per_round = [statistics.median([e["seconds"] for e in m["epochs"][1:]]) for m in ms]
    first = statistics.median([m["epochs"][0]["seconds"] for m in ms])
    print(f"| {name} | {'/'.join(f'{a:.4f}' for a in sorted(accs))} | {statistics.median(later):.2f} "
          f"({', '.join(f'{s:.2f}' for s in per_round)}) | {first:.1f} |")
PY
