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
