// RUN: genc-opt --canonicalize --split-input-file %s | FileCheck %s

// Small integer arithmetic folds to constants, broadcasting included.
// CHECK-LABEL: func.func @fold_arith
// CHECK: %[[C:.+]] = arith.constant dense<[7, 9, 11]> : tensor<3xi64>
// CHECK: return %[[C]]
func.func @fold_arith() -> tensor<3xi64> {
  %a = arith.constant dense<[1, 2, 3]> : tensor<3xi64>
  %two = arith.constant dense<2> : tensor<i64>
  %b = arith.constant dense<5> : tensor<1xi64>
  %m = genc.mul %a, %two : (tensor<3xi64>, tensor<i64>) -> tensor<3xi64>
  %r = genc.add %m, %b : (tensor<3xi64>, tensor<1xi64>) -> tensor<3xi64>
  return %r : tensor<3xi64>
}

// -----

// Integer division truncates toward zero; division by zero is left alone.
// CHECK-LABEL: func.func @fold_div
// CHECK-DAG: arith.constant dense<-3> : tensor<1xi64>
// CHECK-DAG: genc.div
func.func @fold_div() -> (tensor<1xi64>, tensor<1xi64>) {
  %a = arith.constant dense<-7> : tensor<1xi64>
  %b = arith.constant dense<2> : tensor<1xi64>
  %z = arith.constant dense<0> : tensor<1xi64>
  %q = genc.div %a, %b : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %e = genc.div %a, %z : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  return %q, %e : tensor<1xi64>, tensor<1xi64>
}

// -----

// Casts fold on constants (float→int truncates) and vanish when no-ops.
// CHECK-LABEL: func.func @fold_cast
// CHECK-DAG: arith.constant dense<[2, -1]> : tensor<2xi32>
// CHECK-NOT: genc.cast
func.func @fold_cast(%x: tensor<?xf32>) -> (tensor<2xi32>, tensor<?xf32>) {
  %a = arith.constant dense<[2.7, -1.5]> : tensor<2xf32>
  %c = genc.cast %a {to = i32} : tensor<2xf32> -> tensor<2xi32>
  %same = genc.cast %x {to = f32} : tensor<?xf32> -> tensor<?xf32>
  return %c, %same : tensor<2xi32>, tensor<?xf32>
}

// -----

