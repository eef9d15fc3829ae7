#!/usr/bin/env bash
# Two genc builds side by side: the ~125M-parameter benchmark models
# (GPT-2-small-sized, LLaMA-style; KV cache in their inputs and outputs)
# compiled by each in each weight format, then one decode step (past 127)
# and a 128-token prefill timed alternately with ONNX Runtime fp32, in
# ROUNDS rounds (2 by default), so that the machine's drift hits all alike.
# For a change to genc: build the old commit's genc somewhere, then run this
# with both; each build's artifacts run on its own runtime (the measurements
# in docs/results.md before this rule ran both on the new one). Not a test:
# docs/results.md quotes it with the command.
# Usage: bench/compare-compilers.sh OLD_GENC NEW_GENC [WORK_DIR] [RUNS] \
#          [THREADS] [FORMATS] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
old=$1 new=$2 work=${3:-/tmp/genc-bench} runs=${4:-20} threads=${5:-2}
formats=${6:-f32 int8 int4} rounds=${7:-2}
models="gpt2-small llama-small"
mkdir -p "$work"
ensure_benchmark_models "$work"
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
declare -A inputs
for m in $models; do
  inputs[$m-decode]=$(benchmark_inputs "$work" $m cc-$m-decode 1 127)
  inputs[$m-prefill]=$(benchmark_inputs "$work" $m cc-$m-prefill 128 0)
  for w in $formats; do
    for side in old new; do
      genc=$old
      [ $side = new ] && genc=$new
      "$genc" compile "$work/$m-with-past-opset17.onnx" --weights=$w -o "$work/cc-$m-$w-$side.so" --quiet
      # A weights file just written maps slowly for a while on these VMs
      # (docs/results.md, "A freshly written weights file"): read it once.
      cat "$work/cc-$m-$w-$side.so.weights" > /dev/null
    done
  done
done

echo "# median ms of $runs runs after a warm-up, $threads threads"
for round in $(seq "$rounds"); do
  for m in $models; do
    for step in decode prefill; do
      in=${inputs[$m-$step]}
      for w in $formats; do
        for side in old new; do
          # Each build's artifacts run on its own runtime: the contract
          # between them changes with the signature's version.
          genc=$old
          [ $side = new ] && genc=$new
          "$genc" run "$work/cc-$m-$w-$side.so" $(as_inputs "$in") --repeat "$runs" \
            --threads "$threads" | sed -n "s/^latency over [0-9]* runs: /$m $step $w $side: /p"
        done
      done
      node "$root/bench/ort-time.mjs" "$work/$m-with-past-opset17.onnx" "$runs" "$threads" $in |
        sed "s/^/$m $step ort f32: /"
    done
  done
done
