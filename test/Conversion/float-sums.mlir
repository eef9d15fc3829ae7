// RUN: genc-opt --genc-convert-to-linalg --split-input-file %s | FileCheck %s

// A float reduction's sum may add in any order: its add carries `reassoc`,
// so that LLVM keeps vector partial sums. Max and min are exact in any
// order already; integer sums are exact.
// CHECK-LABEL: func.func @sums
// CHECK: linalg.generic
// CHECK: arith.addf %{{[^ ]+}}, %{{[^ ]+}} fastmath<reassoc> : f32
// CHECK-NOT: fastmath
// CHECK: linalg.generic
// CHECK: arith.maximumf %{{[^ ]+}}, %{{[^ ]+}} : f32
// CHECK: linalg.generic
// CHECK: arith.addi %{{[^ ]+}}, %{{[^ ]+}} : i32
func.func @sums(%x: tensor<4x?xf32>, %i: tensor<4x8xi32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi32>) {
  %0 = genc.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : tensor<4x?xf32> -> tensor<4xf32>
  %1 = genc.reduce_max %x {axes = array<i64: 1>, keepdims = false} : tensor<4x?xf32> -> tensor<4xf32>
  %2 = genc.reduce_sum %i {axes = array<i64: 1>, keepdims = false} : tensor<4x8xi32> -> tensor<4xi32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
}

// -----

// A LayerNorm's two sums (mean, variance) are free in order; its
// elementwise adds (epsilon, bias) are not reductions and stay exact.
// CHECK-LABEL: func.func @layer_norm
// CHECK-COUNT-2: arith.addf %{{[^ ]+}}, %{{[^ ]+}} fastmath<reassoc> : f32
// CHECK-NOT: fastmath<reassoc>
// CHECK: arith.addf %{{[^ ]+}}, %{{[^ ]+}} : f32
// CHECK-NOT: fastmath<reassoc>
// CHECK: return
func.func @layer_norm(%x: tensor<?x?x64xf32>, %s: tensor<64xf32>, %b: tensor<64xf32>)
    -> tensor<?x?x64xf32> {
  %0 = genc.layer_norm %x, %s bias(%b) {axis = 2 : i64, epsilon = 1.000000e-03 : f32}
      : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// Softmax's sum and ReduceMean's sum are float sums too.
// CHECK-LABEL: func.func @softmax_and_mean
// CHECK-COUNT-2: arith.addf %{{[^ ]+}}, %{{[^ ]+}} fastmath<reassoc> : f32
// CHECK-NOT: fastmath<reassoc>
// CHECK: return
func.func @softmax_and_mean(%x: tensor<4x?xf32>) -> (tensor<4x?xf32>, tensor<4x1xf32>) {
  %0 = genc.softmax %x {axis = 1 : i64} : tensor<4x?xf32> -> tensor<4x?xf32>
  %1 = genc.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : tensor<4x?xf32> -> tensor<4x1xf32>
  return %0, %1 : tensor<4x?xf32>, tensor<4x1xf32>
}
