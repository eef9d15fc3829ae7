// RUN: genc-opt --genc-rewrite-attention="spec=linear@layers=0,performer:32@layers=1,gqa:2@layers=1" %s | FileCheck %s
// RUN: not genc-opt --genc-rewrite-attention="spec=linear,window:8" %s 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not genc-opt --genc-rewrite-attention="spec=performer:0" %s 2>&1 | FileCheck %s --check-prefix=SYNTAX --implicit-check-not=func
// RUN: not genc-opt --genc-rewrite-attention="spec=linear:4" %s 2>&1 | FileCheck %s --check-prefix=ARGUMENT

// Linear attention is a feature map on the layer's attention: elu + 1, or
// FAVOR+ with its [head size, M] random features drawn for the layer. It
// combines with GQA (the KV heads pooled first).
// CHECK: %[[L0:.+]] = genc.attention %arg0, %arg1, %arg2 {causal = true, feature_map = "elu", scale = 2.500000e-01 : f32}
// CHECK: genc.attention %[[L0]], %{{.+}}, %{{.+}} {causal = true, feature_map = "performer", random_features = dense<{{.+}}> : tensor<16x32xf32>, scale = 2.500000e-01 : f32} : (tensor<2x4x32x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x32x16xf32>)

// BOTH: error: --attention: layer 0 gets both linear and window:8; linear attention sees every earlier position through its sums, and takes no sparsity pattern
// SYNTAX: error: --attention=performer:0: 'performer' takes the number of random features, 1 to 4096, as performer:256
// ARGUMENT: error: --attention=linear:4: 'linear' takes no argument
func.func @main(%q: tensor<2x4x32x16xf32>, %k: tensor<2x4x32x16xf32>, %v: tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32> {
  %0 = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  %1 = genc.attention %0, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  return %1 : tensor<2x4x32x16xf32>
}
