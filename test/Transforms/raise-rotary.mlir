// RUN: genc-opt --genc-raise-rotary --canonicalize --split-input-file %s | FileCheck %s

// LLaMA's: rows of cos and sin tables with equal halves gathered by
// position ids, x · cos + rotate_half(x) · sin. The op reads the tables'
// first halves at the ids; no rotate_half is left.
// CHECK-LABEL: func.func @table_by_position(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x8x?x8xf32>
// CHECK-SAME: %[[P:[^:]+]]: tensor<?x?xi64>
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<5.000000e-01> : tensor<16x4xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<2.500000e-01> : tensor<16x4xf32>
// CHECK-NOT: genc.concat
// CHECK: %[[Y:.+]] = genc.rotary %[[X]], %[[COS]], %[[SIN]] positions(%[[P]]) :
// CHECK-NEXT: return %[[Y]]
func.func @table_by_position(%x: tensor<?x8x?x8xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                             %pos: tensor<?x?xi64> {genc.dim_names = ["batch", "sequence"]}) -> tensor<?x8x?x8xf32> {
  %cos_table = arith.constant dense<0.5> : tensor<16x8xf32>
  %sin_table = arith.constant dense<0.25> : tensor<16x8xf32>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %0 = genc.gather %cos_table[%pos] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %cos = genc.unsqueeze %0 {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x?x8xf32>
  %1 = genc.gather %sin_table[%pos] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %sin = genc.unsqueeze %1 {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x?x8xf32>
  %2 = genc.mul %x, %cos : (tensor<?x8x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x8x?x8xf32>
  %3 = genc.slice %x[%c4 : %end] axes %c3 steps %c1 : (tensor<?x8x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8x?x4xf32>
  %4 = genc.neg %3 : tensor<?x8x?x4xf32> -> tensor<?x8x?x4xf32>
  %5 = genc.slice %x[%c0 : %c4] axes %c3 steps %c1 : (tensor<?x8x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8x?x4xf32>
  %6 = genc.concat %4, %5 {axis = 3 : i64} : (tensor<?x8x?x4xf32>, tensor<?x8x?x4xf32>) -> tensor<?x8x?x8xf32>
  %7 = genc.mul %6, %sin : (tensor<?x8x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x8x?x8xf32>
  %8 = genc.add %2, %7 : (tensor<?x8x?x8xf32>, tensor<?x8x?x8xf32>) -> tensor<?x8x?x8xf32>
  return %8 : tensor<?x8x?x8xf32>
}

// -----

// GPT-NeoX's: [1, 1, rows, 8] tables cut to a run-time length, indexed
// [0, 0], then gathered by position. The op reads the first halves cut
// the same way, so a position past the cut still fails and a negative one
// counts from the cut's end. A cut that does not start at row 0 is left.
// CHECK-LABEL: func.func @table_cut_to_length(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x8x?x8xf32>
// CHECK-SAME: %[[P:[^:]+]]: tensor<?x?xi64>
// CHECK-SAME: %[[N:[^:]+]]: tensor<1xi64>
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<5.000000e-01> : tensor<16x4xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<2.500000e-01> : tensor<16x4xf32>
// CHECK-DAG: %[[COS_CUT:.+]] = genc.slice %[[COS]][%{{.+}} : %[[N]]] axes %[[ROWS:[^ ]+]] steps %{{.+}} : ({{.+}}) -> tensor<?x4xf32>
// CHECK-DAG: %[[SIN_CUT:.+]] = genc.slice %[[SIN]][%{{.+}} : %[[N]]] axes %[[ROWS]] steps %{{.+}} : ({{.+}}) -> tensor<?x4xf32>
// CHECK-DAG: %[[ROWS]] = arith.constant dense<0> : tensor<1xi64>
// CHECK-NOT: genc.concat
// CHECK: %[[Y:.+]] = genc.rotary %[[X]], %[[COS_CUT]], %[[SIN_CUT]] positions(%[[P]]) :
// CHECK: genc.neg
// CHECK: return %[[Y]], %{{.+}} :
func.func @table_cut_to_length(%x: tensor<?x8x?x8xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                               %pos: tensor<?x?xi64> {genc.dim_names = ["batch", "sequence"]},
                               %n: tensor<1xi64>) -> (tensor<?x8x?x8xf32>, tensor<?x8x?x8xf32>) {
  %cos_table = arith.constant dense<0.5> : tensor<1x1x16x8xf32>
  %sin_table = arith.constant dense<0.25> : tensor<1x1x16x8xf32>
  %first = arith.constant dense<0> : tensor<i64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %cc = genc.slice %cos_table[%c0 : %n] axes %c2 steps %c1 : (tensor<1x1x16x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %cc0 = genc.gather %cc[%first] {axis = 0 : i64} : (tensor<1x1x?x8xf32>, tensor<i64>) -> tensor<1x?x8xf32>
  %cc1 = genc.gather %cc0[%first] {axis = 0 : i64} : (tensor<1x?x8xf32>, tensor<i64>) -> tensor<?x8xf32>
  %0 = genc.gather %cc1[%pos] {axis = 0 : i64} : (tensor<?x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %cos = genc.unsqueeze %0 {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x?x8xf32>
  %sc = genc.slice %sin_table[%c0 : %n] axes %c2 steps %c1 : (tensor<1x1x16x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %sc0 = genc.gather %sc[%first] {axis = 0 : i64} : (tensor<1x1x?x8xf32>, tensor<i64>) -> tensor<1x?x8xf32>
  %sc1 = genc.gather %sc0[%first] {axis = 0 : i64} : (tensor<1x?x8xf32>, tensor<i64>) -> tensor<?x8xf32>
  %1 = genc.gather %sc1[%pos] {axis = 0 : i64} : (tensor<?x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %sin = genc.unsqueeze %1 {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x?x8xf32>
  %2 = genc.mul %x, %cos : (tensor<?x8x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x8x?x8xf32>
  %3 = genc.slice %x[%c4 : %end] axes %c3 steps %c1 : (tensor<?x8x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8x?x4xf32>
  %4 = genc.neg %3 : tensor<?x8x?x4xf32> -> tensor<?x8x?x4xf32>
  %5 = genc.slice %x[%c0 : %c4] axes %c3 steps %c1 : (tensor<?x8x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8x?x4xf32>
  %6 = genc.concat %4, %5 {axis = 3 : i64} : (tensor<?x8x?x4xf32>, tensor<?x8x?x4xf32>) -> tensor<?x8x?x8xf32>
  %7 = genc.mul %6, %sin : (tensor<?x8x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x8x?x8xf32>
  %8 = genc.add %2, %7 : (tensor<?x8x?x8xf32>, tensor<?x8x?x8xf32>) -> tensor<?x8x?x8xf32>
  // Cut from row 1: positions would count from there.
  %late = genc.slice %cos_table[%c1 : %n] axes %c2 steps %c1 : (tensor<1x1x16x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x8xf32>
  %l0 = genc.gather %late[%first] {axis = 0 : i64} : (tensor<1x1x?x8xf32>, tensor<i64>) -> tensor<1x?x8xf32>
  %l1 = genc.gather %l0[%first] {axis = 0 : i64} : (tensor<1x?x8xf32>, tensor<i64>) -> tensor<?x8xf32>
  %9 = genc.gather %l1[%pos] {axis = 0 : i64} : (tensor<?x8xf32>, tensor<?x?xi64>) -> tensor<?x?x8xf32>
  %late_cos = genc.unsqueeze %9 {axes = array<i64: 1>} : tensor<?x?x8xf32> -> tensor<?x1x?x8xf32>
  %10 = genc.mul %8, %late_cos : (tensor<?x8x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x8x?x8xf32>
  %11 = genc.slice %8[%c4 : %end] axes %c3 steps %c1 : (tensor<?x8x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8x?x4xf32>
  %12 = genc.neg %11 : tensor<?x8x?x4xf32> -> tensor<?x8x?x4xf32>
  %13 = genc.slice %8[%c0 : %c4] axes %c3 steps %c1 : (tensor<?x8x?x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8x?x4xf32>
  %14 = genc.concat %12, %13 {axis = 3 : i64} : (tensor<?x8x?x4xf32>, tensor<?x8x?x4xf32>) -> tensor<?x8x?x8xf32>
  %15 = genc.mul %14, %sin : (tensor<?x8x?x8xf32>, tensor<?x1x?x8xf32>) -> tensor<?x8x?x8xf32>
  %16 = genc.add %10, %15 : (tensor<?x8x?x8xf32>, tensor<?x8x?x8xf32>) -> tensor<?x8x?x8xf32>
  return %8, %16 : tensor<?x8x?x8xf32>, tensor<?x8x?x8xf32>
}

// -----

// Angles computed in the graph: cos(Concat(f, f)) and sin of the same. The
// op reads Cos(f) and Sin(f). Partial rotary: the first 4 of 8 channels
// rotated, the rest concatenated after them, is one op with rotary_dim 4.
// CHECK-LABEL: func.func @angles_and_partial(
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x4x3x8xf32>, %[[F:[^:]+]]: tensor<2x3x2xf32>
// CHECK-DAG: %[[C:.+]] = genc.cos %[[F]]
// CHECK-DAG: %[[S:.+]] = genc.sin %[[F]]
// CHECK-NOT: genc.concat
// CHECK: %[[Y:.+]] = genc.rotary %[[X]], %[[C]], %[[S]] {rotary_dim = 4 : i64}
// CHECK-NEXT: return %[[Y]]
func.func @angles_and_partial(%x: tensor<2x4x3x8xf32>, %f: tensor<2x3x2xf32>) -> tensor<2x4x3x8xf32> {
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c8 = arith.constant dense<8> : tensor<1xi64>
  %ff = genc.concat %f, %f {axis = 2 : i64} : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x4xf32>
  %0 = genc.cos %ff : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %cos = genc.unsqueeze %0 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %1 = genc.sin %ff : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %sin = genc.unsqueeze %1 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %r = genc.slice %x[%c0 : %c4] axes %c3 steps %c1 : (tensor<2x4x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x4xf32>
  %pass = genc.slice %x[%c4 : %c8] axes %c3 steps %c1 : (tensor<2x4x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x4xf32>
  %2 = genc.mul %r, %cos : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %3 = genc.slice %r[%c2 : %c4] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %4 = genc.neg %3 : tensor<2x4x3x2xf32> -> tensor<2x4x3x2xf32>
  %5 = genc.slice %r[%c0 : %c2] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %6 = genc.concat %4, %5 {axis = 3 : i64} : (tensor<2x4x3x2xf32>, tensor<2x4x3x2xf32>) -> tensor<2x4x3x4xf32>
  %7 = genc.mul %6, %sin : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %8 = genc.add %2, %7 : (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) -> tensor<2x4x3x4xf32>
  %9 = genc.concat %8, %pass {axis = 3 : i64} : (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) -> tensor<2x4x3x8xf32>
  return %9 : tensor<2x4x3x8xf32>
}

// -----

// Not raised: a table whose halves differ (not a rotate-half table).
// CHECK-LABEL: func.func @not_rotary(
// CHECK-NOT: genc.rotary
// CHECK: return
func.func @not_rotary(%x: tensor<?x2x?x4xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                      %pos: tensor<?x?xi64> {genc.dim_names = ["batch", "sequence"]})
    -> tensor<?x2x?x4xf32> {
  %cos_table = arith.constant dense<[[1.0, 1.0, 1.0, 1.0], [1.0, 0.5, 1.0, 0.25]]> : tensor<2x4xf32>
  %even = arith.constant dense<0.5> : tensor<2x4xf32>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %0 = genc.gather %cos_table[%pos] {axis = 0 : i64} : (tensor<2x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  %cos = genc.unsqueeze %0 {axes = array<i64: 1>} : tensor<?x?x4xf32> -> tensor<?x1x?x4xf32>
  %1 = genc.gather %even[%pos] {axis = 0 : i64} : (tensor<2x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  %sin = genc.unsqueeze %1 {axes = array<i64: 1>} : tensor<?x?x4xf32> -> tensor<?x1x?x4xf32>
  %2 = genc.mul %x, %cos : (tensor<?x2x?x4xf32>, tensor<?x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %3 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %4 = genc.neg %3 : tensor<?x2x?x2xf32> -> tensor<?x2x?x2xf32>
  %5 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %6 = genc.concat %4, %5 {axis = 3 : i64} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x4xf32>
  %7 = genc.mul %6, %sin : (tensor<?x2x?x4xf32>, tensor<?x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %8 = genc.add %2, %7 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %8 : tensor<?x2x?x4xf32>
}

// -----

// Angles of one row broadcast over the batch (position ids [1, S], or
// angles computed from them, as exports that take no position_ids make
// them): the op reads them repeated for each of x's rows.
// CHECK-LABEL: func.func @angles_of_one_row(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x2x?x4xf32>
// CHECK-SAME: %[[P:[^:]+]]: tensor<1x?xi64>
// CHECK-SAME: %[[F:[^:]+]]: tensor<1x?x2xf32>
// CHECK: %[[B:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[B64:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK: %[[ROWS:.+]] = tensor.from_elements %[[B64]], %c1_i64 : tensor<2xi64>
// CHECK: %[[PER_ROW:.+]] = genc.expand %[[P]], %[[ROWS]] : (tensor<1x?xi64>, tensor<2xi64>) -> tensor<?x?xi64>
// CHECK: genc.rotary %[[X]], %{{.+}}, %{{.+}} positions(%[[PER_ROW]])
// CHECK: %[[COS:.+]] = genc.cos %[[F]]
// CHECK: %[[SIN:.+]] = genc.sin %[[F]]
// CHECK-DAG: %[[COS_ROWS:.+]] = genc.expand %[[COS]], %{{.+}} : (tensor<1x?x2xf32>, tensor<3xi64>) -> tensor<?x?x2xf32>
// CHECK-DAG: %[[SIN_ROWS:.+]] = genc.expand %[[SIN]], %{{.+}} : (tensor<1x?x2xf32>, tensor<3xi64>) -> tensor<?x?x2xf32>
// CHECK: genc.rotary %[[X]], %[[COS_ROWS]], %[[SIN_ROWS]] :
func.func @angles_of_one_row(%x: tensor<?x2x?x4xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                             %one: tensor<1x?xi64> {genc.dim_names = ["", "sequence"]},
                             %f: tensor<1x?x2xf32> {genc.dim_names = ["", "sequence", ""]})
    -> (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) {
  %even = arith.constant dense<0.5> : tensor<2x4xf32>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %10 = genc.gather %even[%one] {axis = 0 : i64} : (tensor<2x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
  %ones = genc.unsqueeze %10 {axes = array<i64: 1>} : tensor<1x?x4xf32> -> tensor<1x1x?x4xf32>
  %12 = genc.mul %x, %ones : (tensor<?x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %13 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %14 = genc.neg %13 : tensor<?x2x?x2xf32> -> tensor<?x2x?x2xf32>
  %15 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %16 = genc.concat %14, %15 {axis = 3 : i64} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x4xf32>
  %17 = genc.mul %16, %ones : (tensor<?x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %18 = genc.add %12, %17 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %ff = genc.concat %f, %f {axis = 2 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
  %20 = genc.cos %ff : tensor<1x?x4xf32> -> tensor<1x?x4xf32>
  %cos = genc.unsqueeze %20 {axes = array<i64: 1>} : tensor<1x?x4xf32> -> tensor<1x1x?x4xf32>
  %21 = genc.sin %ff : tensor<1x?x4xf32> -> tensor<1x?x4xf32>
  %sin = genc.unsqueeze %21 {axes = array<i64: 1>} : tensor<1x?x4xf32> -> tensor<1x1x?x4xf32>
  %22 = genc.mul %x, %cos : (tensor<?x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %25 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %26 = genc.neg %25 : tensor<?x2x?x2xf32> -> tensor<?x2x?x2xf32>
  %27 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %28 = genc.concat %26, %27 {axis = 3 : i64} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x4xf32>
  %23 = genc.mul %28, %sin : (tensor<?x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %24 = genc.add %22, %23 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %18, %24 : tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// Not expanded: x of one row reads angles of one row as they are. Not
// raised: positions of one row whose length is not provably x's.
// CHECK-LABEL: func.func @one_row_kept_or_other_length(
// CHECK-NOT: genc.expand
// CHECK: genc.rotary
// CHECK-NOT: genc.rotary
// CHECK: return
func.func @one_row_kept_or_other_length(%x: tensor<1x2x?x4xf32> {genc.dim_names = ["", "", "sequence", ""]},
                                        %y: tensor<?x2x?x4xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                        %one: tensor<1x?xi64> {genc.dim_names = ["", "sequence"]},
                                        %other: tensor<1x?xi64> {genc.dim_names = ["", "other"]})
    -> (tensor<1x2x?x4xf32>, tensor<?x2x?x4xf32>) {
  %even = arith.constant dense<0.5> : tensor<2x4xf32>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %0 = genc.gather %even[%one] {axis = 0 : i64} : (tensor<2x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
  %a = genc.unsqueeze %0 {axes = array<i64: 1>} : tensor<1x?x4xf32> -> tensor<1x1x?x4xf32>
  %1 = genc.mul %x, %a : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
  %2 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
  %3 = genc.neg %2 : tensor<1x2x?x2xf32> -> tensor<1x2x?x2xf32>
  %4 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
  %5 = genc.concat %3, %4 {axis = 3 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
  %6 = genc.mul %5, %a : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
  %7 = genc.add %1, %6 : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
  %10 = genc.gather %even[%other] {axis = 0 : i64} : (tensor<2x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
  %b = genc.unsqueeze %10 {axes = array<i64: 1>} : tensor<1x?x4xf32> -> tensor<1x1x?x4xf32>
  %11 = genc.mul %y, %b : (tensor<?x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %12 = genc.slice %y[%c2 : %c4] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %13 = genc.neg %12 : tensor<?x2x?x2xf32> -> tensor<?x2x?x2xf32>
  %14 = genc.slice %y[%c0 : %c2] axes %c3 steps %c1 : (tensor<?x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2x?x2xf32>
  %15 = genc.concat %13, %14 {axis = 3 : i64} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x4xf32>
  %16 = genc.mul %15, %b : (tensor<?x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<?x2x?x4xf32>
  %17 = genc.add %11, %16 : (tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %7, %17 : tensor<1x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// Not rotations of x: cos of [f, g] (halves that may differ), the rotated
// half subtracted rather than added, and cos and sin read at different
// positions.
// CHECK-LABEL: func.func @not_rotations(
// CHECK-NOT: genc.rotary
// CHECK: return
func.func @not_rotations(%x: tensor<2x4x3x4xf32>, %f: tensor<2x3x2xf32>, %g: tensor<2x3x2xf32>,
                         %p: tensor<2x3xi64>, %r: tensor<2x3xi64>)
    -> (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) {
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %table = arith.constant dense<0.5> : tensor<8x4xf32>
  %fg = genc.concat %f, %g {axis = 2 : i64} : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x4xf32>
  %0 = genc.cos %fg : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %cos = genc.unsqueeze %0 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %1 = genc.sin %fg : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %sin = genc.unsqueeze %1 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %2 = genc.mul %x, %cos : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %3 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %4 = genc.neg %3 : tensor<2x4x3x2xf32> -> tensor<2x4x3x2xf32>
  %5 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %6 = genc.concat %4, %5 {axis = 3 : i64} : (tensor<2x4x3x2xf32>, tensor<2x4x3x2xf32>) -> tensor<2x4x3x4xf32>
  %7 = genc.mul %6, %sin : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %8 = genc.add %2, %7 : (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) -> tensor<2x4x3x4xf32>
  %ff = genc.concat %f, %f {axis = 2 : i64} : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x4xf32>
  %10 = genc.cos %ff : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %cos2 = genc.unsqueeze %10 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %11 = genc.sin %ff : tensor<2x3x4xf32> -> tensor<2x3x4xf32>
  %sin2 = genc.unsqueeze %11 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %12 = genc.mul %x, %cos2 : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %13 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %14 = genc.neg %13 : tensor<2x4x3x2xf32> -> tensor<2x4x3x2xf32>
  %15 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %16 = genc.concat %14, %15 {axis = 3 : i64} : (tensor<2x4x3x2xf32>, tensor<2x4x3x2xf32>) -> tensor<2x4x3x4xf32>
  %17 = genc.mul %16, %sin2 : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %18 = genc.sub %12, %17 : (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) -> tensor<2x4x3x4xf32>
  %20 = genc.gather %table[%p] {axis = 0 : i64} : (tensor<8x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %cos3 = genc.unsqueeze %20 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %21 = genc.gather %table[%r] {axis = 0 : i64} : (tensor<8x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %sin3 = genc.unsqueeze %21 {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %22 = genc.mul %x, %cos3 : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %23 = genc.slice %x[%c2 : %c4] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %24 = genc.neg %23 : tensor<2x4x3x2xf32> -> tensor<2x4x3x2xf32>
  %25 = genc.slice %x[%c0 : %c2] axes %c3 steps %c1 : (tensor<2x4x3x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x2xf32>
  %26 = genc.concat %24, %25 {axis = 3 : i64} : (tensor<2x4x3x2xf32>, tensor<2x4x3x2xf32>) -> tensor<2x4x3x4xf32>
  %27 = genc.mul %26, %sin3 : (tensor<2x4x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x4x3x4xf32>
  %28 = genc.add %22, %27 : (tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>) -> tensor<2x4x3x4xf32>
  return %8, %18, %28 : tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>, tensor<2x4x3x4xf32>
}

// -----

// GPT-J's interleaved rotary, applied before the heads' transpose:
// x [B, S, H, D] · cos + rotate_every_two(x) · sin, the angles [B, S, h]
// repeated for each pair of channels (cos as Reshape(Expand(Unsqueeze)),
// sin element by element). The op reads the angles as they are; x is
// transposed to [B, H, S, D] and back, and the model's transpose cancels.
// CHECK-LABEL: func.func @every_two_before_transpose(
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x3x4x8xf32>, %[[COS:[^:]+]]: tensor<2x3x4xf32>, %[[SIN:[^:]+]]: tensor<2x3x4xf32>
// CHECK: %[[T:.+]] = genc.transpose %[[X]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[Y:.+]] = genc.rotary %[[T]], %[[COS]], %[[SIN]] {interleaved = true} : (tensor<2x4x3x8xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x4x3x8xf32>
// CHECK-NOT: genc.neg
// CHECK: return %[[Y]]
func.func @every_two_before_transpose(%x: tensor<2x3x4x8xf32>, %cos_angles: tensor<2x3x4xf32>, %sin_angles: tensor<2x3x4xf32>) -> tensor<2x4x3x8xf32> {
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %pair = arith.constant dense<[1, 1, 1, 1, 2]> : tensor<5xi64>
  %merged = arith.constant dense<[2, 3, 1, 8]> : tensor<4xi64>
  %merged2 = arith.constant dense<[0, 0, 1, -1]> : tensor<4xi64>
  %shape = arith.constant dense<[2, 3, 4, 8]> : tensor<4xi64>
  %cu = genc.unsqueeze %cos_angles {axes = array<i64: 2>} : tensor<2x3x4xf32> -> tensor<2x3x1x4xf32>
  %cu1 = genc.unsqueeze %cu {axes = array<i64: 4>} : tensor<2x3x1x4xf32> -> tensor<2x3x1x4x1xf32>
  %ce = genc.expand %cu1, %pair : (tensor<2x3x1x4x1xf32>, tensor<5xi64>) -> tensor<2x3x1x4x2xf32>
  %cos = genc.reshape %ce, %merged : (tensor<2x3x1x4x2xf32>, tensor<4xi64>) -> tensor<2x3x1x8xf32>
  %su = genc.unsqueeze %sin_angles {axes = array<i64: 2>} : tensor<2x3x4xf32> -> tensor<2x3x1x4xf32>
  %s:4 = genc.split %su {axis = 3 : i64, sizes = array<i64: 1, 1, 1, 1>} : tensor<2x3x1x4xf32> -> tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>, tensor<2x3x1x1xf32>
  %s0 = genc.unsqueeze %s#0 {axes = array<i64: 4>} : tensor<2x3x1x1xf32> -> tensor<2x3x1x1x1xf32>
  %e0 = genc.expand %s0, %pair : (tensor<2x3x1x1x1xf32>, tensor<5xi64>) -> tensor<2x3x1x1x2xf32>
  %r0 = genc.reshape %e0, %merged2 : (tensor<2x3x1x1x2xf32>, tensor<4xi64>) -> tensor<2x3x1x2xf32>
  %s1 = genc.unsqueeze %s#1 {axes = array<i64: 4>} : tensor<2x3x1x1xf32> -> tensor<2x3x1x1x1xf32>
  %e1 = genc.expand %s1, %pair : (tensor<2x3x1x1x1xf32>, tensor<5xi64>) -> tensor<2x3x1x1x2xf32>
  %r1 = genc.reshape %e1, %merged2 : (tensor<2x3x1x1x2xf32>, tensor<4xi64>) -> tensor<2x3x1x2xf32>
  %s2 = genc.unsqueeze %s#2 {axes = array<i64: 4>} : tensor<2x3x1x1xf32> -> tensor<2x3x1x1x1xf32>
  %e2 = genc.expand %s2, %pair : (tensor<2x3x1x1x1xf32>, tensor<5xi64>) -> tensor<2x3x1x1x2xf32>
  %r2 = genc.reshape %e2, %merged2 : (tensor<2x3x1x1x2xf32>, tensor<4xi64>) -> tensor<2x3x1x2xf32>
  %s3 = genc.unsqueeze %s#3 {axes = array<i64: 4>} : tensor<2x3x1x1xf32> -> tensor<2x3x1x1x1xf32>
  %e3 = genc.expand %s3, %pair : (tensor<2x3x1x1x1xf32>, tensor<5xi64>) -> tensor<2x3x1x1x2xf32>
  %r3 = genc.reshape %e3, %merged2 : (tensor<2x3x1x1x2xf32>, tensor<4xi64>) -> tensor<2x3x1x2xf32>
  %sin = genc.concat %r0, %r1, %r2, %r3 {axis = 3 : i64} : (tensor<2x3x1x2xf32>, tensor<2x3x1x2xf32>, tensor<2x3x1x2xf32>, tensor<2x3x1x2xf32>) -> tensor<2x3x1x8xf32>
  %0 = genc.mul %x, %cos : (tensor<2x3x4x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x4x8xf32>
  %odd = genc.slice %x[%c1 : %end] axes %c3 steps %c2 : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %neg = genc.neg %odd : tensor<2x3x4x4xf32> -> tensor<2x3x4x4xf32>
  %even = genc.slice %x[%c0 : %end] axes %c3 steps %c2 : (tensor<2x3x4x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x4x4xf32>
  %nu = genc.unsqueeze %neg {axes = array<i64: 4>} : tensor<2x3x4x4xf32> -> tensor<2x3x4x4x1xf32>
  %eu = genc.unsqueeze %even {axes = array<i64: 4>} : tensor<2x3x4x4xf32> -> tensor<2x3x4x4x1xf32>
  %pairs = genc.concat %nu, %eu {axis = 4 : i64} : (tensor<2x3x4x4x1xf32>, tensor<2x3x4x4x1xf32>) -> tensor<2x3x4x4x2xf32>
  %rotated = genc.reshape %pairs, %shape : (tensor<2x3x4x4x2xf32>, tensor<4xi64>) -> tensor<2x3x4x8xf32>
  %1 = genc.mul %rotated, %sin : (tensor<2x3x4x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x4x8xf32>
  %2 = genc.add %0, %1 : (tensor<2x3x4x8xf32>, tensor<2x3x4x8xf32>) -> tensor<2x3x4x8xf32>
  %3 = genc.transpose %2 {perm = array<i64: 0, 2, 1, 3>} : tensor<2x3x4x8xf32> -> tensor<2x4x3x8xf32>
  return %3 : tensor<2x4x3x8xf32>
}

// -----

// Not rotate_every_two: the even channels negated (a rotation the other
// way), or the angles not repeated for each pair (tiled instead).
// CHECK-LABEL: func.func @not_every_two(
// CHECK-NOT: genc.rotary
// CHECK-COUNT-2: genc.neg
// CHECK-NOT: genc.rotary
func.func @not_every_two(%x: tensor<2x4x3x8xf32>, %angles: tensor<2x3x4xf32>) -> (tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>) {
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %pair = arith.constant dense<[1, 1, 1, 1, 2]> : tensor<5xi64>
  %merged = arith.constant dense<[2, 1, 3, 8]> : tensor<4xi64>
  %shape = arith.constant dense<[2, 4, 3, 8]> : tensor<4xi64>
  %au = genc.unsqueeze %angles {axes = array<i64: 1>} : tensor<2x3x4xf32> -> tensor<2x1x3x4xf32>
  %au1 = genc.unsqueeze %au {axes = array<i64: 4>} : tensor<2x1x3x4xf32> -> tensor<2x1x3x4x1xf32>
  %ae = genc.expand %au1, %pair : (tensor<2x1x3x4x1xf32>, tensor<5xi64>) -> tensor<2x1x3x4x2xf32>
  %repeated = genc.reshape %ae, %merged : (tensor<2x1x3x4x2xf32>, tensor<4xi64>) -> tensor<2x1x3x8xf32>
  %tiled = genc.concat %au, %au {axis = 3 : i64} : (tensor<2x1x3x4xf32>, tensor<2x1x3x4xf32>) -> tensor<2x1x3x8xf32>
  %odd = genc.slice %x[%c1 : %end] axes %c3 steps %c2 : (tensor<2x4x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x4xf32>
  %even = genc.slice %x[%c0 : %end] axes %c3 steps %c2 : (tensor<2x4x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x4x3x4xf32>
  %ou = genc.unsqueeze %odd {axes = array<i64: 4>} : tensor<2x4x3x4xf32> -> tensor<2x4x3x4x1xf32>
  %neven = genc.neg %even : tensor<2x4x3x4xf32> -> tensor<2x4x3x4xf32>
  %neu = genc.unsqueeze %neven {axes = array<i64: 4>} : tensor<2x4x3x4xf32> -> tensor<2x4x3x4x1xf32>
  %back = genc.concat %neu, %ou {axis = 4 : i64} : (tensor<2x4x3x4x1xf32>, tensor<2x4x3x4x1xf32>) -> tensor<2x4x3x4x2xf32>
  %wrong = genc.reshape %back, %shape : (tensor<2x4x3x4x2xf32>, tensor<4xi64>) -> tensor<2x4x3x8xf32>
  %0 = genc.mul %x, %repeated : (tensor<2x4x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x4x3x8xf32>
  %1 = genc.mul %wrong, %repeated : (tensor<2x4x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x4x3x8xf32>
  %2 = genc.add %0, %1 : (tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  %nodd = genc.neg %odd : tensor<2x4x3x4xf32> -> tensor<2x4x3x4xf32>
  %nou = genc.unsqueeze %nodd {axes = array<i64: 4>} : tensor<2x4x3x4xf32> -> tensor<2x4x3x4x1xf32>
  %eu = genc.unsqueeze %even {axes = array<i64: 4>} : tensor<2x4x3x4xf32> -> tensor<2x4x3x4x1xf32>
  %pairs = genc.concat %nou, %eu {axis = 4 : i64} : (tensor<2x4x3x4x1xf32>, tensor<2x4x3x4x1xf32>) -> tensor<2x4x3x4x2xf32>
  %rotated = genc.reshape %pairs, %shape : (tensor<2x4x3x4x2xf32>, tensor<4xi64>) -> tensor<2x4x3x8xf32>
  %3 = genc.mul %x, %tiled : (tensor<2x4x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x4x3x8xf32>
  %4 = genc.mul %rotated, %tiled : (tensor<2x4x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x4x3x8xf32>
  %5 = genc.add %3, %4 : (tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>) -> tensor<2x4x3x8xf32>
  return %2, %5 : tensor<2x4x3x8xf32>, tensor<2x4x3x8xf32>
}

// -----

// Rotate-half before the heads' transpose: x [B, S, H, D], the table's
// rows gathered by position and unsqueezed at dim 2. A rotation whose cut
// table it cannot take (cos cut from row 1) comes first and leaves the
// shared sin table for the next. Cos and sin unsqueezed at different dims
// (1 and 2) are not one rotation.
// CHECK-LABEL: func.func @rotate_half_before_transpose(
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x3x3x8xf32>, %[[P:[^:]+]]: tensor<2x3xi64>
// CHECK-DAG: %[[COS:.+]] = arith.constant dense<5.000000e-01> : tensor<16x4xf32>
// CHECK-DAG: %[[SIN:.+]] = arith.constant dense<2.500000e-01> : tensor<16x4xf32>
// CHECK: genc.neg
// CHECK: %[[T:.+]] = genc.transpose %[[X]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[Y:.+]] = genc.rotary %[[T]], %[[COS]], %[[SIN]] positions(%[[P]]) :
// CHECK: %[[BACK:.+]] = genc.transpose %[[Y]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK-NOT: genc.rotary
// CHECK: return %{{.+}}, %[[BACK]], %{{.+}} :
func.func @rotate_half_before_transpose(%x: tensor<2x3x3x8xf32>, %pos: tensor<2x3xi64>, %n: tensor<1xi64>)
    -> (tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>) {
  %cos_table = arith.constant dense<0.5> : tensor<16x8xf32>
  %sin_table = arith.constant dense<0.25> : tensor<16x8xf32>
  %c0 = arith.constant dense<0> : tensor<1xi64>
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c3 = arith.constant dense<3> : tensor<1xi64>
  %c4 = arith.constant dense<4> : tensor<1xi64>
  %end = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %late = genc.slice %cos_table[%c1 : %n] axes %c0 steps %c1 : (tensor<16x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  %lg = genc.gather %late[%pos] {axis = 0 : i64} : (tensor<?x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %late_cos = genc.unsqueeze %lg {axes = array<i64: 2>} : tensor<2x3x8xf32> -> tensor<2x3x1x8xf32>
  %cut = genc.slice %sin_table[%c0 : %n] axes %c0 steps %c1 : (tensor<16x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  %sg = genc.gather %cut[%pos] {axis = 0 : i64} : (tensor<?x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %cut_sin = genc.unsqueeze %sg {axes = array<i64: 2>} : tensor<2x3x8xf32> -> tensor<2x3x1x8xf32>
  %cg = genc.gather %cos_table[%pos] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %cos = genc.unsqueeze %cg {axes = array<i64: 2>} : tensor<2x3x8xf32> -> tensor<2x3x1x8xf32>
  %sg2 = genc.gather %sin_table[%pos] {axis = 0 : i64} : (tensor<16x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %sin = genc.unsqueeze %sg2 {axes = array<i64: 2>} : tensor<2x3x8xf32> -> tensor<2x3x1x8xf32>
  %sin_at_1 = genc.unsqueeze %sg2 {axes = array<i64: 1>} : tensor<2x3x8xf32> -> tensor<2x1x3x8xf32>
  %hi = genc.slice %x[%c4 : %end] axes %c3 steps %c1 : (tensor<2x3x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x3x4xf32>
  %neg = genc.neg %hi : tensor<2x3x3x4xf32> -> tensor<2x3x3x4xf32>
  %lo = genc.slice %x[%c0 : %c4] axes %c3 steps %c1 : (tensor<2x3x3x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2x3x3x4xf32>
  // The cut from row 1 (not raised), then the good one, then cos and sin
  // at different dims (not raised).
  %r1 = genc.concat %neg, %lo {axis = 3 : i64} : (tensor<2x3x3x4xf32>, tensor<2x3x3x4xf32>) -> tensor<2x3x3x8xf32>
  %a1 = genc.mul %x, %late_cos : (tensor<2x3x3x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x3x8xf32>
  %b1 = genc.mul %r1, %cut_sin : (tensor<2x3x3x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x3x8xf32>
  %y1 = genc.add %a1, %b1 : (tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>) -> tensor<2x3x3x8xf32>
  %r2 = genc.concat %neg, %lo {axis = 3 : i64} : (tensor<2x3x3x4xf32>, tensor<2x3x3x4xf32>) -> tensor<2x3x3x8xf32>
  %a2 = genc.mul %x, %cos : (tensor<2x3x3x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x3x8xf32>
  %b2 = genc.mul %r2, %sin : (tensor<2x3x3x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x3x8xf32>
  %y2 = genc.add %a2, %b2 : (tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>) -> tensor<2x3x3x8xf32>
  %r3 = genc.concat %neg, %lo {axis = 3 : i64} : (tensor<2x3x3x4xf32>, tensor<2x3x3x4xf32>) -> tensor<2x3x3x8xf32>
  %a3 = genc.mul %x, %cos : (tensor<2x3x3x8xf32>, tensor<2x3x1x8xf32>) -> tensor<2x3x3x8xf32>
  %b3 = genc.mul %r3, %sin_at_1 : (tensor<2x3x3x8xf32>, tensor<2x1x3x8xf32>) -> tensor<2x3x3x8xf32>
  %y3 = genc.add %a3, %b3 : (tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>) -> tensor<2x3x3x8xf32>
  return %y1, %y2, %y3 : tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>, tensor<2x3x3x8xf32>
}
