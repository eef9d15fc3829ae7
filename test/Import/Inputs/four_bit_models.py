"""Writes small .onnx files with 4-bit and other narrow tensors for the
importer's tests (onnx 1.12 has no INT4/UINT4: their TensorProtos are
written by hand).

Usage: four_bit_models.py CASE OUT_DIR/model.onnx
"""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

F = TensorProto.FLOAT
UINT4, INT4, FLOAT8E4M3FN = 21, 22, 17


def four_bit(name, values, data_type):
    flat = (np.asarray(values).reshape(-1).astype(np.int64) & 0xF).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    tensor = TensorProto(name=name, dims=list(np.shape(values)), data_type=data_type)
    tensor.raw_data = (flat[0::2] | (flat[1::2] << 4)).tobytes()
    return tensor


def model(nodes, inputs, outputs, inits, opset=21):
    graph = helper.make_graph(nodes, "g", inputs, outputs, inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 10
    return m


def main():
    case, path = sys.argv[1], sys.argv[2]
    x = helper.make_tensor_value_info("x", F, ["batch", 32])
    if case in ("grid", "infinite-scale"):
        # INT4 weights [32, 2] (one block of 32) from a Constant node, a
        # scale and an INT4 zero point per block and column.
        codes = np.tile(np.array([[-8, 7]]), (32, 1))
        scales = [[0.5, 0.25 if case == "grid" else np.inf]]
        nodes = [helper.make_node("Constant", [], ["codes"],
                                  value=four_bit("codes", codes, INT4)),
                 helper.make_node("DequantizeLinear", ["codes", "s", "z"], ["w"], axis=0,
                                  block_size=32),
                 helper.make_node("MatMul", ["x", "w"], ["y"])]
        inits = [numpy_helper.from_array(np.array(scales, np.float32), "s"),
                 four_bit("z", [[1, -2]], INT4)]
        m = model(nodes, [x], [helper.make_tensor_value_info("y", F, ["batch", 2])], inits)
    elif case == "quantize-to-int4":
        nodes = [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="to_int4")]
        inits = [numpy_helper.from_array(np.array(0.1, np.float32), "s"),
                 four_bit("z", 0, INT4)]
        m = model(nodes, [x], [helper.make_tensor_value_info("q", TensorProto.INT8, ["batch", 32])],
                  inits)
    elif case == "zero-point-type":
        nodes = [helper.make_node("DequantizeLinear", ["c", "s", "z"], ["y"], name="mixed")]
        inits = [numpy_helper.from_array(np.ones((4, 32), np.int8), "c"),
                 numpy_helper.from_array(np.array(0.1, np.float32), "s"),
                 four_bit("z", 1, INT4)]
        m = model(nodes, [], [helper.make_tensor_value_info("y", F, [4, 32])], inits)
    elif case == "int4-input":
        nodes = [helper.make_node("DequantizeLinear", ["q", "s"], ["y"])]
        inits = [numpy_helper.from_array(np.array(0.1, np.float32), "s")]
        m = model(nodes, [helper.make_tensor_value_info("q", INT4, [4])],
                  [helper.make_tensor_value_info("y", F, [4])], inits)
    elif case == "float8-initializer":
        nodes = [helper.make_node("DequantizeLinear", ["q", "s"], ["y"])]
        q = TensorProto(name="q", dims=[4], data_type=FLOAT8E4M3FN, raw_data=bytes(4))
        inits = [q, numpy_helper.from_array(np.array(0.1, np.float32), "s")]
        m = model(nodes, [], [helper.make_tensor_value_info("y", F, [4])], inits)
    elif case == "empty-int4":
        nodes = [helper.make_node("DequantizeLinear", ["c", "s"], ["w"], axis=1),
                 helper.make_node("MatMul", ["x4", "w"], ["y"])]
        inits = [four_bit("c", np.zeros((4, 0)), INT4),
                 numpy_helper.from_array(np.zeros((0,), np.float32), "s")]
        m = model(nodes, [helper.make_tensor_value_info("x4", F, [2, 4])],
                  [helper.make_tensor_value_info("y", F, [2, 0])], inits)
    else:
        sys.exit(f"unknown case {case}")
    save(m, path)


if __name__ == "__main__":
    main()
