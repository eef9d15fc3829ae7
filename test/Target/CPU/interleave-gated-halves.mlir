// RUN: genc-opt --genc-interleave-gated-halves --split-input-file %s | FileCheck %s

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>

// SiLU(gate) · up over the halves of x · W, W [2, 64] read through a
// transpose of [64, 2]: a new [2, 64] weight whose 32-column panels hold
// 16 gate columns, then the 16 up columns of the same outputs; the nest
// runs over [rows, 2 panels, 16], reading C as [rows, 2, 2, 16] at
// [.., panel, 0, j] and [.., panel, 1, j], its body unchanged, its result
// collapsed back to [rows, 32]. No slice of C is left.
// CHECK-DAG: #[[GATE:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, 0, d2)>
// CHECK-DAG: #[[UP:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, 1, d2)>
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @swiglu_transposed
// CHECK: %[[W:.+]] = arith.constant dense_resource<interleaved_weight> : tensor<2x64xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[C:.+]] = linalg.generic {{.*}} ins(%arg0, %[[W]] :
// CHECK-NOT: tensor.extract_slice
// CHECK: %[[PAIRS:.+]] = tensor.expand_shape %[[C]] {{\[}}[0], [1, 2, 3]] output_shape [%{{.+}}, 2, 2, 16] : tensor<?x64xf32> into tensor<?x2x2x16xf32>
// CHECK: %[[OUT:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2]] output_shape [%{{.+}}, 2, 16] : tensor<?x32xf32> into tensor<?x2x16xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[GATE]], #[[UP]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[PAIRS]], %[[PAIRS]] : tensor<?x2x2x16xf32>, tensor<?x2x2x16xf32>) outs(%[[OUT]] : tensor<?x2x16xf32>)
// CHECK: math.exp
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[R]] {{\[}}[0], [1, 2]] : tensor<?x2x16xf32> into tensor<?x32xf32>
// CHECK: return %[[FLAT]]
// W[k][c] held c + 64k: row 0 becomes 0-15, 32-47, 16-31, 48-63 (15 then
// 32, 47 then 16, 31 then 48), then row 1 the same plus 64 (63 then 64,
// 79 then 96).
// CHECK: interleaved_weight: "0x{{[0-9A-F]*}}0000704100000042
// CHECK-SAME: 00003C4200008041
// CHECK-SAME: 0000F84100004042
// CHECK-SAME: 00007C4200008042
// CHECK-SAME: 00009E420000C042
func.func @swiglu_transposed(%x: tensor<?x2xf32>) -> tensor<?x32xf32> {
  %source = arith.constant dense<[[0.0, 64.0], [1.0, 65.0], [2.0, 66.0], [3.0, 67.0], [4.0, 68.0], [5.0, 69.0], [6.0, 70.0], [7.0, 71.0], [8.0, 72.0], [9.0, 73.0], [10.0, 74.0], [11.0, 75.0], [12.0, 76.0], [13.0, 77.0], [14.0, 78.0], [15.0, 79.0], [16.0, 80.0], [17.0, 81.0], [18.0, 82.0], [19.0, 83.0], [20.0, 84.0], [21.0, 85.0], [22.0, 86.0], [23.0, 87.0], [24.0, 88.0], [25.0, 89.0], [26.0, 90.0], [27.0, 91.0], [28.0, 92.0], [29.0, 93.0], [30.0, 94.0], [31.0, 95.0], [32.0, 96.0], [33.0, 97.0], [34.0, 98.0], [35.0, 99.0], [36.0, 100.0], [37.0, 101.0], [38.0, 102.0], [39.0, 103.0], [40.0, 104.0], [41.0, 105.0], [42.0, 106.0], [43.0, 107.0], [44.0, 108.0], [45.0, 109.0], [46.0, 110.0], [47.0, 111.0], [48.0, 112.0], [49.0, 113.0], [50.0, 114.0], [51.0, 115.0], [52.0, 116.0], [53.0, 117.0], [54.0, 118.0], [55.0, 119.0], [56.0, 120.0], [57.0, 121.0], [58.0, 122.0], [59.0, 123.0], [60.0, 124.0], [61.0, 125.0], [62.0, 126.0], [63.0, 127.0]]> : tensor<64x2xf32>
  %tinit = tensor.empty() : tensor<2x64xf32>
  %w = linalg.transpose ins(%source : tensor<64x2xf32>) outs(%tinit : tensor<2x64xf32>) permutation = [1, 0]
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x2xf32>
  %empty = tensor.empty(%rows) : tensor<?x64xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %c = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %rows2 = tensor.dim %x, %c0 : tensor<?x2xf32>
  %gate = tensor.extract_slice %c[0, 0] [%rows2, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up = tensor.extract_slice %c[0, 32] [%rows2, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %oe = tensor.empty(%rows2) : tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate, %up : tensor<?x32xf32>, tensor<?x32xf32>) outs(%oe : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %n = arith.negf %g : f32
    %e = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %e, %one : f32
    %sg = arith.divf %g, %d : f32
    %m = arith.mulf %sg, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>

// A weight only this matmul holds, whose bytes the compiler owns (a
// resource), is reordered in place, row by row: the constant keeps its
// resource.
// CHECK-LABEL: func.func @swiglu_in_place
// CHECK: arith.constant dense_resource<gate_up> : tensor<2x64xf32>
// CHECK-NOT: interleaved_weight
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK: gate_up: "0x{{[0-9A-F]*}}0000704100000042
// CHECK-SAME: 00007C4200008042
// CHECK-SAME: 00009E420000C042
func.func @swiglu_in_place(%x: tensor<?x2xf32>) -> tensor<?x32xf32> {
  %w = arith.constant dense_resource<gate_up> : tensor<2x64xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x2xf32>
  %empty = tensor.empty(%rows) : tensor<?x64xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %c = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x2xf32>, tensor<2x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate = tensor.extract_slice %c[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up = tensor.extract_slice %c[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %oe = tensor.empty(%rows) : tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate, %up : tensor<?x32xf32>, tensor<?x32xf32>) outs(%oe : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

{-#
  dialect_resources: {
    builtin: {
      gate_up: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C4200006042000064420000684200006C4200007042000074420000784200007C42000080420000824200008442000086420000884200008A4200008C4200008E42000090420000924200009442000096420000984200009A4200009C4200009E420000A0420000A2420000A4420000A6420000A8420000AA420000AC420000AE420000B0420000B2420000B4420000B6420000B8420000BA420000BC420000BE420000C0420000C2420000C4420000C6420000C8420000CA420000CC420000CE420000D0420000D2420000D4420000D6420000D8420000DA420000DC420000DE420000E0420000E2420000E4420000E6420000E8420000EA420000EC420000EE420000F0420000F2420000F4420000F6420000F8420000FA420000FC420000FE42"
    }
  }
#-}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>

// A weight another op reads too (here: returned) is copied and keeps its
// bytes; two gated units of one weight share one copy.
// CHECK-LABEL: func.func @shared
// CHECK: %[[W:.+]] = arith.constant dense_resource<interleaved_weight> : tensor<1x64xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[W]] :
// CHECK: %[[W2:.+]] = arith.constant dense_resource<interleaved_weight> : tensor<1x64xf32>
// CHECK: linalg.generic {{.*}} ins(%arg1, %[[W2]] :
// CHECK-NOT: interleaved_weight_
// CHECK: shared_w: "0x{{[0-9A-F]*}}0000704100008041
func.func @shared(%x: tensor<?x1xf32>, %y: tensor<?x1xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<1x64xf32>) {
  %w = arith.constant dense_resource<shared_w> : tensor<1x64xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x1xf32>
  %empty = tensor.empty(%rows) : tensor<?x64xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %c = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate = tensor.extract_slice %c[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up = tensor.extract_slice %c[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %oe = tensor.empty(%rows) : tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate, %up : tensor<?x32xf32>, tensor<?x32xf32>) outs(%oe : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  %rows_y = tensor.dim %y, %c0 : tensor<?x1xf32>
  %empty_y = tensor.empty(%rows_y) : tensor<?x64xf32>
  %fill_y = linalg.fill ins(%zero : f32) outs(%empty_y : tensor<?x64xf32>) -> tensor<?x64xf32>
  %cy = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%y, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill_y : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate_y = tensor.extract_slice %cy[0, 0] [%rows_y, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up_y = tensor.extract_slice %cy[0, 32] [%rows_y, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %oe_y = tensor.empty(%rows_y) : tensor<?x32xf32>
  %ry = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate_y, %up_y : tensor<?x32xf32>, tensor<?x32xf32>) outs(%oe_y : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  return %r, %ry, %w : tensor<?x32xf32>, tensor<?x32xf32>, tensor<1x64xf32>
}

{-#
  dialect_resources: {
    builtin: {
      shared_w: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C4200004042000044420000484200004C4200005042000054420000584200005C4200006042000064420000684200006C4200007042000074420000784200007C42"
    }
  }
#-}

// -----

#lhs = affine_map<(b, m, k, n) -> (b, m, k)>
#rhs = affine_map<(b, m, k, n) -> (k, n)>
#out = affine_map<(b, m, k, n) -> (b, m, n)>
#id = affine_map<(b, m, n) -> (b, m, n)>
#scalar = affine_map<(b, m, n) -> ()>
#column = affine_map<(b, m, n) -> (n)>

// C with a batch dim, a nest that also reads another [.., F] operand at its
// element, a bias [F] by column and a scalar, and C's dim read: the operand
// is expanded as the output is, the bias to [F/16, 16] read at [panel, j],
// the scalar read as before, the dim still C's.
// CHECK-DAG: #[[ID4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[SCALAR:.+]] = affine_map<(d0, d1, d2, d3) -> ()>
// CHECK-DAG: #[[GATE4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0, d3)>
// CHECK-DAG: #[[UP4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 1, d3)>
// CHECK-DAG: #[[COLUMN4:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func.func @extras
// CHECK: %[[C:.+]] = linalg.generic
// CHECK: %[[DIM:.+]] = tensor.dim %[[C]], %c1
// CHECK: %[[PAIRS:.+]] = tensor.expand_shape %[[C]] {{\[}}[0], [1], [2, 3, 4]] {{.*}} into tensor<?x?x2x2x16xf32>
// CHECK: %[[RES:.+]] = tensor.expand_shape %arg1 {{\[}}[0], [1], [2, 3]] {{.*}} into tensor<?x?x2x16xf32>
// CHECK: %[[BIAS:.+]] = tensor.expand_shape %arg3 {{\[}}[0, 1]] output_shape [2, 16] : tensor<32xf32> into tensor<2x16xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID4]], #[[UP4]], #[[SCALAR]], #[[GATE4]], #[[COLUMN4]], #[[ID4]]]
// CHECK-SAME: ins(%[[RES]], %[[PAIRS]], %arg2, %[[PAIRS]], %[[BIAS]] :
// CHECK: tensor.collapse_shape {{.*}} {{\[}}[0], [1], [2, 3]] : tensor<?x?x2x16xf32> into tensor<?x?x32xf32>
func.func @extras(%x: tensor<?x?x1xf32>, %residual: tensor<?x?x32xf32>, %s: tensor<f32>, %bias: tensor<32xf32>) -> (tensor<?x?x32xf32>, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0]]> : tensor<1x64xf32>
  %d0 = tensor.dim %x, %c0 : tensor<?x?x1xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?x1xf32>
  %empty = tensor.empty(%d0, %d1) : tensor<?x?x64xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  %c = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %sum = arith.addf %acc, %p : f32
    linalg.yield %sum : f32
  } -> tensor<?x?x64xf32>
  %cd = tensor.dim %c, %c1 : tensor<?x?x64xf32>
  %gate = tensor.extract_slice %c[0, 0, 0] [%d0, %d1, 32] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x?x32xf32>
  %up = tensor.extract_slice %c[0, 0, 32] [%d0, %d1, 32] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x?x32xf32>
  %oe = tensor.empty(%d0, %d1) : tensor<?x?x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #scalar, #id, #column, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%residual, %up, %s, %gate, %bias : tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<f32>, tensor<?x?x32xf32>, tensor<32xf32>) outs(%oe : tensor<?x?x32xf32>) {
  ^bb0(%res: f32, %u: f32, %scale: f32, %g: f32, %bv: f32, %o: f32):
    %gb = arith.addf %g, %bv : f32
    %m = arith.mulf %gb, %u : f32
    %ms = arith.mulf %m, %scale : f32
    %sum = arith.addf %ms, %res : f32
    linalg.yield %sum : f32
  } -> tensor<?x?x32xf32>
  return %r, %cd : tensor<?x?x32xf32>, index
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>
#id = affine_map<(m, n) -> (m, n)>
#broadcast = affine_map<(m, n) -> (0, n)>

// Left alone: C also returned whole; a half read at one row for every row;
// halves of 8 columns (not a multiple of 16); a half that starts at row 1;
// the same half read twice; a weight on the model's own 4-bit grid; a
// nest that reads its position; a matmul that starts from values of its
// own (not one filled value, which would not follow reordered columns).
// CHECK-LABEL: func.func @kept
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: interleaved_weight
func.func @kept(%x: tensor<?x1xf32>, %start: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x8xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %w = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0]]> : tensor<1x64xf32>
  %w16 = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]> : tensor<1x16xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %rows = tensor.dim %x, %c0 : tensor<?x1xf32>
  %empty = tensor.empty(%rows) : tensor<?x64xf32>
  %fill = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x64xf32>) -> tensor<?x64xf32>
  %e16 = tensor.empty(%rows) : tensor<?x16xf32>
  %f16 = linalg.fill ins(%zero : f32) outs(%e16 : tensor<?x16xf32>) -> tensor<?x16xf32>
  %e32 = tensor.empty(%rows) : tensor<?x32xf32>
  %e8 = tensor.empty(%rows) : tensor<?x8xf32>
  %c1 = arith.constant 1 : index
  %rows_less = arith.subi %rows, %c1 : index

  %c = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate = tensor.extract_slice %c[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up = tensor.extract_slice %c[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate, %up : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32 : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>

  %c2 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate2 = tensor.extract_slice %c2[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up2 = tensor.extract_slice %c2[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %r2 = linalg.generic {indexing_maps = [#id, #broadcast, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate2, %up2 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32 : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>

  %c3 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w16 : tensor<?x1xf32>, tensor<1x16xf32>) outs(%f16 : tensor<?x16xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %gate3 = tensor.extract_slice %c3[0, 0] [%rows, 8] [1, 1] : tensor<?x16xf32> to tensor<?x8xf32>
  %up3 = tensor.extract_slice %c3[0, 8] [%rows, 8] [1, 1] : tensor<?x16xf32> to tensor<?x8xf32>
  %r3 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate3, %up3 : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e8 : tensor<?x8xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x8xf32>

  %c4 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate4 = tensor.extract_slice %c4[1, 0] [%rows_less, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up4 = tensor.extract_slice %c4[1, 32] [%rows_less, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %e32_less = tensor.empty(%rows_less) : tensor<?x32xf32>
  %r4 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate4, %up4 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32_less : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>

  %c5 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate5 = tensor.extract_slice %c5[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up5 = tensor.extract_slice %c5[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %r5 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate5, %up5 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32 : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>

  %c6 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>, genc.weight_grid = {group = 1 : i64}} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate6 = tensor.extract_slice %c6[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up6 = tensor.extract_slice %c6[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %r6 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate6, %up6 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32 : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>

  %c7 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%fill : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate7 = tensor.extract_slice %c7[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up7 = tensor.extract_slice %c7[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %r7 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate7, %up7 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32 : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i32
    %if = arith.sitofp %ii : i32 to f32
    %gi = arith.mulf %g, %if : f32
    %m = arith.mulf %gi, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>

  %c8 = linalg.generic {indexing_maps = [#lhs, #rhs, #out], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : tensor<?x1xf32>, tensor<1x64xf32>) outs(%start : tensor<?x64xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %gate8 = tensor.extract_slice %c8[0, 0] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %up8 = tensor.extract_slice %c8[0, 32] [%rows, 32] [1, 1] : tensor<?x64xf32> to tensor<?x32xf32>
  %r8 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gate8, %up8 : tensor<?x32xf32>, tensor<?x32xf32>) outs(%e32 : tensor<?x32xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  } -> tensor<?x32xf32>
  return %c, %r, %r2, %r3, %r4, %r5, %r6, %r7, %r8 : tensor<?x64xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x8xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}
