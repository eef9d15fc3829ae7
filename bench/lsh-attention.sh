#!/usr/bin/env bash
# LSH attention alone, two genc builds side by side: one decode step (one
# query over CONTEXT keys) and one prefill (PREFILL queries and keys) of
# bench/attention_graph.py's attention-8-2-1 graph (8 query heads, 2 KV
# heads of 64, causal) compiled with --attention=lsh:8:2:32 by each build,
# each run on its own build's runtime, alternating, two rounds; then
# whether the two builds' outputs are the same bytes; then the kernel alone
# on a session's decode steps, with the state the session keeps between
# them (bench/lsh-state-step.cpp, built against each build's kernels).
# Not a test: results go to docs/results.md with this command.
# Usage: bench/lsh-attention.sh OLD_GENC NEW_GENC [WORK_DIR] [RUNS] [THREADS] [CONTEXT] [PREFILL]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2
work=${3:-/tmp/genc-bench-lsh}
runs=${4:-20}
threads=${5:-1}
context=${6:-4096}
prefill=${7:-1024}
mkdir -p "$work"
/usr/bin/python3 "$root/bench/attention_graph.py" "$work"
model=$work/attention-8-2-1.onnx
declare -A inputs
inputs[decode]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/decode" \
                   --batch 1 --sequence 1 --past $((context - 1)))
inputs[prefill]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/prefill" \
                    --batch 1 --sequence "$prefill" --past 0)
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
for side in old new; do
  genc=$old; [ $side = new ] && genc=$new
  "$genc" compile "$model" --attention=lsh:8:2:32 -o "$work/lsh-$side.so" --quiet
done
echo "# median ms of $runs runs, $threads thread(s); decode: 1 query over $context keys; prefill: $prefill"
for round in 1 2; do
  for step in decode prefill; do
    for side in old new; do
      genc=$old; [ $side = new ] && genc=$new
      mkdir -p "$work/out-$side-$step"
      "$genc" run "$work/lsh-$side.so" $(as_inputs "${inputs[$step]}") --repeat "$runs" \
        --threads "$threads" --output-dir "$work/out-$side-$step" |
        sed -n "s/^latency over [0-9]* runs: /$step $side: /p"
    done
  done
done
for step in decode prefill; do
  cmp -s "$work/out-old-$step/y.npy" "$work/out-new-$step/y.npy" &&
    echo "$step: the same bytes" || echo "$step: outputs differ"
done
echo "# the kernel alone, one thread: a session's decode steps after $context keys"
for side in old new; do
  genc=$old; [ $side = new ] && genc=$new
  build=$(cd "$(dirname "$genc")/../.." && pwd)
  /usr/lib/llvm-22/bin/clang++ -O2 -std=c++17 -I"$build/../runtime/include" \
    "$root/bench/lsh-state-step.cpp" "$build/lib/libgenc_kernels.a" -pthread \
    -o "$work/lsh-state-step-$side"
done
for round in 1 2; do
  for side in old new; do
    "$work/lsh-state-step-$side" "$context" | sed "s/^/$side: /"
  done
done
