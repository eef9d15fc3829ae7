#!/usr/bin/env bash
# Generation speed on the trained fixtures (models/fixtures: a 4-layer
# LLaMA-style target and a 1-layer GPT-2-style draft sharing a 1024-piece
# SentencePiece vocabulary; draft-distilled is the draft fine-tuned on the
# target's greedy continuations), batch 1, one run, side by side:
#   - greedy with the target alone;
#   - speculative greedy with either draft at several γ
#     (--num-assistant-tokens), with the distilled draft compiled with
#     4-bit weights, and by prompt lookup: tokens/s, acceptance rate,
#     tokens per target pass;
#   - beam search with 4 beams against greedy: cost per generated token;
#   - a cached call of each model by tokens per call
#     (bench/session-call-cost.cpp): what a speculative round pays.
# Each figure is the median over the prompts (the first lines of held-out
# paragraphs), generating --max-new-tokens each. Not a test: results go to
# docs/results.md with this command.
# Usage: bench/generation.sh [WORK_DIR] [THREADS] [NEW_TOKENS] [PROMPTS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench-generation}
threads=${2:-1}
new=${3:-96}
count=${4:-8}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
fixtures=$root/models/fixtures
mkdir -p "$work"
export GENC_CACHE_DIR=$work/cache
for m in target draft draft-distilled; do
  [ -f "$work/$m.so" ] || "$genc" compile "$fixtures/$m-with-past.onnx" --kv-cache=session -o "$work/$m.so"
done
# A draft's proposals need not be exact: a 4-bit draft is a cheaper one.
[ -f "$work/draft-distilled-int4.so" ] || "$genc" compile "$fixtures/draft-distilled-with-past.onnx" \
  --kv-cache=session --weights=int4 -o "$work/draft-distilled-int4.so"
# Prompts: the first $count held-out lines of 10 words or more, every 50th.
mapfile -t prompts < <(awk 'NF >= 10 && ++seen % 50 == 1 { print; if (++n == '"$count"') exit }' \
                         "$fixtures/heldout.txt")
run() { # LABEL ARGS...: the median tokens/s and the summed statistics over the prompts
  local label=$1; shift
  for p in "${prompts[@]}"; do
    "$genc" generate "$work/target.so" --tokenizer "$fixtures/tokenizer.model" --prompt "$p" \
      --max-new-tokens "$new" --eos-token-id 2 --min-new-tokens "$new" --threads "$threads" \
      --output-format json "$@"
  done | /usr/bin/python3 -c '
import json, statistics, sys
label = sys.argv[1]
runs = [json.loads(line) for line in sys.stdin if line.strip()]
stats = [r["stats"] for r in runs]
rate = statistics.median(s["decode_tokens_per_s"] for s in stats)
proposed = sum(s["draft_tokens_proposed"] for s in stats)
accepted = sum(s["draft_tokens_accepted"] for s in stats)
tokens = sum(s["generated_tokens"] for s in stats)
passes = sum(s["target_passes"] for s in stats)
extra = f"  acceptance {accepted / proposed:5.1%}" if proposed else ""
print(f"{label:28s} {rate:9.1f} tokens/s  {1000 / rate:7.3f} ms/token  {tokens / passes:5.2f} tokens/target pass{extra}")
' "$label"
}
echo "== $threads thread(s), $new new tokens, ${#prompts[@]} prompts (median tokens/s after the prompt)"
run "greedy, target alone"
for gamma in 1 2 3; do
  run "speculative, draft, γ=$gamma" --draft "$work/draft.so" --num-assistant-tokens $gamma
done
for gamma in 1 2 3 4 6 8; do
  run "speculative, distilled, γ=$gamma" --draft "$work/draft-distilled.so" --num-assistant-tokens $gamma
done
for gamma in 2 3 4 6 8; do
  run "speculative, distilled int4, γ=$gamma" --draft "$work/draft-distilled-int4.so" --num-assistant-tokens $gamma
done
for k in 2 4 8; do
  run "speculative, prompt lookup $k" --prompt-lookup-num-tokens $k
done
run "beam search, 4 beams" --num-beams 4
# What a round costs: a cached call's time by tokens per call (the target
# verifies γ + 1 tokens in one call; the draft appends one per proposal).
build=${GENC_BUILD_DIR:-$root/build}
/usr/lib/llvm-22/bin/clang++ -O2 -std=c++17 -I"$root/runtime/include" \
  "$root/bench/session-call-cost.cpp" -L"$build/runtime" -lgenc_runtime \
  -Wl,-rpath,"$build/runtime" -o "$work/session-call-cost"
for m in target draft-distilled draft-distilled-int4; do
  echo "== $m: a call after a 32-token prompt, one thread (median of 7 rounds of 200)"
  "$work/session-call-cost" "$work/$m.so" 32 9
done
