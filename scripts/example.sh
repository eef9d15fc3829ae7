#!/usr/bin/env bash
# The main job on a bundled model: builds the zoo's small GPT-2 (exported by
# torch.onnx.export with a KV cache) and imports it into the genc dialect.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GENC_BUILD_DIR:-$root/build}
out=${1:-$root/models/out}
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh" genc
/usr/bin/python3 "$root/models/zoo.py" "$out" > "$out.log" 2>&1 || { cat "$out.log"; exit 1; }
"$build/tools/genc/genc" import "$out/gpt2-with-past-opset17.onnx" -o "$out/gpt2-with-past-opset17.mlir"
echo "imported $out/gpt2-with-past-opset17.onnx -> $out/gpt2-with-past-opset17.mlir"
grep -oE 'genc\.[a-z_]+ ' "$out/gpt2-with-past-opset17.mlir" | sort | uniq -c | sort -rn
