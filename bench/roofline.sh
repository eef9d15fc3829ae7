#!/usr/bin/env bash
# A roofline of the matmul weight formats: the GPT-2-small-sized and
# LLaMA-style benchmark models (KV cache in their inputs and outputs),
# compiled with each --weights format and profiled on a 128-token prefill
# and one decode step after 127 cached positions (genc compile --report
# --profile-input, every thread); bench/roofline.py plots what the
# matmuls achieved under the machine's measured peaks, docs/roofline.svg
# and docs/roofline.png (Chromium renders it), and prints the table.
# Not a test: docs/results.md quotes it with this command.
# Usage: bench/roofline.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
mkdir -p "$work"
ensure_benchmark_models "$work"
reports=()
for m in gpt2-small llama-small; do
  prefill=$(benchmark_inputs "$work" $m roofline-$m-prefill 128 0 | paste -sd,)
  decode=$(benchmark_inputs "$work" $m roofline-$m-decode 1 127 | paste -sd,)
  for w in f32 int8 bf16 int4; do
    "$genc" compile "$work/$m-with-past-opset17.onnx" --weights=$w -o "$work/roofline.so" \
      --quiet --report "$work/roofline-$m-$w.json" \
      --profile-input "$prefill" --profile-input "$decode" 2> "$work/roofline-$m-$w.log"
    reports+=("$m $w=$work/roofline-$m-$w.json")
  done
done
/usr/bin/python3 "$root/bench/roofline.py" "$root/docs/roofline.svg" "${reports[@]}"
/usr/bin/python3 "$root/test/E2E/check_report_page.py" "$root/docs/roofline.svg" \
  "$root/docs/roofline.png" --window 960,560 --colour "f32=#1f77b4:50" --colour "int4=#9467bd:50"
cd "$root" && sha256sum docs/roofline.svg docs/roofline.png
