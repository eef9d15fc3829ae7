// RUN: genc-opt --genc-rewrite-attention="spec=window:4@layers=0+2-3,gqa:1@layers=3" %s | FileCheck %s
// RUN: not genc-opt --genc-rewrite-attention="spec=window:4@layers=4" %s 2>&1 | FileCheck %s --check-prefix=RANGE
// RUN: not genc-opt --genc-rewrite-attention="spec=sinks:4@layers=1,window:8@layers=0" %s 2>&1 | FileCheck %s --check-prefix=ALONE
// RUN: not genc-opt --genc-rewrite-attention="spec=window:8,window:16@layers=2" %s 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not genc-opt --genc-rewrite-attention="spec=gqa:3" %s 2>&1 | FileCheck %s --check-prefix=DIVIDE
// RUN: not genc-opt --genc-rewrite-attention="spec=gqa:4" %s 2>&1 | FileCheck %s --check-prefix=MANY
// RUN: not genc-opt --genc-rewrite-attention="spec=window:32" %s 2>&1 | FileCheck %s --check-prefix=CONTEXT
// RUN: not genc-opt --genc-rewrite-attention="spec=sparse:8" %s 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not genc-opt --genc-rewrite-attention="spec=window:4@layers=0-2+1" %s 2>&1 | FileCheck %s --check-prefix=OVERLAP

// Layers 0, 2 and 3 get the window, layer 3 also one KV head; layer 1 stays.
// CHECK: %[[L0:.+]] = genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32, window = 4 : i64}
// CHECK: %[[L1:.+]] = genc.attention %[[L0]], %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32}
// CHECK: %[[L2:.+]] = genc.attention %[[L1]], %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32, window = 4 : i64}
// CHECK: genc.attention %[[L2]], %{{.+}}, %{{.+}} {causal = true, scale = 2.500000e-01 : f32, window = 4 : i64} : (tensor<2x4x32x16xf32>, tensor<2x1x32x16xf32>, tensor<2x1x32x16xf32>)

// RANGE: error: --attention=window:4@layers=4: layer 4 does not exist; the model has 4 attention layers, 0 to 3
// ALONE: error: --attention=sinks:4@layers=1: layer 1 has no window
// TWICE: error: --attention: layer 2 gets both window:8 and window:16@layers=2
// DIVIDE: error: --attention=gqa:3: layer 0 has 4 key/value heads, which 3 does not divide; choose G among 1, 2
// MANY: error: --attention=gqa:4: layer 0 has 4 key/value heads, not more than 4: G must be fewer; choose G among 1, 2
// CONTEXT: error: --attention=window:32: layer 0 attends over 32 positions, so a window of 32 changes nothing
// OVERLAP: error: --attention=window:4@layers=0-2+1: layer 1 is named twice
// MISSING: error: --attention=sparse:8: 'sparse' is not an attention rewrite; genc knows window:W
func.func @main(%q: tensor<2x4x32x16xf32>, %k: tensor<2x4x32x16xf32>, %v: tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32> {
  %0 = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  %1 = genc.attention %0, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  %2 = genc.attention %1, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  %3 = genc.attention %2, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  return %3 : tensor<2x4x32x16xf32>
}
