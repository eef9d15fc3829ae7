// RUN: genc-opt --genc-quantize-matmul-weights --split-input-file %s | FileCheck %s
// RUN: genc-opt --genc-quantize-matmul-weights=format=bf16 --split-input-file %s | FileCheck %s --check-prefix=BF16
// RUN: genc-opt --genc-quantize-matmul-weights=format=int4 --split-input-file %s | FileCheck %s --check-prefix=INT4
// RUN: genc-opt --genc-quantize-matmul-weights=format=int4:32:asym --split-input-file %s | FileCheck %s --check-prefix=ASYM
// RUN: not genc-opt --genc-quantize-matmul-weights=format=int3 --split-input-file %s 2>&1 | FileCheck %s --check-prefix=FORMAT --implicit-check-not=func
// FORMAT: error: genc-quantize-matmul-weights: format 'int3': not a weight format (f32, int8, bf16, int4[:GROUP][:asym][:calibrated])
// RUN: not genc-opt --genc-quantize-matmul-weights=format=int4:48 --split-input-file %s 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: int4 takes a group of 32, 64 or 128 weights, asym and calibrated, each at most once

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Constant f32 panels become int8 panels of k pairs, [1, 1, 32, 2], and
// a scale per column (padded to the panel width), read through C's
// column; the f32 panels are gone. Column 0 holds {2, -4}: scale 4/127,
// values {64 (2·127/4 = 63.5, ties away from zero), -127}; column 1 holds
// {1, 0.5}: scale 1/127, {127, 64}.
// CHECK-DAG: #[[PAIRS:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1 floordiv 2, d2 mod 32, d1 mod 2)>
// CHECK-DAG: #[[SCALE:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d2 mod 32)>
// CHECK-LABEL: func.func @weight
// CHECK-DAG: %[[Q:.+]] = arith.constant dense_resource<int8_weight> : tensor<1x1x32x2xi8>
// CHECK-DAG: %[[S:.+]] = arith.constant dense_resource<int8_scales> : tensor<1x32xf32>
// CHECK-NOT: tensor<1x2x32xf32>
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PAIRS]], #[[SCALE]], #{{.+}}]
// CHECK-SAME: ins(%arg0, %[[Q]], %[[S]] : tensor<?x2xf32>, tensor<1x1x32x2xi8>, tensor<1x32xf32>)
// CHECK-SAME: genc.matmul = #genc.matmul<panels_32, i8, column_scale>
// CHECK: ^bb0(%[[A:.+]]: f32, %[[W:.+]]: i8, %[[SC:.+]]: f32, %[[C:.+]]: f32):
// CHECK: %[[WF:.+]] = arith.sitofp %[[W]] : i8 to f32
// CHECK: %[[D:.+]] = arith.mulf %[[WF]], %[[SC]]
// CHECK: %[[P:.+]] = arith.mulf %[[A]], %[[D]]
// CHECK: arith.addf %[[C]], %[[P]]
// After the blob's alignment word, the panel's one row of pairs: column
// 0's (64, -127 = 0x81), column 1's (127, 64), then zeros.
// CHECK: int8_weight: "0x4000000040817F40000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
// Scales: 4/127 = 0x3D010204, 1/127 = 0x3C010204, then zeros.
// CHECK: int8_scales: "0x400000000402013D0402013C
// bf16: pairs of k per column, [1, 1, 32, 2], read through
// (n floordiv 32, k floordiv 2, n mod 32, k mod 2); A is rounded to bf16
// in the body, as the kernel's dot products take it.
// BF16-DAG: #[[PAIRS:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1 floordiv 2, d2 mod 32, d1 mod 2)>
// BF16-LABEL: func.func @weight
// BF16: %[[W:.+]] = arith.constant dense_resource<bf16_weight> : tensor<1x1x32x2xbf16>
// BF16: linalg.generic {indexing_maps = [#{{.+}}, #[[PAIRS]], #{{.+}}]
// BF16-SAME: genc.matmul = #genc.matmul<panels_32, bf16>
// BF16: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: bf16, %[[C:.+]]: f32):
// BF16: %[[T:.+]] = arith.truncf %[[A]] : f32 to bf16
// BF16: %[[X:.+]] = arith.extf %[[T]] : bf16 to f32
// BF16: %[[Y:.+]] = arith.extf %[[B]] : bf16 to f32
// BF16: %[[P:.+]] = arith.mulf %[[X]], %[[Y]]
// BF16: arith.addf %[[C]], %[[P]]
// Column 0's pair (2, -4) = bf16 0x4000, 0xC080; column 1's (1, 0.5) =
// 0x3F80, 0x3F00; then zeros.
// BF16: bf16_weight: "0x40000000004080C0803F003F
// int4, symmetric, groups of 32 rows: bytes [1, 2, 16] (columns 16..31 in
// the high nibbles), scales [1, 1, 32] and no offsets (each is -8 · scale,
// computed in the body), the nibble picked by the column in the body. The
// scale puts the group's value of largest magnitude on code -8: column 0
// {2, -4}: scale -4 / -8 = 0.5, q - 8 = 4 and -8, nibbles 12 and 0;
// column 1 {1, 0.5}: scale 1 / -8 = -0.125, -8 and -4, nibbles 0 and 4;
// all-zero columns have scale 0 and nibble 8. So row 0 starts 0x8C 0x80,
// row 1 0x80 0x84; the other 14 bytes of each row are 0x88.
// INT4-DAG: #[[BYTES:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1, d2 mod 16)>
// INT4-DAG: #[[GROUPS:.+]] = affine_map<(d0, d1, d2) -> (d2 floordiv 32, d1 floordiv 32, d2 mod 32)>
// INT4-LABEL: func.func @weight
// INT4-DAG: %[[Q:.+]] = arith.constant dense_resource<int4_weight> : tensor<1x2x16xi8>
// The scales are f16, widened to f32 in the body as the kernel does.
// INT4-DAG: %[[S:.+]] = arith.constant dense_resource<int4_scales> : tensor<1x1x32xf16>
// INT4-NOT: int4_offsets
// INT4: linalg.generic {indexing_maps = [#{{.+}}, #[[BYTES]], #[[GROUPS]], #{{.+}}]
// INT4-SAME: ins(%arg0, %[[Q]], %[[S]] :
// INT4-SAME: genc.matmul = #genc.matmul<panels_32, i4, group_scale, group = 32>
// INT4: ^bb0(%{{.+}}: f32, %{{.+}}: i8, %[[SH:.+]]: f16, %{{.+}}: f32):
// INT4: linalg.index 2
// INT4: arith.shrui
// INT4: %[[QF:.+]] = arith.uitofp
// INT4: %[[SC:.+]] = arith.extf %[[SH]] : f16 to f32
// INT4: %[[OFF:.+]] = arith.mulf %[[SC]], %{{.+}} : f32
// INT4: %[[QS:.+]] = arith.mulf %[[QF]], %[[SC]]
// INT4: arith.addf %[[QS]], %[[OFF]]
// INT4: int4_weight: "0x400000008C80888888888888888888888888888880848888888888888888888888888888"
// Scales 0.5 and -0.125 (f16 0x3800, 0xB000), then -0 (0x8000) for the
// zero columns.
// INT4: int4_scales: "0x40000000003800B000800080
// int4:32:asym keeps an offset per group and column.
// ASYM-LABEL: func.func @weight
// ASYM-DAG: %[[S:.+]] = arith.constant dense_resource<int4_scales> : tensor<1x1x32xf16>
// ASYM-DAG: %[[O:.+]] = arith.constant dense_resource<int4_offsets> : tensor<1x1x32xf16>
// ASYM: ins(%arg0, %{{.+}}, %[[S]], %[[O]] :
// ASYM-SAME: genc.matmul = #genc.matmul<panels_32, i4, group_scale_offset, group = 32>
// Column 0 {2, -4}: scale 6 / 15, f16 0.39990 (0x3666), zero point 10,
// offset -3.99902 rounded to f16: -4 (0xC400); column 1 {1, 0.5}: zero
// point 0, offset 0; the zero columns' offsets -0 (0x8000).
// ASYM: int4_scales: "0x400000006636
// ASYM: int4_offsets: "0x4000000000C4000000800080
func.func @weight(%x: tensor<?x2xf32>, %init: tensor<?x2xf32>) -> tensor<?x2xf32> {
  %w = arith.constant dense<[[[2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [-4.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x2xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
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
// CHECK: genc.matmul = #genc.matmul<row_major, f32>
func.func @activations(%x: tensor<4x2xf32>, %y: tensor<2x3xf32>, %init: tensor<4x3xf32>) -> tensor<4x3xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %y : tensor<4x2xf32>, tensor<2x3xf32>) outs(%init : tensor<4x3xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<4x3xf32>
  return %r : tensor<4x3xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// bf16 rounds to nearest with ties to even: 1 + 2^-8 (halfway between 1
// and 1 + 2^-7) becomes 1 (0x3F80), 1 + 3·2^-8 becomes 1 + 2^-6 (0x3F82).
// BF16-LABEL: func.func @ties
// BF16: tensor<1x1x32x2xbf16>
// BF16: bf16_weight{{.*}}: "0x40000000803F823F
func.func @ties(%x: tensor<?x2xf32>, %init: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[[1.00390625, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                              [1.01171875, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
                               0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x2x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<1x2x32xf32>) outs(%init : tensor<?x1xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// A weight whose f16 parameters would overflow keeps f32 ones: -600000's
// symmetric scale, 75000, is past f16's 65504; with int4:32:asym, its
// scale fits (40000) and its offset, 600000 (zero point 15), does not.
// INT4-LABEL: func.func @large_weight
// INT4: arith.constant dense_resource<int4_scales> : tensor<1x1x32xf32>
// INT4-NOT: int4_offsets
// INT4: genc.matmul = #genc.matmul<panels_32, i4, group_scale, group = 32>
// INT4-NOT: arith.extf
// INT4: return
// ASYM-LABEL: func.func @large_weight
// ASYM-DAG: arith.constant dense_resource<int4_scales> : tensor<1x1x32xf32>
// ASYM-DAG: arith.constant dense_resource<int4_offsets> : tensor<1x1x32xf32>
// ASYM: return
func.func @large_weight(%x: tensor<?x1xf32>, %init: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[[-600000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x1x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x1x32xf32>) outs(%init : tensor<?x1xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#panels = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// 70000 fits f16 scales: -8750 rounds to -8752 (0xF046); the offset,
// -8 · scale = 70016, past f16's range, is not stored but computed in f32.
// INT4-LABEL: func.func @largest_half_weight
// INT4: arith.constant dense_resource<int4_scales> : tensor<1x1x32xf16>
// INT4-NOT: int4_offsets
// INT4: int4_scales: "0x4000000046F0
func.func @largest_half_weight(%x: tensor<?x1xf32>, %init: tensor<?x1xf32>) -> tensor<?x1xf32> {
  %w = arith.constant dense<[[[70000.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]]> : tensor<1x1x32xf32>
  %r = linalg.generic {indexing_maps = [#lhs, #panels, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x1x32xf32>) outs(%init : tensor<?x1xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x1xf32>
  return %r : tensor<?x1xf32>
}
