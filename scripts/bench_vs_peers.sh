#!/usr/bin/env bash
# Side-by-side training (and inference) throughput: jrnn's CPU backend against four CPU peers on
# the seed notebook's model, batch 256, same machine, same run, rounds alternating. Prints one
# Markdown table with samples/s (median of the rounds) and the ratio to the fastest peer.
#
#   scripts/bench_vs_peers.sh [STEPS] [ROUNDS]
#
# Peers:
#   torch2  PyTorch 2.x CPU wheel (MKL + oneDNN)            $PEERS_VENV/bin/python
#   keras   Keras 3 on TensorFlow-CPU                       $PEERS_VENV/bin/python
#   torch1b PyTorch 1.13 from Debian, OpenBLAS at 1 thread  /usr/bin/python3 (python3-torch)
#   torch1s PyTorch 1.13 from Debian, stock (OpenBLAS threads left alone)
# The venv (default /work/venv-peers, outside the repo) is made once, offline, from the
# machine's package index:
#   python3 -m venv /work/venv-peers && /work/venv-peers/bin/pip install \
#     --index-url "$(pip config get global.extra-index-url | cut -d' ' -f1)" \
#     --find-links "$(pip config get global.find-links)" torch==2.13.0+cpu tensorflow_cpu==2.21.0 keras==3.15.1
# and Debian's: apt-get install python3-torch libopenblas0-pthread. A peer that is missing is
# shown as "-".
#
# Each peer runs at its fastest thread setting: in the first round every setting in
# TORCH_THREADS / KERAS_THREADS is timed and the fastest is kept for the later rounds (on 2
# busy cores PyTorch 2's oneDNN LSTM ran 20x slower with 2 threads than with 1). PyTorch has no
# relu LSTM/GRU, so relu rows compare against Keras (activation='relu') only.
#
# Environment: EXTRA=0 skips the rows without a target (64 units, 4-layer stacks);
# INFER=0 skips the inference rows (jrnn bench --inference against torch.inference_mode()).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${1:-40}"; rounds="${2:-3}"
venv="${PEERS_VENV:-/work/venv-peers}"
vpy="$venv/bin/python"; dpy=/usr/bin/python3
torch_threads="${TORCH_THREADS:-1 2}"; keras_threads="${KERAS_THREADS:-0 1}"
# jrnn warms up for 200 steps (at least JRNN_WARMUP seconds, default 0) and then until its JIT has
# compiled nothing for 0.5 s (jrnn bench does that itself): C2 compiles the last methods 3-6 s into
# a run. After 200 steps alone LSTM-32 predictions timed at 168k samples/s against 249k, and a
# 3 s warm-up put the timed window on the late compiles (LSTM-32 42-61k against 106-109k)
jrnn_warmup="${JRNN_WARMUP:-0}"
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS OMP_NUM_THREADS MKL_NUM_THREADS
"$here/jrnn" --version >/dev/null 2>&1   # builds once, outside the timings
have_v=0; "$vpy" -c 'import torch, keras' 2>/dev/null && have_v=1
have_d=0; "$dpy" -c 'import torch' 2>/dev/null && have_d=1
median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else printf "%.0f\n", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
sps() { sed -n 's/.*samples_per_s=\([0-9.]*\).*/\1/p; s/.*samples\/s: median \([0-9.]*\).*/\1/p' | head -1; }

# rows: name cell units layers activation mode
rows=("LSTM-32 lstm 32 1 tanh train" "GRU-32 gru 32 1 tanh train"
      "LSTM-32 relu lstm 32 1 relu train" "GRU-32 relu gru 32 1 relu train")
if [ "${EXTRA:-1}" != 0 ]; then
  rows+=("LSTM-64 lstm 64 1 tanh train" "GRU-64 gru 64 1 tanh train"
         "LSTM-32 x4 lstm 32 4 tanh train" "GRU-32 x4 gru 32 4 tanh train")
fi
if [ "${INFER:-1}" != 0 ]; then
  rows+=("LSTM-32 inference lstm 32 1 tanh infer" "GRU-32 inference gru 32 1 tanh infer")
fi
peers=(torch2 keras torch1b torch1s)
declare -A R BEST   # R[row|who] = "v1 v2 ..."; BEST[row|peer] = fastest thread setting

