"""Hand-built ONNX graphs (onnx.helper) for ops torch 1.13 cannot export:
opset-23 Attention / RotaryEmbedding / RMSNormalization, the com.microsoft
contrib ops, and an Optimum-style merged decoder `If`."""
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save

F = TensorProto.FLOAT
RNG = np.random.default_rng(0)


def weight(name, *shape):
    return numpy_helper.from_array((0.1 * RNG.standard_normal(shape)).astype(np.float32), name)


def model(graph, opsets):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    m.ir_version = 8
    return m


def rotary_tables(max_pos, half):
    inv = 1.0 / (10000 ** (np.arange(half) / half))
    angles = np.outer(np.arange(max_pos), inv)
    return (numpy_helper.from_array(np.cos(angles).astype(np.float32), "cos_cache"),
            numpy_helper.from_array(np.sin(angles).astype(np.float32), "sin_cache"))


def opset23_block(path):
    """RMSNorm → Q/K/V → RotaryEmbedding → Attention (GQA 8/2, causal, past)."""
    d, heads, kv, dh = 64, 8, 2, 8
    cos, sin = rotary_tables(128, dh // 2)
    nodes = [
        helper.make_node("RMSNormalization", ["x", "norm_w"], ["h"], axis=-1, epsilon=1e-6, name="norm"),
        helper.make_node("MatMul", ["h", "wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["h", "wk"], ["k"], name="k_proj"),
        helper.make_node("MatMul", ["h", "wv"], ["v"], name="v_proj"),
        helper.make_node("RotaryEmbedding", ["q", "cos_cache", "sin_cache", "position_ids"], ["q_rot"],
                         num_heads=heads, name="rope_q"),
        helper.make_node("RotaryEmbedding", ["k", "cos_cache", "sin_cache", "position_ids"], ["k_rot"],
                         num_heads=kv, name="rope_k"),
        helper.make_node("Attention", ["q_rot", "k_rot", "v", "", "past_key", "past_value"],
                         ["attn", "present_key", "present_value"], is_causal=1, q_num_heads=heads,
                         kv_num_heads=kv, name="attention"),
        helper.make_node("MatMul", ["attn", "wo"], ["y"], name="o_proj"),
    ]
    graph = helper.make_graph(
        nodes, "opset23_block",
        [helper.make_tensor_value_info("x", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("past_key", F, ["batch", kv, "past_sequence", dh]),
         helper.make_tensor_value_info("past_value", F, ["batch", kv, "past_sequence", dh])],
        [helper.make_tensor_value_info("y", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("present_key", F, ["batch", kv, "total_sequence", dh]),
         helper.make_tensor_value_info("present_value", F, ["batch", kv, "total_sequence", dh])],
        [numpy_helper.from_array(np.ones(d, np.float32), "norm_w"), weight("wq", d, heads * dh),
         weight("wk", d, kv * dh), weight("wv", d, kv * dh), weight("wo", heads * dh, d), cos, sin])
    save(model(graph, [("", 23)]), path)
    print("wrote", path)


def opset23_causal_lengths(path, with_past):
    """Causal Attention whose new keys (from `memory`) are not as many as its
    queries: ONNX counts the diagonal from the past length (key j is visible
    to query i iff j <= i + past_len, 0 without a past)."""
    d, heads, dh = 32, 4, 8
    past = ["past_key", "past_value"] if with_past else []
    outputs = ["y", "present_key", "present_value"] if with_past else ["y"]
    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["memory", "wk"], ["k"], name="k_proj"),
        helper.make_node("MatMul", ["memory", "wv"], ["v"], name="v_proj"),
        helper.make_node("Attention", ["q", "k", "v", ""] + past, outputs, is_causal=1,
                         q_num_heads=heads, kv_num_heads=heads, name="attention"),
    ]
    inputs = [helper.make_tensor_value_info("x", F, ["batch", "sequence", d]),
              helper.make_tensor_value_info("memory", F, ["batch", "encoder_sequence", d])]
    graph_outputs = [helper.make_tensor_value_info("y", F, ["batch", "sequence", d])]
    if with_past:
        inputs += [helper.make_tensor_value_info(n, F, ["batch", heads, "past_sequence", dh]) for n in past]
        graph_outputs += [helper.make_tensor_value_info(n, F, ["batch", heads, None, dh])
                          for n in ("present_key", "present_value")]
    graph = helper.make_graph(nodes, "opset23_causal_lengths", inputs, graph_outputs,
                              [weight("wq", d, d), weight("wk", d, d), weight("wv", d, d)])
    save(model(graph, [("", 23)]), path)
    print("wrote", path)


def microsoft_block(path, local_window_size=None):
    """SkipSimplifiedLayerNorm → RotaryEmbedding → GroupQueryAttention, and
    SimplifiedLayerNorm → MultiHeadAttention, the way ORT's fusions write them;
    the GroupQueryAttention with local_window_size when given."""
    window = {} if local_window_size is None else {"local_window_size": local_window_size}
    d, heads, kv, dh = 64, 8, 2, 8
    cos, sin = rotary_tables(128, dh // 2)
    ms = "com.microsoft"
    nodes = [
        helper.make_node("SkipSimplifiedLayerNormalization", ["x", "skip", "norm_w"], ["h", "", "", "residual"],
                         epsilon=1e-6, domain=ms, name="skip_norm"),
        helper.make_node("MatMul", ["h", "wq"], ["q"], name="q_proj"),
        helper.make_node("MatMul", ["h", "wk"], ["k"], name="k_proj"),
        helper.make_node("MatMul", ["h", "wv"], ["v"], name="v_proj"),
        helper.make_node("RotaryEmbedding", ["q", "position_ids", "cos_cache", "sin_cache"], ["q_rot"],
                         num_heads=heads, domain=ms, name="rope_q"),
        helper.make_node("RotaryEmbedding", ["k", "position_ids", "cos_cache", "sin_cache"], ["k_rot"],
                         num_heads=kv, domain=ms, name="rope_k"),
        helper.make_node("GroupQueryAttention", ["q_rot", "k_rot", "v", "past_key", "past_value", "seqlens_k",
                                                 "total_sequence_length"],
                         ["gqa", "present_key", "present_value"], num_heads=heads, kv_num_heads=kv, domain=ms,
                         name="gqa", **window),
        # ONNX Runtime registers SimplifiedLayerNormalization in the default
        # domain; genc imports it from both.
        helper.make_node("SimplifiedLayerNormalization", ["gqa", "norm_w"], ["g"], epsilon=1e-6,
                         name="norm2"),
        helper.make_node("MultiHeadAttention", ["g", "g", "g"], ["mha"], num_heads=heads, domain=ms, name="mha"),
        helper.make_node("Add", ["mha", "residual"], ["y"], name="residual_add"),
    ]
    graph = helper.make_graph(
        nodes, "microsoft_block",
        [helper.make_tensor_value_info("x", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("skip", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("past_key", F, ["batch", kv, "past_sequence", dh]),
         helper.make_tensor_value_info("past_value", F, ["batch", kv, "past_sequence", dh]),
         helper.make_tensor_value_info("seqlens_k", TensorProto.INT32, ["batch"]),
         helper.make_tensor_value_info("total_sequence_length", TensorProto.INT32, [])],
        [helper.make_tensor_value_info("y", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("present_key", F, ["batch", kv, "total_sequence", dh]),
         helper.make_tensor_value_info("present_value", F, ["batch", kv, "total_sequence", dh])],
        [numpy_helper.from_array(np.ones(d, np.float32), "norm_w"), weight("wq", d, heads * dh),
         weight("wk", d, kv * dh), weight("wv", d, kv * dh), cos, sin])
    save(model(graph, [("", 17), (ms, 1)]), path)
    print("wrote", path)


def merged_decoder(path):
    """Optimum's merged decoder shape: If(use_cache_branch) chooses between
    attending over past ++ new (then) and over new only (else)."""
    d = 16

    def branch(name, with_past):
        key = f"{name}/kv"
        if with_past:
            nodes = [helper.make_node("Concat", ["past_key", "x_k"], [key], axis=1, name=f"{name}/concat")]
        else:  # A branch may not output an outer value directly.
            nodes = [helper.make_node("Identity", ["x_k"], [key], name=f"{name}/identity")]
        nodes += [
            helper.make_node("Transpose", [key], [f"{name}/kT"], perm=[0, 2, 1], name=f"{name}/transpose"),
            helper.make_node("MatMul", ["x_q", f"{name}/kT"], [f"{name}/scores"], name=f"{name}/qk"),
            helper.make_node("Softmax", [f"{name}/scores"], [f"{name}/probs"], axis=-1, name=f"{name}/softmax"),
            helper.make_node("MatMul", [f"{name}/probs", key], [f"{name}/out"], name=f"{name}/pv"),
        ]
        outs = [helper.make_tensor_value_info(f"{name}/out", F, None),
                helper.make_tensor_value_info(key, F, None)]
        return helper.make_graph(nodes, name, [], outs)

    nodes = [
        helper.make_node("MatMul", ["x", "wq"], ["x_q"], name="q_proj"),
        helper.make_node("MatMul", ["x", "wk"], ["x_k"], name="k_proj"),
        helper.make_node("If", ["use_cache_branch"], ["y", "present_key"], then_branch=branch("with_past", True),
                         else_branch=branch("no_past", False), name="optimum::if"),
    ]
    graph = helper.make_graph(
        nodes, "merged_decoder",
        [helper.make_tensor_value_info("x", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("past_key", F, ["batch", "past_sequence", d]),
         helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])],
        [helper.make_tensor_value_info("y", F, ["batch", "sequence", d]),
         helper.make_tensor_value_info("present_key", F, ["batch", "total_sequence", d])],
        [weight("wq", d, d), weight("wk", d, d)])
    save(model(graph, [("", 17)]), path)
    print("wrote", path)


def build_all(out_dir):
    opset23_block(os.path.join(out_dir, "opset23-block.onnx"))
    opset23_causal_lengths(os.path.join(out_dir, "opset23-causal-past.onnx"), with_past=True)
    opset23_causal_lengths(os.path.join(out_dir, "opset23-causal.onnx"), with_past=False)
    microsoft_block(os.path.join(out_dir, "microsoft-block.onnx"))
    microsoft_block(os.path.join(out_dir, "microsoft-block-window.onnx"), local_window_size=2)
    merged_decoder(os.path.join(out_dir, "merged-decoder-if.onnx"))
