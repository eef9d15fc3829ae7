"""Writes a model of ScatterND and ScatterElements nodes as OUT_DIR/model.onnx
and its inputs as .npy files (NAME=PATH on stdout, a line each). ScatterND:
slices (k < rank) and elements (k = rank) written and combined (add, mul,
max, min). ScatterElements: along each axis (one counted from the end),
indices smaller than data, written and combined. Both: negative and
repeated indices, float and int64 data, sizes left to run time.

Usage: scatter.py OUT_DIR
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
    # ScatterElements along axis 1: distinct destinations per column, one
    # counted from the end; along the last: indices [2, 2, 3] into [2, 3,
    # 4], the same destination twice in each row.
    inputs["along_rows"] = np.array([[[0, 2, 1, -1], [1, 0, 2, 0]],
                                     [[2, -3, 0, 1], [0, 1, 1, 2]]], np.int64)
    inputs["along_last"] = np.array([[[3, 0, 3], [1, 1, -4]], [[2, 2, 2], [0, 3, 0]]], np.int64)
    inputs["row_element_updates"] = rng.standard_normal((2, 2, 4)).astype(np.float32)
    inputs["last_updates"] = rng.standard_normal((2, 2, 3)).astype(np.float32)
    inputs["last_count_updates"] = rng.integers(-9, 9, (2, 2, 3)).astype(np.int64)
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
    for name, data, indices, updates, axis, reduction in [
        ("elements_written", "data", "along_rows", "row_element_updates", 1, "none"),
        ("elements_added", "data", "along_last", "last_updates", -1, "add"),
        ("elements_multiplied", "data", "along_last", "last_updates", 2, "mul"),
        ("elements_largest", "data", "along_last", "last_updates", 2, "max"),
        ("elements_smallest", "data", "along_last", "last_updates", 2, "min"),
        ("element_counts_added", "counts", "along_last", "last_count_updates", 2, "add"),
    ]:
        nodes.append(helper.make_node("ScatterElements", [data, indices, updates], [name],
                                      axis=axis, reduction=reduction))
    for node in nodes:
        counts = node.input[0] == "counts"
        elem = TensorProto.INT64 if counts else TensorProto.FLOAT
        shape = [2, 3, 4] if counts else [f"data_{d}" for d in range(3)]
        outputs.append(helper.make_tensor_value_info(node.output[0], elem, shape))
    # Data and updates with sizes known at run time only; indices keep the
    # tuple length static, as ScatterND needs.
    dynamic = ("data", "element_updates", "row_updates", "along_rows", "row_element_updates")
    graph_inputs = [tensor(n, a, dynamic=n in dynamic) for n, a in inputs.items()]
    graph = helper.make_graph(nodes, "scatter", graph_inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "model.onnx"))
    for name, array in inputs.items():
        np.save(os.path.join(out, f"{name}.npy"), array)
    print("\n".join(f"{n}={os.path.join(out, n)}.npy" for n in inputs))


if __name__ == "__main__":
    main()
