"""Compares every .npy output genc wrote with ONNX Runtime's reference:
max |genc - ort| <= atol + rtol * |ort| element-wise (fp32: 1e-4, 1e-5).

Usage: compare.py GENC_DIR REFERENCE_DIR [--atol A] [--rtol R]
"""
import argparse
import glob
import os
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("genc_dir")
    p.add_argument("reference_dir")
    p.add_argument("--atol", type=float, default=1e-4)
    p.add_argument("--rtol", type=float, default=1e-5)
    a = p.parse_args()
    references = sorted(glob.glob(os.path.join(a.reference_dir, "*.npy")))
    if not references:
        sys.exit(f"no reference outputs in {a.reference_dir}")
    failed = False
    for ref_path in references:
        name = os.path.basename(ref_path)
        ours = os.path.join(a.genc_dir, name)
        if not os.path.exists(ours):
            print(f"{name}: genc wrote no such output")
            failed = True
            continue
        ref, got = np.load(ref_path), np.load(ours)
        if ref.shape != got.shape or ref.dtype != got.dtype:
            print(f"{name}: genc {got.dtype}{list(got.shape)} vs reference {ref.dtype}{list(ref.shape)}")
            failed = True
            continue
        err = np.abs(got.astype(np.float64) - ref.astype(np.float64))
        bad = err > a.atol + a.rtol * np.abs(ref.astype(np.float64))
        status = "FAIL" if bad.any() else "ok"
        print(f"{name}: {list(ref.shape)} max abs error {err.max() if err.size else 0:.3g} {status}")
        failed |= bool(bad.any())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
