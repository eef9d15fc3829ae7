"""Writes OUT_DIR/model.onnx, ONNX's linear quantisation (opset 21) as
ONNX Runtime's QDQ quantisers write it, and its inputs x.npy, codes.npy,
r.npy:

  y4_block32  x (through QuantizeLinear/DequantizeLinear, uint8 with a zero
              point per tensor) times UINT4 weights [200, 41] with a scale
              and a zero point per block of 32 rows (axis 0; the last block
              partial; an odd count of zero points)
  y4_column   x times INT4 weights [200, 48], a scale per column (axis 1):
              one scale for both groups of 128
  y4_block64  x times INT4 weights [200, 33] with zero points, blocks of 64
  y4_block256 x times UINT4 weights [200, 16] without zero points, blocks
              of 256 (groups of 128 within one block)
  y4_tensor   x times INT4 weights [200, 8], one scale and zero point
  y4_block16  x times INT4 weights [200, 24] in blocks of 16 (no int4
              kernel group: f32)
  y8_column   x times INT8 weights [200, 20], a scale and zero point per
              column (codes minus zero points pass int8's range: f32)
  y8_symmetric x times INT8 weights [200, 40] in [-127, 127], a scale per
              column, zero points 0 (ONNX Runtime's QDQ quantiser's
              per-channel weights)
  y8_tensor   x times UINT8 weights [200, 9] around a zero point of 128,
              one scale
  y4_half     x in f16 times INT4 weights [200, 12] in blocks of 32 with f16
              scales (not folded: dequantised at run time, an f16 product
              summed in f32), cast back to f32
  q8_axis     x quantised to int8 with a scale and zero point per index
              of axis 2 (saturating: some |x| / scale exceed 127)
  d_block     DequantizeLinear of a graph input, int8 codes [8, 64] in
              blocks of 16 along axis 1
  rounded     Round of r, halves among them
  y_dynamic   x times INT8 weights [64, 36] as ONNX Runtime's dynamic
              quantiser writes it: DynamicQuantizeLinear of x, MatMulInteger
              with a zero point per column, the product of both scales
              (codes less zero points within int8: int8 weights)
  y_dynamic_long the same over x repeated 6 times (K = 1200, codes less
              zero points of -128 to 127: int32 products summed in more
              than one piece)
  y_worst     MatMulInteger's largest products: uint8 A of 255 (from x)
              times int8 codes less zero points of -255 and 255, K = 300:
              sums of ±19507500, past 2^24, which only pieces of at most
              258 rows keep exact in f32 (int32 output)

Usage: qdq.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

K = 200
UINT4, INT4 = 21, 22  # TensorProto data types newer than this onnx package
rng = np.random.default_rng(11)


def four_bit(name, codes, data_type):
    """An initializer of 4-bit `codes`, two per byte, the first low."""
    flat = (codes.reshape(-1).astype(np.int64) & 0xF).astype(np.uint8)
    if flat.size % 2:
        flat = np.append(flat, np.uint8(0))
    packed = flat[0::2] | (flat[1::2] << 4)
    tensor = TensorProto(name=name, dims=list(codes.shape), data_type=data_type)
    tensor.raw_data = packed.tobytes()
    return tensor


def weights(name, x, w_inits, w_inputs, **attrs):
    dq = helper.make_node("DequantizeLinear", w_inputs, [name + "_w"], **attrs)
    mm = helper.make_node("MatMul", [x, name + "_w"], [name])
    return [dq, mm], w_inits


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    nodes, inits, outputs = [], [], []

    def output(name, elem, shape):
        outputs.append(helper.make_tensor_value_info(name, elem, shape))

    # Activations through a per-tensor uint8 quantisation.
    inits += [numpy_helper.from_array(np.array(0.05, np.float32), "act_scale"),
              numpy_helper.from_array(np.array(128, np.uint8), "act_zero")]
    nodes += [helper.make_node("QuantizeLinear", ["x", "act_scale", "act_zero"], ["x_q"]),
              helper.make_node("DequantizeLinear", ["x_q", "act_scale", "act_zero"], ["x_dq"])]

    n = 41
    codes = rng.integers(0, 16, size=(K, n))
    zeros = rng.integers(0, 16, size=(-(-K // 32), n))
    scales = rng.uniform(0.01, 0.1, size=zeros.shape).astype(np.float32)
    more, w = weights("y4_block32", "x_dq",
                      [four_bit("u4_codes", codes, UINT4),
                       numpy_helper.from_array(scales, "u4_scales"),
                       four_bit("u4_zeros", zeros, UINT4)],
                      ["u4_codes", "u4_scales", "u4_zeros"], axis=0, block_size=32)
    nodes += more; inits += w; output("y4_block32", TensorProto.FLOAT, ["batch", "seq", n])

    n = 48
    codes = rng.integers(-8, 8, size=(K, n))
    scales = rng.uniform(0.01, 0.1, size=(n,)).astype(np.float32)
    more, w = weights("y4_column", "x",
                      [four_bit("i4_codes", codes, INT4),
                       numpy_helper.from_array(scales, "i4_scales")],
                      ["i4_codes", "i4_scales"], axis=1)
    nodes += more; inits += w; output("y4_column", TensorProto.FLOAT, ["batch", "seq", n])

    def four_bit_weights(name, n, data_type, block, zero_points, axis=0):
        lo, hi = (-8, 8) if data_type == INT4 else (0, 16)
        codes = rng.integers(lo, hi, size=(K, n))
        shape = () if axis is None else (-(-K // block), n) if block else (n,)
        scales = rng.uniform(0.01, 0.1, size=shape).astype(np.float32)
        w = [four_bit(name + "_codes", codes, data_type),
             numpy_helper.from_array(scales, name + "_scales")]
        if zero_points:
            w.append(four_bit(name + "_zeros", rng.integers(lo, hi, size=shape), data_type))
        attrs = {} if axis is None else {"axis": axis}
        if block:
            attrs["block_size"] = block
        return weights(name, "x", w, [t.name for t in w], **attrs)

    for name, n, data_type, block, zero_points, axis in [
            ("y4_block64", 33, INT4, 64, True, 0), ("y4_block256", 16, UINT4, 256, False, 0),
            ("y4_tensor", 8, INT4, 0, True, None)]:
        more, w = four_bit_weights(name, n, data_type, block, zero_points, axis)
        nodes += more; inits += w; output(name, TensorProto.FLOAT, ["batch", "seq", n])

    n = 12
    codes = rng.integers(-8, 8, size=(K, n))
    scales = rng.uniform(0.001, 0.01, size=(-(-K // 32), n)).astype(np.float16)
    nodes += [helper.make_node("Cast", ["x"], ["x_half"], to=TensorProto.FLOAT16),
              helper.make_node("DequantizeLinear", ["half_codes", "half_scales"], ["half_w"],
                               axis=0, block_size=32),
              helper.make_node("MatMul", ["x_half", "half_w"], ["half_y"]),
              helper.make_node("Cast", ["half_y"], ["y4_half"], to=TensorProto.FLOAT)]
    inits += [four_bit("half_codes", codes, INT4),
              numpy_helper.from_array(scales, "half_scales")]
    output("y4_half", TensorProto.FLOAT, ["batch", "seq", n])

    n = 24
    codes = rng.integers(-8, 8, size=(K, n))
    scales = rng.uniform(0.01, 0.1, size=(-(-K // 16), n)).astype(np.float32)
    more, w = weights("y4_block16", "x",
                      [four_bit("b16_codes", codes, INT4),
                       numpy_helper.from_array(scales, "b16_scales")],
                      ["b16_codes", "b16_scales"], axis=0, block_size=16)
    nodes += more; inits += w; output("y4_block16", TensorProto.FLOAT, ["batch", "seq", n])

    n = 20
    codes = rng.integers(-128, 128, size=(K, n)).astype(np.int8)
    zeros = rng.integers(-10, 10, size=(n,)).astype(np.int8)
    scales = rng.uniform(0.001, 0.01, size=(n,)).astype(np.float32)
    more, w = weights("y8_column", "x",
                      [numpy_helper.from_array(codes, "i8_codes"),
                       numpy_helper.from_array(scales, "i8_scales"),
                       numpy_helper.from_array(zeros, "i8_zeros")],
                      ["i8_codes", "i8_scales", "i8_zeros"], axis=1)
    nodes += more; inits += w; output("y8_column", TensorProto.FLOAT, ["batch", "seq", n])

    n = 40
    codes = rng.integers(-127, 128, size=(K, n)).astype(np.int8)
    scales = rng.uniform(0.001, 0.005, size=(n,)).astype(np.float32)
    more, w = weights("y8_symmetric", "x",
                      [numpy_helper.from_array(codes, "s8_codes"),
                       numpy_helper.from_array(scales, "s8_scales"),
                       numpy_helper.from_array(np.zeros(n, np.int8), "s8_zeros")],
                      ["s8_codes", "s8_scales", "s8_zeros"], axis=1)
    nodes += more; inits += w; output("y8_symmetric", TensorProto.FLOAT, ["batch", "seq", n])

    n = 9
    codes = rng.integers(0, 256, size=(K, n)).astype(np.uint8)
    more, w = weights("y8_tensor", "x",
                      [numpy_helper.from_array(codes, "u8_codes"),
                       numpy_helper.from_array(np.array(0.003, np.float32), "u8_scale"),
                       numpy_helper.from_array(np.array(128, np.uint8), "u8_zero")],
                      ["u8_codes", "u8_scale", "u8_zero"])
    nodes += more; inits += w; output("y8_tensor", TensorProto.FLOAT, ["batch", "seq", n])

    inits += [numpy_helper.from_array(rng.uniform(0.005, 0.02, size=(K,)).astype(np.float32),
                                      "q_scales"),
              numpy_helper.from_array(rng.integers(-20, 20, size=(K,)).astype(np.int8),
                                      "q_zeros")]
    nodes.append(helper.make_node("QuantizeLinear", ["x", "q_scales", "q_zeros"], ["q8_axis"],
                                  axis=2))
    output("q8_axis", TensorProto.INT8, ["batch", "seq", K])

    inits.append(numpy_helper.from_array(
        rng.uniform(0.01, 0.1, size=(8, -(-K // 16))).astype(np.float32), "d_scales"))
    nodes.append(helper.make_node("DequantizeLinear", ["codes", "d_scales"], ["d_block"],
                                  axis=1, block_size=16))
    output("d_block", TensorProto.FLOAT, [8, K])

    def dynamic(name, x, codes, zeros, scale):
        """y = x times codes as ONNX Runtime's dynamic quantiser writes it."""
        inits.extend([numpy_helper.from_array(codes, name + "_codes"),
                      numpy_helper.from_array(zeros, name + "_zeros"),
                      numpy_helper.from_array(np.array(scale, np.float32), name + "_scale")])
        nodes.extend([
            helper.make_node("DynamicQuantizeLinear", [x], [name + "_q", name + "_q_scale",
                                                            name + "_q_zero"]),
            helper.make_node("MatMulInteger", [name + "_q", name + "_codes", name + "_q_zero",
                                               name + "_zeros"], [name + "_i32"]),
            helper.make_node("Cast", [name + "_i32"], [name + "_f32"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [name + "_q_scale", name + "_scale"], [name + "_scales"]),
            helper.make_node("Mul", [name + "_f32", name + "_scales"], ["y_" + name])])
        output("y_" + name, TensorProto.FLOAT, ["batch", "seq", codes.shape[1]])

    n = 36
    codes = rng.integers(-125, 125, size=(K, n)).astype(np.int8)
    dynamic("dynamic", "x", codes, rng.integers(-3, 3, size=(n,)).astype(np.int8), 0.004)

    n = 10
    codes = rng.integers(-126, 126, size=(6 * K, n)).astype(np.int8)
    zeros = rng.integers(-2, 3, size=(n,)).astype(np.int8)
    zeros[0], zeros[1] = 2, -2
    codes[0, 0], codes[1, 1] = -126, 125
    nodes.append(helper.make_node("Concat", ["x"] * 6, ["x_long"], axis=2))
    dynamic("dynamic_long", "x_long", codes, zeros, 0.002)

    worst = np.zeros((300, 2), np.int8)
    worst[:, 0], worst[:, 1] = -128, 127
    inits += [numpy_helper.from_array(np.array([0], np.int64), "worst_start"),
              numpy_helper.from_array(np.array([300], np.int64), "worst_end"),
              numpy_helper.from_array(np.array([2], np.int64), "worst_axis"),
              numpy_helper.from_array(np.array(-1e30, np.float32), "worst_floor"),
              numpy_helper.from_array(np.array(255, np.float32), "worst_top"),
              numpy_helper.from_array(worst, "worst_codes"),
              numpy_helper.from_array(np.array([127, -128], np.int8), "worst_zeros")]
    nodes += [helper.make_node("Slice", ["x_long", "worst_start", "worst_end", "worst_axis"],
                               ["x300"]),
              helper.make_node("Greater", ["x300", "worst_floor"], ["worst_true"]),
              helper.make_node("Cast", ["worst_true"], ["worst_ones"], to=TensorProto.FLOAT),
              helper.make_node("Mul", ["worst_ones", "worst_top"], ["worst_255"]),
              helper.make_node("Cast", ["worst_255"], ["worst_a"], to=TensorProto.UINT8),
              helper.make_node("MatMulInteger", ["worst_a", "worst_codes", "", "worst_zeros"],
                               ["y_worst"])]
    output("y_worst", TensorProto.INT32, ["batch", "seq", 2])

    nodes.append(helper.make_node("Round", ["r"], ["rounded"]))
    output("rounded", TensorProto.FLOAT, [2, 8])

    graph = helper.make_graph(
        nodes, "qdq",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", K]),
         helper.make_tensor_value_info("codes", TensorProto.INT8, [8, K]),
         helper.make_tensor_value_info("r", TensorProto.FLOAT, [2, 8])],
        outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.save(model, os.path.join(out, "model.onnx"))
    np.save(os.path.join(out, "x.npy"), rng.standard_normal((2, 3, K)).astype(np.float32))
    np.save(os.path.join(out, "codes.npy"), rng.integers(-128, 128, size=(8, K)).astype(np.int8))
    halves = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, -0.49999997,
                       0.49999997, 1e7 + 1, -3.7, 4.2, 0.0, -0.0, 2.4999998, 100.5],
                      np.float32)
    np.save(os.path.join(out, "r.npy"), halves.reshape(2, 8))


if __name__ == "__main__":
    main()
