#!/usr/bin/env bash
# Import and compile cost of the GPT-2-small-sized zoo model (12 layers,
# d 768, vocab 50257, ~650 MB of f32 weights in the file): wall time and
# peak resident memory of `genc import` and of `genc compile` (with f32,
# int8 and int4 weights) against the file size. The peak counts the
# process's shared libraries (about 86 MB of LLVM and MLIR). Not a test:
# numbers go to docs/results.md.
# Usage: bench/compile-cost-gpt2-small.sh [WORK_DIR] [RUNS (default 2)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench}
runs=${2:-2}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
model=$work/gpt2-small-with-past-opset17.onnx
mkdir -p "$work"
ensure_benchmark_models "$work"
size=$(stat -c %s "$model")
measure() { # LABEL COMMAND...
  local label=$1; shift
  /usr/bin/time -v "$@" 2> "$work/time.txt" > /dev/null
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  awk -v l="$label" -v w="$wall" -v k="$rss" -v s="$size" 'BEGIN {
    printf "%s: wall %s, peak RSS %.0f MB = %.2fx the file (%.0f MB)\n", l, w, k / 1024, k * 1024 / s, s / 1048576 }'
}
for run in $(seq "$runs"); do
  measure "run $run import" "$genc" import "$model" -o "$work/out.mlir"
  for w in f32 int8 int4; do
    measure "run $run compile --weights=$w" "$genc" compile "$model" --weights=$w -o "$work/compile-cost.so" --quiet
  done
done
