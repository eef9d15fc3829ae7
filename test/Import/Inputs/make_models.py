"""Writes small .onnx files for the importer's binary-format tests:
external data (good and every refusal), truncation, cycles.

Usage: make_models.py CASE OUT_DIR
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

F = TensorProto.FLOAT


def matmul_model(weight):
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"], name="proj")], "g",
        [helper.make_tensor_value_info("x", F, ["batch", 256])],
        [helper.make_tensor_value_info("y", F, ["batch", 256])], [weight])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def external_weight(location, offset=None, length=None):
    w = numpy_helper.from_array(np.arange(256 * 256, dtype=np.float32).reshape(256, 256) / 1000, "w")
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    entries = [("location", location)]
    if offset is not None:
        entries.append(("offset", str(offset)))
    if length is not None:
        entries.append(("length", str(length)))
    for k, v in entries:
        e = w.external_data.add()
        e.key, e.value = k, v
    return w


def write_data(path, prefix=b""):
    with open(path, "wb") as f:
        f.write(prefix + (np.arange(256 * 256, dtype=np.float32) / 1000).tobytes())


def main():
    case, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    model = os.path.join(out, "model.onnx")
    size = 256 * 256 * 4
    if case == "external-ok":
        write_data(os.path.join(out, "weights.bin"), prefix=b"\0" * 4096)
        save(matmul_model(external_weight("weights.bin", 4096, size)), model)
    elif case == "external-unaligned":
        write_data(os.path.join(out, "weights.bin"), prefix=b"\0" * 3)
        save(matmul_model(external_weight("weights.bin", 3, size)), model)
    elif case == "external-absolute":
        save(matmul_model(external_weight("/etc/passwd")), model)
    elif case == "external-escape":
        save(matmul_model(external_weight("../weights.bin")), model)
    elif case in ("external-symlink-file", "external-symlink-folder"):
        # The data lies outside the model's folder; a symlink inside leads to it.
        outside = os.path.join(out, "outside")
        os.makedirs(outside, exist_ok=True)
        write_data(os.path.join(outside, "weights.bin"))
        out = os.path.join(out, "model")
        os.makedirs(out, exist_ok=True)
        model = os.path.join(out, "model.onnx")
        if case == "external-symlink-file":
            os.symlink(os.path.join("..", "outside", "weights.bin"), os.path.join(out, "weights.bin"))
            location = "weights.bin"
        else:
            os.symlink(os.path.join("..", "outside"), os.path.join(out, "data"))
            location = "data/weights.bin"
        save(matmul_model(external_weight(location, 0, size)), model)
    elif case == "external-symlink-inside":
        # A symlink that stays inside the model's folder is fine.
        os.makedirs(os.path.join(out, "data"), exist_ok=True)
        write_data(os.path.join(out, "data", "weights.bin"))
        os.symlink(os.path.join("data", "weights.bin"), os.path.join(out, "weights.bin"))
        save(matmul_model(external_weight("weights.bin", 0, size)), model)
    elif case == "external-missing":
        save(matmul_model(external_weight("nowhere.bin")), model)
    elif case == "external-out-of-range":
        write_data(os.path.join(out, "weights.bin"))
        save(matmul_model(external_weight("weights.bin", 1024, size)), model)
    elif case == "external-wrong-length":
        write_data(os.path.join(out, "weights.bin"))
        save(matmul_model(external_weight("weights.bin", 0, size - 4)), model)
    elif case == "truncated":
        w = numpy_helper.from_array(np.ones((256, 256), np.float32), "w")
        save(matmul_model(w), model)
        data = open(model, "rb").read()
        open(model, "wb").write(data[: len(data) // 2])
    elif case == "cycle":
        nodes = [helper.make_node("Relu", ["b"], ["a"], name="first"),
                 helper.make_node("Neg", ["a"], ["b"], name="second"),
                 helper.make_node("Add", ["x", "a"], ["y"], name="sum")]
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", F, [4])],
                                  [helper.make_tensor_value_info("y", F, [4])])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        save(m, model)
    elif case == "contradictory-shapes":
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["a", "b"], ["y"], name="attn/MatMul_3")], "g",
            [helper.make_tensor_value_info("a", F, [2, 3]), helper.make_tensor_value_info("b", F, [4, 5])],
            [helper.make_tensor_value_info("y", F, [2, 5])])
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        m.ir_version = 8
        save(m, model)
    else:
        sys.exit(f"unknown case {case}")


if __name__ == "__main__":
    main()
