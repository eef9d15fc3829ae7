#!/usr/bin/env bash
# The matmul weight formats of genc compile --weights (f32, int8, bf16, int4)
# against each other and ONNX Runtime fp32, in one run:
#
# 1. quality - perplexity of the held-out text (BOS + the SentencePiece ids
#    of models/fixtures/heldout.txt, windows of 256 tokens) and top-1
#    agreement with the f32 artifact (genc perplexity --agreement-with), on
#    the trained fixtures: the target (LLaMA-style) and the draft (GPT-2).
#    int4 rounded to nearest and calibrated (GPTQ-style, on the SentencePiece
#    ids of models/fixtures/calibration.txt, training text the held-out
#    text does not overlap).
# 2. speed - one decode step (past 127) and a prefill of 128 tokens of the
#    two ~125M-parameter benchmark models (GPT-2-small-sized, LLaMA-style),
#    genc in each format and ONNX Runtime fp32, alternating; and the
#    weights file's size.
# 3. the kernels alone - a decode-shaped product (1 x 768 by 768 x 49152)
#    per format on one thread (bench/matmul-kernel-throughput.cpp), and
#    GPT-2-small's decode step in each format at 1 and 2 threads.
#
# Not a test: results go to docs/results.md with this command.
# Usage: bench/weight-formats.sh [WORK_DIR] [RUNS] [THREADS] [SECTIONS (default "1 2 3";
#        3 uses the artifacts 2 compiled into WORK_DIR)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench}
runs=${2:-10}
threads=${3:-2}
sections=${4:-1 2 3}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
fixtures=$root/models/fixtures
formats="f32 int8 bf16 int4"
# Quality also for int4's other groups, its asymmetric form and calibrated
# rounding.
quality_formats="int8 bf16 int4:32 int4:32:asym int4:64 int4:128
  int4:32:calibrated int4:32:asym:calibrated int4:64:calibrated int4:128:calibrated"
mkdir -p "$work"
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }

if [[ " $sections " == *" 1 "* ]]; then
echo "## 1. quality (held-out text, context 256)"
fixture_ids heldout "$work/heldout.ids"
fixture_ids calibration "$work/calibration.ids"
for m in target draft; do
  for w in f32 $quality_formats; do
    calibration=(); [[ $w == *calibrated ]] && calibration=(--calibration-ids "$work/calibration.ids")
    "$genc" compile "$fixtures/$m-no-past.onnx" --weights=$w "${calibration[@]}" -o "$work/$m-$w.so" --quiet
  done
  "$genc" perplexity "$work/$m-f32.so" --ids "$work/heldout.ids" --context 256 \
    --threads "$threads" --quiet | sed "s/^/$m f32:  /"
  for w in $quality_formats; do
    "$genc" perplexity "$work/$m-$w.so" --ids "$work/heldout.ids" --context 256 \
      --threads "$threads" --agreement-with "$work/$m-f32.so" --quiet | sed "s/^/$m $w: /"
  done
done

fi

models="gpt2-small llama-small"
declare -A inputs
if [[ " $sections " == *" 2 "* ]]; then
echo "## 2. speed (median of $runs runs, $threads threads)"
ensure_benchmark_models "$work"
for m in $models; do
  for v in no-past with-past; do
    for w in $formats; do
      "$genc" compile "$work/$m-$v-opset17.onnx" --weights=$w -o "$work/$m-$v-$w.so" --quiet
      # A freshly written weights file maps slowly for a while on these
      # VMs (bench/weights-page-cache.sh); a copy does not.
      cp "$work/$m-$v-$w.so.weights" "$work/$m-$v-$w.so.weights.copy"
      mv "$work/$m-$v-$w.so.weights.copy" "$work/$m-$v-$w.so.weights"
    done
  done
  ls -l "$work/$m-with-past-"{f32,int8,bf16,int4}".so.weights" |
    awk -v m=$m '{printf "%s weights file: %.1f MB (%s)\n", m, $5 / 1e6, $NF}'
  inputs[$m-prefill]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/$m-no-past-opset17.onnx" "$work/$m-prefill" --batch 1 --sequence 128)
  inputs[$m-decode]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/$m-with-past-opset17.onnx" "$work/$m-decode" --batch 1 --sequence 1 --past 127)
done
for round in 1 2; do
  echo "== round $round"
  for m in $models; do
    for step in decode prefill; do
      if [ $step = prefill ]; then v=no-past; else v=with-past; fi
      in=${inputs[$m-$step]}
      for w in $formats; do
        "$genc" run "$work/$m-$v-$w.so" $(as_inputs "$in") --repeat "$runs" --threads "$threads" |
          sed -n "s/^latency over [0-9]* runs: /$m $step genc $w: /p"
      done
      node "$root/bench/ort-time.mjs" "$work/$m-$v-opset17.onnx" "$runs" "$threads" $in |
        sed "s/^/$m $step ort  f32:  /"
    done
  done
done

fi

if [[ " $sections " == *" 3 "* ]]; then
echo "## 3. kernels alone; decode at 1 and 2 threads"
[ -n "${inputs[gpt2-small-decode]:-}" ] ||
  inputs[gpt2-small-decode]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/gpt2-small-with-past-opset17.onnx" "$work/gpt2-small-decode" --batch 1 --sequence 1 --past 127)
/usr/lib/llvm-22/bin/clang++ -O2 -std=c++17 -I"$root/runtime/include" -I"$root/runtime/src" \
  "$root/bench/matmul-kernel-throughput.cpp" "${GENC_BUILD_DIR:-$root/build}/lib/libgenc_kernels.a" \
  -pthread -o "$work/matmul-kernel-throughput"
"$work/matmul-kernel-throughput"
for t in 1 2; do
  for w in $formats; do
    "$genc" run "$work/gpt2-small-with-past-$w.so" $(as_inputs "${inputs[gpt2-small-decode]}") \
      --repeat "$runs" --threads $t | sed -n "s/^latency over [0-9]* runs: /gpt2-small decode $w $t threads: /p"
  done
done
fi
