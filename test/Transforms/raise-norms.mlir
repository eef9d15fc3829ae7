// RUN: genc-opt --genc-raise-norms --split-input-file %s | FileCheck %s

// LLaMA's RMSNorm: x · 1/√(mean(x²) + ε) · w, the weight folded in; the
// chain is gone.
// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>
// CHECK-NOT: genc.pow
// CHECK-NOT: genc.sqrt
// CHECK: %[[W:.+]] = arith.constant dense<2.000000e+00> : tensor<64xf32>
// CHECK-NOT: genc.pow
// CHECK-NOT: genc.sqrt
// CHECK: %[[Y:.+]] = genc.rms_norm %[[X]], %[[W]] {axis = 2 : i64, epsilon = 9.99999997E-7 : f32}
// CHECK-NEXT: return %[[Y]]
func.func @rms_norm(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %w = arith.constant dense<2.0> : tensor<64xf32>
  %0 = genc.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %1 = genc.reduce_mean %0 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %2 = genc.add %1, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %3 = genc.sqrt %2 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %4 = genc.div %one, %3 : (tensor<f32>, tensor<?x?x1xf32>) -> tensor<?x?x1xf32>
  %5 = genc.mul %x, %4 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %6 = genc.mul %5, %w : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %6 : tensor<?x?x64xf32>
}

// -----

// x · x squared, x / √(· + ε), no weight: the scale is 1 (ε is the
// default, 1e-5). A weight that
// varies along a dim the norm does not cover stays a multiplication.
// CHECK-LABEL: func.func @rms_norm_divided(
// CHECK-SAME: %[[X:[^:]+]]: tensor<3x?x64xf32>
// CHECK: %[[ONE:.+]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[N:.+]] = genc.rms_norm %[[X]], %[[ONE]] {axis = 2 : i64}
// CHECK: %[[Y:.+]] = genc.mul %[[N]], %{{.+}} : (tensor<3x?x64xf32>, tensor<3x1x64xf32>)
// CHECK: return %[[Y]]
func.func @rms_norm_divided(%x: tensor<3x?x64xf32>) -> tensor<3x?x64xf32> {
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %w = arith.constant dense<2.0> : tensor<3x1x64xf32>
  %0 = genc.mul %x, %x : (tensor<3x?x64xf32>, tensor<3x?x64xf32>) -> tensor<3x?x64xf32>
  %1 = genc.reduce_mean %0 {axes = array<i64: 2>} : tensor<3x?x64xf32> -> tensor<3x?x1xf32>
  %2 = genc.add %eps, %1 : (tensor<f32>, tensor<3x?x1xf32>) -> tensor<3x?x1xf32>
  %3 = genc.sqrt %2 : tensor<3x?x1xf32> -> tensor<3x?x1xf32>
  %4 = genc.div %x, %3 : (tensor<3x?x64xf32>, tensor<3x?x1xf32>) -> tensor<3x?x64xf32>
  %5 = genc.mul %4, %w : (tensor<3x?x64xf32>, tensor<3x1x64xf32>) -> tensor<3x?x64xf32>
  return %5 : tensor<3x?x64xf32>
}

// -----

