#!/usr/bin/env python3
"""Writes the JMH JSON fixtures of JmhReportTest: JMH 1.37's result layout (as `-rf json`
writes it) with hand-picked round scores, so the expected ratios can be worked out by hand.
Run from this folder: python3 make_fixtures.py. (real-kernel-row.json is unedited JMH output.)"""
import json

TIMING = {"train": ("3", "2 s", "5", "2 s"), "kernel": ("3", "1 s", "5", "1 s")}


def metric(score, error, unit="ops/s"):
    err = "NaN" if error is None else error
    lo = "NaN" if error is None else score - error
    hi = "NaN" if error is None else score + error
    return {"score": score, "scoreError": err, "scoreConfidence": [lo, hi],
            "scorePercentiles": {"0.0": score, "50.0": score, "100.0": score},
            "scoreUnit": unit, "rawData": [[score, score, score]]}


def row(bench, params, primary, secondary_name, score, error, timing="train"):
    wi, wt, mi, mt = TIMING[timing]
    return {"jmhVersion": "1.37", "benchmark": "dev.jrnn.bench." + bench, "mode": "thrpt", "threads": 1,
            "forks": 2, "jvm": "/usr/lib/jvm/temurin-25-jdk-amd64/bin/java",
            "jvmArgs": ["--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"],
            "jdkVersion": "25.0.3", "vmName": "OpenJDK 64-Bit Server VM", "vmVersion": "25.0.3+9-LTS",
            "warmupIterations": int(wi), "warmupTime": wt, "warmupBatchSize": 1,
            "measurementIterations": int(mi), "measurementTime": mt, "measurementBatchSize": 1,
            "params": params, "primaryMetric": metric(primary, None if error is None else primary * error / score),
            "secondaryMetrics": {secondary_name: metric(score, error)}}


def model(bench, cell, backend, samples, error, batch="256"):
    p = {"backend": backend, "batch": batch, "cell": cell, "layers": "1", "units": "32"}
    return row(bench, p, samples / int(batch), "samples", samples, error)


def kernel(bench, shape, backend, gb, error):
    return row(bench, {"backend": backend, "shape": shape}, gb * 1000, "GB", gb, error, "kernel")


cpu = [
    model("TrainingBenchmark.trainStep", "lstm", "cpu", 10000.0, 500.0),
    model("TrainingBenchmark.trainStep", "gru", "cpu", 12500.0, 500.0),
    model("TrainingBenchmark.inference", "lstm", "cpu", 40000.0, 1000.0),
    model("TrainingBenchmark.inference", "gru", "cpu", 50000.0, None),  # one iteration: no error
    model("RnnLayerBenchmark.forwardBackward", "gru", "cpu", 15000.0, 300.0),  # no LSTM partner
    kernel("KernelBenchmark.dropoutForward", "1024x1024", "cpu", 2.5, 0.1),
    kernel("KernelBenchmark.softmaxCrossEntropy", "256x10", "cpu", 0.25, 0.01),
]
gpu = [
    model("TrainingBenchmark.trainStep", "lstm", "cpu", 10000.0, 500.0),
    model("TrainingBenchmark.trainStep", "gru", "cpu", 12500.0, 500.0),
    model("TrainingBenchmark.trainStep", "lstm", "cuda", 200000.0, 10000.0),
    model("TrainingBenchmark.trainStep", "gru", "cuda", 300000.0, 30000.0),
    kernel("KernelBenchmark.dropoutForward", "1024x1024", "cpu", 2.5, 0.1),
    kernel("KernelBenchmark.dropoutForward", "1024x1024", "cuda", 1000.0, 50.0),
]
for name, rows in (("cpu-only.json", cpu), ("with-gpu.json", gpu)):
    with open(name, "w") as f:
        json.dump(rows, f, indent=2)
        f.write("\n")
