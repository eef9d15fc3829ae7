#!/usr/bin/env bash
# The same LLaMA-sized prefill artifact, run from its freshly written
# weights file and from a `cp` of both files, alternating, one thread. The
# .so files are identical and the weights byte-identical: any gap is the
# memory the weights' page cache landed in (see docs/results.md). Not a
# test.
# Usage: bench/weights-page-cache.sh [WORK_DIR] [ROUNDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench}
rounds=${2:-3}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
model=$work/llama-small-no-past-opset17.onnx
ensure_benchmark_models "$work"
inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/llama-small-prefill" --batch 1 --sequence 128)
args=$(for s in $inputs; do printf -- '--input %s ' "$s"; done)

"$genc" compile "$model" -o "$work/page-cache-fresh.so"
cp "$work/page-cache-fresh.so" "$work/page-cache-copied.so"
cp "$work/page-cache-fresh.so.weights" "$work/page-cache-copied.so.weights"
cmp "$work/page-cache-fresh.so.weights" "$work/page-cache-copied.so.weights"

for round in $(seq "$rounds"); do
  for v in fresh copied; do
    "$genc" run "$work/page-cache-$v.so" $args --repeat 8 --threads 1 |
      sed -n "s/^latency over 8 runs: /round $round, $v weights file: /p"
  done
done
