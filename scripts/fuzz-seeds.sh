#!/usr/bin/env bash
# Regenerates the fuzz targets' seed corpora (src/test/resources/dev/jrnn/**/*FuzzTestInputs): small
# files made here, never taken from datasets. IDX and PNG files are written by Python; checkpoints,
# PyTorch exports, metrics and sweep JSON by ./jrnn itself on a 40-image synthetic dataset.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
python3 - <<'PY'
import struct, gzip, zlib, random, os
random.seed(13)
def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + bytes(data)
os.makedirs('data', exist_ok=True)
def write_set(prefix, n):
    imgs = idx([n, 28, 28], [random.randrange(256) if random.random() < 0.3 else 0 for _ in range(n * 784)])
    open(f'data/{prefix}-images-idx3-ubyte.gz', 'wb').write(gzip.compress(imgs))
    open(f'data/{prefix}-labels-idx1-ubyte.gz', 'wb').write(gzip.compress(idx([n], [i % 10 for i in range(n)])))
write_set('train', 40); write_set('t10k', 20)
os.makedirs('idxRaw', exist_ok=True); os.makedirs('idxGzip', exist_ok=True)
small = idx([2, 4, 4], range(32)); labels = idx([5], [1, 2, 3, 4, 9]); three = idx([1, 2, 3], [7] * 6)
for name, b in [('images-2x4x4', small), ('labels-5', labels), ('rank3', three)]:
    open(f'idxRaw/{name}.idx', 'wb').write(b); open(f'idxGzip/{name}.idx', 'wb').write(b)
open('idxRaw/images-2x4x4.idx.gz', 'wb').write(gzip.compress(small, mtime=0))
open('idxRaw/labels-5.idx.gz', 'wb').write(gzip.compress(labels, mtime=0))
def png(w, h, color, pix):
    def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    raw = b''.join(b'\x00' + bytes(pix(x, y) for x in range(w) for _ in range(3 if color else 1)) for y in range(h))
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2 if color else 0, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw, 9)) + chunk(b'IEND', b''))
os.makedirs('pngImage', exist_ok=True)
open('pngImage/gray-28x28.png', 'wb').write(png(28, 28, False, lambda x, y: (x * 9 + y) % 256))
open('pngImage/rgb-28x28.png', 'wb').write(png(28, 28, True, lambda x, y: (x * y) % 256))
open('pngImage/gray-4x4.png', 'wb').write(png(4, 4, False, lambda x, y: x * 60))
h = b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}'
open('tiny.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + struct.pack('<2f', 1.5, -2))
PY
J="$here/jrnn"
common=(--dataset mnist --data-dir data --epochs 1 --batch-size 8 --backend cpu --no-progress)
"$J" train --cell gru --units 2 "${common[@]}" --checkpoint gru2.safetensors --metrics-out gru2.json >/dev/null
"$J" train --cell lstm --units 2 --layers 2 --activation relu "${common[@]}" --checkpoint lstm2x2.safetensors \
  --metrics-out lstm2x2.json >/dev/null
"$J" export --checkpoint gru2.safetensors --out gru2-torch.safetensors >/dev/null
"$J" export --checkpoint lstm2x2.safetensors --out lstm2x2-torch.safetensors --allow-relu >/dev/null
"$J" sweep --models gru2 --dataset mnist --data-dir data --epochs 1 --backend cpu --no-plots --no-progress --out sw >/dev/null
R="$here/java/src/test/resources/dev/jrnn"
put() { mkdir -p "$R/$1"; shift_dir="$1"; shift; cp "$@" "$R/$shift_dir/"; }
put data/IdxFuzzTestInputs/idxRaw idxRaw/*
put data/IdxFuzzTestInputs/idxGzip idxGzip/*
put io/FormatFuzzTestInputs/safetensorsHeader gru2.safetensors gru2-torch.safetensors tiny.safetensors
put io/FormatFuzzTestInputs/checkpointLoad gru2.safetensors lstm2x2.safetensors
put io/FormatFuzzTestInputs/pytorchImport gru2-torch.safetensors lstm2x2-torch.safetensors
put cli/InputFuzzTestInputs/pngImage pngImage/*
put cli/InputFuzzTestInputs/metricsJson gru2.json lstm2x2.json
put cli/InputFuzzTestInputs/sweepJson sw/sweep.json
echo "seed corpora written under $R" >&2
