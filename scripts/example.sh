#!/usr/bin/env bash
# The main job on the bundled model: compiles the trained LLaMA-style
# fixture (models/fixtures, trained on Jane Austen's novels) for a
# generation session and generates text from a prompt, greedily and by
# sampling, printing tokens/s.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GENC_BUILD_DIR:-$root/build}
out=${1:-$root/models/out}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" genc
fixtures=$root/models/fixtures
genc=$build/tools/genc/genc
mkdir -p "$out"
"$genc" compile "$fixtures/target-with-past.onnx" --kv-cache=session -o "$out/target.so"
echo "compiled $fixtures/target-with-past.onnx -> $out/target.so (+ $out/target.so.weights)"
prompt="It is a truth universally acknowledged, that"
echo "prompt: $prompt"
echo "== greedy"
"$genc" generate "$out/target.so" --tokenizer "$fixtures/tokenizer.model" --prompt "$prompt" \
  --max-new-tokens 80
echo "== sampling (temperature 0.8, top-p 0.9, seed 7)"
"$genc" generate "$out/target.so" --tokenizer "$fixtures/tokenizer.model" --prompt "$prompt" \
  --max-new-tokens 80 --do-sample --temperature 0.8 --top-p 0.9 --seed 7
echo "== speculative greedy with the distilled draft (4 proposals a round; the same text as greedy)"
"$genc" generate "$out/target.so" --tokenizer "$fixtures/tokenizer.model" --prompt "$prompt" \
  --max-new-tokens 80 --draft "$fixtures/draft-distilled-with-past.onnx" --num-assistant-tokens 4
