#!/usr/bin/env bash
# Two genc builds side by side on chains of ten normalisations of a
# [1, 128, 768] activation (a prefill's LayerNorm and RMS norm, as ONNX's
# LayerNormalization and as the Pow/ReduceMean/Sqrt/Div graph exporters
# write for RMS norm), with nothing else in the graph: the loop nests
# genc generates for norms, timed alone, on 1 and 2 threads, builds
# alternating. Median ms of RUNS calls after a warm-up. Not a test:
# docs/results.md quotes it with the command.
# Usage: bench/norm-chains.sh OLD_GENC NEW_GENC [WORK_DIR] [RUNS] [ROUNDS]
set -euo pipefail
old=$1 new=$2 work=${3:-/tmp/genc-bench/norm-chains} runs=${4:-200} rounds=${5:-2}
mkdir -p "$work"

layer=$work/layer-norm.onnxtext rms=$work/rms-norm.onnxtext
{
  echo '<ir_version: 8, opset_import: ["" : 17]>'
  echo 'g (float[B,S,768] x, float[768] scale, float[768] bias) => (float[B,S,768] y9) {'
  previous=x
  for i in $(seq 0 9); do
    echo "  y$i = LayerNormalization<epsilon = 0.00001>($previous, scale, bias)"
    previous=y$i
  done
  echo '}'
} > "$layer"
{
  echo '<ir_version: 8, opset_import: ["" : 17]>'
  echo 'g (float[B,S,768] x, float[768] scale) => (float[B,S,768] y9) {'
  echo '  two = Constant<value = float {2.0}>()'
  echo '  eps = Constant<value = float {0.000001}>()'
  previous=x
  for i in $(seq 0 9); do
    echo "  p$i = Pow($previous, two)"
    echo "  m$i = ReduceMean<axes = [-1], keepdims = 1>(p$i)"
    echo "  e$i = Add(m$i, eps)"
    echo "  r$i = Sqrt(e$i)"
    echo "  d$i = Div($previous, r$i)"
    echo "  y$i = Mul(d$i, scale)"
    previous=y$i
  done
  echo '}'
} > "$rms"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(0)
np.save(f"{sys.argv[1]}/x.npy", rng.standard_normal((1, 128, 768), dtype=np.float32))
np.save(f"{sys.argv[1]}/scale.npy", rng.uniform(0.5, 1.5, 768).astype(np.float32))
np.save(f"{sys.argv[1]}/bias.npy", rng.standard_normal(768, dtype=np.float32))
PY
for side in old new; do
  genc=$old
  [ $side = new ] && genc=$new
  for chain in layer rms; do
    "$genc" compile "$work/$chain-norm.onnxtext" -o "$work/$chain-$side.so" --quiet
  done
done

echo "# median ms of $runs calls after a warm-up"
for round in $(seq "$rounds"); do
  for chain in layer rms; do
    in="--input x=$work/x.npy --input scale=$work/scale.npy"
    [ $chain = layer ] && in="$in --input bias=$work/bias.npy"
    for threads in 1 2; do
      for side in old new; do
        genc=$old
        [ $side = new ] && genc=$new
        "$genc" run "$work/$chain-$side.so" $in --repeat "$runs" --threads "$threads" |
          sed -n "s/^latency over [0-9]* runs: /$chain norm x10, $threads threads, $side: /p"
      done
    done
  done
done
