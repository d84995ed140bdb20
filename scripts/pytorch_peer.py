#!/usr/bin/python3
"""PyTorch peer of the seed notebook's model, for jrnn speed/accuracy comparison.

Run with Debian's python3 (python3-torch), or with a virtual environment's python that
has a PyTorch wheel (scripts/bench_vs_peers.sh runs both):

    /usr/bin/python3 scripts/pytorch_peer.py bench --cell lstm --units 32 --threads 2
    /usr/bin/python3 scripts/pytorch_peer.py train --cell lstm --epochs 1 \\
        --dataset-dir /usr/share/datasets/fashion-mnist

Run it with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (`env -u OPENBLAS_CORETYPE
-u OPENBLAS_L2_SIZE ...`) so OpenBLAS picks its kernels by CPU detection, as a
user's machine would; the script warns on stderr when either is set.

Model (as the seed notebook): LSTM or GRU (units H, `--layers` stacked, tanh),
last timestep -> Dropout(0.2) -> Linear(H, 64) + ReLU -> Dropout(0.2) ->
Linear(64, 10); CrossEntropyLoss; Adam(lr=1e-3, eps=1e-7); input (B, 28, 28)
float32, batch 256.

bench prints one machine-readable line on stdout (with --inference it times eval-mode
forward passes under torch.inference_mode() instead of training steps):
    pytorch train cell=lstm units=32 layers=1 batch=256 threads=2 samples_per_s=1234.5
(plus blas_threads=..., see below) and torch version / BLAS info on stderr.

Threads: torch.set_num_threads(--threads) sets torch's OpenMP pool. Debian's
torch calls GEMM through libblas.so.3 -> OpenBLAS (pthread build), which by
default starts its own thread per core under each OpenMP thread; on a 2-core
box that oversubscription made LSTM-32 training 3-9x slower. So the script
calls openblas_set_num_threads(--blas-threads), default 1; pass
--blas-threads 0 to leave OpenBLAS as it is.
"""
import argparse
import gzip
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, cell, units, layers, features=28, classes=10):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(features, units, num_layers=layers, batch_first=True)
        self.head = nn.Sequential(
            nn.Dropout(0.2), nn.Linear(units, 64), nn.ReLU(),
            nn.Dropout(0.2), nn.Linear(64, classes))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1, :])