# run_peer PEER THREADS CELL UNITS LAYERS ACT MODE -> samples/s (empty when it cannot run)
run_peer() {
  local p=$1 th=$2 cell=$3 units=$4 layers=$5 act=$6 mode=$7 inf=()
  [ "$mode" = infer ] && inf=(--inference)
  local common=(--cell "$cell" --units "$units" --layers "$layers" --batch-size 256 --steps "$steps" --warmup 5 "${inf[@]}")
  case $p in
    torch2)  [ $have_v = 1 ] && [ "$act" = tanh ] && "$vpy" "$here/scripts/pytorch_peer.py" bench "${common[@]}" --threads "$th" --blas-threads 0 2>/dev/null | sps ;;
    keras)   [ $have_v = 1 ] && "$vpy" "$here/scripts/keras_peer.py" "${common[@]}" --activation "$act" --threads "$th" 2>/dev/null | sps ;;
    torch1b) [ $have_d = 1 ] && [ "$act" = tanh ] && "$dpy" "$here/scripts/pytorch_peer.py" bench "${common[@]}" --threads "$th" --blas-threads 1 2>/dev/null | sps ;;
    torch1s) [ $have_d = 1 ] && [ "$act" = tanh ] && "$dpy" "$here/scripts/pytorch_peer.py" bench "${common[@]}" --threads 2 --blas-threads 0 2>/dev/null | sps ;;
  esac || true
}

for r in $(seq "$rounds"); do
  for row in "${rows[@]}"; do
    read -r -a f <<<"$row"; n=${#f[@]}
    name="${f[*]:0:n-5}"; cell=${f[n-5]}; units=${f[n-4]}; layers=${f[n-3]}; act=${f[n-2]}; mode=${f[n-1]}
    inf=(); [ "$mode" = infer ] && inf=(--inference)
    j=$("$here/jrnn" bench --backend cpu --cell "$cell" --units "$units" --layers "$layers" --activation "$act" \
        --batch-size 256 --steps "$steps" --warmup 200 --warmup-seconds "$jrnn_warmup" --repeats 1 "${inf[@]}" 2>/dev/null | sps || true)
    R["$name|jrnn"]+="$j "
    for p in "${peers[@]}"; do
      case $p in torch2|torch1b) cands=${BEST["$name|$p"]:-$torch_threads} ;; keras) cands=${BEST["$name|$p"]:-$keras_threads} ;; *) cands=2 ;; esac
      best=""; bth=""
      for th in $cands; do
        v=$(run_peer "$p" "$th" "$cell" "$units" "$layers" "$act" "$mode")
        if [ -n "$v" ] && { [ -z "$best" ] || awk -v a="$v" -v b="$best" 'BEGIN {exit !(a > b)}'; }; then best=$v; bth=$th; fi
      done
      [ -n "$bth" ] && BEST["$name|$p"]=$bth
      R["$name|$p"]+="$best "
    done
  done
done

med() { tr ' ' '\n' <<<"${R[$1]:-}" | { grep . || true; } | median; }
thr() { local t=${BEST["$1"]:-}; [ -z "$t" ] && return; [ "$t" = 0 ] && echo "default" || echo "$t"; }
echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "jrnn $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo '?'); batch 256, $steps timed steps per process (jrnn after warming up until its JIT is quiet, peers after 5 steps), median of $rounds alternating rounds (samples/s)"
[ $have_v = 1 ] && echo "venv $venv: $("$vpy" -c 'import torch, tensorflow as tf, keras; print("torch", torch.__version__, "| tensorflow", tf.__version__, "| keras", keras.__version__)' 2>/dev/null)"
[ $have_d = 1 ] && echo "Debian: torch $("$dpy" -c 'import torch; print(torch.__version__)' 2>/dev/null)"
echo
echo "| model | jrnn | PyTorch 2 (MKL + oneDNN) | Keras 3 on TF-CPU | PyTorch 1.13, OpenBLAS 1 thread | PyTorch 1.13 stock | jrnn / fastest peer |"
echo "|---|--:|--:|--:|--:|--:|--:|"
for row in "${rows[@]}"; do
  read -r -a f <<<"$row"; n=${#f[@]}; name="${f[*]:0:n-5}"; act=${f[n-2]}
  line="| $name | $(med "$name|jrnn")"; fastest=0
  for p in "${peers[@]}"; do
    m=$(med "$name|$p")
    if [ "$m" = "-" ] && [ "$act" = relu ] && [ "$p" != keras ]; then cell="n/a"
    else
      cell=$m
      [ "$m" != "-" ] && t=$(thr "$name|$p") && [ -n "$t" ] && [ "$p" != torch1s ] && cell="$m ($t)"
      [ "$m" != "-" ] && fastest=$(awk -v a="$m" -v b="$fastest" 'BEGIN {print (a > b) ? a : b}')
    fi
    line+=" | $cell"
  done
  jm=$(med "$name|jrnn")
  ratio=$(awk -v j="$jm" -v f="$fastest" 'BEGIN {if (j == "-" || f == 0) print "-"; else printf "%.1fx", j / f}')
  echo "$line | $ratio |"
done
echo
echo "Peers' thread settings in parentheses (intra-op threads, 'default' = the framework's own); relu: PyTorch has no relu LSTM/GRU (n/a)."
