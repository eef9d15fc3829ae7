"""Rewrites an ONNX model the way ONNX Runtime's QDQ quantisers write its
weights: every MatMul by a 2-D float initializer [K, N] reads
DequantizeLinear(codes, scales[, zero points]) instead, its weights rounded
to nearest:

  int4   (MatMul4BitsQuantizer, quant_format=QDQ) INT4 codes per block of
         BLOCK rows and column (axis=0, block_size=BLOCK), no zero points:
         scale = m / -8 for the block's value m of largest magnitude (so
         that m is code -8)
  uint4  the same with UINT4 codes on [min(w, 0), max(w, 0)]: scale =
         range / 15 and a UINT4 zero point per block
  int8   (quantize_static, per_channel) INT8 codes per column (axis=1):
         scale = max |w| / 127, zero points 0, codes in [-127, 127]

or, in the form "dynamic", as its dynamic quantiser (quantize_dynamic)
writes it: the MatMul becomes DynamicQuantizeLinear of its input, a
MatMulInteger by INT8 codes (one scale max |w| / 127, zero point 0), Cast
to float and a Mul by the product of both scales.

The opset becomes 21 (4-bit types and blocks need it); Reduce* nodes take
their axes as an input from opset 18, so their attribute moves there.

Usage: qdq_weights.py IN.onnx OUT.onnx [int4|uint4|int8|dynamic] [BLOCK]
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

UINT4, INT4 = 21, 22  # TensorProto data types newer than this onnx package
REDUCE_AXES_AS_INPUT_FROM_18 = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                                "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
                                "ReduceSumSquare"}


def four_bit(name, codes, data_type):
    flat = (codes.reshape(-1).astype(np.int64) & 0xF).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    tensor = TensorProto(name=name, dims=list(codes.shape), data_type=data_type)
    tensor.raw_data = (flat[0::2] | (flat[1::2] << 4)).tobytes()
    return tensor


def quantize(w, block, symmetric):
    k, n = w.shape
    blocks = -(-k // block)
    padded = np.zeros((blocks * block, n), np.float32)
    padded[:k] = w
    grouped = padded.reshape(blocks, block, n)
    if symmetric:
        at = np.abs(grouped).argmax(axis=1)
        extreme = np.take_along_axis(grouped, at[:, None, :], axis=1)[:, 0, :]
        scales = (extreme / -8).astype(np.float32)
        safe = np.where(scales == 0, 1, scales)[:, None, :]
        codes = np.clip(np.round(grouped / safe), -8, 7)
        return codes.reshape(-1, n)[:k].astype(np.int8), scales, None
    lo = np.minimum(grouped.min(axis=1), 0)
    hi = np.maximum(grouped.max(axis=1), 0)
    scales = ((hi - lo) / 15).astype(np.float32)
    safe = np.where(scales == 0, 1, scales)
    zeros = np.clip(np.round(-lo / safe), 0, 15)
    codes = np.clip(np.round(grouped / safe[:, None, :]) + zeros[:, None, :], 0, 15)
    return codes.reshape(-1, n)[:k].astype(np.uint8), scales, zeros.astype(np.uint8)


def quantize_int8(w):
    scales = (np.abs(w).max(axis=0) / 127).astype(np.float32)
    safe = np.where(scales == 0, 1, scales)
    codes = np.clip(np.round(w / safe), -127, 127).astype(np.int8)
    return codes, scales, np.zeros(w.shape[1], np.int8)


def int8_weights(graph, weight):
    """The initializers and DequantizeLinear attributes of `weight` in int8."""
    codes, scales, zeros = quantize_int8(numpy_helper.to_array(weight))
    base = weight.name
    graph.initializer.extend([numpy_helper.from_array(codes, base + "_codes"),
                              numpy_helper.from_array(scales, base + "_scales"),
                              numpy_helper.from_array(zeros, base + "_zeros")])
    return [base + "_codes", base + "_scales", base + "_zeros"], {"axis": 1}


def dynamic_matmul(graph, node, weight):
    """The nodes that replace MatMul `node` by `weight` in dynamic int8."""
    w = numpy_helper.to_array(weight)
    scale = np.float32(np.abs(w).max() / 127) or np.float32(1)
    codes = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    base, out, x = weight.name, node.output[0], node.input[0]
    graph.initializer.extend([numpy_helper.from_array(codes, base + "_codes"),
                              numpy_helper.from_array(np.array(scale), base + "_scale"),
                              numpy_helper.from_array(np.array(0, np.int8), base + "_zero")])
    return [helper.make_node("DynamicQuantizeLinear", [x], [out + "_xq", out + "_xs", out + "_xz"]),
            helper.make_node("MatMulInteger", [out + "_xq", base + "_codes", out + "_xz",
                                               base + "_zero"], [out + "_int"]),
            helper.make_node("Cast", [out + "_int"], [out + "_float"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [out + "_xs", base + "_scale"], [out + "_scale"]),
            helper.make_node("Mul", [out + "_float", out + "_scale"], [out])]


def four_bit_weights(graph, weight, block, symmetric):
    """The initializers and DequantizeLinear attributes of `weight` in 4 bits."""
    codes, scales, zeros = quantize(numpy_helper.to_array(weight), block, symmetric)
    base = weight.name
    graph.initializer.extend([four_bit(base + "_codes", codes, INT4 if symmetric else UINT4),
                              numpy_helper.from_array(scales, base + "_scales")])
    dq_inputs = [base + "_codes", base + "_scales"]
    if zeros is not None:
        graph.initializer.append(four_bit(base + "_zeros", zeros, UINT4))
        dq_inputs.append(base + "_zeros")
    return dq_inputs, {"axis": 0, "block_size": block}


def main():
    src, dst = sys.argv[1], sys.argv[2]
    form = sys.argv[3] if len(sys.argv) > 3 else "int4"
    if form not in ("int4", "uint4", "int8", "dynamic"):
        sys.exit(f"qdq_weights.py: not a weight form (int4, uint4, int8, dynamic): {form}")
    block = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    model = onnx.load(src)
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type in REDUCE_AXES_AS_INPUT_FROM_18:
            axes = [a for a in node.attribute if a.name == "axes"]
            if axes:
                name = node.name + "_axes" if node.name else node.output[0] + "_axes"
                graph.initializer.append(numpy_helper.from_array(
                    np.array(axes[0].ints, np.int64), name))
                node.attribute.remove(axes[0])
                node.input.append(name)
        weight = inits.get(node.input[1]) if node.op_type == "MatMul" else None
        if weight is not None and len(weight.dims) == 2 and weight.data_type == TensorProto.FLOAT:
            if form == "dynamic":
                nodes += dynamic_matmul(graph, node, weight)
                continue
            dq_inputs, attrs = (int8_weights(graph, weight) if form == "int8" else
                                four_bit_weights(graph, weight, block, form == "int4"))
            dequantized = node.output[0] + "_weights"
            nodes.append(helper.make_node("DequantizeLinear", dq_inputs, [dequantized], **attrs))
            node.input[1] = dequantized
        nodes.append(node)
    graph.ClearField("node")
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    graph.ClearField("initializer")
    graph.initializer.extend(kept)
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = 21
    model.ir_version = 10
    onnx.save(model, dst)


if __name__ == "__main__":
    main()
