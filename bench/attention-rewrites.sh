#!/usr/bin/env bash
# What each --attention rewrite costs in quality and saves in time, in one run:
#
# 1. quality - perplexity on the held-out text (BOS + the SentencePiece ids
#    of models/fixtures/heldout.txt, windows of 256 tokens) and top-1
#    agreement with the unrewritten model (genc perplexity
#    --agreement-with), on the trained fixtures: the draft (GPT-2-style,
#    1 layer, 4 heads: MHA) and the target (LLaMA-style, 4 layers, 8 query
#    / 2 KV heads); with the KV-cache bytes per position and the attention
#    FLOPs of a decode step at context 4096 from genc compile --report;
#    BigBird with blocks of 16 and 32 (bigbird:B:R:G); LSH (lsh:B:H:C); linear attention
#    (elu + 1, and FAVOR+ with 64 and 256 features).
#    gqa:G:grouped chooses its groups and gqa:G:calibrated fits its shared
#    heads on models/fixtures/calibration.txt (--calibration-ids), which the
#    held-out text does not overlap.
# 2. attention alone - one decode step (1 query, N keys, 8 heads of 64) of
#    an ONNX Attention-23 graph, dense and window:256, at N = 1k, 4k, 16k.
# 3. a whole decode step - llama-long (models/zoo.py --long-context-model:
#    8 layers, d 256, 8 query and 8 KV heads; at 16k its KV cache is eight
#    times its weights) in a session, mean of 32 steps after a prompt of
#    N - 32 tokens, dense, window:256, window:256 + sinks:4, bigbird:64:3:2,
#    lsh:8:2:32 (its keys' buckets kept by the session), linear (its sums
#    kept by the session) and gqa:2 ($VARIANTS, when set, in their place);
#    the prompt's prefill time; and the process's peak resident memory.
#    Prompts run in pieces of 512 tokens, as genc generate gives them, or
#    $TOKENS_PER_CALL (0: in one call).
#
# Not a test: results go to docs/results.md with this command.
# Usage: bench/attention-rewrites.sh [WORK_DIR] [RUNS] [THREADS] [SECTIONS (default "1 2 3")]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=${1:-/tmp/genc-bench-rewrites}
runs=${2:-10}
threads=${3:-2}
sections=${4:-1 2 3}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
fixtures=$root/models/fixtures
export GENC_CACHE_DIR=$work/cache
mkdir -p "$work"

if [[ " $sections " == *" 1 "* ]]; then
echo "## 1. quality (held-out text, context 256; report at context 4096)"
for text in heldout calibration; do
  fixture_ids $text "$work/$text.ids"
