#!/usr/bin/env bash
# Models quantised elsewhere, in ONNX's own ops: a DequantizeLinear of
# INT4 (or UINT4, with zero points) blocks of 32 rows, or of INT8 with a
# scale per column, before every MatMul by an initializer, as ONNX
# Runtime's QDQ quantisers write them (made here from the f32 exports by
# test/E2E/Inputs/qdq_weights.py, rounding to nearest). genc keeps those
# weights as int4 or int8 on the model's own grid (f32 scales), without
# --weights. Also the form ONNX Runtime's dynamic quantiser writes
# (DynamicQuantizeLinear of the activations, MatMulInteger by INT8 codes
# with one scale: qdq_weights.py's "dynamic"), which genc computes exactly
# on int8 weights and its integer kernel.
#
# 1. quality - perplexity of the held-out text (as bench/weight-formats.sh
#    measures it) and top-1 agreement with f32, on the trained fixtures:
#    the QDQ models next to genc's own --weights=int4:32, int4:32:asym and
#    int8 of the f32 models (int4: f16 scales).
# 2. speed - one decode step (past 127) and a 128-token prefill of the
#    LLaMA-style benchmark model, alternating: genc on the QDQ models
#    (INT4, INT8, dynamic), ONNX Runtime on the same files (its
#    optimisations fuse each 4-bit DequantizeLinear and MatMul into
#    MatMulNBits, the dynamic form into its integer kernels), genc f32
#    and ONNX Runtime fp32; and the weights files' sizes.
#
# Not a test: results go to docs/results.md with this command.
# Usage: bench/qdq-weights.sh [WORK_DIR] [RUNS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench}
runs=${2:-10}
threads=${3:-2}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
fixtures=$root/models/fixtures
qdq="/usr/bin/python3 $root/test/E2E/Inputs/qdq_weights.py"
mkdir -p "$work"
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
# A freshly written weights file maps slowly for a while on these VMs
# (bench/weights-page-cache.sh); a copy does not.
settle() { cp "$1.weights" "$1.weights.copy" && mv "$1.weights.copy" "$1.weights"; }

echo "## 1. quality (held-out text, context 256)"
fixture_ids heldout "$work/heldout.ids"
for m in target draft; do
  "$genc" compile "$fixtures/$m-no-past.onnx" -o "$work/$m-f32.so" --quiet
  for w in int4:32 int4:32:asym int8; do
    "$genc" compile "$fixtures/$m-no-past.onnx" --weights=$w -o "$work/$m-$w.so" --quiet
  done
  for f in int4 uint4 int8 dynamic; do
    $qdq "$fixtures/$m-no-past.onnx" "$work/$m-qdq-$f.onnx" $f 32
    "$genc" compile "$work/$m-qdq-$f.onnx" -o "$work/$m-qdq-$f.so" --quiet
  done
  "$genc" perplexity "$work/$m-f32.so" --ids "$work/heldout.ids" --context 256 \
    --threads "$threads" --quiet | sed "s/^/$m f32: /"
  for w in int4:32 int4:32:asym qdq-int4 qdq-uint4 int8 qdq-int8 qdq-dynamic; do
    "$genc" perplexity "$work/$m-$w.so" --ids "$work/heldout.ids" --context 256 \
      --threads "$threads" --agreement-with "$work/$m-f32.so" --quiet | sed "s/^/$m $w: /"
  done
  for f in int4 int8; do
    "$genc" inspect "$work/$m-qdq-$f.so" | sed -n "s/^matmul precision: */$m qdq-$f matmuls: /p"
  done
done

echo "## 2. speed (median, min of $runs runs, $threads threads)"
ensure_benchmark_models "$work"
m=llama-small
forms="qdq-int4 qdq-int8 qdq-dynamic"
for v in no-past with-past; do
  for f in $forms; do
    $qdq "$work/$m-$v-opset17.onnx" "$work/$m-$v-$f.onnx" ${f#qdq-} 32
    "$genc" compile "$work/$m-$v-$f.onnx" -o "$work/$m-$v-$f.so" --quiet
    settle "$work/$m-$v-$f.so"
  done
  "$genc" compile "$work/$m-$v-opset17.onnx" -o "$work/$m-$v-f32.so" --quiet
  settle "$work/$m-$v-f32.so"
done
ls -l "$work/$m-with-past-"{f32,qdq-int4,qdq-int8,qdq-dynamic}".so.weights" |
  awk '{printf "weights file: %.1f MB (%s)\n", $5 / 1e6, $NF}'
for f in $forms; do
  "$genc" inspect "$work/$m-with-past-$f.so" | sed -n "s/^matmul precision: */$f matmuls: /p"
done
declare -A inputs
inputs[prefill]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/$m-no-past-opset17.onnx" "$work/$m-prefill" --batch 1 --sequence 128)
inputs[decode]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/$m-with-past-opset17.onnx" "$work/$m-decode" --batch 1 --sequence 1 --past 127)
for round in 1 2; do
  echo "== round $round"
  for step in decode prefill; do
    if [ $step = prefill ]; then v=no-past; else v=with-past; fi
    in=${inputs[$step]}
    for w in $forms f32; do
      "$genc" run "$work/$m-$v-$w.so" $(as_inputs "$in") --repeat "$runs" --threads "$threads" |
        sed -n "s/^latency over [0-9]* runs: /$step genc $w: /p"
    done
    for f in $forms; do
      node "$root/bench/ort-time.mjs" "$work/$m-$v-$f.onnx" "$runs" "$threads" $in |
        sed "s/^ort latency over [0-9]* runs: /$step ort  $f: /"
    done
    node "$root/bench/ort-time.mjs" "$work/$m-$v-opset17.onnx" "$runs" "$threads" $in |
      sed "s/^ort latency over [0-9]* runs: /$step ort  f32: /"
  done
done
