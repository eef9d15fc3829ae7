// RUN: genc-opt --genc-merge-projections --split-input-file %s | FileCheck %s

// Three weights that multiply one input become one [K, 2 + 1 + 2] weight,
// its rows the three rows side by side, and one matmul whose result a
// split along the last axis cuts back into the three products.
// CHECK-LABEL: func.func @projections
// CHECK: %[[W:.+]] = arith.constant dense_resource<merged_weight> : tensor<2x5xf32>
// CHECK: %[[P:.+]] = genc.matmul %arg0, %[[W]] : (tensor<?x?x2xf32>, tensor<2x5xf32>) -> tensor<?x?x5xf32>
// CHECK: %[[S:.+]]:3 = genc.split %[[P]] {axis = 2 : i64, sizes = array<i64: 2, 1, 2>}
// CHECK-NOT: genc.matmul
// CHECK: return %[[S]]#0, %[[S]]#1, %[[S]]#2
// Row 0: 1 2 | 5 | 7 8; row 1: 3 4 | 6 | 9 10 (after the blob's alignment word).
// CHECK: merged_weight: "0x040000000000803F000000400000A0400000E0400000004100004040000080400000C0400000104100002041"
func.func @projections(%x: tensor<?x?x2xf32>) -> (tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x?x2xf32>) {
  %q = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %k = arith.constant dense<[[5.0], [6.0]]> : tensor<2x1xf32>
  %v = arith.constant dense<[[7.0, 8.0], [9.0, 10.0]]> : tensor<2x2xf32>
  %0 = genc.matmul %x, %q : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %1 = genc.matmul %x, %k : (tensor<?x?x2xf32>, tensor<2x1xf32>) -> tensor<?x?x1xf32>
  %2 = genc.matmul %x, %v : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  return %0, %1, %2 : tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x?x2xf32>
}

// -----

// Other inputs, a weight that is not constant, and different calibration
// data keep their own matmuls.
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-4: genc.matmul
// CHECK-NOT: genc.split
func.func @kept(%x: tensor<?x2xf32>, %y: tensor<?x2xf32>, %w: tensor<2x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %a = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[[5.0, 6.0], [7.0, 8.0]]> : tensor<2x2xf32>
  %0 = genc.matmul %x, %a : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %1 = genc.matmul %y, %b : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %2 = genc.matmul %y, %w : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %3 = genc.matmul %x, %b {genc.input_gram = dense<1.0> : tensor<2x2xf32>} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %0, %1, %2, %3 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

// Matmuls of integers merge with each other, those whose weights int8
// holds apart from one whose weights it does not (200): merged with it,
// theirs would stay f32 too.
// CHECK-LABEL: func.func @integers
// CHECK: %[[W:.+]] = arith.constant dense_resource<merged_weight> : tensor<2x4xf32>
// CHECK: genc.matmul %arg0, %[[W]] {genc.exact_products}
// CHECK: genc.matmul %arg0, %{{.+}} {genc.exact_products} : (tensor<?x2xf32>, tensor<2x2xf32>)
// CHECK-NOT: genc.matmul
func.func @integers(%x: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %a = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %b = arith.constant dense<[[5.0, -6.0], [7.0, -128.0]]> : tensor<2x2xf32>
  %c = arith.constant dense<[[200.0, 1.0], [2.0, 3.0]]> : tensor<2x2xf32>
  %0 = genc.matmul %x, %a {genc.exact_products} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %1 = genc.matmul %x, %c {genc.exact_products} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  %2 = genc.matmul %x, %b {genc.exact_products} : (tensor<?x2xf32>, tensor<2x2xf32>) -> tensor<?x2xf32>
  return %0, %1, %2 : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}
