"""Writes models that claim more than they hold, for the importer's
resource-limit tests.

Usage: make_hostile_models.py OUT_DIR
  overflow.onnx:    an initializer of shape [2^32, 2^32, 4] with no data
                    (its element count wraps int64 to 0)
  claims-2gb.onnx:  an initializer of shape [65536, 8192] float32 (2 GiB)
                    with 1 KiB of raw_data
  external-2gb.onnx: the same, as external data in a 1 KiB file
  huge-input.onnx:  a graph input of shape [2^40, 2^40]
  nested.onnx:      If inside If, 40 deep (past protobuf's nesting limit)
  nested.onnxtext:  If inside If, 10000 deep, as ONNX text
"""
import os
import sys

from onnx import TensorProto, helper

F = TensorProto.FLOAT


def model(graph):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def identity_with(weight):
    graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"], name="add")], "g",
                              [helper.make_tensor_value_info("x", F, [4])],
                              [helper.make_tensor_value_info("y", F, [4])], [weight])
    return model(graph)


def write(path, m):
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    w = TensorProto(name="w", data_type=F, dims=[2**32, 2**32, 4], raw_data=b"")
    write(os.path.join(out, "overflow.onnx"), identity_with(w))

    w = TensorProto(name="w", data_type=F, dims=[65536, 8192], raw_data=b"\0" * 1024)
    write(os.path.join(out, "claims-2gb.onnx"), identity_with(w))

    with open(os.path.join(out, "small.bin"), "wb") as f:
        f.write(b"\0" * 1024)
    w = TensorProto(name="w", data_type=F, dims=[65536, 8192])
    w.data_location = TensorProto.EXTERNAL
    e = w.external_data.add()
    e.key, e.value = "location", "small.bin"
    write(os.path.join(out, "external-2gb.onnx"), identity_with(w))

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "g",
                              [helper.make_tensor_value_info("x", F, [2**40, 2**40])],
                              [helper.make_tensor_value_info("y", F, [2**40, 2**40])])
    write(os.path.join(out, "huge-input.onnx"), model(graph))

    leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "leaf", [],
                             [helper.make_tensor_value_info("y", F, [4])])
    inner = leaf
    for level in range(40):
        node = helper.make_node("If", ["c"], ["y"], name=f"if{level}", then_branch=inner,
                                else_branch=leaf)
        inner = helper.make_graph([node], f"level{level}", [],
                                  [helper.make_tensor_value_info("y", F, [4])])
    inner.input.extend([helper.make_tensor_value_info("c", TensorProto.BOOL, []),
                        helper.make_tensor_value_info("x", F, [4])])
    write(os.path.join(out, "nested.onnx"), model(inner))

    depth = 10000
    text = ['<ir_version: 8, opset_import: ["" : 17]>\n',
            "g (bool c, float[4] x) => (float[4] y) {\n"]
    for level in range(depth):
        text.append(f"  y = If (c) <then_branch = g{level} () => (float[4] y) {{\n")
    text.append("  y = Identity (x)\n")
    for level in range(depth):
        text.append(f"}}, else_branch = e{level} () => (float[4] y) {{ y = Identity (x) }}>\n")
    text.append("}\n")
    with open(os.path.join(out, "nested.onnxtext"), "w") as f:
        f.write("".join(text))


if __name__ == "__main__":
    main()
