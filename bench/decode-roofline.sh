#!/usr/bin/env bash
# A decode step against the memory-bandwidth roofline, each step timed
# between two reads of the bandwidth probe in the same minute (the memory
# this VM gets moves with its neighbours by up to 2x within minutes, so
# that a roofline from another minute says little). The GPT-2-small-sized
# and LLaMA-style benchmark models, f32, compiled with --kv-cache=session
# (a step writes its keys and values into the session's cache in place),
# decode greedily with `genc generate` from a 96-token prompt: the mean
# step over 64 steps (contexts 97-160). A step must read every matmul
# weight once (the embedding table is gathered, not streamed; the LM
# head's copy is streamed) and its layers' cached keys and values; the
# roofline is those bytes over the probe's bandwidth
# (bench/read-bandwidth.cpp, the best of 1-8 streams a thread, the mean of
# the reads before and after). Prints, per round and model, the step, the
# roofline and their ratio, then each model's median ratio. Not a test:
# docs/results.md quotes it with the command.
# Usage: bench/decode-roofline.sh [WORK_DIR] [ROUNDS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench} rounds=${2:-5} threads=${3:-2}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
models="gpt2-small llama-small"
prompt_tokens=96 steps=64
mkdir -p "$work"
ensure_benchmark_models "$work"
# Built as bench/prefill-decode-vs-ort.sh builds it.
/usr/lib/llvm-22/bin/clang++ -O3 -march=native -ffast-math -pthread \
  "$root/bench/read-bandwidth.cpp" -o "$work/read-bandwidth"
declare -A bytes
for m in $models; do
  "$genc" compile "$work/$m-with-past-opset17.onnx" --kv-cache=session -o "$work/roofline-$m.so" \
    --quiet
  # A weights file just written maps slowly for a while on these VMs
  # (docs/results.md, "A freshly written weights file"): time a copy.
  cp "$work/roofline-$m.so.weights" "$work/w.copy" && mv "$work/w.copy" "$work/roofline-$m.so.weights"
  bytes[$m]=$(decode_bytes "$work/$m-with-past-opset17.onnx" $((prompt_tokens + (steps + 1) / 2)))
done
probe() {
  local gbs
  gbs=$("$work/read-bandwidth" "$threads" | sed -n 's/^[0-9]* threads: \([0-9.]*\) GB\/s.*/\1/p')
  [ -n "$gbs" ] || { echo "the bandwidth probe printed no figure" >&2; exit 1; }
  echo "$gbs"
}
prompt=$(seq -s, 5 $((prompt_tokens + 4)))
echo "# $threads threads; step: mean of $steps greedy steps; roofline: bytes / probe GB/s"
results=()
for round in $(seq "$rounds"); do
  for m in $models; do
    before=$(probe)
    # decode_tokens_per_s counts every generated token over the time after
    # the prompt's call, in which target_passes - 1 steps each fed back
    # one token (and the host chose the next from the logits).
    step=$("$genc" generate "$work/roofline-$m.so" --prompt-ids "$prompt" \
             --max-new-tokens $((steps + 1)) --threads "$threads" --output-format json |
             /usr/bin/python3 -c "import json, sys
s = json.load(sys.stdin)['stats']
print(1e3 * s['generated_tokens'] / s['decode_tokens_per_s'] / (s['target_passes'] - 1))")
    after=$(probe)
    line=$(/usr/bin/python3 -c "
bw = ($before + $after) / 2
step = $step
roofline = ${bytes[$m]} / bw / 1e6
print(f'$m {${bytes[$m]} / 1e6:.0f} MB, probe $before/$after GB/s: step {step:.2f} ms, '
      f'roofline {roofline:.2f} ms, {roofline / step:.2f} of it')")
    echo "round $round $line"
    results+=("$line")
  done
done
printf '%s\n' "${results[@]}" | /usr/bin/python3 -c "
import statistics, sys
ratios = {}
for line in sys.stdin:
    ratios.setdefault(line.split()[0], []).append(float(line.split()[-3]))
for model, values in ratios.items():
    print(f'{model}: median {statistics.median(values):.2f} of the roofline '
          f'(rounds: {\", \".join(f\"{v:.2f}\" for v in values)})')"
