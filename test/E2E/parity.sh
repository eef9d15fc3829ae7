#!/usr/bin/env bash
# One parity check: random inputs for MODEL at the given sizes, ONNX
# Runtime's outputs, genc's outputs (genc run, compiling on first use),
# then compare.py (fp32: |genc - ort| <= 1e-4 + 1e-5 |ort|).
# Usage: parity.sh MODEL.onnx WORK_DIR [make_inputs.py size options...]
set -euo pipefail
model=$1 work=$2
shift 2
root=${GENC_SRC_ROOT:?}
rm -rf "$work"
inputs=$("${GENC_TEST_PYTHON:-python3}" "$root/models/make_inputs.py" "$model" "$work/in" "$@")
node "$root/tools/reference/run.mjs" "$model" "$work/ort" $inputs > /dev/null
genc_args=()
for spec in $inputs; do genc_args+=(--input "$spec"); done
"${GENC:-genc}" run "$model" "${genc_args[@]}" --output-dir "$work/genc" > /dev/null
"${GENC_TEST_PYTHON:-python3}" "$root/test/E2E/compare.py" "$work/genc" "$work/ort"
