"""Writes a model of ScatterND nodes as OUT_DIR/model.onnx and its inputs as
.npy files (NAME=PATH on stdout, a line each): slices (k < rank) and elements (k = rank) written and combined
(add, mul, max, min), negative and repeated indices, float and int64 data,
sizes left to run time.

Usage: scatter_nd.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    inputs = {
        "data": rng.standard_normal((2, 3, 4)).astype(np.float32),
        "counts": rng.integers(-50, 50, (2, 3, 4)).astype(np.int64),
        # Element tuples (k = 3): distinct, one counted from the end.
        "elements": np.array([[[0, 1, 2], [1, -1, 3]], [[1, 0, 0], [0, 2, 1]]], np.int64),
        # The same element twice, for the reductions.
        "repeated": np.array([[0, 1, 2], [1, 2, 3], [0, 1, 2]], np.int64),
        # Row tuples (k = 2): slices of 4.
        "rows": np.array([[1, 2], [0, -3]], np.int64),
    }
    inputs["element_updates"] = rng.standard_normal((2, 2)).astype(np.float32)
    inputs["repeated_updates"] = rng.standard_normal(3).astype(np.float32)
    inputs["count_updates"] = rng.integers(-9, 9, 3).astype(np.int64)
    inputs["row_updates"] = rng.standard_normal((2, 4)).astype(np.float32)

    def tensor(name, array, dynamic=False):
        elem = TensorProto.INT64 if array.dtype == np.int64 else TensorProto.FLOAT
        shape = [f"{name}_{d}" for d in range(array.ndim)] if dynamic else list(array.shape)
        return helper.make_tensor_value_info(name, elem, shape)

    nodes, outputs = [], []
    for name, data, indices, updates, reduction in [
        ("written", "data", "elements", "element_updates", "none"),
        ("added", "data", "repeated", "repeated_updates", "add"),
        ("largest", "data", "repeated", "repeated_updates", "max"),
        ("smallest", "data", "repeated", "repeated_updates", "min"),
        ("rows_written", "data", "rows", "row_updates", "none"),
        ("rows_multiplied", "data", "rows", "row_updates", "mul"),
        ("counts_added", "counts", "repeated", "count_updates", "add"),
    ]:
        nodes.append(helper.make_node("ScatterND", [data, indices, updates], [name],
                                      reduction=reduction))
        elem = TensorProto.INT64 if data == "counts" else TensorProto.FLOAT
        shape = [2, 3, 4] if data == "counts" else [f"data_{d}" for d in range(3)]
        outputs.append(helper.make_tensor_value_info(name, elem, shape))
    # Data and updates with sizes known at run time only; indices keep the
    # tuple length static, as ScatterND needs.
    graph_inputs = [tensor(n, a, dynamic=n in ("data", "element_updates", "row_updates"))
                    for n, a in inputs.items()]
    graph = helper.make_graph(nodes, "scatter_nd", graph_inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for name, array in inputs.items():
        np.save(os.path.join(out, f"{name}.npy"), array)
    print("\n".join(f"{n}={os.path.join(out, n)}.npy" for n in inputs))


if __name__ == "__main__":
    main()
