// RUN: genc-opt --genc-cleanup --split-input-file %s | FileCheck %s

// The pipeline reaches a fixed point: the reshape's shape folds, the type
// refines, and the second reshape (now from a static-headed type) folds too.
// CHECK-LABEL: func.func @two_rounds
// CHECK-NOT: genc.shape
// CHECK: %[[R:.+]] = genc.reshape {{.*}} -> tensor<?x?x8x8xf32>
// CHECK-NOT: genc.shape
// CHECK: genc.reshape %[[R]], %{{.+}} : {{.*}} -> tensor<?x?x64xf32>
func.func @two_rounds(%x: tensor<?x?x64xf32>) -> tensor<?x?x?xf32> {
  %s = genc.shape %x {end = 2 : i64} : tensor<?x?x64xf32> -> tensor<2xi64>
  %heads = arith.constant dense<[8, -1]> : tensor<2xi64>
  %t = genc.concat %s, %heads {axis = 0 : i64} : (tensor<2xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = genc.reshape %x, %t : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %s2 = genc.shape %r : tensor<?x?x?x?xf32> -> tensor<4xi64>
  %i = arith.constant dense<[0, 1]> : tensor<2xi64>
  %bs = genc.gather %s2[%i] {axis = 0 : i64} : (tensor<4xi64>, tensor<2xi64>) -> tensor<2xi64>
  %d = arith.constant dense<[64]> : tensor<1xi64>
  %t2 = genc.concat %bs, %d {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<3xi64>
  %y = genc.reshape %r, %t2 : (tensor<?x?x?x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// No-op casts and identity transposes disappear; a real cast stays.
// CHECK-LABEL: func.func @no_ops
// CHECK-NOT: genc.transpose
// CHECK: %[[C:.+]] = genc.cast %arg0 {to = f16}
// CHECK: return %[[C]]
func.func @no_ops(%x: tensor<?x4xf32>) -> tensor<?x4xf16> {
  %a = genc.cast %x {to = f32} : tensor<?x4xf32> -> tensor<?x4xf32>
  %b = genc.transpose %a {perm = array<i64: 0, 1>} : tensor<?x4xf32> -> tensor<?x4xf32>
  %c = genc.cast %b {to = f16} : tensor<?x4xf32> -> tensor<?x4xf16>
  return %c : tensor<?x4xf16>
}

// -----

// A constant If condition inlines the taken branch.
// CHECK-LABEL: func.func @constant_if
// CHECK-NOT: genc.if
// CHECK: %[[R:.+]] = genc.relu %arg0
// CHECK: return %[[R]]
func.func @constant_if(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = arith.constant dense<true> : tensor<1xi1>
  %r = genc.if %c : tensor<1xi1> -> tensor<4xf32> {
    %a = genc.relu %x : tensor<4xf32> -> tensor<4xf32>
    genc.yield %a : tensor<4xf32>
  } else {
    %b = genc.neg %x : tensor<4xf32> -> tensor<4xf32>
    genc.yield %b : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
