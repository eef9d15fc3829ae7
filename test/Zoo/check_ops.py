"""Checks a cleaned-up genc module: no shape arithmetic is left, and the
named ops occur exactly as often as the model's architecture says.

Usage: check_ops.py MODULE.mlir OP=COUNT ...

Shape arithmetic is genc.shape, or any genc op whose result is a small
static integer tensor (at most 16 elements): after cleanup such values are
constants or tensor.from_elements of tensor.dim arithmetic.
"""
import re
import sys

SMALL_INT = re.compile(r"-> tensor<(?:(\d+)x)?i(?:1|32|64)>$")


def main():
    path, expectations = sys.argv[1], sys.argv[2:]
    text = open(path).read()
    errors = []
    counts = {}
    for line in text.splitlines():
        m = re.search(r"= genc\.([a-z_]+)", line)
        if not m:
            continue
        op = m.group(1)
        counts[op] = counts.get(op, 0) + 1
        small = SMALL_INT.search(line.strip())
        if op == "shape" or (small and int(small.group(1) or 1) <= 16):
            errors.append(f"shape arithmetic left: {line.strip()}")
    for e in expectations:
        op, want = e.split("=")
        got = counts.get(op, 0)
        if got != int(want):
            errors.append(f"genc.{op}: expected {want}, found {got}")
    for e in errors:
        print(f"{path}: {e}")
    if errors:
        sys.exit(1)
    print(f"{path}: ok ({sum(counts.values())} genc ops)")


if __name__ == "__main__":
    main()
