#!/usr/bin/python3
"""Prints the facts compile-report.test checks from a `genc compile --report`
JSON file."""
import json
import sys

report = json.load(open(sys.argv[1]))
layers = report["layers"]
precisions = sorted({p for l in layers for p in l["matmuls"]["precision"]})
print("layers", len(layers), "matmuls", [l["matmuls"]["count"] for l in layers],
      "head", report["head_matmuls"]["count"], "precision", precisions)
first = layers[0]
decode = first["decode_step"]["matmul_flops"] + first["decode_step"]["attention_flops"]
prefill = first["prefill_token"]["matmul_flops"] + first["prefill_token"]["attention_flops"]
print("kv bytes per position", first["after"]["kv_cache_bytes_per_position"],
      "decode flops > prefill flops per token:", decode > prefill)
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
