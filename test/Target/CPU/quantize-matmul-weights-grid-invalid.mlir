// RUN: genc-opt --genc-quantize-matmul-weights=format=f32 --split-input-file --verify-diagnostics %s

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// An 8-bit grid needs a scale per column of the matmul: one for N = 2
// would leave the second column's weights at 0.
func.func @short_int8_grid(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-0.25, -12.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  // expected-error @+1 {{the weights' 8-bit grid (genc.weight_grid) is not {bits = 8, scales: f32 [1, N]}}}
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.weight_grid = {bits = 8 : i64, scales = dense<[[0.25]]> : tensor<1x1xf32>}} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// genc keeps 4-bit and 8-bit codes only.
func.func @two_bit_grid(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-0.25, -12.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  // expected-error @+1 {{the weights' grid (genc.weight_grid) has 2-bit codes; genc keeps 4-bit and 8-bit ones}}
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.weight_grid = {bits = 2 : i64, scales = dense<[[0.25, 0.1]]> : tensor<1x2xf32>}} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
