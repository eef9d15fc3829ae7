#!/usr/bin/python3
"""Prints the facts compile-report.test checks from a `genc compile --report`
JSON file; with the ONNX model too, whether each layer's matmul weight
bytes are those of the model's MatMul nodes named /blocks.N/ (the
fixture's exporter's names), and the head's those of the rest."""
import json
import math
import sys

report = json.load(open(sys.argv[1]))
layers = report["layers"]
precisions = sorted({p for l in layers for p in l["matmuls"]["precision"]})
print("layers", len(layers), "matmuls", [l["matmuls"]["count"] for l in layers],
      "head", report["head_matmuls"]["count"], "precision", precisions)
print("kv bytes per position", layers[0]["after"]["kv_cache_bytes_per_position"])
if len(sys.argv) > 2:
    import onnx
    model = onnx.load(sys.argv[2], load_external_data=False)
    sizes = {t.name: math.prod(t.dims) for t in model.graph.initializer}
    expected = [0] * (len(layers) + 1)
    for node in model.graph.node:
        if node.op_type not in ("MatMul", "Gemm"):
            continue
        parts = node.name.split("/")
        layer = int(parts[1].split(".")[1]) if parts[1].startswith("blocks.") else len(layers)
        expected[layer] += 4 * sum(sizes.get(i, 0) for i in node.input)
    got = [l["matmuls"]["weight_bytes"] for l in layers] + [report["head_matmuls"]["weight_bytes"]]
    print("weight bytes as the model's:", got == expected, got)
for i, run in enumerate(report["profile"]):
    seconds = run["seconds"]
    print("run %d: batch %d tokens %d past %d matmul>0 %s attention>0 %s families<=wall %s" % (
        i + 1, run["batch"], run["tokens"], run["past"], seconds["matmul"] > 0,
        seconds["attention"] > 0, sum(seconds.values()) <= run["wall_seconds"]))
passes = {p["pass"]: p for p in report["passes"]}
print("genc-raise-attention changed", passes["genc-raise-attention"]["changed"])
machine = report["machine"]
print("machine peak > bandwidth > 0:",
      machine["peak_flops_per_second"] > machine["bytes_per_second"] > 0)
# AMX's bf16 peak: 0 where the CPU lacks the tiles, else above the FMA peak.
amx = machine["amx_bf16_flops_per_second"]
print("AMX peak absent or above the FMA peak:", amx == 0 or amx > machine["peak_flops_per_second"])
