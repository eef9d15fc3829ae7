#!/usr/bin/env bash
# Import benchmark: the GPT-2-small-sized zoo model (12 layers, d 768, vocab
# 50257, ~650 MB), `genc import` wall time and peak memory against the file
# size. Not a test: numbers go to docs/results.md.
# Usage: bench/import-gpt2-small.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
model=$work/gpt2-small-no-past-opset17.onnx
mkdir -p "$work"
[ -f "$model" ] || /usr/bin/python3 "$root/models/zoo.py" "$work" --benchmark-models > "$work/export.log" 2>&1
size=$(stat -c %s "$model")
for run in 1 2 3; do
  /usr/bin/time -v "$genc" import "$model" -o "$work/out.mlir" 2> "$work/time.txt"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  awk -v r="$run" -v w="$wall" -v k="$rss" -v s="$size" 'BEGIN {
    printf "run %d: wall %s, peak RSS %.0f MB = %.2fx the file (%.0f MB)\n", r, w, k / 1024, k * 1024 / s, s / 1048576 }'
done
