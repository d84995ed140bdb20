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

Or, without the launcher, an export and the probabilities jrnn computed for some inputs (what
PyTorchExportCheckTest writes): a JSON file {"x": [[[...]]] (N, T, F), "lengths": [...] or null,
"probabilities": [[...]] (N, C)}:

  scripts/check_pytorch_export.py --export model.safetensors --cases cases.json

Bidirectional layers load into nn.LSTM/nn.GRU(bidirectional=True) (a SUM merge adds the two
halves), and sequences of their own lengths (given, or marked by a Masking layer's value) run
packed (pack_padded_sequence), the last output of a layer without return_sequences taken at each
sequence's last valid step (the reverse direction's at step 0, as Keras' Bidirectional).

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
                setattr(self, m["name"], cls(m["input_size"], m["hidden_size"], num_layers=m["num_layers"], batch_first=True,
                                             bidirectional=m.get("bidirectional", False)))
            elif m["type"] == "Linear":
                setattr(self, m["name"], nn.Linear(m["in_features"], m["out_features"]))
            elif m["type"] == "Dropout":
                setattr(self, m["name"], nn.Dropout(m["p"]))
            elif m["type"] != "Masking":
                raise SystemExit(f"unknown module type {m['type']}")

    def forward(self, x, lengths=None):         # x (B, T, F), lengths (B) or None for all T
        batch, steps = x.shape[0], x.shape[1]
        for m in self.plan:
            if m["type"] == "Masking":           # length: 1 + the last step not all equal to the value
                valid = (x != m["mask_value"]).any(dim=2)                        # (B, T)
                last = torch.where(valid, torch.arange(steps).expand(batch, steps), torch.zeros_like(valid, dtype=torch.long))
                marked = last.max(dim=1).values + 1
                lengths = marked if lengths is None else torch.minimum(lengths, marked)
                continue
            mod = getattr(self, m["name"])
            if m["type"] in ("LSTM", "GRU"):
                if lengths is None:
                    x, _ = mod(x)               # (B, T, D*H)
                else:
                    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
                    out, _ = mod(packed)
                    x, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=steps)
                h = m["hidden_size"]
                ends = (lengths if lengths is not None else torch.full((batch,), steps)) - 1
                if not m["return_sequences"]:
                    rows = torch.arange(batch)
                    if m.get("bidirectional", False):   # forward half at the last valid step, reverse half at step 0
                        x = torch.cat([x[rows, ends, :h], x[:, 0, h:]], dim=1)
                    else:
                        x = x[rows, ends, :]    # (B, H)
                if m.get("merge") == "sum":
                    x = x[..., :h] + x[..., h:]
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


def check_cases(export, cases, tolerance):
    """Compares PyTorch's probabilities on an export with those jrnn computed (cases JSON)."""
    meta, tensors = read_safetensors(export)
    model = Exported(json.loads(meta["modules"]))
    model.load_state_dict(tensors, strict=True)
    model.eval()
    with open(cases) as f:
        c = json.load(f)
    x = torch.tensor(c["x"], dtype=torch.float32)
    lengths = None if c.get("lengths") is None else torch.tensor(c["lengths"], dtype=torch.long)
    with torch.no_grad():
        got = model(x, lengths).double().numpy()
    want = np.array(c["probabilities"], dtype=np.float64)
    worst = float(np.max(np.abs(got - want)))
    print(f"torch {torch.__version__}: {len(want)} cases, max |diff| {worst:.2e} (tolerance {tolerance:g})")
    if worst > tolerance or got.shape != want.shape:
        print("MISMATCH", file=sys.stderr)
        sys.exit(1)
    print("OK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkpoint", help="a jrnn checkpoint")
    ap.add_argument("--images", help="IDX images file (raw or gzip)")
    ap.add_argument("--export", help="a PyTorch-named export, checked against --cases instead of the launcher")
    ap.add_argument("--cases", help="JSON: x (N, T, F), lengths (N) or null, probabilities (N, C) from jrnn")
    ap.add_argument("--count", type=int, default=8, help="images to compare (the first N)")
    ap.add_argument("--tolerance", type=float, default=1e-5, help="max absolute probability difference")
    ap.add_argument("--jrnn", default=os.path.join(HERE, "..", "jrnn"), help="the jrnn launcher")
    args = ap.parse_args()
    if args.export:
        if not args.cases:
            ap.error("--export needs --cases")
        check_cases(args.export, args.cases, args.tolerance)
        return
    if not args.checkpoint or not args.images:
        ap.error("give --checkpoint and --images, or --export and --cases")

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
