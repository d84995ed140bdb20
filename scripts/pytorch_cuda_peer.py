#!/usr/bin/env python3
"""PyTorch peer on the GPU, for scripts/gpu-check.sh: training throughput of the seed notebook's
model with torch.cuda, to set beside `jrnn bench --backend cuda`.

    python3 scripts/pytorch_cuda_peer.py --cells lstm,gru --units 32 --batch-size 256 --steps 50

Model (as the notebook and jrnn): nn.LSTM / nn.GRU (units H, tanh, batch_first) -> last step ->
Dropout(0.2) -> Linear(H, 64) + ReLU -> Dropout(0.2) -> Linear(64, 10); CrossEntropyLoss;
Adam(lr=1e-3, eps=1e-7). Input (B, 28, 28) float32 and labels resident on the device (no host
copies in the timed loop). cuDNN runs the recurrent layers, as in jrnn. TF32 is off
(torch.backends.cudnn.allow_tf32 = False, matmul too) so both sides compute in FP32 (jrnn asks
cuDNN for CUDNN_FMA_MATH and cuBLAS for its default, non-TF32 math); --tf32 turns it on.

Prints one line per cell on stdout:
    pytorch_cuda cell=lstm units=32 layers=1 batch=256 steps=50 samples_per_s=123456.7 best=130000.0
(median and best of --repeats timed rounds) and the torch/cuDNN versions on stderr.
"""
import argparse
import statistics
import sys
import time

import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, cell, units, layers=1, features=28, classes=10):
        super().__init__()
        rnn = nn.LSTM if cell == "lstm" else nn.GRU
        self.rnn = rnn(features, units, num_layers=layers, batch_first=True)
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(units, 64), nn.ReLU(),
                                  nn.Dropout(0.2), nn.Linear(64, classes))

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1, :])


def bench(cell, args, dev):
    torch.manual_seed(1)
    model = Net(cell, args.units, args.layers).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(args.batch_size, 28, 28, device=dev)
    y = torch.randint(0, 10, (args.batch_size,), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        for _ in range(args.steps):
            step()
        torch.cuda.synchronize()
        rates.append(args.steps * args.batch_size / (time.perf_counter() - t0))
    print("pytorch_cuda cell=%s units=%d layers=%d batch=%d steps=%d samples_per_s=%.1f best=%.1f"
          % (cell, args.units, args.layers, args.batch_size, args.steps, statistics.median(rates), max(rates)),
          flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cells", default="lstm,gru")
    p.add_argument("--units", type=int, default=32)
    p.add_argument("--layers", type=int, default=1, help="stacked layers (nn.LSTM/nn.GRU num_layers, one cuDNN call)")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--tf32", action="store_true", help="allow TF32 in cuDNN and matmuls (PyTorch's cuDNN default)")
    args = p.parse_args()
    if not torch.cuda.is_available():
        sys.exit("pytorch_cuda_peer: torch.cuda is not available")
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    dev = torch.device("cuda")
    print("torch %s, cuDNN %s, %s, TF32 %s" % (torch.__version__, torch.backends.cudnn.version(),
                                               torch.cuda.get_device_name(0), "on" if args.tf32 else "off"),
          file=sys.stderr)
    for cell in args.cells.split(","):
        bench(cell.strip(), args, dev)


if __name__ == "__main__":
    main()
