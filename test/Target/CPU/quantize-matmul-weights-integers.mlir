// RUN: genc-opt --genc-quantize-matmul-weights=format=f32 %s | FileCheck %s
// RUN: genc-opt --genc-quantize-matmul-weights=format=int4 %s | FileCheck %s

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Matmuls of integers (MatMulInteger's, genc.exact_products) whose weights
// are integers int8 holds read them as int8 codes without scales, exactly,
// whatever the format: column 0 {-128, 127} and column 1 {5, -3} in pairs
// of k are the bytes 80 7F 05 FD. Weights int8 cannot hold (128, or 1.5)
// stay f32, never rounded (not even for int4).
// CHECK-LABEL: func.func @integers
// CHECK: linalg.generic
// CHECK-SAME: tensor<1x1x32x2xi8>
// CHECK-SAME: genc.matmul = #genc.matmul<panels_32, i8>}
// CHECK: arith.sitofp %{{.+}} : i8 to f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %{{.+}} : tensor<?x2xf32>, tensor<1x2x32xf32>)
// CHECK-SAME: genc.matmul = #genc.matmul<panels_32, f32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %{{.+}} : tensor<?x2xf32>, tensor<1x2x32xf32>)
// CHECK-SAME: genc.matmul = #genc.matmul<panels_32, f32>
// CHECK: int8_weight: "0x40000000807F05FD00000000
func.func @integers(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = arith.constant dense<[[[-128.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [127.0, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %v = arith.constant dense<[[[128.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [1.0, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %h = arith.constant dense<[[[1.5, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [1.0, -3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>, genc.exact_products} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  %u = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %v : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>, genc.exact_products} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  %t = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %h : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>, genc.exact_products} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %r, %u, %t : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x2xf32>
}