// Gather, slice, concat and unsqueeze on constants.
// CHECK-LABEL: func.func @fold_data_movement
// CHECK: %[[C:.+]] = arith.constant dense<[30, 10, 20, 40]> : tensor<4xi64>
// CHECK: return %[[C]]
func.func @fold_data_movement() -> tensor<4xi64> {
  %a = arith.constant dense<[10, 20, 30]> : tensor<3xi64>
  %i = arith.constant dense<2> : tensor<1xi64>
  %g = genc.gather %a[%i] {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s0 = arith.constant dense<0> : tensor<1xi64>
  %s1 = arith.constant dense<2> : tensor<1xi64>
  %ax = arith.constant dense<0> : tensor<1xi64>
  %st = arith.constant dense<1> : tensor<1xi64>
  %sl = genc.slice %a[%s0 : %s1] axes %ax steps %st : (tensor<3xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %f = arith.constant dense<40> : tensor<i64>
  %u = genc.unsqueeze %f {axes = array<i64: 0>} : tensor<i64> -> tensor<1xi64>
  %r = genc.concat %g, %sl, %u {axis = 0 : i64} : (tensor<1xi64>, tensor<2xi64>, tensor<1xi64>) -> tensor<4xi64>
  return %r : tensor<4xi64>
}

// -----

// A slice folds to its input only when it keeps every dim whole: [0, 32)
// of a dim whose size is unknown may cut it; [0, INT64_MAX) may not.
// CHECK-LABEL: func.func @slice_identity
// CHECK: %[[CUT:.+]] = genc.slice %[[X:arg0]][
// CHECK: return %[[CUT]], %[[X]]
func.func @slice_identity(%x: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %zero = arith.constant dense<0> : tensor<1xi64>
  %end = arith.constant dense<32> : tensor<1xi64>
  %max = arith.constant dense<9223372036854775807> : tensor<1xi64>
  %axis = arith.constant dense<1> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %cut = genc.slice %x[%zero : %end] axes %axis steps %one : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  %whole = genc.slice %x[%zero : %max] axes %axis steps %one : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %cut, %whole : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// An end computed as the dim itself (`x[:, :n]`, n = x's dim 1) keeps the
// dim whole; another tensor's dim may cut it.
// CHECK-LABEL: func.func @slice_to_own_dim
// CHECK: %[[CUT:.+]] = genc.slice %[[X:arg0]][
// CHECK: return %[[X]], %[[CUT]]
func.func @slice_to_own_dim(%x: tensor<?x?xf32>, %y: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<1xi64>
  %axis = arith.constant dense<1> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %m = tensor.dim %y, %c1 : tensor<?x?xf32>
  %n64 = arith.index_cast %n : index to i64
  %m64 = arith.index_cast %m : index to i64
  %own = tensor.from_elements %n64 : tensor<1xi64>
  %other = tensor.from_elements %m64 : tensor<1xi64>
  %whole = genc.slice %x[%zero : %own] axes %axis steps %one : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  %cut = genc.slice %x[%zero : %other] axes %axis steps %one : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  return %whole, %cut : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// A Reshape or Expand to the input's own dims is the input; to another
// tensor's dims it stays.
// CHECK-LABEL: func.func @reshape_expand_to_own_dims
// CHECK: %[[OTHER:.+]] = genc.reshape %[[X:arg0]], %{{.+}}
// CHECK: return %[[X]], %[[X]], %[[OTHER]]
func.func @reshape_expand_to_own_dims(%x: tensor<?x4xf32>, %y: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : i64
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %m = tensor.dim %y, %c0 : tensor<?x4xf32>
  %n64 = arith.index_cast %n : index to i64
  %m64 = arith.index_cast %m : index to i64
  %own = tensor.from_elements %n64, %c4 : tensor<2xi64>
  %other = tensor.from_elements %m64, %c4 : tensor<2xi64>
  %r = genc.reshape %x, %own : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %e = genc.expand %x, %own : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  %o = genc.reshape %x, %other : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32>
  return %r, %e, %o : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// A ScatterND whose index tuples are a grid of aranges over all of data
// (torch's export of `x[:, :n] = y` with n = x's dim 1, a unit dim indexed
// by zeros) replaces every element in order: it is its updates. With a
// reduction, tuples over only part of data, or entries swapped (each tuple
// names another place), it stays. (Updates must provably be data's shape:
// here their dims share a name.)
// CHECK-LABEL: func.func @scatter_whole
// CHECK-COUNT-3: genc.scatter_nd
// CHECK-NOT: genc.scatter_nd
// CHECK: return %arg1, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}} :
func.func @scatter_whole(%x: tensor<1x?xf32> {genc.dim_names = ["", "n"]}, %u: tensor<1x?xf32> {genc.dim_names = ["", "n"]}, %y: tensor<1x?xf32>) -> (tensor<1x?xf32>, tensor<1x?xf32>, tensor<1x?xf32>, tensor<1x?xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<i64>
  %step = arith.constant dense<1> : tensor<i64>
  %unit = arith.constant dense<0> : tensor<1x1xi64>
  %one = arith.constant 1 : i64
  %n = tensor.dim %x, %c1 : tensor<1x?xf32>
  %m = tensor.dim %y, %c1 : tensor<1x?xf32>
  %n64 = arith.index_cast %n : index to i64
  %m64 = arith.index_cast %m : index to i64
  %limit = tensor.from_elements %n64 : tensor<i64>
  %part_limit = tensor.from_elements %m64 : tensor<i64>
  %grid = tensor.from_elements %one, %n64 : tensor<2xi64>
  %part_grid = tensor.from_elements %one, %m64 : tensor<2xi64>
  %cols = genc.range %zero, %limit, %step : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %part_cols = genc.range %zero, %part_limit, %step : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %c = genc.expand %cols, %grid : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x?xi64>
  %pc = genc.expand %part_cols, %part_grid : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x?xi64>
  %r = genc.expand %unit, %grid : (tensor<1x1xi64>, tensor<2xi64>) -> tensor<1x?xi64>
  %pr = genc.expand %unit, %part_grid : (tensor<1x1xi64>, tensor<2xi64>) -> tensor<1x?xi64>
  %rows = genc.unsqueeze %r {axes = array<i64: 2>} : tensor<1x?xi64> -> tensor<1x?x1xi64>
  %columns = genc.unsqueeze %c {axes = array<i64: 2>} : tensor<1x?xi64> -> tensor<1x?x1xi64>
  %part_rows = genc.unsqueeze %pr {axes = array<i64: 2>} : tensor<1x?xi64> -> tensor<1x?x1xi64>
  %part_columns = genc.unsqueeze %pc {axes = array<i64: 2>} : tensor<1x?xi64> -> tensor<1x?x1xi64>
  %tuples = genc.concat %rows, %columns {axis = 2 : i64} : (tensor<1x?x1xi64>, tensor<1x?x1xi64>) -> tensor<1x?x2xi64>
  %part = genc.concat %part_rows, %part_columns {axis = 2 : i64} : (tensor<1x?x1xi64>, tensor<1x?x1xi64>) -> tensor<1x?x2xi64>
  %whole = genc.scatter_nd %x[%tuples] = %u : (tensor<1x?xf32>, tensor<1x?x2xi64>, tensor<1x?xf32>) -> tensor<1x?xf32>
  %added = genc.scatter_nd %x[%tuples] = %u {reduction = "add"} : (tensor<1x?xf32>, tensor<1x?x2xi64>, tensor<1x?xf32>) -> tensor<1x?xf32>
  %some = genc.scatter_nd %x[%part] = %u : (tensor<1x?xf32>, tensor<1x?x2xi64>, tensor<1x?xf32>) -> tensor<1x?xf32>
  %swapped_tuples = genc.concat %columns, %rows {axis = 2 : i64} : (tensor<1x?x1xi64>, tensor<1x?x1xi64>) -> tensor<1x?x2xi64>
  %swapped = genc.scatter_nd %x[%swapped_tuples] = %u : (tensor<1x?xf32>, tensor<1x?x2xi64>, tensor<1x?xf32>) -> tensor<1x?xf32>
  return %whole, %added, %some, %swapped : tensor<1x?xf32>, tensor<1x?xf32>, tensor<1x?xf32>, tensor<1x?xf32>
}

// -----

// A static shape folds; a splat ConstantOfShape of any size stays a splat.
// CHECK-LABEL: func.func @fold_shape_and_fill
// CHECK-DAG: arith.constant dense<[4, 1024]> : tensor<2xi64>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<1024x1024xf32>
// CHECK-NOT: genc.shape
// CHECK-NOT: genc.constant_of_shape
func.func @fold_shape_and_fill(%x: tensor<4x1024xf32>) -> (tensor<2xi64>, tensor<1024x1024xf32>) {
  %s = genc.shape %x : tensor<4x1024xf32> -> tensor<2xi64>
  %shape = arith.constant dense<[1024, 1024]> : tensor<2xi64>
  %f = genc.constant_of_shape %shape {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<1024x1024xf32>
  return %s, %f : tensor<2xi64>, tensor<1024x1024xf32>
}

// -----

// Range with constant bounds; Where with a splat condition picks a side.
// CHECK-LABEL: func.func @fold_range_where
// CHECK-DAG: arith.constant dense<[3, 5, 7]> : tensor<3xi64>
// CHECK: return %{{.+}}, %arg0
func.func @fold_range_where(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<3xi64>, tensor<4xf32>) {
  %a = arith.constant dense<3> : tensor<i64>
  %b = arith.constant dense<9> : tensor<i64>
  %d = arith.constant dense<2> : tensor<i64>
  %r = genc.range %a, %b, %d : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<3xi64>
  %t = arith.constant dense<true> : tensor<i1>
  %w = genc.where %t, %x, %y : (tensor<i1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %r, %w : tensor<3xi64>, tensor<4xf32>
}

// -----

// A constant splits into constant pieces (torch's repeat_interleave
// splits its shape so).
// CHECK-LABEL: func.func @fold_split
// CHECK-DAG: arith.constant dense<[1, 2]> : tensor<2xi64>
// CHECK-DAG: arith.constant dense<3> : tensor<1xi64>
// CHECK-DAG: arith.constant dense<{{\[}}[1], [4]]> : tensor<2x1xi64>
// CHECK-NOT: genc.split
func.func @fold_split() -> (tensor<2xi64>, tensor<1xi64>, tensor<2x1xi64>) {
  %v = arith.constant dense<[1, 2, 3]> : tensor<3xi64>
  %p:2 = genc.split %v {axis = 0 : i64, sizes = array<i64: 2, 1>} : tensor<3xi64> -> tensor<2xi64>, tensor<1xi64>
  %m = arith.constant dense<[[1, 2], [4, 5]]> : tensor<2x2xi64>
  %q:2 = genc.split %m {axis = 1 : i64, sizes = array<i64: 1, 1>} : tensor<2x2xi64> -> tensor<2x1xi64>, tensor<2x1xi64>
  return %p#0, %p#1, %q#0 : tensor<2xi64>, tensor<1xi64>, tensor<2x1xi64>
}

// -----

// A transpose undone by the next is its input; two that compose to another
// permutation stay.
// CHECK-LABEL: func.func @transpose_undone
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x3x4xf32>
// CHECK: %[[T:.+]] = genc.transpose %[[X]] {perm = array<i64: 1, 2, 0>}
// CHECK: %[[U:.+]] = genc.transpose %[[T]] {perm = array<i64: 1, 2, 0>}
// CHECK: return %[[X]], %[[U]]
func.func @transpose_undone(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %t = genc.transpose %x {perm = array<i64: 1, 2, 0>} : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %back = genc.transpose %t {perm = array<i64: 2, 0, 1>} : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  %again = genc.transpose %t {perm = array<i64: 1, 2, 0>} : tensor<3x4x2xf32> -> tensor<4x2x3xf32>
  return %back, %again : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// -----

// Causality counted from the first key is the usual one where the queries
// are provably as many as the keys (here the same dim of one input), and
// stays where they may not be.
// CHECK-LABEL: func.func @causal_from_start
// CHECK: genc.attention %arg0, %arg0, %arg0 {causal = true, scale = 1.250000e-01 : f32}
// CHECK: genc.attention %arg0, %arg1, %arg1 {causal = true, causal_from_start = true, scale = 1.250000e-01 : f32}
func.func @causal_from_start(%x: tensor<1x2x?x64xf32>, %other: tensor<1x2x?x64xf32>)
    -> (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) {
  %same = genc.attention %x, %x, %x {causal = true, causal_from_start = true, scale = 0.125 : f32} : (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32>
  %differ = genc.attention %x, %other, %other {causal = true, causal_from_start = true, scale = 0.125 : f32} : (tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>) -> tensor<1x2x?x64xf32>
  return %same, %differ : tensor<1x2x?x64xf32>, tensor<1x2x?x64xf32>
}