// LayerNorm as exported before opset 17, its weight and bias folded in;
// then a second one that reads the first (BLOOM's embedding norm before its
// first layer's).
// CHECK-LABEL: func.func @layer_norms(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>
// CHECK-NOT: genc.reduce_mean
// CHECK: %[[N:.+]] = genc.layer_norm %[[X]], %[[W:[^ ]+]] bias(%[[B:[^)]+]]) {axis = 2 : i64, epsilon = 9.99999996E-13 : f32}
// CHECK-NEXT: %[[M:.+]] = genc.layer_norm %[[N]], %[[W]] bias(%[[B]])
// CHECK-NEXT: return %[[M]]
func.func @layer_norms(%x: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-12> : tensor<f32>
  %w = arith.constant dense<2.0> : tensor<64xf32>
  %b = arith.constant dense<0.5> : tensor<64xf32>
  %0 = genc.reduce_mean %x {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %1 = genc.sub %x, %0 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %2 = genc.pow %1, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %3 = genc.reduce_mean %2 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %4 = genc.add %3, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %5 = genc.sqrt %4 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %6 = genc.div %1, %5 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %7 = genc.mul %6, %w : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %8 = genc.add %7, %b : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %10 = genc.reduce_mean %8 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %11 = genc.sub %8, %10 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %12 = genc.pow %11, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %13 = genc.reduce_mean %12 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %14 = genc.add %13, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %15 = genc.sqrt %14 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %16 = genc.div %11, %15 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %17 = genc.mul %16, %w : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %18 = genc.add %17, %b : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  return %18 : tensor<?x?x64xf32>
}

// -----

// Not normalisations: a mean over a leading dim, a root that something
// else reads too, and ε that is not a constant.
// CHECK-LABEL: func.func @not_norms(
// CHECK-NOT: genc.rms_norm
// CHECK-NOT: genc.layer_norm
// CHECK: return
func.func @not_norms(%x: tensor<?x?x64xf32>, %e: tensor<f32>)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x1xf32>, tensor<?x?x64xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-6> : tensor<f32>
  %0 = genc.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %1 = genc.reduce_mean %0 {axes = array<i64: 1>} : tensor<?x?x64xf32> -> tensor<?x1x64xf32>
  %2 = genc.add %1, %eps : (tensor<?x1x64xf32>, tensor<f32>) -> tensor<?x1x64xf32>
  %3 = genc.sqrt %2 : tensor<?x1x64xf32> -> tensor<?x1x64xf32>
  %4 = genc.div %x, %3 : (tensor<?x?x64xf32>, tensor<?x1x64xf32>) -> tensor<?x?x64xf32>
  %10 = genc.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %11 = genc.reduce_mean %10 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %12 = genc.add %11, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %13 = genc.sqrt %12 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %14 = genc.div %x, %13 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %20 = genc.mul %x, %x : (tensor<?x?x64xf32>, tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %21 = genc.reduce_mean %20 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %22 = genc.add %21, %e : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %23 = genc.sqrt %22 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %24 = genc.div %x, %23 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  return %4, %14, %13, %24 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x1xf32>, tensor<?x?x64xf32>
}

// -----

// A weight that is not a constant stays a multiplication (the norm has a
// unit scale); a centred x that something else reads is not a LayerNorm's.
// CHECK-LABEL: func.func @weight_and_centred_reads(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x64xf32>, %[[W:[^:]+]]: tensor<64xf32>
// CHECK: %[[N:.+]] = genc.rms_norm %[[X]], %{{.+}} {axis = 2 : i64} : (tensor<?x?x64xf32>, tensor<f32>)
// CHECK: genc.mul %[[N]], %[[W]]
// CHECK-NOT: genc.layer_norm
// CHECK: return
func.func @weight_and_centred_reads(%x: tensor<?x?x64xf32>, %w: tensor<64xf32>)
    -> (tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %0 = genc.pow %x, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %1 = genc.reduce_mean %0 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %2 = genc.add %1, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %3 = genc.sqrt %2 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %4 = genc.div %x, %3 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %5 = genc.mul %4, %w : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %10 = genc.reduce_mean %x {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %11 = genc.sub %x, %10 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  %12 = genc.pow %11, %two : (tensor<?x?x64xf32>, tensor<f32>) -> tensor<?x?x64xf32>
  %13 = genc.reduce_mean %12 {axes = array<i64: 2>} : tensor<?x?x64xf32> -> tensor<?x?x1xf32>
  %14 = genc.add %13, %eps : (tensor<?x?x1xf32>, tensor<f32>) -> tensor<?x?x1xf32>
  %15 = genc.sqrt %14 : tensor<?x?x1xf32> -> tensor<?x?x1xf32>
  %16 = genc.div %11, %15 : (tensor<?x?x64xf32>, tensor<?x?x1xf32>) -> tensor<?x?x64xf32>
  return %5, %16, %11 : tensor<?x?x64xf32>, tensor<?x?x64xf32>, tensor<?x?x64xf32>
}
