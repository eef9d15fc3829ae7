#!/usr/bin/python3
"""Inputs for checking a KV cache: an N-token prefill from an empty cache,
its first N - 1 tokens, and the step that appends the last one.

Usage: decode_step_inputs.py OUT_DIR N KV_HEADS HEAD_SIZE [LAYERS]
Writes .npy files and full.args, prefix.args, step.args (genc run --input
options; the step's past_key_values.* are the prefix run's present.*)."""
import os
import sys

import numpy as np

out, n, heads, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
layers = int(sys.argv[5]) if len(sys.argv) > 5 else 1
os.makedirs(out, exist_ok=True)
ids = np.random.default_rng(0).integers(3, 500, size=(1, n)).astype(np.int64)


def write(name, tokens, past, mask_length, positions):
    args = []
    arrays = {"input_ids": tokens, "attention_mask": np.ones((1, mask_length), np.int64),
              "position_ids": positions.astype(np.int64)[None]}
    if past is not None:
        for layer in range(layers):
            for kind in ("key", "value"):
                arrays["past_key_values.%d.%s" % (layer, kind)] = past
    for key, value in arrays.items():
        path = os.path.join(out, "%s.%s.npy" % (name, key))
        np.save(path, value)
        args.append("--input %s=%s" % (key, path))
    open(os.path.join(out, name + ".args"), "w").write(" ".join(args))


empty = np.zeros((1, heads, 0, size), np.float32)
write("full", ids, empty, n, np.arange(n))
write("prefix", ids[:, :-1], empty, n - 1, np.arange(n - 1))
write("step", ids[:, -1:], None, n, np.array([n - 1]))
