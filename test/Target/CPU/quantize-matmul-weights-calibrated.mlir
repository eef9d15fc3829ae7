// RUN: genc-opt --genc-quantize-matmul-weights=format=int4:calibrated %s | FileCheck %s
// RUN: genc-opt --genc-quantize-matmul-weights=format=int4 %s | FileCheck %s --check-prefix=NEAREST
// Without statistics on any matmul, calibrated rounding has nothing to
// weigh the errors by: an error, not a silent round to nearest.
// RUN: sed 's/genc.input_gram/genc.other/' %s | not genc-opt --genc-quantize-matmul-weights=format=int4:asym:calibrated 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: --weights=int4:32:asym:calibrated needs calibration statistics on the matmuls (genc.input_gram), and none has them

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Column 0 holds {0.31, 0.43, 1}: one group, scale 1 / -8 (1 is code
// -8). Rounded to nearest: -2.48 → -2, -3.44 → -3, -8 (nibbles 6, 5, 0).
// Calibrated, the inputs of rows 0 and 1 are correlated (mean x0·x1 =
// 0.9, damped diagonal 1.01), so row 1 absorbs row 0's error 0.31 - 0.25
// times 0.9 / 1.01: 0.43 + 0.0535 = 0.4835 → -3.87 → -4 (nibble 4), and
// the product x·w on such inputs errs less. Row 2's input is
// uncorrelated: it keeps its -8. The statistics are used up.
// CHECK-LABEL: func.func @correlated
// CHECK-NOT: genc.input_gram
// CHECK: int4_weight: "0x40000000868888888888888888888888888888888488888888888888888888888888888880888888888888888888888888888888"
// NEAREST-LABEL: func.func @correlated
// NEAREST-NOT: genc.input_gram
// NEAREST: int4_weight: "0x40000000868888888888888888888888888888888588888888888888888888888888888880888888888888888888888888888888"
func.func @correlated(%x: tensor<?x3xf32>, %init: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[[0.31, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [0.43, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x3x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x3xf32>, tensor<1x3x32xf32>) outs(%init : tensor<?x1xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.input_gram = dense<[[1.0, 0.9, 0.0], [0.9, 1.0, 0.0], [0.0, 0.0, 1.0]]> : tensor<3x3xf32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
