// RUN: genc-opt --genc-merge-sibling-matmuls --split-input-file %s | FileCheck %s

// Three projections of one input by [2, 1], [2, 2] and [2, 1] weights
// become one matmul by [2, 4] weights side by side (rows 1 2 2 4 and
// 4 3 3 1: the first weight's column, the second's two, the third's), each
// result a slice of its columns; a matmul of another input stays.
// CHECK-LABEL: func.func @projections
// CHECK: %[[W:.+]] = arith.constant dense_resource<merged_weight> : tensor<2x4xf32>
// CHECK: %[[P:.+]] = genc.matmul %arg0, %[[W]] : (tensor<?x?x2xf32>, tensor<2x4xf32>) -> tensor<?x?x4xf32>
// CHECK-DAG: tensor.extract_slice %[[P]][0, 0, 0] [%{{.+}}, %{{.+}}, 1] [1, 1, 1]
// CHECK-DAG: tensor.extract_slice %[[P]][0, 0, 1] [%{{.+}}, %{{.+}}, 2] [1, 1, 1]
// CHECK-DAG: tensor.extract_slice %[[P]][0, 0, 3] [%{{.+}}, %{{.+}}, 1] [1, 1, 1]
// CHECK: genc.matmul %arg1, %{{.+}} : (tensor<?x2xf32>, tensor<2x1xf32>)
// CHECK-NOT: genc.matmul
// CHECK: merged_weight: "0x400000000000803F0000004000000040000080400000804000004040000040400000803F"
func.func @projections(%x: tensor<?x?x2xf32>, %y: tensor<?x2xf32>)
    -> (tensor<?x?x1xf32>, tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x1xf32>) {
  %q = arith.constant dense_resource<q> : tensor<2x1xf32>
  %k = arith.constant dense_resource<k> : tensor<2x2xf32>
  %v = arith.constant dense_resource<v> : tensor<2x1xf32>
  %a = genc.matmul %x, %q : (tensor<?x?x2xf32>, tensor<2x1xf32>) -> tensor<?x?x1xf32>
  %b = genc.matmul %x, %k : (tensor<?x?x2xf32>, tensor<2x2xf32>) -> tensor<?x?x2xf32>
  %c = genc.matmul %x, %v : (tensor<?x?x2xf32>, tensor<2x1xf32>) -> tensor<?x?x1xf32>
  %d = genc.matmul %y, %q : (tensor<?x2xf32>, tensor<2x1xf32>) -> tensor<?x1xf32>
  return %a, %b, %c, %d : tensor<?x?x1xf32>, tensor<?x?x2xf32>, tensor<?x?x1xf32>, tensor<?x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      q: "0x040000000000803F00008040",
      k: "0x0400000000000040000000400000404000004040",
      v: "0x04000000000080400000803F"
    }
  }
#-}

// -----

// Weights of another K, a weight computed at run time, and matmuls whose
// calibration statistics differ stay apart.
// CHECK-LABEL: func.func @apart
// CHECK-COUNT-4: genc.matmul
// CHECK-NOT: merged_weight
func.func @apart(%x: tensor<4x2xf32>, %w: tensor<2x3xf32>)
    -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x1xf32>, tensor<4x1xf32>) {
  %a = arith.constant dense_resource<a> : tensor<2x1xf32>
  %b = arith.constant dense_resource<b> : tensor<2x1xf32>
  %0 = genc.matmul %x, %w : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %1 = genc.matmul %x, %w : (tensor<4x2xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %2 = genc.matmul %x, %a {genc.input_gram = 1 : i64} : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
  %3 = genc.matmul %x, %b {genc.input_gram = 2 : i64} : (tensor<4x2xf32>, tensor<2x1xf32>) -> tensor<4x1xf32>
  return %0, %1, %2, %3 : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x1xf32>, tensor<4x1xf32>
}

{-#
  dialect_resources: {
    builtin: {
      a: "0x040000000000803F00008040",
      b: "0x040000000000803F00008040"
    }
  }
#-}
