"""Writes a model of the ops that pick elements (TopK of a constant K,
largest and smallest, along the last and a middle axis, with ties; ArgMax
and ArgMin, first and last of ties; OneHot with negative indices and an
axis; NonZero of floats, integers and booleans; Flatten past dynamic
leading dims) as OUT_DIR/model.onnx, its inputs as .npy files (NAME=PATH
on stdout, a line each). Every size is left to run time.

Usage: selection.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(11)
    scores = rng.standard_normal((2, 5, 6)).astype(np.float32)
    scores[0, 1, 2] = scores[0, 1, 4]  # a tie in a row
    scores[1, :, 3] = scores[1, :, 0]  # ties along the last axis
    scores[0, 3, :] = scores[0, 1, :]  # ties along the middle axis
    scores[1, 2, 1], scores[1, 2, 5] = -0.0, 0.0  # equal, of other signs
    counts = rng.integers(-3, 4, (3, 4)).astype(np.int64)
    inputs = {
        "scores": scores,
        "counts": counts,
        "labels": np.array([[0, 3, -1], [2, -4, 5]], np.int64),  # 5: out of range
        "sparse": np.where(rng.random((3, 4)) < 0.5, 0, scores[0, :3, :4]).astype(np.float32),
    }

    def value_info(name, array):
        elem = {np.dtype(np.int64): TensorProto.INT64,
                np.dtype(np.float32): TensorProto.FLOAT}[array.dtype]
        return helper.make_tensor_value_info(name, elem, [f"{name}_{d}" for d in range(array.ndim)])

    const = lambda name, values: helper.make_node(
        "Constant", [], [name], value=helper.make_tensor(name, TensorProto.INT64, [len(values)], values))
    nodes = [const("k3", [3]), const("k2", [2]), const("depth", [4]),
             helper.make_node("Constant", [], ["on_off"],
                              value=helper.make_tensor("on_off", TensorProto.FLOAT, [2], [-1.0, 5.0]))]
    outputs = []

    def add(op, inputs_, names, types, **attrs):
        nodes.append(helper.make_node(op, inputs_, names, name=f"{op}({names[0]})", **attrs))
        outputs.extend(helper.make_value_info(n, helper.make_tensor_type_proto(t, None))
                       for n, t in zip(names, types))

    F, I = TensorProto.FLOAT, TensorProto.INT64
    add("TopK", ["scores", "k3"], ["top_values", "top_indices"], [F, I])
    add("TopK", ["scores", "k2"], ["low_values", "low_indices"], [F, I], axis=1, largest=0)
    add("TopK", ["counts", "k3"], ["count_values", "count_indices"], [I, I], axis=-1)
    add("ArgMax", ["scores"], ["first_max"], [I], axis=2)
    add("ArgMax", ["scores"], ["last_max"], [I], axis=1, keepdims=0, select_last_index=1)
    add("ArgMin", ["counts"], ["first_min"], [I], axis=0, keepdims=0)
    add("ArgMin", ["counts"], ["last_min"], [I], axis=1, select_last_index=1)
    add("OneHot", ["labels", "depth", "on_off"], ["one_hot"], [F])
    add("OneHot", ["labels", "depth", "on_off"], ["one_hot_axis1"], [F], axis=1)
    add("NonZero", ["sparse"], ["nonzero_floats"], [I])
    add("NonZero", ["counts"], ["nonzero_counts"], [I])
    nodes.append(helper.make_node("Cast", ["counts"], ["flags"], to=TensorProto.BOOL))
    add("NonZero", ["flags"], ["nonzero_flags"], [I])
    add("Flatten", ["scores"], ["flat"], [F], axis=2)
    graph = helper.make_graph(nodes, "selection", [value_info(n, a) for n, a in inputs.items()],
                              outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, os.path.join(out, "model.onnx"))
    for name, array in inputs.items():
        path = os.path.join(out, name + ".npy")
        np.save(path, array)
        print(f"{name}={path}")


if __name__ == "__main__":
    main()
