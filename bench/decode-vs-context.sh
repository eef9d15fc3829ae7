#!/usr/bin/env bash
# One decode step's time against the context length, GPT-2-small-sized
# model (12 layers, d 768, 2048 positions), batch 1:
#   io      - genc, the cache passed in and returned (present = Concat(past,
#             new): the whole cache is copied every step), `genc run`;
#   session - genc, --kv-cache=session: the step writes its keys and values
#             into the session's buffers in place (`genc generate`, mean
#             over 32 steps after the prompt);
#   ort     - ONNX Runtime 1.30 on the exported model (its own concat).
# Not a test: results go to docs/results.md with this command.
# Usage: bench/decode-vs-context.sh [WORK_DIR] [RUNS] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench-context}
runs=${2:-10}
threads=${3:-2}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
model=$work/gpt2-small-with-past-opset17.onnx
mkdir -p "$work"
if [ ! -f "$model" ]; then
  /usr/bin/python3 "$root/models/zoo.py" "$work" --benchmark-models --max-positions 2048 \
    > "$work/export.log" 2>&1
fi
for v in io session; do
  [ -f "$work/gpt2-$v.so" ] || "$genc" compile "$model" --kv-cache=$v -o "$work/gpt2-$v.so"
  # Settled weights (see bench/prefill-decode-vs-ort.sh).
  cp "$work/gpt2-$v.so.weights" "$work/w.copy" && mv "$work/w.copy" "$work/gpt2-$v.so.weights"
done
as_inputs() { for s in $1; do printf -- '--input %s ' "$s"; done; }
steps=32
echo "context  io-ms  session-ms  ort-ms   ($threads threads; median of $runs; session: mean of $steps steps)"
for context in 64 512 2048; do
  past=$((context - 1))
  inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$work/in-$context" \
             --batch 1 --sequence 1 --past $past)
  io=$("$genc" run "$work/gpt2-io.so" $(as_inputs "$inputs") --repeat "$runs" --threads "$threads" |
         sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
  ort=$(node "$root/bench/ort-time.mjs" "$model" "$runs" "$threads" $inputs |
          sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
  # A prompt that ends where the measured steps begin: context - steps tokens.
  prompt=$(/usr/bin/python3 -c "import random; random.seed(1); print(','.join(str(random.randrange(50257)) for _ in range($context - $steps)))")
  # The last token is not fed back: the run uses exactly `context` positions.
  rate=$("$genc" generate "$work/gpt2-session.so" --prompt-ids "$prompt" --max-new-tokens $((steps + 1)) \
           --threads "$threads" --output-format json |
           /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['stats']['decode_tokens_per_s'])")
  session=$(/usr/bin/python3 -c "print(f'{1000 * ($steps + 1) / $rate / $steps:.2f}')")
  printf '%7d  %6s  %10s  %6s\n' "$context" "$io" "$session" "$ort"
done
