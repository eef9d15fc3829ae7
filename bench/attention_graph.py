#!/usr/bin/python3
"""Writes attention-only ONNX graphs for the attention benchmarks:
OUT_DIR/attention-H-KV-C.onnx, one ONNX Attention-23 node with Q [1, H,
sequence, 64], K and V [1, KV, total_sequence, 64] and is_causal C, for
H/KV in (8/8, 8/2, 1/1) and C in (0, 1).

Usage: /usr/bin/python3 bench/attention_graph.py OUT_DIR
"""
import os
import sys

from onnx import TensorProto, helper, save


def main():
    work = sys.argv[1]
    os.makedirs(work, exist_ok=True)
    for heads, kv in ((8, 8), (8, 2), (1, 1)):
        for causal in (0, 1):
            F = TensorProto.FLOAT
            node = helper.make_node("Attention", ["q", "k", "v"], ["y"], is_causal=causal, name="attention")
            graph = helper.make_graph(
                [node], "attention",
                [helper.make_tensor_value_info("q", F, [1, heads, "sequence", 64]),
                 helper.make_tensor_value_info("k", F, [1, kv, "total_sequence", 64]),
                 helper.make_tensor_value_info("v", F, [1, kv, "total_sequence", 64])],
                [helper.make_tensor_value_info("y", F, [1, heads, "sequence", 64])])
            model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
            model.ir_version = 10
            save(model, os.path.join(work, f"attention-{heads}-{kv}-{causal}.onnx"))


if __name__ == "__main__":
    main()
