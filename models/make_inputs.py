#!/usr/bin/python3
"""Writes random inputs (.npy) for a zoo model at given sizes, reading the
model's graph inputs: named dims take --batch, --sequence, --past (and
total_sequence = past + sequence, encoder_sequence = --encoder).

Usage: make_inputs.py MODEL.onnx OUT_DIR [--batch B] [--sequence S] [--past P] [--encoder E] [--seed N]
                      [--set NAME=V1,V2,...]...
--set gives an input's values instead (in its shape and type; e.g. a
GroupQueryAttention's seqlens_k for rows of different lengths).
Prints NAME=FILE pairs, one per line.
"""
import argparse
import os

import numpy as np
import onnx


def main():
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("out_dir")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--sequence", type=int, default=4)
    p.add_argument("--past", type=int, default=0)
    p.add_argument("--encoder", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2,...")
    a = p.parse_args()
    given = {}
    for spec in a.set:
        name, values = spec.split("=", 1)
        given[name] = [float(v) for v in values.split(",")]
    sizes = {"batch": a.batch, "sequence": a.sequence, "past_sequence": a.past,
             "total_sequence": a.past + a.sequence, "encoder_sequence": a.encoder}
    rng = np.random.default_rng(a.seed)
    model = onnx.load(a.model, load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    os.makedirs(a.out_dir, exist_ok=True)
    for value in model.graph.input:
        if value.name in initializers:
            continue
        t = value.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else sizes[d.dim_param] for d in t.shape.dim]
        name = value.name
        if t.elem_type == onnx.TensorProto.INT64:
            if name == "position_ids":
                data = np.broadcast_to(np.arange(a.past, a.past + shape[1]), shape).astype(np.int64)
            elif "mask" in name:
                data = np.ones(shape, np.int64)
            else:
                data = rng.integers(0, 256, shape).astype(np.int64)
        elif t.elem_type == onnx.TensorProto.INT32:
            # GroupQueryAttention's total_sequence_length, and its seqlens_k
            # (each row's total length minus one).
            total = a.past + a.sequence
            data = np.full(shape, total if name == "total_sequence_length" else total - 1, np.int32)
        elif t.elem_type == onnx.TensorProto.BOOL:
            data = np.ones(shape, bool)
        else:
            data = rng.standard_normal(shape).astype(np.float32)
        if name in given:
            data = np.asarray(given.pop(name), data.dtype).reshape(shape)
        path = os.path.join(a.out_dir, name + ".npy")
        np.save(path, np.asarray(data, order="C"))  # ascontiguousarray would make a 0-d input 1-d
        print(f"{name}={path}")
    if given:
        raise SystemExit(f"--set names no input of the model: {', '.join(given)}")


if __name__ == "__main__":
    main()