done
# PPL AGREEMENT for MODEL with SPEC (empty: dense).
score() {
  "$genc" perplexity "$1" --ids "$work/heldout.ids" --context 256 --threads "$threads" \
    --quiet --output-format json ${2:+--attention=$2} --calibration-ids "$work/calibration.ids" \
    --agreement-with "$1" |
    /usr/bin/python3 -c "import json, sys; r = json.load(sys.stdin); print(r['perplexity'], r['top1_agreement'])"
}
# KV-CACHE-RATIO FLOPS-RATIO at context 4096 for MODEL with SPEC.
report() {
  "$genc" compile "$1" --kv-cache=session ${2:+--attention=$2} --report "$work/report.json" \
    --calibration-ids "$work/calibration.ids" -o "$work/report.so" --quiet 2> /dev/null
  /usr/bin/python3 -c "
import json; r = json.load(open('$work/report.json')); b, a = r['before'], r['after']
print(f\"{a['kv_cache_bytes_per_position'] / b['kv_cache_bytes_per_position']:.3f}\",
      f\"{a['attention_flops_per_token'] / b['attention_flops_per_token']:.3f}\")"
}
printf '%-7s %-38s %9s %8s %10s %9s %10s\n' model rewrite perplexity change agreement "KV cache" "FLOPs@4k"
for model in draft target; do
  onnx=$fixtures/$model-with-past.onnx
  specs="gqa:2 gqa:2:grouped gqa:2:calibrated gqa:1 gqa:1:calibrated window:64 window:64,sinks:4 window:32 window:32,sinks:4 window:32,global:4 bigbird:16:2:1 bigbird:16:3:2 bigbird:32:1:1 lsh:8:2:32 lsh:16:4:16 linear performer:64 performer:256"
  [ $model = target ] && specs="gqa:1 gqa:1:calibrated window:64 window:64,sinks:4 window:32 window:32,sinks:4 \
    window:32,global:4 window:32@layers=0-1 window:32@layers=2-3 window:64,sinks:4,gqa:1 bigbird:16:2:1 \
    bigbird:16:3:2 bigbird:32:1:1 lsh:8:2:32 lsh:16:4:16 linear performer:64 performer:256"
  read -r dense _ <<< "$(score "$onnx" "")"
  printf '%-7s %-38s %9.3f %8s %10s %9s %10s\n' $model dense "$dense" - 1 1 1
  for spec in $specs; do
    read -r ppl agreement <<< "$(score "$onnx" "$spec")"
    read -r cache flops <<< "$(report "$onnx" "$spec")"
    change=$(/usr/bin/python3 -c "print(f'{100 * ($ppl / $dense - 1):+.1f}%')")
    printf '%-7s %-38s %9.3f %8s %10.4f %9s %10s\n' $model "$spec" "$ppl" "$change" "$agreement" \
      "$cache" "$flops"
  done
done
fi

if [[ " $sections " == *" 2 "* ]]; then
echo
echo "## 2. attention alone: one decode step, 8 heads of 64 ($threads threads; median of $runs)"
/usr/bin/python3 "$root/bench/attention_graph.py" "$work"
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
model=$work/attention-8-8-0.onnx
[ -f "$work/attention-dense.so" ] || "$genc" compile "$model" -o "$work/attention-dense.so" --quiet
[ -f "$work/attention-window.so" ] ||
  "$genc" compile "$model" -o "$work/attention-window.so" --attention=window:256 --quiet
echo "context  dense-ms  window256-ms  ratio"
for context in 1024 4096 16384; do
  inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/in" \
             --batch 1 --sequence 1 --past $((context - 1)))
  time_of() {
    "$genc" run "$1" $(as_inputs "$inputs") --repeat "$runs" --threads "$threads" \
      --output-dir "$work/out" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'
  }
  dense=$(time_of "$work/attention-dense.so")
  window=$(time_of "$work/attention-window.so")
  printf '%7d  %8s  %12s  %5s\n' $context "$dense" "$window" \
    "$(/usr/bin/python3 -c "print(f'{$dense / $window:.1f}x')")"
done
fi

if [[ " $sections " == *" 3 "* ]]; then
echo
echo "## 3. a whole decode step: llama-long in a session ($threads threads; mean of 32 steps)"
long=$work/llama-long-with-past-opset17.onnx
[ -f "$long" ] || /usr/bin/python3 "$root/models/zoo.py" "$work" --long-context-model \
  --max-positions 16448 > "$work/export.log" 2>&1
variants=${VARIANTS:-dense window:256 window:256,sinks:4 bigbird:64:3:2 lsh:8:2:32 linear gqa:2}
for v in $variants; do
  name=$(echo "$v" | tr ':,' '--')
  [ -f "$work/long-$name.so" ] || "$genc" compile "$long" --kv-cache=session \
    $([ "$v" != dense ] && echo "--attention=$v") -o "$work/long-$name.so" --quiet
done
steps=32
echo "context  variant                 step-ms  prefill-s  peak-MiB"
for context in 1024 4096 16384; do
  prompt=$(/usr/bin/python3 -c "import random; random.seed(1); print(','.join(str(random.randrange(1024)) for _ in range($context - $steps)))")
  for v in $variants; do
    name=$(echo "$v" | tr ':,' '--')
    # The process's peak resident memory: weights, buffers and the KV cache.
    /usr/bin/python3 -c "
import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout
s = json.loads(out)['stats']
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f\"{$context:7d}  {'$v':22s} {1000 * ($steps + 1) / s['decode_tokens_per_s'] / $steps:8.2f}  {s['prefill_ms'] / 1000:9.2f}  {peak:8.0f}\")" \
      "$genc" generate "$work/long-$name.so" --prompt-ids "$prompt" --max-new-tokens $((steps + 1)) \
      --max-context $((context + 8)) --threads "$threads" --output-format json \
      ${TOKENS_PER_CALL:+--tokens-per-call "$TOKENS_PER_CALL"}
  done
done
fi
