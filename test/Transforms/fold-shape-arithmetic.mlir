// RUN: genc-opt --genc-fold-shape-arithmetic --split-input-file %s | FileCheck %s

// Shape → Gather → Concat of dynamic and static dims becomes tensor.dim
// values in a tensor.from_elements; the chain is gone.
// CHECK-LABEL: func.func @dynamic_reshape
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x64xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[B:.+]] = tensor.dim %[[X]], %[[C0]]
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[X]], %[[C1]]
// CHECK-DAG: %[[B64:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK-DAG: %[[S64:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[B64]], %[[S64]], %{{.+}}, %{{.+}} : tensor<4xi64>
// CHECK: genc.reshape %[[X]], %[[SHAPE]]
// CHECK-NOT: genc.shape
// CHECK-NOT: genc.gather
// CHECK-NOT: genc.concat
func.func @dynamic_reshape(%x: tensor<?x?x64xf32>) -> tensor<?x?x?x?xf32> {
  %shape = genc.shape %x : tensor<?x?x64xf32> -> tensor<3xi64>
  %i0 = arith.constant dense<0> : tensor<1xi64>
  %i1 = arith.constant dense<1> : tensor<1xi64>
  %b = genc.gather %shape[%i0] {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = genc.gather %shape[%i1] {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %heads = arith.constant dense<[8, 8]> : tensor<2xi64>
  %target = genc.concat %b, %s, %heads {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %y = genc.reshape %x, %target : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x?x?xf32>
  return %y : tensor<?x?x?x?xf32>
}

// -----

// Static dims fold to a constant.
// CHECK-LABEL: func.func @static_shape
// CHECK: %[[C:.+]] = arith.constant dense<[2, 64]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @static_shape(%x: tensor<2x3x64xf32>) -> tensor<2xi64> {
  %shape = genc.shape %x : tensor<2x3x64xf32> -> tensor<3xi64>
  %idx = arith.constant dense<[0, 2]> : tensor<2xi64>
  %r = genc.gather %shape[%idx] {axis = 0 : i64} : (tensor<3xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %r : tensor<2xi64>
}

// -----

// torch's expand guard: Where(Equal(shape, -1), ones, shape). A dim is
// never -1, so the guard picks the shape itself.
// CHECK-LABEL: func.func @expand_guard
// CHECK-SAME: (%[[X:.+]]: tensor<?x1xf32>, %[[Y:.+]]: tensor<?x4xf32>)
// CHECK: %[[D:.+]] = tensor.dim %[[Y]]
// CHECK: %[[D64:.+]] = arith.index_cast %[[D]]
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[D64]], %{{.+}} : tensor<2xi64>
// CHECK: genc.expand %[[X]], %[[SHAPE]]
// CHECK-NOT: genc.equal
// CHECK-NOT: genc.where
func.func @expand_guard(%x: tensor<?x1xf32>, %y: tensor<?x4xf32>) -> tensor<?x?xf32> {
  %shape = genc.shape %y : tensor<?x4xf32> -> tensor<2xi64>
  %minus1 = arith.constant dense<-1> : tensor<2xi64>
  %is_minus1 = genc.equal %shape, %minus1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %ones = arith.constant dense<1> : tensor<2xi64>
  %guarded = genc.where %is_minus1, %ones, %shape : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r = genc.expand %x, %guarded : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// The same guard over transformers' to_4d lengths: its past is (S + P) - S,
// which is P, a length, and S + P is one too (also when an earlier round
// left it as index arithmetic in a tensor.from_elements).
// CHECK-LABEL: func.func @expand_guard_over_lengths
// CHECK-DAG: %[[S:.+]] = tensor.dim %arg1, %c1
// CHECK-DAG: %[[P:.+]] = tensor.dim %arg2, %c2
// CHECK: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[P64]], %{{.+}} : tensor<2xi64>
// CHECK: genc.expand %arg0, %[[SHAPE]]
// CHECK-NOT: genc.equal
// CHECK-NOT: genc.where
// CHECK-LABEL: func.func @expand_guard_over_sum
// CHECK-NOT: genc.equal
// CHECK-NOT: genc.where
// CHECK: genc.expand
// A product of lengths is one too; a difference may be negative, so its
// guard stays, also (S + P) - B for another length B.
// CHECK-LABEL: func.func @expand_guard_over_product
// CHECK-NOT: genc.where
// CHECK: genc.expand
// CHECK-LABEL: func.func @expand_guard_over_difference
// CHECK: genc.where
// CHECK-LABEL: func.func @expand_guard_over_other_difference
// CHECK: genc.where
func.func @expand_guard_over_lengths(%x: tensor<?x1xf32>, %ids: tensor<?x?xi64>,
                                     %past: tensor<?x4x?x8xf32>) -> tensor<?x?xf32> {
  %c1 = arith.constant dense<1> : tensor<1xi64>
  %c2 = arith.constant dense<2> : tensor<1xi64>
  %ids_shape = genc.shape %ids : tensor<?x?xi64> -> tensor<2xi64>
  %s = genc.gather %ids_shape[%c1] {axis = 0 : i64} : (tensor<2xi64>, tensor<1xi64>) -> tensor<1xi64>
  %past_shape = genc.shape %past : tensor<?x4x?x8xf32> -> tensor<4xi64>
  %p = genc.gather %past_shape[%c2] {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %kv = genc.add %s, %p : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %back = genc.sub %kv, %s : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %shape = genc.concat %back, %c1 {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %minus1 = arith.constant dense<-1> : tensor<2xi64>
  %is_minus1 = genc.equal %shape, %minus1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %ones = arith.constant dense<1> : tensor<2xi64>
  %guarded = genc.where %is_minus1, %ones, %shape : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r = genc.expand %x, %guarded : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
func.func @expand_guard_over_sum(%x: tensor<?x1xf32>, %ids: tensor<?x?xi64>,
                                 %past: tensor<?x4x?x8xf32>) -> tensor<?x?xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %p = tensor.dim %past, %c2 : tensor<?x4x?x8xf32>
  %total = arith.addi %s, %p : index
  %total64 = arith.index_cast %total : index to i64
  %shape = tensor.from_elements %total64, %one : tensor<2xi64>
  %minus1 = arith.constant dense<-1> : tensor<2xi64>
  %is_minus1 = genc.equal %shape, %minus1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %ones = arith.constant dense<1> : tensor<2xi64>
  %guarded = genc.where %is_minus1, %ones, %shape : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r = genc.expand %x, %guarded : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
func.func @expand_guard_over_product(%x: tensor<?x1xf32>, %ids: tensor<?x?xi64>,
                                 %past: tensor<?x4x?x8xf32>) -> tensor<?x?xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %p = tensor.dim %past, %c2 : tensor<?x4x?x8xf32>
  %total = arith.muli %s, %p : index
  %total64 = arith.index_cast %total : index to i64
  %shape = tensor.from_elements %total64, %one : tensor<2xi64>
  %minus1 = arith.constant dense<-1> : tensor<2xi64>
  %is_minus1 = genc.equal %shape, %minus1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %ones = arith.constant dense<1> : tensor<2xi64>
  %guarded = genc.where %is_minus1, %ones, %shape : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r = genc.expand %x, %guarded : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
func.func @expand_guard_over_difference(%x: tensor<?x1xf32>, %ids: tensor<?x?xi64>,
                                 %past: tensor<?x4x?x8xf32>) -> tensor<?x?xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %p = tensor.dim %past, %c2 : tensor<?x4x?x8xf32>
  %total = arith.subi %s, %p : index
  %total64 = arith.index_cast %total : index to i64
  %shape = tensor.from_elements %total64, %one : tensor<2xi64>
  %minus1 = arith.constant dense<-1> : tensor<2xi64>
  %is_minus1 = genc.equal %shape, %minus1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %ones = arith.constant dense<1> : tensor<2xi64>
  %guarded = genc.where %is_minus1, %ones, %shape : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r = genc.expand %x, %guarded : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}
func.func @expand_guard_over_other_difference(%x: tensor<?x1xf32>, %ids: tensor<?x?xi64>,
                                 %past: tensor<?x4x?x8xf32>) -> tensor<?x?xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1 : i64
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %p = tensor.dim %past, %c2 : tensor<?x4x?x8xf32>
  %c0 = arith.constant 0 : index
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %sum = arith.addi %s, %p : index
  %total = arith.subi %sum, %b : index
  %total64 = arith.index_cast %total : index to i64
  %shape = tensor.from_elements %total64, %one : tensor<2xi64>
  %minus1 = arith.constant dense<-1> : tensor<2xi64>
  %is_minus1 = genc.equal %shape, %minus1 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi1>
  %ones = arith.constant dense<1> : tensor<2xi64>
  %guarded = genc.where %is_minus1, %ones, %shape : (tensor<2xi1>, tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  %r = genc.expand %x, %guarded : (tensor<?x1xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// Arithmetic on dims becomes index arithmetic: total - past.
// CHECK-LABEL: func.func @dim_arithmetic
// CHECK-DAG: %[[T:.+]] = tensor.dim %arg0
// CHECK-DAG: %[[P:.+]] = tensor.dim %arg1
// CHECK: %[[D:.+]] = arith.subi %[[T]], %[[P]] : index
// CHECK: %[[D64:.+]] = arith.index_cast %[[D]] : index to i64
// CHECK: tensor.from_elements %[[D64]] : tensor<i64>
// CHECK-NOT: genc.sub
func.func @dim_arithmetic(%mask: tensor<?xi64>, %past: tensor<?xf32>) -> tensor<i64> {
  %a = genc.shape %mask : tensor<?xi64> -> tensor<1xi64>
  %b = genc.shape %past : tensor<?xf32> -> tensor<1xi64>
  %d = genc.sub %a, %b : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
  %s = genc.squeeze %d {axes = array<i64: 0>} : tensor<1xi64> -> tensor<i64>
  return %s : tensor<i64>
}

// -----

// Dims that share a dim_param name are one symbol: both shapes read the
// first argument's dim, so the comparison folds to true.
// CHECK-LABEL: func.func @shared_dim_names
// CHECK: %[[TRUE:.+]] = arith.constant dense<true> : tensor<1xi1>
// CHECK: return %[[TRUE]]
func.func @shared_dim_names(%a: tensor<?x4xf32> {genc.dim_names = ["batch", ""]},
                            %b: tensor<?x8xf32> {genc.dim_names = ["batch", ""]}) -> tensor<1xi1> {
  %sa = genc.shape %a {end = 1 : i64} : tensor<?x4xf32> -> tensor<1xi64>
  %sb = genc.shape %b {end = 1 : i64} : tensor<?x8xf32> -> tensor<1xi64>
  %eq = genc.equal %sa, %sb : (tensor<1xi64>, tensor<1xi64>) -> tensor<1xi1>
  return %eq : tensor<1xi1>
}

// -----

// Data is not shape arithmetic: a gather from a weight table stays.
// CHECK-LABEL: func.func @embedding_untouched
// CHECK: genc.gather
func.func @embedding_untouched(%table: tensor<16x4xf32>, %ids: tensor<?xi64>) -> tensor<?x4xf32> {
  %r = genc.gather %table[%ids] {axis = 0 : i64} : (tensor<16x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Unsigned tensors are data, not shapes: read as int64 shape entries, ui8
// 200 became -56 and 200 > 3 folded to false. The op folders take them.
// CHECK-LABEL: func.func @unsigned_untouched
// CHECK: genc.greater
func.func @unsigned_untouched() -> tensor<1xi1> {
  %a = arith.constant dense<200> : tensor<1xui8>
  %b = arith.constant dense<3> : tensor<1xui8>
  %gt = genc.greater %a, %b : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xi1>
  return %gt : tensor<1xi1>
}

// -----

// Range(b - k, b, 1) has k elements, b a value or a constant: positions
// arange(T - S, T) and MPT's ALiBi distances arange(1 - T, 1) have the
// lengths of the dims they count.
// CHECK-LABEL: func.func @range_ending_at
// CHECK-SAME: (%[[IDS:.+]]: tensor<?x?xi64>, %[[MASK:.+]]: tensor<?x?xi64>)
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[IDS]], %c1
// CHECK-DAG: %[[T:.+]] = tensor.dim %[[MASK]], %c1
// CHECK-DAG: %[[S64:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK-DAG: %[[T64:.+]] = arith.index_cast %[[T]] : index to i64
// CHECK-DAG: %[[SL:.+]] = tensor.from_elements %[[S64]] : tensor<1xi64>
// CHECK-DAG: %[[TL:.+]] = tensor.from_elements %[[T64]] : tensor<1xi64>
// CHECK: return %[[SL]], %[[TL]]
func.func @range_ending_at(%ids: tensor<?x?xi64>, %mask: tensor<?x?xi64>) -> (tensor<1xi64>, tensor<1xi64>) {
  %c1 = arith.constant 1 : index
  %one = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %t = tensor.dim %mask, %c1 : tensor<?x?xi64>
  %past = arith.subi %t, %s : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<i64>
  %t64 = arith.index_cast %t : index to i64
  %end = tensor.from_elements %t64 : tensor<i64>
  %positions = genc.range %start, %end, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %oldest = arith.subi %c1, %t : index
  %oldest64 = arith.index_cast %oldest : index to i64
  %from = tensor.from_elements %oldest64 : tensor<i64>
  %distances = genc.range %from, %one, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %ps = genc.shape %positions : tensor<?xi64> -> tensor<1xi64>
  %ds = genc.shape %distances : tensor<?xi64> -> tensor<1xi64>
  return %ps, %ds : tensor<1xi64>, tensor<1xi64>
}

// -----

// The same distances in f32, from integers cast to float (the zoo's MPT):
// the Range's length is the mask's.
// CHECK-LABEL: func.func @float_range_ending_at
// CHECK-SAME: (%[[MASK:.+]]: tensor<?x?xi64>)
// CHECK: %[[T:.+]] = tensor.dim %[[MASK]], %c1
// CHECK: %[[T64:.+]] = arith.index_cast %[[T]] : index to i64
// CHECK: %[[TL:.+]] = tensor.from_elements %[[T64]] : tensor<1xi64>
// CHECK: return %[[TL]]
func.func @float_range_ending_at(%mask: tensor<?x?xi64>) -> tensor<1xi64> {
  %c1 = arith.constant 1 : index
  %one = arith.constant dense<1.0> : tensor<f32>
  %t = tensor.dim %mask, %c1 : tensor<?x?xi64>
  %oldest = arith.subi %c1, %t : index
  %oldest64 = arith.index_cast %oldest : index to i64
  %from = tensor.from_elements %oldest64 : tensor<i64>
  %fromf = genc.cast %from {to = f32} : tensor<i64> -> tensor<f32>
  %distances = genc.range %fromf, %one, %one : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %ds = genc.shape %distances : tensor<?xf32> -> tensor<1xi64>
  return %ds : tensor<1xi64>
}

// -----

// A concatenation's dims off the axis are any input's (the lowering checks
// that they agree): one input whose batch dim does not trace (a broadcast
// of two dynamic dims, as GPT-J's rotated half of its partial rotary) and
// one whose dim does give that dim.
// CHECK-LABEL: func.func @concat_dim_from_either_input
// CHECK-SAME: (%[[X:.+]]: tensor<?x4xf32> {{.*}}, %{{.+}}: tensor<?x4xf32>, %{{.+}}: tensor<?x4xf32>)
// CHECK: %[[B:.+]] = tensor.dim %[[X]], %c0
// CHECK: %[[B64:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[B64]], %{{.+}} : tensor<2xi64>
// CHECK: return %[[SHAPE]]
func.func @concat_dim_from_either_input(%x: tensor<?x4xf32> {genc.dim_names = ["batch", ""]},
                                        %u: tensor<?x4xf32>, %v: tensor<?x4xf32>) -> tensor<2xi64> {
  %rotated = genc.mul %u, %v : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %both = genc.concat %rotated, %x {axis = 1 : i64} : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x8xf32>
  %shape = genc.shape %both : tensor<?x8xf32> -> tensor<2xi64>
  return %shape : tensor<2xi64>
}

// -----

// Reshape's -1 stands for the one input dim that the other entries leave:
// view(batch, -1, heads, size) keeps the sequence, which the dim tracing
// then sees. Where two dynamic dims are left, -1 stays.
// CHECK-LABEL: func.func @inferred_sequence
// CHECK-SAME: (%[[X:.+]]: tensor<?x?x64xf32>)
// CHECK-DAG: %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG: %[[B:.+]] = tensor.dim %[[X]], %[[C0]]
// CHECK-DAG: %[[B64:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[X]], %[[C1]]
// CHECK-DAG: %[[S64:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK-DAG: %[[OPEN:.+]] = arith.constant dense<[-1, 4, 16]> : tensor<3xi64>
// CHECK-DAG: %[[FOUR:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[SIXTEEN:.+]] = arith.constant 16 : i64
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[B64]], %[[S64]], %[[FOUR]], %[[SIXTEEN]] : tensor<4xi64>
// CHECK: genc.reshape %[[X]], %[[SHAPE]] :
// CHECK: genc.reshape %[[X]], %[[OPEN]]
// A 0 that copies a dynamic dim becomes that dim too (the tracing reads
// dims, not copies, in a shape built at run time). Every entry is then
// the dim it stands for, a 0 included: allowzero.
// CHECK: %[[B2:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK: %[[S2:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK: %[[COPIED:.+]] = tensor.from_elements %[[B2]], %[[S2]], %{{.+}}, %{{.+}} : tensor<4xi64>
// CHECK: genc.reshape %[[X]], %[[COPIED]] {allowzero = true}
func.func @inferred_sequence(%x: tensor<?x?x64xf32>) -> (tensor<?x?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x?x4x16xf32>) {
  %shape = genc.shape %x : tensor<?x?x64xf32> -> tensor<3xi64>
  %i0 = arith.constant dense<0> : tensor<1xi64>
  %b = genc.gather %shape[%i0] {axis = 0 : i64} : (tensor<3xi64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = arith.constant dense<[-1, 4, 16]> : tensor<3xi64>
  %target = genc.concat %b, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<3xi64>) -> tensor<4xi64>
  %y = genc.reshape %x, %target : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  %z = genc.reshape %x, %rest : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x4x16xf32>
  %copy = arith.constant dense<[0, -1, 4, 16]> : tensor<4xi64>
  %w = genc.reshape %x, %copy : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
  return %y, %z, %w : tensor<?x?x4x16xf32>, tensor<?x4x16xf32>, tensor<?x?x4x16xf32>
}

// -----

// x[None, tokens].reshape(-1, d) of an expert that gets no token is [0, d]:
// -1 becomes the token count, which is 0 there, so the Reshape takes its
// entries literally (ONNX would copy the input's dim 0, 1, for a 0). A 0
// that copies a static dim becomes that size.
// CHECK-LABEL: func.func @inferred_tokens
// CHECK-SAME: (%[[X:.+]]: tensor<1x?x64xf32>)
// CHECK: %[[C1:.+]] = arith.constant 1 : index
// CHECK: %[[N:.+]] = tensor.dim %[[X]], %[[C1]]
// CHECK: %[[N64:.+]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[D:.+]] = arith.constant 64 : i64
// CHECK: %[[TOKENS:.+]] = tensor.from_elements %[[N64]], %[[D]] : tensor<2xi64>
// CHECK: genc.reshape %[[X]], %[[TOKENS]] {allowzero = true}
// CHECK: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: %[[KEPT:.+]] = tensor.from_elements %[[ONE]], %{{.+}}, %{{.+}} : tensor<3xi64>
// CHECK: genc.reshape %[[X]], %[[KEPT]] {allowzero = true}
func.func @inferred_tokens(%x: tensor<1x?x64xf32>) -> (tensor<?x64xf32>, tensor<1x?x64xf32>) {
  %flat = arith.constant dense<[-1, 64]> : tensor<2xi64>
  %y = genc.reshape %x, %flat : (tensor<1x?x64xf32>, tensor<2xi64>) -> tensor<?x64xf32>
  %copy = arith.constant dense<[0, -1, 64]> : tensor<3xi64>
  %z = genc.reshape %x, %copy : (tensor<1x?x64xf32>, tensor<3xi64>) -> tensor<1x?x64xf32>
  return %y, %z : tensor<?x64xf32>, tensor<1x?x64xf32>
}
