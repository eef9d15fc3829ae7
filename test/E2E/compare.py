"""Compares every .npy output genc wrote with ONNX Runtime's reference:
max |genc - ort| <= atol + rtol * |ort| element-wise (fp32: 1e-4, 1e-5),
a NaN matching only a NaN (and an infinity the same infinity).

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
        ref64, got64 = ref.astype(np.float64), got.astype(np.float64)
        same = (np.isnan(ref64) & np.isnan(got64)) | (np.isinf(ref64) & (ref64 == got64))
        err = np.where(same, 0.0, np.abs(got64 - ref64))
        # Written so that a NaN error counts as too large.
        bad = ~same & ~(err <= a.atol + a.rtol * np.abs(ref64))
        status = "FAIL" if bad.any() else "ok"
        print(f"{name}: {list(ref.shape)} max abs error {err.max() if err.size else 0:.3g} {status}")
        failed |= bool(bad.any())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
