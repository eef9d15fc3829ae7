#!/usr/bin/env bash
# Prefill (batch 1, 128 tokens) and one decode step (past 127) of the
# GPT-2-small-sized zoo model: genc vs ONNX Runtime, alternating in one run,
# plus peak memory and the decode bandwidth roofline. Not a test: results
# go to docs/results.md with this command.
# Usage: bench/gpt2-small-vs-ort.sh [WORK_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench}
runs=${2:-5}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
mkdir -p "$work"
if [ ! -f "$work/gpt2-small-with-past-opset17.onnx" ]; then
  /usr/bin/python3 "$root/models/zoo.py" "$work" --gpt2-small --with-past > "$work/export.log" 2>&1
fi
for m in no-past with-past; do
  [ -f "$work/gpt2-$m.so" ] || /usr/bin/time -f "compile $m: %e s, peak %M KB" \
    "$genc" compile "$work/gpt2-small-$m-opset17.onnx" -o "$work/gpt2-$m.so"
done
prefill=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/gpt2-small-no-past-opset17.onnx" "$work/prefill" --batch 1 --sequence 128)
decode=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/gpt2-small-with-past-opset17.onnx" "$work/decode" --batch 1 --sequence 1 --past 127)
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }

for round in 1 2; do
  echo "== round $round"
  "$genc" run "$work/gpt2-no-past.so" $(as_inputs "$prefill") --repeat "$runs" | sed -n 's/^latency/genc prefill: latency/p'
  node "$root/bench/ort-time.mjs" "$work/gpt2-small-no-past-opset17.onnx" "$runs" 2 $prefill | sed 's/^/prefill 2 threads: /'
  node "$root/bench/ort-time.mjs" "$work/gpt2-small-no-past-opset17.onnx" "$runs" 1 $prefill | sed 's/^/prefill 1 thread: /'
  "$genc" run "$work/gpt2-with-past.so" $(as_inputs "$decode") --repeat "$runs" | sed -n 's/^latency/genc decode: latency/p'
  node "$root/bench/ort-time.mjs" "$work/gpt2-small-with-past-opset17.onnx" "$runs" 2 $decode | sed 's/^/decode 2 threads: /'
  node "$root/bench/ort-time.mjs" "$work/gpt2-small-with-past-opset17.onnx" "$runs" 1 $decode | sed 's/^/decode 1 thread: /'
done

echo "== peak memory (one decode step, load included)"
/usr/bin/time -f "genc: %M KB" "$genc" run "$work/gpt2-with-past.so" $(as_inputs "$decode") > /dev/null
/usr/bin/time -f "onnxruntime: %M KB" node "$root/bench/ort-time.mjs" "$work/gpt2-small-with-past-opset17.onnx" 1 2 $decode > /dev/null

echo "== decode roofline"
/usr/bin/python3 - "$work/gpt2-with-past.so.weights" <<'PY'
import os, sys, time
import numpy as np
a = np.ones(1 << 28, np.float32)  # 1 GiB
a.sum()
best = min((lambda t: (a.sum(), time.perf_counter() - t)[1])(time.perf_counter()) for _ in range(3))
bw = a.nbytes / best / 1e9
w = os.path.getsize(sys.argv[1])
print(f"weights {w / 1e6:.0f} MB, measured read bandwidth {bw:.1f} GB/s (1 thread, numpy sum), "
      f"roofline {w / bw / 1e6:.1f} ms per token")
PY