def make_model(args):
    model = Net(args.cell, args.units, args.layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    return model, opt, nn.CrossEntropyLoss()


def train_step(model, opt, loss_fn, xb, yb):
    opt.zero_grad(set_to_none=True)
    out = model(xb)
    loss = loss_fn(out, yb)
    loss.backward()
    opt.step()
    return loss, out


def blas_libs():
    """Shared libraries with 'blas' or 'lapack' in their path mapped into this process."""
    libs = set()
    with open("/proc/self/maps") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 6 and ("blas" in parts[5].lower() or "lapack" in parts[5].lower()):
                libs.add(parts[5])
    return sorted(libs)


def openblas():
    """ctypes handle on the OpenBLAS this process has mapped (through libblas.so.3), or None."""
    import ctypes
    for lib in blas_libs():
        if "libopenblas" in os.path.basename(lib):
            return ctypes.CDLL(lib)
    return None


def report_env(args):
    err = sys.stderr
    print("torch %s, numpy %s, threads=%d (interop %d)"
          % (torch.__version__, np.__version__, torch.get_num_threads(),
             torch.get_num_interop_threads()), file=err)
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if var in os.environ:
            print("env %s=%s%s" % (var, os.environ[var],
                                   "  (WARNING: unset it for a fair comparison)"
                                   if var.startswith("OPENBLAS_C") or var == "OPENBLAS_L2_SIZE" else ""),
                  file=err)
    for line in torch.__config__.show().splitlines():
        line = line.strip()
        if line.startswith("- Build settings:"):
            keep = [kv.strip() for kv in line[len("- Build settings:"):].split(",")
                    if kv.strip().startswith(("BLAS_INFO", "LAPACK_INFO", "USE_MKLDNN",
                                              "USE_OPENMP", "TORCH_VERSION"))]
            print("config: build " + ", ".join(keep), file=err)
        elif any(k in line for k in ("MKL", "CPU capability", "OpenMP")):
            print("config: " + line, file=err)
    for lib in blas_libs():
        print("mapped: %s -> %s" % (lib, os.path.realpath(lib)), file=err)
    ob = openblas()
    if ob is None:
        print("OpenBLAS: not mapped", file=err)
    else:
        import ctypes
        ob.openblas_get_config.restype = ctypes.c_char_p
        ob.openblas_get_corename.restype = ctypes.c_char_p
        print("OpenBLAS: %s, core %s, threads %d"
              % (ob.openblas_get_config().decode(), ob.openblas_get_corename().decode(),
                 ob.openblas_get_num_threads()), file=err)


def blas_tag(args):
    return " blas_threads=%s" % (args.blas_threads if args.blas_threads > 0 else "default")


def bench(args):
    torch.manual_seed(args.seed)
    model, opt, loss_fn = make_model(args)
    model.train()
    xb = torch.rand(args.batch_size, 28, 28)
    yb = torch.randint(0, 10, (args.batch_size,))
    if args.inference:
        model.eval()

        def step():
            with torch.inference_mode():
                model(xb)
    else:
        def step():
            train_step(model, opt, loss_fn, xb, yb)
    for _ in range(args.warmup):
        step()
    report_env(args)  # after warm-up: BLAS libraries are loaded lazily by some builds
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = time.perf_counter() - t0
    sps = args.steps * args.batch_size / dt
    print("pytorch %s cell=%s units=%d layers=%d batch=%d threads=%d%s samples_per_s=%.1f"
          % ("inference" if args.inference else "train", args.cell, args.units, args.layers,
             args.batch_size, args.threads, blas_tag(args), sps))


def read_idx(path):
    with gzip.open(path, "rb") as fh:
        data = fh.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(d, prefix):
    x = read_idx(os.path.join(d, prefix + "-images-idx3-ubyte.gz")).astype(np.float32) / 255.0
    y = read_idx(os.path.join(d, prefix + "-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def evaluate(model, x, y, batch):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(x)


def train(args):
    torch.manual_seed(args.seed)
    xtr, ytr = load_split(args.dataset_dir, "train")
    xte, yte = load_split(args.dataset_dir, "t10k")
    report_env(args)
    model, opt, loss_fn = make_model(args)
    n = len(xtr)
    total_time, total_samples = 0.0, 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        perm = torch.randperm(n)
        loss_sum, correct = 0.0, 0
        t0 = time.perf_counter()
        for i in range(0, n, args.batch_size):
            idx = perm[i:i + args.batch_size]
            xb, yb = xtr[idx], ytr[idx]
            loss, out = train_step(model, opt, loss_fn, xb, yb)
            loss_sum += loss.item() * len(idx)
            correct += (out.argmax(1) == yb).sum().item()
        dt = time.perf_counter() - t0
        total_time += dt
        total_samples += n
        print("epoch %d loss=%.4f acc=%.4f time_s=%.1f samples_per_s=%.1f"
              % (epoch, loss_sum / n, correct / n, dt, n / dt), flush=True)
    test_acc = evaluate(model, xte, yte, args.batch_size)
    print("pytorch train cell=%s units=%d layers=%d batch=%d threads=%d%s epochs=%d "
          "test_acc=%.4f train_time_s=%.1f samples_per_s=%.1f"
          % (args.cell, args.units, args.layers, args.batch_size, args.threads, blas_tag(args),
             args.epochs,
             test_acc, total_time, total_samples / total_time))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["bench", "train"])
    p.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    p.add_argument("--units", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=30, help="bench: timed training steps")
    p.add_argument("--inference", action="store_true",
                   help="bench: time forward passes in eval mode under torch.inference_mode() instead")
    p.add_argument("--warmup", type=int, default=5, help="bench: untimed steps first")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--blas-threads", type=int, default=1,
                   help="openblas_set_num_threads(N) (default 1); 0 leaves OpenBLAS alone, "
                        "which then runs one pthread per core under each of torch's OpenMP "
                        "threads: on 2 cores that oversubscribes and runs 3-9x slower")
    p.add_argument("--epochs", type=int, default=1, help="train: epochs")
    p.add_argument("--dataset-dir", default="/usr/share/datasets/fashion-mnist")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.blas_threads > 0:
        torch.zeros(2, 2) @ torch.zeros(2, 2)  # make sure the BLAS is loaded and initialised
        ob = openblas()
        if ob is None:
            sys.exit("--blas-threads: OpenBLAS is not mapped into this process")
        ob.openblas_set_num_threads(args.blas_threads)
    if args.mode == "bench":
        bench(args)
    else:
        train(args)


if __name__ == "__main__":
    main()
