// RUN: not genc-opt --genc-rewrite-attention="spec=bigbird:4" %s 2>&1 | FileCheck %s

// A model with a sliding window of its own (Mistral's) is not dense.
// CHECK: error: --attention=bigbird:4: layer 0 already has a window, sinks or global tokens; BigBird replaces dense attention only
func.func @main(%q: tensor<2x4x64x16xf32>, %k: tensor<2x4x64x16xf32>, %v: tensor<2x4x64x16xf32>) -> tensor<2x4x64x16xf32> {
  %0 = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32, window = 16 : i64} : (tensor<2x4x64x16xf32>, tensor<2x4x64x16xf32>, tensor<2x4x64x16xf32>) -> tensor<2x4x64x16xf32>
  return %0 : tensor<2x4x64x16xf32>
}
