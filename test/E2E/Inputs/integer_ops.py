"""Writes integer-ops.onnxtext as MODEL_DIR/model.onnx and its inputs as
.npy files: x (int64), u (uint8, half of it >= 128 so that reading it
as signed changes every answer) and w (uint16, as large).

Usage: integer_ops.py MODEL.onnxtext OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
import onnx.parser


def main():
    text, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(text) as f:
        model = onnx.parser.parse_model(f.read())
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "model.onnx"))
    np.save(os.path.join(out, "x.npy"),
            np.array([[5, -3, 9, 7], [-100, 4, 2, 1]], dtype=np.int64))
    np.save(os.path.join(out, "u.npy"),
            np.array([[200, 3, 130, 7, 255, 0, 128, 9], [1, 2, 3, 4, 5, 6, 7, 8]], dtype=np.uint8))
    np.save(os.path.join(out, "w.npy"),
            np.array([[65535, 0, 40000, 7], [999, 1000, 1001, 66]], dtype=np.uint16))


if __name__ == "__main__":
    main()
