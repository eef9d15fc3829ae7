// RUN: genc-opt --genc-convert-to-linalg --split-input-file %s | FileCheck %s

// Integer min/max start at the type's exact extremes (INT64_MAX has no
// double of its own: converting through one overflowed).
// CHECK-LABEL: func.func @min_max_i64
// CHECK-DAG: arith.constant 9223372036854775807 : i64
// CHECK-DAG: arith.constant -9223372036854775808 : i64
// CHECK-DAG: arith.minsi
// CHECK-DAG: arith.maxsi
func.func @min_max_i64(%x: tensor<4xi64>) -> (tensor<i64>, tensor<i64>) {
  %0 = genc.reduce_min %x {axes = array<i64>, keepdims = false} : tensor<4xi64> -> tensor<i64>
  %1 = genc.reduce_max %x {axes = array<i64>, keepdims = false} : tensor<4xi64> -> tensor<i64>
  return %0, %1 : tensor<i64>, tensor<i64>
}

// -----

// An i64 mean divides by the i64 element count as it is.
// CHECK-LABEL: func.func @mean_i64
// CHECK-NOT: arith.trunci
// CHECK: arith.divsi %{{.+}}, %{{.+}} : i64
func.func @mean_i64(%x: tensor<4x?xi64>) -> tensor<4xi64> {
  %0 = genc.reduce_mean %x {axes = array<i64: 1>, keepdims = false} : tensor<4x?xi64> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

// Unsigned reductions compute on signless scalars with the unsigned ops:
// max starts at 0, min at all ones, a mean divides unsigned.
// CHECK-LABEL: func.func @unsigned_reductions
// CHECK-NOT: arith.{{(max|min|div)si}}
// CHECK-DAG: arith.constant 0 : i8
// CHECK-DAG: arith.constant -1 : i8
// CHECK-DAG: arith.maxui %{{.+}}, %{{.+}} : i8
// CHECK-DAG: arith.minui %{{.+}}, %{{.+}} : i8
// CHECK-DAG: arith.addi %{{.+}}, %{{.+}} : i8
// CHECK-DAG: arith.divui %{{.+}}, %{{.+}} : i32
// CHECK-NOT: arith.{{(max|min|div)si}}
func.func @unsigned_reductions(%x: tensor<4x8xui8>, %y: tensor<4x8xui32>)
    -> (tensor<4xui8>, tensor<4xui8>, tensor<4xui8>, tensor<4xui32>) {
  %0 = genc.reduce_max %x {axes = array<i64: 1>, keepdims = false} : tensor<4x8xui8> -> tensor<4xui8>
  %1 = genc.reduce_min %x {axes = array<i64: 1>, keepdims = false} : tensor<4x8xui8> -> tensor<4xui8>
  %2 = genc.reduce_sum %x {axes = array<i64: 1>, keepdims = false} : tensor<4x8xui8> -> tensor<4xui8>
  %3 = genc.reduce_mean %y {axes = array<i64: 1>, keepdims = false} : tensor<4x8xui32> -> tensor<4xui32>
  return %0, %1, %2, %3 : tensor<4xui8>, tensor<4xui8>, tensor<4xui8>, tensor<4xui32>
}

// -----

// An unsigned matmul multiplies and adds signless scalars; the tensors keep
// their unsigned type.
// CHECK-LABEL: func.func @unsigned_matmul
// CHECK: linalg.generic
// CHECK: arith.muli %{{.+}}, %{{.+}} : i32
// CHECK: arith.addi %{{.+}}, %{{.+}} : i32
// CHECK: -> tensor<2x4xui32>
func.func @unsigned_matmul(%a: tensor<2x3xui32>, %b: tensor<3x4xui32>) -> tensor<2x4xui32> {
  %0 = genc.matmul %a, %b : (tensor<2x3xui32>, tensor<3x4xui32>) -> tensor<2x4xui32>
  return %0 : tensor<2x4xui32>
}

// -----

// Zeros and fill values of unsigned tensors are made signless, then read as
// unsigned; Relu of an unsigned value is the value.
// CHECK-LABEL: func.func @unsigned_constants
// CHECK-DAG: arith.constant 0 : i8
// CHECK-DAG: arith.constant -56 : i8
// CHECK-NOT: arith.maxsi
func.func @unsigned_constants(%x: tensor<3x3xui8>, %k: tensor<i64>, %shape: tensor<2xi64>)
    -> (tensor<3x3xui8>, tensor<?x?xui8>, tensor<3x3xui8>) {
  %0 = genc.trilu %x, %k {upper = true} : (tensor<3x3xui8>, tensor<i64>) -> tensor<3x3xui8>
  %1 = genc.constant_of_shape %shape {value = dense<200> : tensor<1xui8>} : (tensor<2xi64>) -> tensor<?x?xui8>
  %2 = genc.relu %x : tensor<3x3xui8> -> tensor<3x3xui8>
  return %0, %1, %2 : tensor<3x3xui8>, tensor<?x?xui8>, tensor<3x3xui8>
}
