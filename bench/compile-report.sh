#!/usr/bin/env bash
# The compile report of the GPT-2-small-sized zoo model (12 layers, d 768,
# opset 17, KV cache in its inputs and outputs), profiled on a 128-token
# prefill and on one decode step after 511 cached positions, and a
# screenshot of the page in headless Chromium, docs/report-gpt2-small.png
# (the page itself stays in WORK_DIR).
# Not a test: docs/results.md quotes it with this command.
# Usage: bench/compile-report.sh [WORK_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench-report}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
model=gpt2-small-with-past-opset17.onnx
mkdir -p "$work"
ensure_benchmark_models "$work"
cd "$work" # the report names the model as given
inputs() {
  /usr/bin/python3 "$root/models/make_inputs.py" "$model" "$1" --batch 1 --sequence "$2" \
    --past "$3" | paste -sd,
}
"$genc" compile "$model" -o gpt2-small.so --quiet --report report.html --report-context 512 \
  --profile-input "$(inputs prefill 128 0)" --profile-input "$(inputs decode 1 511)"
/usr/bin/python3 "$root/test/E2E/check_report_page.py" report.html report.png --window 1200,1560 \
  --colour "roofline matmul prefill=#17becf:20" --colour "stacked bars elementwise=#ff7f0e:200"
cp report.png "$root/docs/report-gpt2-small.png"
cd "$root" && sha256sum docs/report-gpt2-small.png
