#!/usr/bin/env bash
# Flash-decoding: one decode step of attention alone (an ONNX Attention-23
# graph, batch 1, head size 64, one query against N keys) on 1 and on
# THREADS threads, for 1 head (where the step splits its keys among the
# threads) and 8 heads (where the heads already give every thread work).
# Prints the median latency of the call. Not a test: results go to
# docs/results.md with this command.
# Usage: bench/split-kv-decode.sh [WORK_DIR] [RUNS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench-split-kv}
runs=${2:-20}
threads=${3:-2}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
mkdir -p "$work"
/usr/bin/python3 "$root/bench/attention_graph.py" "$work"

as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
median() { # ARTIFACT INPUTS THREADS
  "$genc" run "$1" $(as_inputs "$2") --repeat "$runs" --threads "$3" --output-dir "$work/out" |
    sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'
}

echo "heads  context  1-thread-ms  $threads-threads-ms  (median of $runs)"
for heads in 1 8; do
  model=$work/attention-$heads-$heads-0.onnx
  "$genc" compile "$model" -o "$work/decode-$heads.so" --quiet
  for context in 4096 16384 65536; do
    inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/in" \
               --batch 1 --sequence 1 --past $((context - 1)))
    printf '%5d  %7d  %11s  %12s\n' $heads $context "$(median "$work/decode-$heads.so" "$inputs" 1)" \
      "$(median "$work/decode-$heads.so" "$inputs" "$threads")"
  done
done
