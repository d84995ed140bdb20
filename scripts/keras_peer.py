#!/usr/bin/env python3
"""Keras 3 peer of the seed notebook's model (TensorFlow-CPU backend), for jrnn speed comparison.

Run with a virtual environment's python that has keras and tensorflow_cpu (see
scripts/bench_vs_peers.sh for the install line):

    /work/venv-peers/bin/python scripts/keras_peer.py --cell lstm --units 32 --activation relu

Model (as the seed notebook): keras.layers.LSTM or GRU (units H, `--layers` stacked, cell
activation tanh or relu, recurrent activation sigmoid, GRU reset_after=True), last timestep
-> Dropout(0.2) -> Dense(64, relu) -> Dropout(0.2) -> Dense(10); sparse categorical
cross-entropy from logits; Adam(lr=1e-3, epsilon=1e-7, Keras' default); input (B, 28, 28)
float32, batch 256.

Prints one machine-readable line on stdout:
    keras train cell=lstm units=32 layers=1 activation=tanh batch=256 threads=0 samples_per_s=1234.5
Training steps go through model.train_on_batch (the compiled tf.function train step that
fit() runs); --inference times model.predict_on_batch instead.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    p.add_argument("--units", type=int, default=32)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--activation", choices=["tanh", "relu"], default="tanh")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--steps", type=int, default=30, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps first")
    p.add_argument("--threads", type=int, default=0,
                   help="TensorFlow intra-op threads (0: TensorFlow's default, one per core)")
    p.add_argument("--jit", choices=["auto", "on", "off"], default="off",
                   help="Keras jit_compile (XLA); off was the fastest here")
    p.add_argument("--inference", action="store_true", help="time predict_on_batch instead of training")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    import numpy as np
    import tensorflow as tf
    if args.threads > 0:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    import keras
    from keras import layers

    keras.utils.set_random_seed(args.seed)
    rnn = layers.LSTM if args.cell == "lstm" else layers.GRU
    model = keras.Sequential([keras.Input((28, 28))])
    for i in range(args.layers):
        model.add(rnn(args.units, activation=args.activation, return_sequences=i < args.layers - 1))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(10))
    jit = {"auto": "auto", "on": True, "off": False}[args.jit]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit)
    rng = np.random.default_rng(args.seed)
    xb = rng.random((args.batch_size, 28, 28), dtype=np.float32)
    yb = rng.integers(0, 10, args.batch_size).astype(np.int32)
    xt, yt = tf.constant(xb), tf.constant(yb)

    def step():
        if args.inference:
            model.predict_on_batch(xt)
        else:
            model.train_on_batch(xt, yt)

    for _ in range(args.warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    dt = time.perf_counter() - t0
    print("keras %s %s, tensorflow %s, intra-op threads %d"
          % (keras.__version__, args.cell, tf.__version__,
             tf.config.threading.get_intra_op_parallelism_threads()), file=sys.stderr)
    print("keras %s cell=%s units=%d layers=%d activation=%s batch=%d threads=%d samples_per_s=%.1f"
          % ("inference" if args.inference else "train", args.cell, args.units, args.layers,
             args.activation, args.batch_size, args.threads, args.steps * args.batch_size / dt))


if __name__ == "__main__":
    main()
