#!/usr/bin/python3
"""ONNX backend node tests (Debian's libonnx-testdata) through genc.

For each test directory (model.onnx, test_data_set_*/input_N.pb and
output_N.pb): `genc run` the model on the .pb inputs, compare
every output with the expected one (rtol 1e-3, atol 1e-5; the backend
suite's tolerance for fp32 is rtol 1e-3). Classifies each test as
pass, fail (wrong numbers or a crash), error (genc refused the model for
another reason) or unsupported (an op genc does not import).

Usage:
  conformance.py --genc GENC [--data DIR] [--jobs N] [--filter REGEX]
                 [--expected FILE] [--write-expected FILE] [--report FILE]

With --expected, exits 1 if a test listed there does not pass.
"""
import argparse
import collections
import concurrent.futures
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

DATA = "/usr/share/libonnx-testdata/data/node"


def run_test(genc, test_dir, work):
    try:
        return run_test_or_raise(genc, test_dir, work)
    except Exception as e:  # A test this harness cannot read is not genc's failure.
        return os.path.basename(test_dir), ["?"], "error", f"harness: {e}"


def run_test_or_raise(genc, test_dir, work):
    model_path = os.path.join(test_dir, "model.onnx")
    model = onnx.load(model_path)
    ops = sorted({n.op_type for n in model.graph.node})
    values = list(model.graph.input) + list(model.graph.output)
    if any(not v.type.HasField("tensor_type") for v in values):
        return os.path.basename(test_dir), ops, "unsupported", "sequence/optional/map values"
    initializers = {t.name for t in model.graph.initializer}
    inputs = [v.name for v in model.graph.input if v.name not in initializers]
    outputs = [v.name for v in model.graph.output]
    name = os.path.basename(test_dir)
    out_dir = os.path.join(work, name)
    os.makedirs(out_dir, exist_ok=True)
    env = dict(os.environ, GENC_CACHE_DIR=os.path.join(work, "cache"))
    for data_set in sorted(glob.glob(os.path.join(test_dir, "test_data_set_*"))):
        args = [genc, "run", model_path, "--output-dir", os.path.join(out_dir, "out")]
        for i, input_name in enumerate(inputs):
            args += ["--input", f"{input_name}={os.path.join(data_set, f'input_{i}.pb')}"]
        try:
            r = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
        except subprocess.TimeoutExpired:
            return name, ops, "fail", "timed out"
        if r.returncode != 0:
            message = (r.stderr.strip().splitlines() or ["crashed"])[0]
            if "does not support" in r.stderr:
                return name, ops, "unsupported", message
            if r.returncode < 0 or "Stack dump" in r.stderr:
                return name, ops, "fail", f"crashed: {message}"
            return name, ops, "error", message
        for k, output_name in enumerate(outputs):
            expected = onnx.TensorProto()
            with open(os.path.join(data_set, f"output_{k}.pb"), "rb") as f:
                expected.ParseFromString(f.read())
            want = numpy_helper.to_array(expected)
            got_path = os.path.join(out_dir, "out", output_name + ".npy")
            if not os.path.exists(got_path):
                return name, ops, "fail", f"no output {output_name}"
            got = np.load(got_path)
            if got.shape != want.shape:
                return name, ops, "fail", f"{output_name}: shape {got.shape} != {want.shape}"
            if want.dtype.kind in "fc":
                ok = np.allclose(got, want, rtol=1e-3, atol=1e-5, equal_nan=True)
            else:
                ok = np.array_equal(got, want)
            if not ok:
                return name, ops, "fail", f"{output_name}: values differ"
    return name, ops, "pass", ""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--genc", required=True)
    p.add_argument("--data", default=DATA)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--filter", default="")
    p.add_argument("--expected")
    p.add_argument("--write-expected")
    p.add_argument("--report")
    a = p.parse_args()
    tests = sorted(d for d in glob.glob(os.path.join(a.data, "test_*"))
                   if re.search(a.filter, os.path.basename(d)))
    if a.expected:
        wanted = set(open(a.expected).read().split())
        tests = [t for t in tests if os.path.basename(t) in wanted]
    results = []
    with tempfile.TemporaryDirectory() as work, \
            concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        for result in pool.map(lambda t: run_test(a.genc, t, work), tests):
            results.append(result)
            if result[2] == "fail":
                print(f"FAIL {result[0]}: {result[3]}", flush=True)
    by_status = collections.Counter(r[2] for r in results)
    print(f"conformance: {by_status['pass']} passed, {by_status['fail']} failed, "
          f"{by_status['error']} refused, {by_status['unsupported']} using ops genc does not import "
          f"(of {len(results)})")
    if a.write_expected:
        with open(a.write_expected, "w") as f:
            f.write("\n".join(r[0] for r in results if r[2] == "pass") + "\n")
    if a.report:
        per_op = collections.defaultdict(collections.Counter)
        for name, ops, status, _ in results:
            per_op[" + ".join(ops) if len(ops) > 1 else ops[0]][status] += 1
        with open(a.report, "w") as f:
            f.write("| op | tests | pass | fail | refused | unsupported |\n|---|---|---|---|---|---|\n")
            for op in sorted(per_op):
                c = per_op[op]
                f.write(f"| {op} | {sum(c.values())} | {c['pass']} | {c['fail']} | {c['error']} | "
                        f"{c['unsupported']} |\n")
            f.write("\nRefusals and failures:\n\n")
            for name, ops, status, message in results:
                if status in ("fail", "error"):
                    f.write(f"- `{name}` ({status}): {message}\n")
    if a.expected:
        missed = [r for r in results if r[2] != "pass"]
        for name, _, status, message in missed:
            print(f"expected to pass: {name} ({status}: {message})")
        sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
