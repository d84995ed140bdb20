"""Writes Fashion-MNIST (or MNIST) with blank rows trimmed as a jrnn .npy data folder.

The same rule as `jrnn train --dataset fashion-mnist-trimmed` (Datasets.trimBlankRows): a row is
blank when no pixel exceeds 0.1 after scaling (pixel / 255 > 0.1); each image's rows from its first
to its last non-blank row move to steps 0.., its length is their count (1 for a blank image), and
the steps after it are zeros. Useful to train the same task in PyTorch or Keras, or to compare with
jrnn padded to 28 steps (--no-lengths: the folder without lengths_*.npy).

    /usr/bin/python3 scripts/trimmed-npy.py /usr/share/datasets/fashion-mnist OUT_DIR [--no-lengths]

Prints the length histogram of each split.
"""
import gzip
import os
import sys

import numpy as np


def idx(path):
    with (gzip.open(path) if path.endswith(".gz") else open(path, "rb")) as f:
        b = f.read()
    dims = b[3]
    shape = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(src, stem):
    for name in (stem + ".gz", stem):
        if os.path.exists(os.path.join(src, name)):
            return os.path.join(src, name)
    raise SystemExit(f"{src}: missing {stem}[.gz]")


def trim(images, threshold=0.1):
    x = images.astype(np.float32) / np.float32(255)          # (N, T, F), as jrnn scales
    n, t, f = x.shape
    nonblank = (x > np.float32(threshold)).any(axis=2)       # (N, T)
    out = np.zeros_like(x)
    lengths = np.ones(n, dtype=np.int64)
    for i in range(n):
        rows = np.flatnonzero(nonblank[i])
        if rows.size:
            first, last = rows[0], rows[-1]
            lengths[i] = last - first + 1
            out[i, :lengths[i]] = x[i, first:last + 1]
    return out, lengths


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    src, dst = argv[1], argv[2]
    os.makedirs(dst, exist_ok=True)
    for split, stem in (("train", "train"), ("test", "t10k")):
        try:
            images = idx(find(src, f"{stem}-images-idx3-ubyte"))
        except SystemExit as e:
            print(e, file=sys.stderr)
            continue
        labels = idx(find(src, f"{stem}-labels-idx1-ubyte"))
        x, lengths = trim(images)
        np.save(os.path.join(dst, f"x_{split}.npy"), x)                    # (N, 28, 28) float32
        np.save(os.path.join(dst, f"y_{split}.npy"), labels.astype("int64"))  # (N,)
        if "--no-lengths" not in argv:
            np.save(os.path.join(dst, f"lengths_{split}.npy"), lengths)       # (N,) in [1, 28]
        hist = np.bincount(lengths, minlength=x.shape[1] + 1)[1:]
        print(f"{split}: {len(lengths)} samples, lengths min {lengths.min()} mean {lengths.mean():.2f} "
              f"max {lengths.max()}, sum {lengths.sum()}; histogram 1..{x.shape[1]}: {' '.join(map(str, hist))}")


if __name__ == "__main__":
    main(sys.argv)
