// RUN: genc-opt --genc-pack-matmul-weights --split-input-file %s | FileCheck %s

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// A constant [K=2, N=3] B becomes [ceil(3/32)=1, 2, 32] panels read
// through (n floordiv 32, k, n mod 32); the row-major constant is gone.
// CHECK-DAG: #[[PANELS:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1, d2 mod 32)>
// CHECK-LABEL: func.func @weight
// CHECK: %[[W:.+]] = arith.constant dense_resource<packed_weight> : tensor<1x2x32xf32>
// CHECK-NOT: tensor<2x3xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PANELS]], #{{.+}}]
// CHECK-SAME: ins(%arg0, %[[W]] : tensor<?x2xf32>, tensor<1x2x32xf32>)
// CHECK-SAME: genc.matmul = #genc.matmul<panels_32, f32>
// Panel rows are 32 floats: 1 2 3, 29 zeros, then 4 5 6 (after the blob's
// alignment word).
// CHECK: packed_weight: "0x400000000000803F0000004000004040{{(00000000){29}0}}0008040
func.func @weight(%x: tensor<?x2xf32>, %init: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %w = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x3xf32>) outs(%init : tensor<?x3xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// A transposed weight (Gemm transB) packs from the source: no transpose is
// left, and two matmuls of one weight share one packed constant.
// CHECK-LABEL: func.func @transposed_shared
// CHECK: %[[W:.+]] = arith.constant dense_resource<packed_weight{{.*}}> : tensor<1x2x32xf32>
// CHECK-NOT: linalg.transpose
// CHECK: ins(%arg0, %[[W]] :
// CHECK: ins(%arg0, %[[W]] :
func.func @transposed_shared(%x: tensor<?x2xf32>, %init: tensor<?x3xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %t = linalg.transpose ins(%w : tensor<3x2xf32>) outs(%e : tensor<2x3xf32>) permutation = [1, 0]
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %t : tensor<?x2xf32>, tensor<2x3xf32>) outs(%init : tensor<?x3xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  %r2 = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                        iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %t : tensor<?x2xf32>, tensor<2x3xf32>) outs(%init : tensor<?x3xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  return %r, %r2 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// B computed at run time (attention's K transposed) stays row-major.
// CHECK-LABEL: func.func @activation
// CHECK-NOT: dense_resource
// CHECK: genc.matmul = #genc.matmul<row_major, f32>
func.func @activation(%x: tensor<?x2xf32>, %y: tensor<2x3xf32>, %init: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %y : tensor<?x2xf32>, tensor<2x3xf32>) outs(%init : tensor<?x3xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  return %r : tensor<?x3xf32>
}
