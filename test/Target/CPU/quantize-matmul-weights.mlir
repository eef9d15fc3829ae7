// RUN: genc-opt --genc-quantize-matmul-weights --split-input-file %s | FileCheck %s

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Constant f32 panels become int8 panels and a scale per column (padded
// to the panel width), read through C's column; the f32 panels are gone.
// Column 0 holds {2, -4}: scale 4/127, values {64 (2·127/4 = 63.5, ties
// away from zero), -127}; column 1 holds {1, 0.5}: scale 1/127, {127, 64}.
// CHECK-DAG: #[[SCALE:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @weight
// CHECK-DAG: %[[Q:.+]] = arith.constant dense_resource<int8_weight> : tensor<1x2x32xi8>
// CHECK-DAG: %[[S:.+]] = arith.constant dense_resource<int8_scales> : tensor<32xf32>
// CHECK-NOT: tensor<1x2x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #[[SCALE]], #{{.+}}]
// CHECK-SAME: ins(%arg0, %[[Q]], %[[S]] : tensor<?x2xf32>, tensor<1x2x32xi8>, tensor<32xf32>)
// CHECK-SAME: genc.matmul = "panels_32", genc.matmul_weights = "int8_per_channel"
// CHECK: ^bb0(%[[A:.+]]: f32, %[[W:.+]]: i8, %[[SC:.+]]: f32, %[[C:.+]]: f32):
// CHECK: %[[WF:.+]] = arith.sitofp %[[W]] : i8 to f32
// CHECK: %[[D:.+]] = arith.mulf %[[WF]], %[[SC]]
// CHECK: %[[P:.+]] = arith.mulf %[[A]], %[[D]]
// CHECK: arith.addf %[[C]], %[[P]]
// After the blob's alignment word, row 0 of the panel: 64, 127, then
// zeros; row 1: -127 (0x81), 64.
// CHECK: int8_weight: "0x40000000407F0000000000000000000000000000000000000000000000000000000000008140000000000000000000000000000000000000000000000000000000000000"
// Scales: 4/127 = 0x3D010204, 1/127 = 0x3C010204, then zeros.
// CHECK: int8_scales: "0x400000000402013D0402013C
func.func @weight(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-4.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = "panels_32"} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// Row-major B (activations, or a weight not packed) stays f32.
// CHECK-LABEL: func.func @activations
// CHECK-NOT: genc.matmul_weights
// CHECK: genc.matmul = "row_major"
func.func @activations(%x: tensor<4x2xf32>, %y: tensor<2x3xf32>, %init: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %y : tensor<4x2xf32>, tensor<2x3xf32>) outs(%init : tensor<4x3xf32>)
      attrs = {genc.matmul = "row_major"} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}
