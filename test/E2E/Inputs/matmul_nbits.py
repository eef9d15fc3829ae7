"""Writes OUT_DIR/model.onnx, four com.microsoft MatMulNBits nodes on one
input as ONNX Runtime's quantisers write them, and OUT_DIR/a.npy:

  y32   4 bits, blocks of 32, K = 80 (the last block padded), no zero
        points (8), N = 40
  y64   4 bits, blocks of 64, uint8 zero points packed two per byte (an
        odd number of blocks per column), a bias, N = 33
  y16   4 bits, blocks of 16 (no int4 kernel group: kept as f32), float
        zero points, N = 24
  y8    8 bits, blocks of 32, uint8 zero points, N = 20

Usage: matmul_nbits.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K = 80
rng = np.random.default_rng(7)


def pack(codes, bits):
    """[N, blocks, block] codes -> [N, blocks, block * bits / 8] bytes, low bits first."""
    per = 8 // bits
    n, blocks, block = codes.shape
    grouped = codes.reshape(n, blocks, block // per, per).astype(np.uint16)
    shifted = sum(grouped[..., i] << (bits * i) for i in range(per))
    return shifted.astype(np.uint8)


def pack_zero_points(zeros, bits):
    """[N, blocks] -> [N * ceil(blocks * bits / 8)] bytes, each column padded."""
    per = 8 // bits
    n, blocks = zeros.shape
    padded = np.zeros((n, -(-blocks // per) * per), dtype=np.uint16)
    padded[:, :blocks] = zeros
    grouped = padded.reshape(n, -1, per)
    return sum(grouped[..., i] << (bits * i) for i in range(per)).astype(np.uint8).reshape(-1)


def node(name, n, bits, block, zero_points=None, bias=False):
    blocks = -(-K // block)
    codes = rng.integers(0, 1 << bits, size=(n, blocks, block))
    scales = rng.uniform(0.01, 0.1, size=(n * blocks,)).astype(np.float32)
    inits = [numpy_helper.from_array(pack(codes, bits), name + "_b"),
             numpy_helper.from_array(scales, name + "_scales")]
    inputs = ["a", name + "_b", name + "_scales"]
    if zero_points == "uint8":
        zeros = rng.integers(0, 1 << bits, size=(n, blocks))
        inits.append(numpy_helper.from_array(pack_zero_points(zeros, bits), name + "_zp"))
        inputs.append(name + "_zp")
    elif zero_points == "float":
        zeros = rng.uniform(0, (1 << bits) - 1, size=(n * blocks,)).astype(np.float32)
        inits.append(numpy_helper.from_array(zeros, name + "_zp"))
        inputs.append(name + "_zp")
    if bias:  # input 5, after the zero points (or none) and an absent g_idx
        inputs += ([] if zero_points else [""]) + ["", name + "_bias"]
        inits.append(numpy_helper.from_array(
            rng.uniform(-1, 1, size=(n,)).astype(np.float32), name + "_bias"))
    out = helper.make_node("MatMulNBits", inputs, [name], domain="com.microsoft",
                           name="/" + name + "/MatMulNBits", K=K, N=n, bits=bits,
                           block_size=block)
    return out, inits, helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch", "seq", n])


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    parts = [node("y32", 40, 4, 32), node("y64", 33, 4, 64, "uint8", bias=True),
             node("y16", 24, 4, 16, "float"), node("y8", 20, 8, 32, "uint8")]
    graph = helper.make_graph(
        [p[0] for p in parts], "matmul_nbits",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", "seq", K])],
        [p[2] for p in parts], [i for p in parts for i in p[1]])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    onnx.save(model, os.path.join(out, "model.onnx"))
    np.save(os.path.join(out, "a.npy"), rng.standard_normal((2, 3, K)).astype(np.float32))


if __name__ == "__main__":
    main()
