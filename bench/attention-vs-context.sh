#!/usr/bin/env bash
# Attention alone (an ONNX Attention-23 graph: 8 query heads, 8 or 2 KV
# heads, head size 64, batch 1), genc's fused kernel against genc's loops
# (--attention-loops, the scores materialised) and ONNX Runtime 1.30:
#   decode  - one query against a context of N keys (is_causal 0: the new
#             query sees every key, as a causal step with a past does);
#   prefill - N queries, N keys, causal (at 16k the fused kernel alone:
#             the loops' scores would take 8 GiB, and so would ONNX
#             Runtime's).
# Prints the median latency of the call and the process's peak resident
# memory (GNU time), which for the loops includes the [heads, N, N] scores.
# Not a test: results go to docs/results.md with this command.
# Usage: bench/attention-vs-context.sh [WORK_DIR] [RUNS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench-attention}
runs=${2:-10}
threads=${3:-2}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
mkdir -p "$work"

/usr/bin/python3 "$root/bench/attention_graph.py" "$work"

as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
# Median latency (ms) and peak RSS (MB) of `genc run` on ARTIFACT.
genc_time() {
  local artifact=$1 inputs=$2 log=$work/time.log
  /usr/bin/time -v "$genc" run "$artifact" $(as_inputs "$inputs") --repeat "$runs" \
    --threads "$threads" --output-dir "$work/out" > "$work/run.log" 2> "$log"
  printf '%s %s' "$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' "$work/run.log")" \
    "$(awk '/Maximum resident/ {printf "%d", $6 / 1024}' "$log")"
}

echo "mode     kv  context  fused-ms  loops-ms  ort-ms  fused-MB  loops-MB  ($threads threads; median of $runs)"
for kv in 8 2; do
  for mode in decode prefill; do
    causal=$([ $mode = prefill ] && echo 1 || echo 0)
    model=$work/attention-8-$kv-$causal.onnx
    [ -f "$work/fused-$kv-$causal.so" ] ||
      "$genc" compile "$model" -o "$work/fused-$kv-$causal.so" --quiet
    [ -f "$work/loops-$kv-$causal.so" ] ||
      "$genc" compile "$model" -o "$work/loops-$kv-$causal.so" --attention-loops --quiet
    for context in 1024 4096 16384; do
      # A 16k prefill's [8, 16k, 16k] scores: the fused kernel only.
      unfused=$([ $mode = prefill ] && [ $context -gt 4096 ] && echo no || echo yes)
      sequence=$([ $mode = prefill ] && echo $context || echo 1)
      inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/in" \
                 --batch 1 --sequence $sequence --past $((context - sequence)))
      read -r fused fusedMB <<< "$(genc_time "$work/fused-$kv-$causal.so" "$inputs")"
      loops=- loopsMB=- ort=-
      if [ $unfused = yes ]; then
        read -r loops loopsMB <<< "$(genc_time "$work/loops-$kv-$causal.so" "$inputs")"
        ort=$(node "$root/bench/ort-time.mjs" "$model" "$runs" "$threads" $inputs |
                sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
      fi
      printf '%-7s  %2d  %7d  %8s  %8s  %6s  %8s  %8s\n' $mode $kv $context "$fused" "$loops" \
        "$ort" "$fusedMB" "$loopsMB"
    done
  done
done
