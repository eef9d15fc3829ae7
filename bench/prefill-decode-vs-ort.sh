#!/usr/bin/env bash
# Prefill (batch 1, 128 tokens) and one decode step (past 127) of the two
# ~125M-parameter benchmark models (GPT-2-small-sized, LLaMA-style with
# GQA): genc vs ONNX Runtime at 2 and 1 threads, alternating in one run;
# peak memory; and the decode roofline (bytes of matmul weights a step
# streams / measured read bandwidth). Not a test: results go to
# docs/results.md with this command.
# Usage: bench/prefill-decode-vs-ort.sh [WORK_DIR] [RUNS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench}
runs=${2:-5}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
models="gpt2-small llama-small"
mkdir -p "$work"
ensure_benchmark_models "$work"
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }

echo "== compile"
for m in $models; do
  for v in no-past with-past; do
    /usr/bin/time -f "$m $v: %e s, peak %M KB" \
      "$genc" compile "$work/$m-$v-opset17.onnx" -o "$work/$m-$v.so"
  done
done

# A weights file genc has just written maps into memory in which the
# matmul kernel runs up to 1.7x slower for a while on these VMs
# (bench/weights-page-cache.sh, docs/results.md); a copy of the file does
# not. Time copies, so that the table measures the code. (ONNX Runtime
# reads its weights into memory of its own.)
for m in $models; do
  for v in no-past with-past; do
    cp "$work/$m-$v.so.weights" "$work/$m-$v.so.weights.copy"
    mv "$work/$m-$v.so.weights.copy" "$work/$m-$v.so.weights"
  done
done

declare -A prefill decode
for m in $models; do
  prefill[$m]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/$m-no-past-opset17.onnx" "$work/$m-prefill" --batch 1 --sequence 128)
  decode[$m]=$(/usr/bin/python3 "$root/models/make_inputs.py" "$work/$m-with-past-opset17.onnx" "$work/$m-decode" --batch 1 --sequence 1 --past 127)
done

for round in 1 2; do
  echo "== round $round (median, min of $runs runs)"
  for m in $models; do
    for step in prefill decode; do
      if [ $step = prefill ]; then v=no-past; inputs=${prefill[$m]}; else v=with-past; inputs=${decode[$m]}; fi
      for t in 2 1; do
        "$genc" run "$work/$m-$v.so" $(as_inputs "$inputs") --repeat "$runs" --threads $t |
          sed -n "s/^latency over [0-9]* runs: /$m $step genc $t threads: /p"
        node "$root/bench/ort-time.mjs" "$work/$m-$v-opset17.onnx" "$runs" $t $inputs |
          sed "s/^/$m $step ort  $t threads: /"
      done
    done
  done
done

echo "== peak memory (one decode step, load included, 2 threads)"
for m in $models; do
  /usr/bin/time -f "$m genc: %M KB" "$genc" run "$work/$m-with-past.so" $(as_inputs "${decode[$m]}") --threads 2 > /dev/null
  /usr/bin/time -f "$m onnxruntime: %M KB" node "$root/bench/ort-time.mjs" "$work/$m-with-past-opset17.onnx" 1 2 ${decode[$m]} > /dev/null
done

echo "== decode roofline"
/usr/lib/llvm-22/bin/clang++ -O3 -march=native -ffast-math -pthread "$root/bench/read-bandwidth.cpp" -o "$work/read-bandwidth"
"$work/read-bandwidth" 1 2 | tee "$work/bandwidth.txt"
for m in $models; do
  streamed=$(decode_bytes "$work/$m-with-past-opset17.onnx" 0)
  /usr/bin/python3 - "$streamed" "$work/bandwidth.txt" "$m" <<'PY'
import sys
streamed = int(sys.argv[1])
for line in open(sys.argv[2]):
    threads, bw = line.split()[0], float(line.split()[2])
    print(f"{sys.argv[3]}: a decode step streams {streamed / 1e6:.0f} MB of matmul weights; "
          f"at {bw:.1f} GB/s ({threads} threads) the roofline is {streamed / bw / 1e6:.1f} ms")
PY
done

echo "== numerics: |genc - ort| of the logits (fp32 rounding at this size; FAIL is the zoo tests' 1e-4 bound)"
for m in $models; do
  for step in prefill decode; do
    if [ $step = prefill ]; then v=no-past; inputs=${prefill[$m]}; else v=with-past; inputs=${decode[$m]}; fi
    node "$root/tools/reference/run.mjs" "$work/$m-$v-opset17.onnx" "$work/$m-$step-ort" $inputs > /dev/null
    "$genc" run "$work/$m-$v.so" $(as_inputs "$inputs") --output-dir "$work/$m-$step-genc" > /dev/null
    /usr/bin/python3 "$root/test/E2E/compare.py" "$work/$m-$step-genc" "$work/$m-$step-ort" |
      grep "^logits" | sed "s/^/$m $step: /" || true
  done
done
