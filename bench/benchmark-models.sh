# Sourced by the benchmark scripts: the ~125M-parameter benchmark models
# (GPT-2-small-sized and LLaMA-style, with and without a KV cache, opset
# 17; models/zoo.py --benchmark-models) in a work folder, exported once.

# ensure_benchmark_models WORK_DIR
ensure_benchmark_models() {
  local root m
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  for m in gpt2-small llama-small; do
    if [ ! -f "$1/$m-with-past-opset17.onnx" ] || [ ! -f "$1/$m-no-past-opset17.onnx" ]; then
      mkdir -p "$1"
      /usr/bin/python3 "$root/models/zoo.py" "$1" --benchmark-models > "$1/export.log" 2>&1
      return
    fi
  done
}

# benchmark_inputs WORK_DIR MODEL FOLDER SEQUENCE PAST: inputs for MODEL
# (gpt2-small or llama-small, with past) at batch 1, saved as .npy files in
# WORK_DIR/FOLDER; prints NAME=FILE lines.
benchmark_inputs() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  /usr/bin/python3 "$root/models/make_inputs.py" "$1/$2-with-past-opset17.onnx" "$1/$3" \
    --batch 1 --sequence "$4" --past "$5"
}
