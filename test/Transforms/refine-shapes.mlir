// RUN: genc-opt --genc-refine-shapes --split-input-file %s | FileCheck %s

// A reshape whose shape operand has become partly constant gets the static
// dims, its users follow, and so does the function's result type.
// CHECK-LABEL: func.func @reshape_becomes_static
// CHECK-SAME: -> tensor<?x?x8x8xf32>
// CHECK: genc.reshape {{.*}} -> tensor<?x?x8x8xf32>
// CHECK: genc.transpose {{.*}} -> tensor<?x8x?x8xf32>
// CHECK: return {{.*}} : tensor<?x?x8x8xf32>
func.func @reshape_becomes_static(%x: tensor<?x?x64xf32>, %b: i64, %s: i64) -> tensor<?x?x?x?xf32> {
  %c8 = arith.constant 8 : i64
  %shape = tensor.from_elements %b, %s, %c8, %c8 : tensor<4xi64>
  %y = genc.reshape %x, %shape : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %t = genc.transpose %y {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x?x?xf32> -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// -----

// Refinement never drops static information already in a type.
// CHECK-LABEL: func.func @keeps_static
// CHECK: genc.relu {{.*}} -> tensor<2x?xf32>
func.func @keeps_static(%x: tensor<?x?xf32>) -> tensor<2x?xf32> {
  %y = genc.relu %x : tensor<?x?xf32> -> tensor<2x?xf32>
  return %y : tensor<2x?xf32>
}

// -----

// An If result is static where both branches agree.
// CHECK-LABEL: func.func @if_join
// CHECK: genc.if {{.*}} -> tensor<?x4xf32>
func.func @if_join(%c: tensor<1xi1>, %a: tensor<3x4xf32>, %b: tensor<5x4xf32>) -> tensor<?x?xf32> {
  %r = genc.if %c : tensor<1xi1> -> tensor<?x?xf32> {
    genc.yield %a : tensor<3x4xf32>
  } else {
    genc.yield %b : tensor<5x4xf32>
  }
  return %r : tensor<?x?xf32>
}

// -----

// A split's pieces take the input's dims, but along the axis (CodeGen
// splits a reshape whose sizes are computed at run time).
// CHECK-LABEL: func.func @split_pieces_follow_input
// CHECK: genc.split {{.*}} -> tensor<?x?x4x32xf32>, tensor<?x?x4x64xf32>
func.func @split_pieces_follow_input(%x: tensor<?x?x384xf32>, %b: i64, %s: i64) -> tensor<?x?x?x32xf32> {
  %c4 = arith.constant 4 : i64
  %c96 = arith.constant 96 : i64
  %shape = tensor.from_elements %b, %s, %c4, %c96 : tensor<4xi64>
  %y = genc.reshape %x, %shape : (tensor<?x?x384xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  %p:2 = genc.split %y {axis = 3 : i64, sizes = array<i64: 32, 64>} : tensor<?x?x?x?xf32> -> tensor<?x?x?x32xf32>, tensor<?x?x?x64xf32>
  return %p#0 : tensor<?x?x?x32xf32>
}
