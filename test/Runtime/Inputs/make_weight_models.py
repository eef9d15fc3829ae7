"""Writes models whose weights files the integrity tests damage and swap.

Usage: make_weight_models.py OUT_DIR
  a.onnx, b.onnx: y = x @ w with a 256x256 weight each, of different values
                  (equal weights files; every 4 KiB block is sampled)
  big.onnx:       y = x @ w with a 1024x1024 weight (4 MiB; 64 of its 1024
                  blocks are sampled: block 0 is, block 1 is not)
  x256.npy, x1024.npy: inputs for them
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def matmul_model(weight):
    n = weight.shape[0]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", n])],
        [numpy_helper.from_array(weight, "w")])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(0)
    for name, n in (("a", 256), ("b", 256), ("big", 1024)):
        w = rng.standard_normal((n, n)).astype(np.float32)
        save(matmul_model(w), os.path.join(out, name + ".onnx"))
    for n in (256, 1024):
        np.save(os.path.join(out, f"x{n}.npy"), rng.standard_normal((2, n)).astype(np.float32))


if __name__ == "__main__":
    main()
