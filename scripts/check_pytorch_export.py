#!/usr/bin/python3
"""Checks `jrnn export --format pytorch` against PyTorch itself.

Exports a jrnn checkpoint with PyTorch names, loads the file into nn.LSTM / nn.GRU (batch_first)
and nn.Linear modules built from its __metadata__["modules"], and compares PyTorch's class
probabilities with `jrnn predict --json` on a few images of an IDX file.

Needs PyTorch and NumPy (Debian: python3-torch, python3-numpy; tested with PyTorch 1.13). The
safetensors package is not needed: the file is parsed here (8-byte little-endian header length,
JSON header, little-endian F32 data).

  scripts/check_pytorch_export.py --checkpoint runs/x/lstm32/last.safetensors \
      --images /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz --count 8

Exits 1 when a probability differs by more than --tolerance.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, e in header.items():
        if e["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} has dtype {e['dtype']}, expected F32")
        b, end = e["data_offsets"]
        arr = np.frombuffer(data[b:end], dtype="<f4").reshape(e["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
    return meta, tensors


def read_idx_images(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = struct.unpack(">IIII", raw[:16])
    if magic != 0x803:
        raise SystemExit(f"{path}: not an IDX images file (magic {magic:#x})")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows, cols)


class Exported(nn.Module):
    """The modules listed in the export's metadata, applied in order."""

    def __init__(self, modules):
        super().__init__()
        self.plan = modules
        for m in modules:
            if m["type"] in ("LSTM", "GRU"):
                if m["nonlinearity"] != "tanh":
                    raise SystemExit(f"{m['name']}: PyTorch's nn.{m['type']} has no {m['nonlinearity']} cell activation")
                cls = nn.LSTM if m["type"] == "LSTM" else nn.GRU
                setattr(self, m["name"], cls(m["input_size"], m["hidden_size"], num_layers=m["num_layers"], batch_first=True))
            elif m["type"] == "Linear":
                setattr(self, m["name"], nn.Linear(m["in_features"], m["out_features"]))
            elif m["type"] == "Dropout":
                setattr(self, m["name"], nn.Dropout(m["p"]))
            else:
                raise SystemExit(f"unknown module type {m['type']}")

    def forward(self, x):                       # x (B, T, F)
        for m in self.plan:
            mod = getattr(self, m["name"])
            if m["type"] in ("LSTM", "GRU"):
                x, _ = mod(x)                   # (B, T, H)
                if not m["return_sequences"]:
                    x = x[:, -1, :]             # (B, H)
            else:
                x = mod(x)
                act = m.get("activation", "linear")
                if act == "relu":
                    x = torch.relu(x)
                elif act == "tanh":
                    x = torch.tanh(x)
                elif act == "sigmoid":
                    x = torch.sigmoid(x)
                elif act == "softmax":
                    x = torch.softmax(x, dim=-1)
        return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", required=True, help="a jrnn checkpoint")
    ap.add_argument("--images", required=True, help="IDX images file (raw or gzip)")
    ap.add_argument("--count", type=int, default=8, help="images to compare (the first N)")
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max absolute probability difference")
    ap.add_argument("--jrnn", default=os.path.join(HERE, "..", "jrnn"), help="the jrnn launcher")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        exported = os.path.join(tmp, "export.safetensors")
        subprocess.run([args.jrnn, "export", "--checkpoint", args.checkpoint, "--format", "pytorch", "--out", exported],
                       check=True, stdout=subprocess.DEVNULL)
        meta, tensors = read_safetensors(exported)
    model = Exported(json.loads(meta["modules"]))
    model.load_state_dict(tensors, strict=True)   # raises on a missing or unexpected name or a wrong shape
    model.eval()
    images = read_idx_images(args.images)
    x = torch.from_numpy(images[:args.count].astype(np.float32) / np.float32(255))
    with torch.no_grad():
        torch_probs = model(x).numpy()          # (N, C)

    worst = 0.0
    agree = 0
    print(f"{'image':>5} {'jrnn top':>8} {'torch top':>9} {'max |diff|':>11}")
    for i in range(args.count):
        out = subprocess.run([args.jrnn, "predict", "--checkpoint", args.checkpoint, "--image", args.images,
                              "--index", str(i), "--json", "--backend", "cpu"],
                             check=True, capture_output=True, text=True).stdout
        jp = np.array(json.loads(out)["probabilities"], dtype=np.float64)
        diff = float(np.max(np.abs(jp - torch_probs[i])))
        worst = max(worst, diff)
        agree += int(np.argmax(jp) == np.argmax(torch_probs[i]))
        print(f"{i:>5} {int(np.argmax(jp)):>8} {int(np.argmax(torch_probs[i])):>9} {diff:>11.2e}")
    print(f"torch {torch.__version__}: {agree}/{args.count} top-1 agree, max |diff| {worst:.2e} (tolerance {args.tolerance:g})")
    if worst > args.tolerance or agree != args.count:
        print("MISMATCH", file=sys.stderr)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
