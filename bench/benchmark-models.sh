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

# decode_bytes MODEL CONTEXT: the bytes one decode step of MODEL (an f32
# export with past_key_values.N.key/value inputs) must read: each matmul
# weight once per use (the gathered embedding table not) and, at CONTEXT
# cached positions, every layer's keys and values.
decode_bytes() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
import numpy as np
import onnx
model = onnx.load(sys.argv[1], load_external_data=False)
initializers = {t.name: t for t in model.graph.initializer}
matmul_weights = [i for n in model.graph.node if n.op_type in ("MatMul", "Gemm")
                  for i in n.input if i in initializers]
assert all(initializers[w].data_type == onnx.TensorProto.FLOAT for w in matmul_weights)
weights = sum(int(np.prod(initializers[w].dims)) * 4 for w in matmul_weights)
cache = 0
for i in model.graph.input:
    if i.name.startswith("past_key_values."):
        tensor = i.type.tensor_type
        heads, head_size = (d.dim_value for d in tensor.shape.dim[1::2])
        assert heads and head_size and tensor.elem_type == onnx.TensorProto.FLOAT, i.name
        cache += heads * int(sys.argv[2]) * head_size * 4
print(weights + cache)
PY
}

# fixture_ids TEXT OUT: BOS and the SentencePiece ids (the trained
# fixtures' tokenizer) of models/fixtures/TEXT.txt, space-separated, in OUT.
fixture_ids() {
  local fixtures
  fixtures=$(cd "$(dirname "${BASH_SOURCE[0]}")/../models/fixtures" && pwd)
  /usr/bin/python3 -c "
import sentencepiece as s
sp = s.SentencePieceProcessor(model_file='$fixtures/tokenizer.model')
print(' '.join(map(str, [1] + sp.encode(open('$fixtures/$1.txt').read()))))" > "$2"
}
