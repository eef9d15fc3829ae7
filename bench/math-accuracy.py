#!/usr/bin/env python3
"""Error of compiled Exp, Tanh, Erf and Sigmoid against the exact functions.

Usage: /usr/bin/python3 bench/math-accuracy.py GENC WORK_DIR

Compiles a four-node ONNX model with GENC, runs it on 420,000 inputs (a grid
over [-100, 100] with step 0.001, 200,000 normal draws of scale 5, a fine
grid over [-0.001, 0.001], and ±inf, NaN, ±0) and prints, per function, the largest and the
mean error in ulps of the float32 result against float64 numpy, over the
results that are normal floats, the largest absolute error below that, and
whether the special values come out exactly.
docs/passes.md (genc-polynomial-math) quotes it.
"""
import math
import os
import subprocess
import sys

import numpy as np

MODEL = """<ir_version: 8, opset_import: ["" : 17]>
g (float[N] x) => (float[N] exp, float[N] tanh, float[N] erf, float[N] sigmoid) {
  exp = Exp(x)
  tanh = Tanh(x)
  erf = Erf(x)
  sigmoid = Sigmoid(x)
}
"""

SMALLEST_NORMAL = float(np.finfo(np.float32).tiny)


def main():
    genc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "math.onnxtext"), "w") as f:
        f.write(MODEL)
    rng = np.random.default_rng(0)
    special = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0])
    x = np.concatenate([np.linspace(-100, 100, 200001), rng.standard_normal(200000) * 5,
                        np.linspace(-1e-3, 1e-3, 20001), special]).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    subprocess.run([genc, "compile", os.path.join(work, "math.onnxtext"), "-o",
                    os.path.join(work, "math.so"), "--quiet"], check=True)
    subprocess.run([genc, "run", os.path.join(work, "math.so"), "--input",
                    "x=" + os.path.join(work, "x.npy"), "--output-dir",
                    os.path.join(work, "out"), "--quiet"], check=True)
    xd = x.astype(np.float64)
    exact = {
        "exp": np.exp(xd),
        "tanh": np.tanh(xd),
        "erf": np.array([math.erf(v) for v in xd]),
        "sigmoid": 1 / (1 + np.exp(-xd)),
    }
    print("| function | largest error | mean error | largest absolute error below 2^-126 |")
    print("|---|---|---|---|")
    specials = []
    for name, reference in exact.items():
        got = np.load(os.path.join(work, "out", name + ".npy")).astype(np.float64)
        normal = (np.abs(reference) >= SMALLEST_NORMAL) & (np.abs(reference) <= np.finfo(np.float32).max)
        ulp = np.spacing(np.abs(reference[normal]).astype(np.float32)).astype(np.float64)
        error = np.abs(got[normal] - reference[normal]) / ulp
        tiny = np.abs(reference) < SMALLEST_NORMAL
        below = np.abs(got[tiny] - reference[tiny]).max() if tiny.any() else 0.0
        print(f"| {name} | {error.max():.1f} ulp | {error.mean():.2f} ulp | {below:.1e} |")
        specials.append(f"{name}: " + ", ".join(
            f"{v:g} -> {g:g} ({'ok' if np.array_equal(g, r, equal_nan=True) else 'differs'})"
            for v, g, r in zip(x[-len(special):], got[-len(special):], reference[-len(special):])))
    print()
    print("Special values (float32 result against the exact one):")
    for line in specials:
        print("  " + line)


if __name__ == "__main__":
    main()
