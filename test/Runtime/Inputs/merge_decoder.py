"""Builds an Optimum-style merged decoder from a decoder exported with a KV
cache: If(use_cache_branch) runs the graph with the given past, else the
same graph with an empty past (the first step).

Usage: merge_decoder.py WITH_PAST.onnx MERGED.onnx
"""
import sys

import onnx
from onnx import TensorProto, helper


def branch(graph, suffix, replace):
    """The graph's nodes as a subgraph: every value they define renamed
    with `suffix`, inputs in `replace` read from other values."""
    defined = {o for n in graph.node for o in n.output}
    rename = lambda v: replace.get(v, v + suffix if v in defined else v)
    nodes = []
    for n in graph.node:
        copy = onnx.NodeProto()
        copy.CopyFrom(n)
        copy.name = n.name + suffix
        copy.input[:] = [rename(v) for v in n.input]
        copy.output[:] = [rename(v) for v in n.output]
        nodes.append(copy)
    outputs = [helper.make_tensor_value_info(rename(o.name), o.type.tensor_type.elem_type, None)
               for o in graph.output]
    return nodes, outputs


def main():
    model = onnx.load(sys.argv[1])
    g = model.graph
    pasts = [i for i in g.input if i.name.startswith("past_key_values.")]
    then_nodes, then_outputs = branch(g, "/cached", {})
    # The first step's graph: every past is an empty [batch, heads, 0, head_size].
    dims = pasts[0].type.tensor_type.shape.dim
    heads, head_size = dims[1].dim_value, dims[3].dim_value
    empty = [
        helper.make_node("Shape", ["input_ids"], ["ids_shape/first"], name="ids_shape/first"),
        helper.make_node("Slice", ["ids_shape/first", "zero/first", "one/first"], ["batch/first"],
                         name="batch/first"),
        helper.make_node("Concat", ["batch/first", "rest/first"], ["past_shape/first"], axis=0,
                         name="past_shape/first"),
        helper.make_node("ConstantOfShape", ["past_shape/first"], ["empty_past/first"],
                         value=helper.make_tensor("v", TensorProto.FLOAT, [1], [0.0]),
                         name="empty_past/first"),
    ]
    consts = [helper.make_node("Constant", [], [name], value=helper.make_tensor(name, TensorProto.INT64, [len(v)], v),
                               name=name)
              for name, v in (("zero/first", [0]), ("one/first", [1]), ("rest/first", [heads, 0, head_size]))]
    else_nodes, else_outputs = branch(g, "/first", {p.name: "empty_past/first" for p in pasts})
    if_node = helper.make_node(
        "If", ["use_cache_branch"], [o.name for o in g.output], name="optimum::if",
        then_branch=helper.make_graph(then_nodes, "with_past", [], then_outputs),
        else_branch=helper.make_graph(consts + empty + else_nodes, "without_past", [], else_outputs))
    inputs = list(g.input) + [helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])]
    merged = helper.make_graph([if_node], "merged_decoder", inputs, list(g.output), list(g.initializer))
    out = helper.make_model(merged, opset_imports=model.opset_import, ir_version=model.ir_version)
    onnx.checker.check_model(out)
    onnx.save(out, sys.argv[2])


if __name__ == "__main__":
    main()
