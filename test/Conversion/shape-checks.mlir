// RUN: genc-opt --genc-convert-to-linalg --split-input-file %s | FileCheck %s

// Sizes the model leaves dynamic must agree where ops share a loop over
// them. Compiled code checks the ones the shape tracing cannot prove equal,
// reports the first that differs, and reads that operand as zeros of the
// loop's size instead of reading past its end.
// CHECK-LABEL: func.func @broadcast_unknown
// CHECK-DAG: %[[N:.+]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[M:.+]] = tensor.dim %arg1, %c0
// CHECK: %[[DIFFER:.+]] = arith.cmpi ne, %[[M]], %[[N]] : index
// CHECK: scf.if %[[DIFFER]] {
// CHECK: genc.index_out_of_bounds {{.*}}"Add node 'add' of m.onnx: input 1's dim 0 is {index}, but {bound} is expected there
// CHECK: %[[B:.+]] = scf.if %[[DIFFER]] -> (tensor<?xf32>) {
// CHECK: linalg.fill
// CHECK: } else {
// CHECK: scf.yield %arg1
// CHECK: linalg.generic {{.*}} ins(%arg0, %[[B]] :
func.func @broadcast_unknown(%a: tensor<?xf32>, %b: tensor<?xf32>) -> tensor<?xf32> {
  %0 = genc.add %a, %b : (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32> loc(#add)
  return %0 : tensor<?xf32>
}
#add = loc("add"("m.onnx":0:0))

// -----

// Inputs whose dims share a dim_param name are equal (the runtime checks
// the signature): nothing to check.
// CHECK-LABEL: func.func @broadcast_named
// CHECK-NOT: index_out_of_bounds
// CHECK-NOT: scf.if
// CHECK: linalg.generic
func.func @broadcast_named(%a: tensor<?x8xf32> {genc.dim_names = ["S", ""]},
                           %b: tensor<?x8xf32> {genc.dim_names = ["S", ""]}) -> tensor<?x8xf32> {
  %0 = genc.mul %a, %b : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A dynamic operand dim under a static loop is checked against the
// static size.
// CHECK-LABEL: func.func @broadcast_static_loop
// CHECK: %[[D:.+]] = tensor.dim %arg1, %c0
// CHECK: arith.cmpi ne, %[[D]], %c4
// CHECK: genc.index_out_of_bounds
func.func @broadcast_static_loop(%a: tensor<4xf32>, %b: tensor<?xf32>) -> tensor<4xf32> {
  %0 = genc.add %a, %b : (tensor<4xf32>, tensor<?xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Reshape to a shape taken from data: an entry below -1, a shape whose
// element count overflows and a shape that does not hold the input's
// elements are reported; the result is then zeros, its untraced dims 0,
// and the reshape is built only on the other branch, where its sizes are
// right.
// CHECK-LABEL: func.func @reshape_from_data
// CHECK: %[[NEG:.+]] = arith.cmpi slt, %{{.+}}, %c-1
// CHECK: scf.if %[[NEG]] {
// CHECK: genc.index_out_of_bounds {{.*}}"Reshape node 'r' of m.onnx: shape entry {bound} is {index}; entries are sizes, 0 or -1"
// CHECK: genc.index_out_of_bounds {{.*}}"Reshape node 'r' of m.onnx: the shape holds more elements than 64 bits count"
// CHECK: %[[MISMATCH:.+]] = arith.cmpi ne, %{{.+}}, %{{.+}} : index
// CHECK: genc.index_out_of_bounds {{.*}}"Reshape node 'r' of m.onnx: the shape holds {index} elements, the input {bound}"
// CHECK-NOT: tensor.reshape
// CHECK: scf.if %{{.+}} -> (tensor<?x?xf32>) {
// CHECK: tensor.empty() : tensor<0x0xf32>
// CHECK: } else {
// CHECK: %[[RESHAPED:.+]] = tensor.reshape %arg0
// CHECK: scf.yield %[[RESHAPED]]
func.func @reshape_from_data(%x: tensor<?xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = genc.reshape %x, %shape : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x?xf32> loc(#r)
  return %0 : tensor<?x?xf32>
}
#r = loc("r"("m.onnx":0:0))

// -----

// Splitting heads, [B, S, 64] → [B, S, 4, 16] by input dims: the count
// provably holds, so nothing is checked, and the reshape only splits a
// dim: an expand_shape, a view even of a strided slice.
// CHECK-LABEL: func.func @reshape_heads
// CHECK-NOT: index_out_of_bounds
// CHECK-NOT: scf.if
// CHECK-NOT: tensor.reshape
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] output_shape [%{{.*}}, %{{.*}}, 4, 16]
func.func @reshape_heads(%x: tensor<?x?x64xf32>) -> tensor<?x?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : i64
  %c16 = arith.constant 16 : i64
  %b = tensor.dim %x, %c0 : tensor<?x?x64xf32>
  %s = tensor.dim %x, %c1 : tensor<?x?x64xf32>
  %bi = arith.index_cast %b : index to i64
  %si = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %bi, %si, %c4, %c16 : tensor<4xi64>
  %0 = genc.reshape %x, %shape : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  return %0 : tensor<?x?x4x16xf32>
}

// -----

// Merging heads back, [B, S, 4, 16] → [B, S, 64]: not a split, so a
// tensor.reshape (a view of a contiguous input; a copy of a strided one).
// CHECK-LABEL: func.func @reshape_merges_heads
// CHECK-NOT: scf.if
// CHECK-NOT: tensor.expand_shape
// CHECK: tensor.reshape
func.func @reshape_merges_heads(%x: tensor<?x?x4x16xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : i64
  %b = tensor.dim %x, %c0 : tensor<?x?x4x16xf32>
  %s = tensor.dim %x, %c1 : tensor<?x?x4x16xf32>
  %bi = arith.index_cast %b : index to i64
  %si = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %bi, %si, %c64 : tensor<3xi64>
  %0 = genc.reshape %x, %shape : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// MatMul's K: the right operand's rows against the left's columns.
// CHECK-LABEL: func.func @matmul_k
// CHECK-DAG: %[[K:.+]] = tensor.dim %arg0, %c1
// CHECK-DAG: %[[R:.+]] = tensor.dim %arg1, %c0
// CHECK: arith.cmpi ne, %[[R]], %[[K]]
// CHECK: genc.index_out_of_bounds {{.*}}"MatMul node 'mm' of m.onnx: the right operand's dim 0 is {index}, but {bound} is expected there"
// K may be 0 at run time: M and N are then bounded by nothing, and the
// result's bytes are checked.
// CHECK: genc.index_out_of_bounds {{.*}}"MatMul node 'mm' of m.onnx: the result would need more bytes than a buffer can hold"
func.func @matmul_k(%a: tensor<?x?xf32>, %b: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = genc.matmul %a, %b : (tensor<?x?xf32>, tensor<?x8xf32>) -> tensor<?x8xf32> loc(#mm)
  return %0 : tensor<?x8xf32>
}
#mm = loc("mm"("m.onnx":0:0))

// -----

// Concat's inputs agree on every dim but the axis.
// CHECK-LABEL: func.func @concat
// CHECK: genc.index_out_of_bounds {{.*}}"Concat node 'c' of m.onnx: input 1's dim 1 is {index}, but {bound} is expected there
// CHECK-NOT: index_out_of_bounds
// CHECK: tensor.concat
func.func @concat(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = genc.concat %a, %b {axis = 0 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32> loc(#c)
  return %0 : tensor<?x?xf32>
}
#c = loc("c"("m.onnx":0:0))

// -----

// Expand reads an input dim the model leaves dynamic, never broadcasts it:
// it must be the result's size there.
// CHECK-LABEL: func.func @expand
// CHECK: genc.index_out_of_bounds {{.*}}"Expand node 'e' of m.onnx: the input's dim 0 is {index}, but {bound} is expected there (genc broadcasts only dims the model declares as 1)"
// CHECK: %[[IN:.+]] = scf.if
// CHECK: linalg.generic {{.*}} ins(%[[IN]] :
func.func @expand(%x: tensor<?xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  %0 = genc.expand %x, %shape : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x?xf32> loc(#e)
  return %0 : tensor<?x?xf32>
}
#e = loc("e"("m.onnx":0:0))

// -----

// torch's index_add_ expands the updates to a one-row slice of the target
// (self[0:1]): that dim may be the 1 that broadcasts, so where it is 1 the
// result keeps the input's rows; a 0 stays 0, the input checked against it.
// CHECK-LABEL: func.func @expand_to_one_row
// CHECK: %[[ROWS:.+]] = tensor.dim %extracted_slice
// CHECK: %[[ONE:.+]] = arith.cmpi eq, %[[ROWS]], %{{.+}} : index
// CHECK: %[[IN:.+]] = tensor.dim %arg0
// CHECK: arith.select %[[ONE]], %[[IN]], %[[ROWS]] : index
// CHECK: "Expand node 'e' of m.onnx: the input's dim 0 is {index}, but {bound} is expected there
func.func @expand_to_one_row(%x: tensor<?x4xf32>, %target: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %starts = arith.constant dense<0> : tensor<1xi64>
  %ends = arith.constant dense<1> : tensor<1xi64>
  %row = genc.slice %target[%starts : %ends] axes %starts steps %ends : (tensor<?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %row, %c0 : tensor<?x4xf32>
  %n64 = arith.index_cast %n : index to i64
  %c4 = arith.constant 4 : i64
  %shape = tensor.from_elements %n64, %c4 : tensor<2xi64>
  %y = genc.expand %x, %shape : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32> loc(#e)
  return %y : tensor<?x4xf32>
}
#e = loc("e"("m.onnx":0:0))

// -----

// A slice of two rows is no broadcast's 1: its dim is the result's, the
// input's checked equal to it.
// CHECK-LABEL: func.func @expand_to_two_rows
// CHECK: %[[ROWS:.+]] = tensor.dim %extracted_slice
// CHECK-NOT: arith.cmpi eq, %[[ROWS]]
// CHECK: "Expand node 'e' of m.onnx: the input's dim 0 is {index}, but {bound} is expected there
func.func @expand_to_two_rows(%x: tensor<?x4xf32>, %target: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %starts = arith.constant dense<0> : tensor<1xi64>
  %ends = arith.constant dense<2> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %rows = genc.slice %target[%starts : %ends] axes %starts steps %one : (tensor<?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
  %c0 = arith.constant 0 : index
  %n = tensor.dim %rows, %c0 : tensor<?x4xf32>
  %n64 = arith.index_cast %n : index to i64
  %c4 = arith.constant 4 : i64
  %shape = tensor.from_elements %n64, %c4 : tensor<2xi64>
  %y = genc.expand %x, %shape : (tensor<?x4xf32>, tensor<2xi64>) -> tensor<?x4xf32> loc(#e)
  return %y : tensor<?x4xf32>
}
#e = loc("e"("m.onnx":0:0))

// -----

// Gemm's C broadcasts to the product [M, N]: a static C sizes the loop,
// and the product's dynamic dim is checked against it.
// CHECK-LABEL: func.func @gemm_bias
// CHECK: genc.index_out_of_bounds {{.*}}"Gemm node 'g' of m.onnx: the product's dim 1 is {index}, but {bound} is expected there"
// CHECK: %[[P:.+]] = scf.if
// CHECK: linalg.generic {{.*}} ins(%[[P]], %arg2 :
func.func @gemm_bias(%a: tensor<?x4xf32>, %b: tensor<4x?xf32>, %c: tensor<8xf32>) -> tensor<?x?xf32> {
  %0 = genc.gemm %a, %b bias(%c) : (tensor<?x4xf32>, tensor<4x?xf32>, tensor<8xf32>) -> tensor<?x?xf32> loc(#g)
  return %0 : tensor<?x?xf32>
}
#g = loc("g"("m.onnx":0:0))

// -----

// Attention over operands of independent sizes: the key's and value's
// batch against the query's, the value's positions against the key's, and
// the mask's keys; the kernel reads the checked operands.
// CHECK-LABEL: func.func @attention
// CHECK: genc.index_out_of_bounds {{.*}}"attention node 'a' of m.onnx: the key's dim 0 is {index}, but {bound} is expected there"
// CHECK: genc.index_out_of_bounds {{.*}}"attention node 'a' of m.onnx: the value's dim 0 is {index}, but {bound} is expected there"
// CHECK: genc.index_out_of_bounds {{.*}}"attention node 'a' of m.onnx: the value's dim 2 is {index}, but {bound} is expected there"
// CHECK: genc.index_out_of_bounds {{.*}}"attention node 'a' of m.onnx: the mask's dim 3 is {index}, but {bound} is expected there"
// CHECK: %[[K:.+]] = scf.if
// CHECK: %[[V:.+]] = scf.if
// Static head counts (8 and 2) need no check.
// CHECK-NOT: must divide them
// CHECK: bufferization.to_buffer %[[K]] read_only
// CHECK: bufferization.to_buffer %[[V]] read_only
// CHECK: genc.attention_kernel
func.func @attention(%q: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %v: tensor<?x2x?x16xf32>,
                     %mask: tensor<1x1x1x?xf32>) -> tensor<?x8x?x16xf32> {
  %0 = genc.attention %q, %k, %v mask(%mask) {scale = 0.25 : f32} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<1x1x1x?xf32>) -> tensor<?x8x?x16xf32> loc(#a)
  return %0 : tensor<?x8x?x16xf32>
}
#a = loc("a"("m.onnx":0:0))

// -----

// Head counts left to run time: the key's must divide the query's (and not
// be 0) before the kernel maps query heads to KV heads.
// CHECK-LABEL: func.func @attention_dynamic_heads
// CHECK: %[[HQ:.+]] = tensor.dim %arg0
// CHECK: %[[HKV:.+]] = tensor.dim %arg1
// CHECK: %[[NONE:.+]] = arith.cmpi eq, %[[HKV]], %[[C0:[^ ]+]] : index
// CHECK: %[[DIVISOR:.+]] = arith.select %[[NONE]], %{{.+}}, %[[HKV]]
// CHECK: %[[REST:.+]] = arith.remui %[[HQ]], %[[DIVISOR]]
// CHECK: %[[UNEVEN:.+]] = arith.cmpi ne, %[[REST]], %[[C0]]
// CHECK: %[[FAILED:.+]] = arith.ori %[[NONE]], %[[UNEVEN]]
// CHECK: scf.if %[[FAILED]]
// CHECK: genc.index_out_of_bounds {{.*}}"attention node 'h' of m.onnx: the query has {index} heads and the key {bound}, which must divide them"
// CHECK: genc.attention_kernel
func.func @attention_dynamic_heads(%q: tensor<1x?x4x16xf32>, %k: tensor<1x?x4x16xf32>, %v: tensor<1x?x4x16xf32>) -> tensor<1x?x4x16xf32> {
  %0 = genc.attention %q, %k, %v {scale = 0.25 : f32} : (tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>) -> tensor<1x?x4x16xf32> loc(#h)
  return %0 : tensor<1x?x4x16xf32>
}
#h = loc("h"("m.onnx":0:0))

// -----

// Linear attention's kernel maps heads the same way, and checks them too.
// CHECK-LABEL: func.func @linear_attention_dynamic_heads
// CHECK: genc.index_out_of_bounds {{.*}}"attention node 'l' of m.onnx: the query has {index} heads and the key {bound}, which must divide them"
// CHECK: genc.linear_attention_kernel
func.func @linear_attention_dynamic_heads(%q: tensor<1x?x4x16xf32>, %k: tensor<1x?x4x16xf32>, %v: tensor<1x?x4x16xf32>) -> tensor<1x?x4x16xf32> {
  %0 = genc.attention %q, %k, %v {causal = true, feature_map = "elu", scale = 0.25 : f32} : (tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>, tensor<1x?x4x16xf32>) -> tensor<1x?x4x16xf32> loc(#l)
  return %0 : tensor<1x?x4x16xf32>
}
#l = loc("l"("m.onnx":0:0))

// -----

// A normalisation's scale of static size fixes the loop over the input's
// dynamic last dim.
// CHECK-LABEL: func.func @layer_norm
// CHECK: genc.index_out_of_bounds {{.*}}"LayerNorm node 'n' of m.onnx: input 0's dim 1 is {index}, but {bound} is expected there
func.func @layer_norm(%x: tensor<?x?xf32>, %w: tensor<16xf32>) -> tensor<?x?xf32> {
  %0 = genc.layer_norm %x, %w {axis = 1 : i64} : (tensor<?x?xf32>, tensor<16xf32>) -> tensor<?x?xf32> loc(#n)
  return %0 : tensor<?x?xf32>
}
#n = loc("n"("m.onnx":0:0))

// -----

// An Expand shape shorter than the result is right-aligned: the dims
// before it are the input's, and only its own entries are read.
// CHECK-LABEL: func.func @expand_short_shape
// CHECK-COUNT-1: tensor.extract %arg1
// CHECK-NOT: tensor.extract %arg1
func.func @expand_short_shape(%x: tensor<?x1x4xf32>, %shape: tensor<2xi64>) -> tensor<?x?x4xf32> {
  %0 = genc.expand %x, %shape : (tensor<?x1x4xf32>, tensor<2xi64>) -> tensor<?x?x4xf32>
  return %0 : tensor<?x?x4xf32>
}

// -----

// A Reshape to a scalar checks the count like any other.
// CHECK-LABEL: func.func @reshape_to_scalar
// CHECK: genc.index_out_of_bounds {{.*}}the shape holds {index} elements, the input {bound}
func.func @reshape_to_scalar(%x: tensor<?xf32>, %shape: tensor<0xi64>) -> tensor<f32> {
  %0 = genc.reshape %x, %shape : (tensor<?xf32>, tensor<0xi64>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// A static K bounds M by the left operand's size: no check of the
// result's bytes (a weight's matmul pays nothing).
// CHECK-LABEL: func.func @matmul_static_k
// CHECK-NOT: more bytes than a buffer
// CHECK: return
func.func @matmul_static_k(%a: tensor<?x16xf32>, %b: tensor<16x8xf32>) -> tensor<?x8xf32> {
  %0 = genc.matmul %a, %b : (tensor<?x16xf32>, tensor<16x8xf32>) -> tensor<?x8xf32> loc(#mm)
  return %0 : tensor<?x8xf32>
}
#mm = loc("mm"("m.onnx":0:0))
