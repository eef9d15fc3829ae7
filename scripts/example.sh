#!/usr/bin/env bash
# The main job on a bundled model: builds the zoo's small GPT-2 (exported by
# torch.onnx.export with a KV cache), compiles it with genc and runs it on
# random tokens with a 4-token past.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GENC_BUILD_DIR:-$root/build}
out=${1:-$root/models/out}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" genc
mkdir -p "$out"
/usr/bin/python3 "$root/models/zoo.py" "$out" > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
model=$out/gpt2-with-past-opset17.onnx
genc=$build/tools/genc/genc
"$genc" import "$model" -o "$out/gpt2.mlir"
echo "imported $model -> $out/gpt2.mlir"
"$genc" compile "$model" -o "$out/gpt2.so"
echo "compiled $model -> $out/gpt2.so (+ $out/gpt2.so.weights)"
inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$model" "$out/inputs" --batch 1 --sequence 8 --past 4)
args=()
for spec in $inputs; do args+=(--input "$spec"); done
"$genc" run "$out/gpt2.so" "${args[@]}" --output-dir "$out/outputs" --repeat 10
