// RUN: genc-opt --genc-quantize-matmul-weights=format=f32 --split-input-file %s | FileCheck %s
// RUN: genc-opt --genc-quantize-matmul-weights=format=int8 --split-input-file %s | FileCheck %s --check-prefix=INT8

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Weights the model brings quantised (genc.weight_grid, from ONNX
// Runtime's MatMulNBits) become int4 on their own grid whatever the
// format, each weight its code: column 0 {0.5, -0.25} on scale 0.25 and
// offset -2 is q = 10, 7; column 1 {0.3, 0.1} on scale 0.1 and offset
// -0.4 is q = 7, 5; the padding columns have scale 0 and q = 0. The other
// matmul follows the format: f32 (left alone) or int8.
// CHECK-LABEL: func.func @grid
// CHECK-NOT: genc.weight_grid
// CHECK: genc.matmul = #genc.matmul<panels_32, i4, group_scale_offset, group = 32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%arg0, %{{.+}} : tensor<?x2xf32>, tensor<1x2x32xf32>)
// CHECK-SAME: attrs = {genc.matmul = #genc.matmul<panels_32, f32>}
// CHECK: int4_weight: "0x400000000A07000000000000000000000000000007050000000000000000000000000000"
// CHECK: int4_scales: "0x400000000000803ECDCCCC3D00000000
// CHECK: int4_offsets: "0x40000000000000C0CDCCCCBE00000000
// INT8-LABEL: func.func @grid
// INT8: genc.matmul = #genc.matmul<panels_32, i4, group_scale_offset, group = 32>
// INT8: genc.matmul = #genc.matmul<panels_32, i8, column_scale>
func.func @grid(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = arith.constant dense<[[[0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-0.25, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %v = arith.constant dense<[[[1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [3.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.weight_grid = {group = 32 : i64, scales = dense<[[0.25, 0.1]]> : tensor<1x2xf32>,
                                   offsets = dense<[[-2.0, -0.4]]> : tensor<1x2xf32>}} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  %u = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %v : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %r, %u : tensor<?x2xf32>, tensor<?x2xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// A grid whose offsets are -8 · scale (MatMulNBits without zero points)
// keeps its scales alone: symmetric int4, no offsets stored. The padding
// columns' +0 offsets count as -8 · 0. Column 0 {0.5, -0.25} on scale
// 0.25 is q = 10, 7; column 1 {0.3, 0.1} on scale 0.1 (offset -0.8) is
// q = 11, 9.
// CHECK-LABEL: func.func @symmetric_grid
// CHECK: genc.matmul = #genc.matmul<panels_32, i4, group_scale, group = 32>
// CHECK: int4_weight: "0x400000000A0B000000000000000000000000000007090000000000000000000000000000"
// CHECK: int4_scales: "0x400000000000803ECDCCCC3D00000000
// CHECK-NOT: int4_offsets
func.func @symmetric_grid(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-0.25, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.weight_grid = {group = 32 : i64, scales = dense<[[0.25, 0.1]]> : tensor<1x2xf32>,
                                   offsets = dense<[[-2.0, -0.8]]> : tensor<1x2xf32>}} {
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

// An 8-bit grid (a DequantizeLinear of int8 weights with a scale per
// column) makes int8 on the model's scales whatever the format, each
// weight its code, -128 included (genc's own int8 stops at -127): column
// 0 {0.5, -0.25} on scale 0.25 is q = 2, -1; column 1 {0.3, -12.8} on
// scale 0.1 is q = 3, -128; k pairs side by side; the padding columns
// have scale 0.
// CHECK-LABEL: func.func @int8_grid
// CHECK-NOT: genc.weight_grid
// CHECK: genc.matmul = #genc.matmul<panels_32, i8, column_scale>
// CHECK: int8_weight: "0x4000000002FF0380000000
// CHECK: int8_scales: "0x400000000000803ECDCCCC3D00000000
// INT8-LABEL: func.func @int8_grid
// INT8: genc.matmul = #genc.matmul<panels_32, i8, column_scale>
// INT8: int8_scales: "0x400000000000803ECDCCCC3D00000000
func.func @int8_grid(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-0.25, -12.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.weight_grid = {bits = 8 : i64, scales = dense<[[0.25, 0.1]]> : tensor<1x2xf32>}} {
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

// A weight read on the model's grid by one matmul and in the format by
// another is converted for each: with int8, the grid's scales (0.25,
// 0.1) for the first, genc's own (max |w| / 127: 0.5 / 127, 12.8 / 127)
// for the second; with f32, the second keeps its f32 panels.
// CHECK-LABEL: func.func @shared
// CHECK: genc.matmul = #genc.matmul<panels_32, i8, column_scale>
// CHECK: genc.matmul = #genc.matmul<panels_32, f32>
// INT8-LABEL: func.func @shared
// INT8-COUNT-2: genc.matmul = #genc.matmul<panels_32, i8, column_scale>
// INT8-DAG: "0x400000000000803ECDCCCC3D00000000
// INT8-DAG: "0x400000000402813BA069CE3D00000000
func.func @shared(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w = arith.constant dense<[[[0.5, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-0.25, -12.8, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>,
               genc.weight_grid = {bits = 8 : i64, scales = dense<[[0.25, 0.1]]> : tensor<1x2xf32>}} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  %u = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x2xf32>
  return %r, %u : tensor<?x2xf32>, tensor<?x2xf32>
}
