#!/usr/bin/env bash
# One comparison of genc against tools/reference/generate.mjs (ONNX Runtime,
# no KV cache, batch 1): `genc generate|perplexity GENC_MODEL OPTIONS` and
# `node generate.mjs generate|perplexity REF_MODEL OPTIONS` write JSON under
# WORK, then compare_generation.py checks them. Before --: options of
# compare_generation.py, and --genc-arg ARG for an argument that goes to
# genc only (e.g. --genc-arg --draft --genc-arg DRAFT.onnx). Each program
# gets 300 s, so that a hang fails the check.
# Usage: reference-check.sh generate|perplexity GENC_MODEL REF_MODEL WORK
#          [--genc-arg ARG]... [compare options] -- OPTIONS...
set -euo pipefail
kind=$1 genc_model=$2 ref_model=$3 work=$4
shift 4
compare_args=() genc_args=()
while [[ $# -gt 0 && $1 != -- ]]; do
  if [[ $1 == --genc-arg ]]; then genc_args+=("$2"); shift 2; else compare_args+=("$1"); shift; fi
done
[[ $# -gt 0 ]] && shift
root=${GENC_SRC_ROOT:?}
rm -rf "$work" && mkdir -p "$work"
timeout 300 "${GENC:-genc}" "$kind" "$genc_model" --output-format json --threads 1 "${genc_args[@]}" "$@" > "$work/genc.json"
timeout 300 node "$root/tools/reference/generate.mjs" "$kind" "$ref_model" --threads 1 "$@" > "$work/ref.json"
"${GENC_TEST_PYTHON:-python3}" "$root/test/E2E/compare_generation.py" "$kind" "$work/genc.json" "$work/ref.json" \
  "${compare_args[@]}"
