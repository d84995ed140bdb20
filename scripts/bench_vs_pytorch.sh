#!/usr/bin/env bash
# Side-by-side training throughput: jrnn's CPU backend vs PyTorch (Debian python3-torch with
# OpenBLAS) on the seed notebook's model, batch 256, same machine, same run. Prints a Markdown
# table with the ratio. Needs: apt-get install python3-torch libopenblas0-pthread.
#
#   scripts/bench_vs_pytorch.sh [STEPS] [ROUNDS]
#
# Rounds alternate jrnn and PyTorch so both see the same machine load; the median of the
# rounds is reported. PyTorch runs twice per round: tuned (2 intra-op threads, OpenBLAS at 1
# thread, its fastest setting here) and stock (2 threads, OpenBLAS left to its defaults).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${1:-30}"; rounds="${2:-3}"
py=/usr/bin/python3
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
"$here/jrnn" --version >/dev/null   # builds once, outside the timings
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A J T S
for model in lstm gru; do
  for r in $(seq "$rounds"); do
    j=$("$here/jrnn" bench --cell "$model" --units 32 --batch-size 256 --steps "$steps" --repeats 1 --backend cpu 2>/dev/null \
        | sed -n 's/.*median \([0-9.]*\).*/\1/p')
    t=$("$py" "$here/scripts/pytorch_peer.py" bench --cell "$model" --units 32 --batch-size 256 --steps "$steps" --warmup 5 --threads 2 --blas-threads 1 2>/dev/null \
        | sed -n 's/.*samples_per_s=\([0-9.]*\).*/\1/p')
    s=$("$py" "$here/scripts/pytorch_peer.py" bench --cell "$model" --units 32 --batch-size 256 --steps "$steps" --warmup 5 --threads 2 --blas-threads 0 2>/dev/null \
        | sed -n 's/.*samples_per_s=\([0-9.]*\).*/\1/p')
    J[$model]+="$j "; T[$model]+="$t "; S[$model]+="$s "
  done
done
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "PyTorch $("$py" -c 'import torch; print(torch.__version__)'), batch 256, $steps steps x $rounds rounds (median samples/s)"
echo
echo "| model | jrnn cpu | PyTorch tuned | PyTorch stock | jrnn / tuned | jrnn / stock |"
echo "|---|---:|---:|---:|---:|---:|"
for model in lstm gru; do
  jm=$(tr ' ' '\n' <<<"${J[$model]}" | grep . | median)
  tm=$(tr ' ' '\n' <<<"${T[$model]}" | grep . | median)
  sm=$(tr ' ' '\n' <<<"${S[$model]}" | grep . | median)
  awk -v m="${model^^}-32" -v j="$jm" -v t="$tm" -v s="$sm" \
    'BEGIN {printf "| %s | %.0f | %.0f | %.0f | %.1fx | %.1fx |\n", m, j, t, s, j/t, j/s}'
done
