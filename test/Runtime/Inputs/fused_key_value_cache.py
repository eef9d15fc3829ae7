"""Writes a decoder whose KV cache is one fused key_value input per layer
([batch, past, 2 · head_size], GPT-BigCode's as Optimum exports it), which
genc does not recognise as a cache. Usage: fused_key_value_cache.py OUT.onnx"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

embedding = numpy_helper.from_array(
    np.linspace(-1, 1, 16 * 8, dtype=np.float32).reshape(16, 8), "embedding")
nodes = [
    helper.make_node("Gather", ["embedding", "input_ids"], ["x"]),
    helper.make_node("Concat", ["past_key_values.0.key_value", "x"], ["present.0.key_value"], axis=1),
    helper.make_node("Transpose", ["embedding"], ["head"]),
    helper.make_node("MatMul", ["x", "head"], ["logits"]),
]
graph = helper.make_graph(
    nodes, "fused",
    [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
     helper.make_tensor_value_info("past_key_values.0.key_value", TensorProto.FLOAT,
                                   ["batch", "past", 8])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "sequence", 16]),
     helper.make_tensor_value_info("present.0.key_value", TensorProto.FLOAT, ["batch", "total", 8])],
    [embedding])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, sys.argv[1])
