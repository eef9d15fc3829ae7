// RUN: genc-opt --genc-add-kv-cache --canonicalize --cse --split-input-file %s | FileCheck %s

// A causal layer reads Concat(past, new) along the sequence axis, and the
// concatenation is returned as present: the graph of a with-cache export.
// Positions counted by a Range over input_ids' length start at the past
// length P, and a constant table cut to that length keeps P more rows.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64> {genc.dim_names = ["batch", "sequence"], genc.name = "input_ids"}
// CHECK-SAME: %[[PK:[^:]+]]: tensor<?x2x?x8xf32> {genc.dim_names = ["batch", "", "past_sequence", ""], genc.name = "past_key_values.0.key"}
// CHECK-SAME: %[[PV:[^:]+]]: tensor<?x2x?x8xf32> {genc.dim_names = ["batch", "", "past_sequence", ""], genc.name = "past_key_values.0.value"})
// CHECK-SAME: tensor<?x2x?x8xf32> {genc.name = "present.0.key"}, tensor<?x2x?x8xf32> {genc.name = "present.0.value"})
// CHECK-DAG: %[[P:.+]] = tensor.dim %[[PK]], %c2
// CHECK-DAG: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[IDS]], %c1
// CHECK-DAG: %[[S64:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK-DAG: %[[START:.+]] = tensor.from_elements %[[P64]] : tensor<i64>
// CHECK-DAG: %[[TOTAL:.+]] = arith.addi %[[P64]], %[[S64]] : i64
// CHECK-DAG: %[[LIMIT:.+]] = tensor.from_elements %[[TOTAL]] : tensor<i64>
// CHECK-DAG: %[[POS:.+]] = genc.range %[[START]], %[[LIMIT]], %{{.+}}
// CHECK-DAG: %[[END:.+]] = tensor.from_elements %[[TOTAL]] : tensor<1xi64>
// CHECK-DAG: %[[TABLE:.+]] = genc.slice %{{.+}}[%{{.+}} : %[[END]]]
// CHECK-DAG: genc.gather %[[TABLE]][%[[POS]]]
// CHECK-DAG: %[[K:.+]] = genc.concat %[[PK]], %{{.+}} {axis = 2 : i64}
// CHECK-DAG: %[[V:.+]] = genc.concat %[[PV]], %{{.+}} {axis = 2 : i64}
// CHECK: %[[OUT:.+]] = genc.attention %{{.+}}, %[[K]], %[[V]] mask(%{{.+}}) {causal = true
// CHECK: return %[[OUT]], %{{.+}}, %[[K]], %[[V]]
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids", genc.dim_names = ["batch", "sequence"]},
                %mask: tensor<?x?xi64> {genc.name = "attention_mask", genc.dim_names = ["batch", "total_sequence"]},
                %q: tensor<?x2x?x8xf32>, %kx: tensor<?x?x2x8xf32>, %vx: tensor<?x?x2x8xf32>)
    -> (tensor<?x2x?x8xf32>, tensor<?x8xf32>) {
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %zeros = arith.constant dense<0> : tensor<1xi64>
  %ones = arith.constant dense<1> : tensor<1xi64>
  %table = arith.constant dense<0.5> : tensor<64x8xf32>
  %c1 = arith.constant 1 : index
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %end = tensor.from_elements %s64 : tensor<1xi64>
  %positions = genc.range %zero, %limit, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %rows = genc.slice %table[%zeros : %end] axes %zeros steps %ones : (tensor<64x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  %embedded = genc.gather %rows[%positions] {axis = 0 : i64} : (tensor<?x8xf32>, tensor<?xi64>) -> tensor<?x8xf32>
  %k = genc.transpose %kx {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %v = genc.transpose %vx {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x2x8xf32> -> tensor<?x2x?x8xf32>
  %m1 = genc.unsqueeze %mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %m = genc.cast %m1 {to = i1} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xi1>
  %out = genc.attention %q, %k, %v mask(%m) {causal = true, scale = 0.25 : f32} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x1x?xi1>) -> tensor<?x2x?x8xf32>
  return %out, %embedded : tensor<?x2x?x8xf32>, tensor<?x8xf32>
}

// -----

// Positions counted from the mask (OPT's cumulative sum), read by a Gather
// with no Slice (an export whose past length was the constant 0): the
// Gather reads the last input_ids-length columns, the new tokens'.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<1x?xi64> {genc.name = "input_ids"}
// CHECK: %[[SUMS:.+]] = genc.cumsum
// CHECK-DAG: %[[T:.+]] = tensor.dim %[[SUMS]], %c1
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[IDS]], %c1
// CHECK: %[[FIRST:.+]] = arith.subi %[[T]], %[[S]]
// CHECK: %[[FIRST64:.+]] = arith.index_cast %[[FIRST]]
// CHECK: %[[STARTS:.+]] = tensor.from_elements %[[FIRST64]] : tensor<1xi64>
// CHECK: %[[TAIL:.+]] = genc.slice %[[SUMS]][%[[STARTS]] : %{{.+}}] axes %{{.+}} steps %{{.+}} : {{.+}} -> tensor<1x?xi64>
// CHECK: genc.gather %{{.+}}[%[[TAIL]]]
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                %mask: tensor<1x?xi64> {genc.name = "attention_mask", genc.dim_names = ["batch", "total_sequence"]},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> (tensor<1x2x?x8xf32>, tensor<1x?x8xf32>) {
  %table = arith.constant dense<0.5> : tensor<64x8xf32>
  %sums = genc.cumsum %mask {axis = 1 : i64} : tensor<1x?xi64> -> tensor<1x?xi64>
  %rows = genc.gather %table[%sums] {axis = 0 : i64} : (tensor<64x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %rows : tensor<1x2x?x8xf32>, tensor<1x?x8xf32>
}

// -----

// An encoder-decoder's decoder: the self-attention layer gets the cache;
// the cross-attention, left as two matmuls whose probabilities the model
// returns, multiplies the new queries by keys computed from the source
// alone (genc.source), which mixes no positions of the decoder's.
// CHECK-LABEL: func.func @main
// CHECK-SAME: genc.name = "past_key_values.0.value"
// CHECK-NOT: past_key_values.1
// CHECK: genc.attention
// CHECK: %[[SCORES:.+]] = genc.matmul %{{.+}}, %{{.+}} : (tensor<1x2x?x8xf32>, tensor<1x2x8x?xf32>)
// CHECK: genc.softmax %[[SCORES]]
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                %source: tensor<1x2x?x8xf32> {genc.name = "encoder_hidden_states", genc.source},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> (tensor<1x2x?x8xf32>, tensor<1x2x?x?xf32>) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %crossKeys = genc.transpose %source {perm = array<i64: 0, 1, 3, 2>} : tensor<1x2x?x8xf32> -> tensor<1x2x8x?xf32>
  %scores = genc.matmul %out, %crossKeys : (tensor<1x2x?x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x?x?xf32>
  %probabilities = genc.softmax %scores {axis = 3 : i64} : tensor<1x2x?x?xf32> -> tensor<1x2x?x?xf32>
  return %out, %probabilities : tensor<1x2x?x8xf32>, tensor<1x2x?x?xf32>
}

// -----

// An export without a past that returns its keys and values (Optimum's
// decoder_model.onnx) loses those results: the pass returns the layer's
// own, past and new, under the same names. An encoder-decoder's
// present.*.encoder.*, computed from the source alone, goes too.
// CHECK-LABEL: func.func @main
// CHECK-SAME: -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> {genc.name = "present.0.key"}, tensor<1x2x?x8xf32> {genc.name = "present.0.value"})
// CHECK: %[[K:.+]] = genc.concat %{{.+}}, %{{.+}} {axis = 2 : i64}
// CHECK: %[[V:.+]] = genc.concat %{{.+}}, %{{.+}} {axis = 2 : i64}
// CHECK: %[[OUT:.+]] = genc.attention %{{.+}}, %[[K]], %[[V]]
// CHECK: return %[[OUT]], %[[K]], %[[V]] :
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                %source: tensor<1x?x16xf32> {genc.name = "encoder_hidden_states"},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> {genc.name = "present.0.decoder.key"},
        tensor<1x2x?x8xf32> {genc.name = "present.0.decoder.value"},
        tensor<1x?x16xf32> {genc.name = "present.0.encoder.key"}) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %sourceKeys = genc.neg %source : tensor<1x?x16xf32> -> tensor<1x?x16xf32>
  %out = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %k, %v, %sourceKeys : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x?x16xf32>
}

// -----

// A mask with a row per query computed from input_ids' length S alone (T5's
// relative-position bias: Range(0, S) as query and key positions, buckets
// gathered from a constant table) is built again over T = P + S positions,
// for the new tokens' rows only: the key positions are Range(0, T), the
// query positions Range(P, T), a shape of [S, S] becomes [S, T].
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<1x?xi64> {genc.name = "input_ids"}
// CHECK-SAME: %[[PK:[^:]+]]: tensor<1x2x?x8xf32> {{{.*}}genc.name = "past_key_values.0.key"}
// CHECK-DAG: %[[ZERO:.+]] = arith.constant dense<0> : tensor<i64>
// CHECK-DAG: %[[P:.+]] = tensor.dim %[[PK]], %c2
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[IDS]], %c1
// CHECK: %[[T:.+]] = arith.addi %[[P]], %[[S]] : index
// CHECK: %[[T64:.+]] = arith.index_cast %[[T]] : index to i64
// CHECK: %[[LIMIT:.+]] = tensor.from_elements %[[T64]] : tensor<i64>
// CHECK: %[[KEYS:.+]] = genc.range %[[ZERO]], %[[LIMIT]], %{{.+}}
// CHECK: %[[KEYROW:.+]] = genc.unsqueeze %[[KEYS]] {axes = array<i64: 0>}
// CHECK: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[START:.+]] = tensor.from_elements %[[P64]] : tensor<i64>
// CHECK: %[[QUERIES:.+]] = genc.range %[[START]], %[[LIMIT]], %{{.+}}
// CHECK: %[[QUERYCOLUMN:.+]] = genc.unsqueeze %[[QUERIES]] {axes = array<i64: 1>}
// CHECK: genc.sub %[[KEYROW]], %[[QUERYCOLUMN]]
// CHECK: %[[S64:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK: tensor.from_elements %[[S64]], %[[T64]] : tensor<2xi64>
// CHECK: %[[TABLE:.+]] = genc.unsqueeze
// CHECK-NOT: genc.slice
// CHECK: genc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[TABLE]]) {causal = true
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> tensor<1x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %buckets = arith.constant dense<0.5> : tensor<8x2xf32>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero, %limit, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %keys = genc.unsqueeze %positions {axes = array<i64: 0>} : tensor<?xi64> -> tensor<1x?xi64>
  %relative = genc.sub %keys, %queries : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %zeros = genc.constant_of_shape %shape {value = dense<0> : tensor<1xi64>} : (tensor<2xi64>) -> tensor<?x?xi64>
  %before = genc.min %relative, %zeros : (tensor<?x?xi64>, tensor<?x?xi64>) -> tensor<?x?xi64>
  %distance = genc.neg %before : tensor<?x?xi64> -> tensor<?x?xi64>
  %rows = genc.gather %buckets[%distance] {axis = 0 : i64} : (tensor<8x2xf32>, tensor<?x?xi64>) -> tensor<?x?x2xf32>
  %heads = genc.transpose %rows {perm = array<i64: 2, 0, 1>} : tensor<?x?x2xf32> -> tensor<2x?x?xf32>
  %bias = genc.unsqueeze %heads {axes = array<i64: 0>} : tensor<2x?x?xf32> -> tensor<1x2x?x?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v mask(%bias) {causal = true, scale = 1.0 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// The same table plus a mask of the keys from attention_mask (padding):
// the table is built again, the padding stays as it is.
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[P:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x2x?x8xf32>
// CHECK-DAG: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK-DAG: %[[START:.+]] = tensor.from_elements %[[P64]] : tensor<i64>
// CHECK-DAG: genc.range %[[START]], %{{.+}}, %{{.+}}
// CHECK-DAG: %[[PADDING:.+]] = genc.unsqueeze %{{.+}} {axes = array<i64: 1, 2>}
// CHECK-DAG: %[[TABLE:.+]] = genc.unsqueeze %{{.+}} {axes = array<i64: 0>} : tensor<2x?x?xf32> -> tensor<1x2x?x?xf32>
// CHECK: %[[MASK:.+]] = genc.add %[[TABLE]], %[[PADDING]]
// CHECK: genc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[MASK]]) {causal = true
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids", genc.dim_names = ["batch", "sequence"]},
                %attention: tensor<1x?xi64> {genc.name = "attention_mask", genc.dim_names = ["batch", "total_sequence"]},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> tensor<1x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %buckets = arith.constant dense<0.5> : tensor<8x2xf32>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero, %limit, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %keys = genc.unsqueeze %positions {axes = array<i64: 0>} : tensor<?xi64> -> tensor<1x?xi64>
  %relative = genc.sub %keys, %queries : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %distance = genc.abs %relative : tensor<?x?xi64> -> tensor<?x?xi64>
  %rows = genc.gather %buckets[%distance] {axis = 0 : i64} : (tensor<8x2xf32>, tensor<?x?xi64>) -> tensor<?x?x2xf32>
  %heads = genc.transpose %rows {perm = array<i64: 2, 0, 1>} : tensor<?x?x2xf32> -> tensor<2x?x?xf32>
  %bias = genc.unsqueeze %heads {axes = array<i64: 0>} : tensor<2x?x?xf32> -> tensor<1x2x?x?xf32>
  %kept = genc.cast %attention {to = f32} : tensor<1x?xi64> -> tensor<1x?xf32>
  %padding = genc.unsqueeze %kept {axes = array<i64: 1, 2>} : tensor<1x?xf32> -> tensor<1x1x1x?xf32>
  %mask = genc.add %bias, %padding : (tensor<1x2x?x?xf32>, tensor<1x1x1x?xf32>) -> tensor<1x2x?x?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v mask(%mask) {causal = true, scale = 1.0 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A table with a Trilu along its rows: the new rows' diagonal moves by P
// (row i of them is position P + i); its ConstantOfShape is [S, T].
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<1x?xi64> {genc.name = "input_ids"}
// CHECK-SAME: %[[PK:[^:]+]]: tensor<1x2x?x8xf32> {{{.*}}genc.name = "past_key_values.0.key"}
// CHECK-DAG: %[[P:.+]] = tensor.dim %[[PK]], %c2
// CHECK-DAG: %[[S:.+]] = tensor.dim %[[IDS]], %c1
// CHECK-DAG: %[[T:.+]] = arith.addi %[[P]], %[[S]] : index
// CHECK-DAG: %[[T64:.+]] = arith.index_cast %[[T]] : index to i64
// CHECK-DAG: %[[S64:.+]] = arith.index_cast %[[S]] : index to i64
// CHECK-DAG: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK-DAG: %[[SHAPE:.+]] = tensor.from_elements %[[S64]], %[[T64]] : tensor<2xi64>
// CHECK-DAG: %[[DIAGONAL:.+]] = tensor.from_elements %[[P64]] : tensor<i64>
// CHECK-DAG: %[[ONES:.+]] = genc.constant_of_shape %[[SHAPE]]
// CHECK: genc.trilu %[[ONES]], %[[DIAGONAL]] {upper = false}
// CHECK-NOT: genc.slice
// CHECK: genc.attention
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> tensor<1x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %diagonal = arith.constant dense<0> : tensor<i64>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<0xFF800000> : tensor<f32>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %table = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %mask = genc.unsqueeze %table {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v mask(%mask) {causal = true, scale = 1.0 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A Trilu whose columns are the mask's rows (a transposed triangle): its
// table is built over T positions on both axes and its rows cut from P.
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[AXIS:.+]] = arith.constant dense<1> : tensor<1xi64>
// CHECK-DAG: %[[P:.+]] = tensor.dim %{{.+}}, %c2 : tensor<1x2x?x8xf32>
// CHECK-DAG: %[[T:.+]] = arith.addi %[[P]], %{{.+}} : index
// CHECK-DAG: %[[T64:.+]] = arith.index_cast %[[T]] : index to i64
// CHECK: %[[SQUARE:.+]] = tensor.from_elements %[[T64]], %[[T64]] : tensor<2xi64>
// CHECK: %[[ONES:.+]] = genc.constant_of_shape %[[SQUARE]]
// CHECK: %[[WHOLE:.+]] = genc.trilu %[[ONES]]
// CHECK: %[[P64:.+]] = arith.index_cast %[[P]] : index to i64
// CHECK: %[[START:.+]] = tensor.from_elements %[[P64]] : tensor<1xi64>
// CHECK: genc.slice %[[WHOLE]][%[[START]] : %{{.+}}] axes %[[AXIS]]
// CHECK: genc.attention
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>)
    -> tensor<1x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %diagonal = arith.constant dense<0> : tensor<i64>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<0xFF800000> : tensor<f32>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %triu = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %kept = genc.transpose %triu {perm = array<i64: 1, 0>} : tensor<?x?xi1> -> tensor<?x?xi1>
  %table = genc.where %kept, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %mask = genc.unsqueeze %table {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v mask(%mask) {causal = true, scale = 1.0 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A table with input_ids' batch among its dims (a default attention mask:
// zeros over [batch, S], added to the keys): the batch stays, S along the
// keys becomes T.
// CHECK-LABEL: func.func @main
// CHECK-SAME: %[[IDS:[^:]+]]: tensor<?x?xi64> {genc.name = "input_ids"}
// CHECK-SAME: %[[PK:[^:]+]]: tensor<?x2x?x8xf32> {{{.*}}genc.name = "past_key_values.0.key"}
// CHECK-DAG: %[[B:.+]] = tensor.dim %[[IDS]], %c0
// CHECK-DAG: %[[B64:.+]] = arith.index_cast %[[B]] : index to i64
// CHECK-DAG: %[[P:.+]] = tensor.dim %[[PK]], %c2
// CHECK-DAG: %[[T:.+]] = arith.addi %[[P]], %{{.+}} : index
// CHECK-DAG: %[[T64:.+]] = arith.index_cast %[[T]] : index to i64
// CHECK: %[[SHAPE:.+]] = tensor.from_elements %[[B64]], %[[T64]] : tensor<2xi64>
// CHECK: genc.constant_of_shape %[[SHAPE]]
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"},
                %q: tensor<?x2x?x8xf32>, %kx: tensor<?x2x?x8xf32>, %vx: tensor<?x2x?x8xf32>)
    -> tensor<?x2x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %buckets = arith.constant dense<0.5> : tensor<8x2xf32>
  %b = tensor.dim %ids, %c0 : tensor<?x?xi64>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero, %limit, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %keys = genc.unsqueeze %positions {axes = array<i64: 0>} : tensor<?xi64> -> tensor<1x?xi64>
  %relative = genc.sub %keys, %queries : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %distance = genc.abs %relative : tensor<?x?xi64> -> tensor<?x?xi64>
  %rows = genc.gather %buckets[%distance] {axis = 0 : i64} : (tensor<8x2xf32>, tensor<?x?xi64>) -> tensor<?x?x2xf32>
  %heads = genc.transpose %rows {perm = array<i64: 2, 0, 1>} : tensor<?x?x2xf32> -> tensor<2x?x?xf32>
  %bias = genc.unsqueeze %heads {axes = array<i64: 0>} : tensor<2x?x?xf32> -> tensor<1x2x?x?xf32>
  %shape = tensor.from_elements %b64, %s64 : tensor<2xi64>
  %default = genc.constant_of_shape %shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %padding = genc.unsqueeze %default {axes = array<i64: 1, 2>} : tensor<?x?xf32> -> tensor<?x1x1x?xf32>
  %mask = genc.add %bias, %padding : (tensor<1x2x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x2x?x?xf32>
  %k = genc.neg %kx : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %v = genc.neg %vx : tensor<?x2x?x8xf32> -> tensor<?x2x?x8xf32>
  %out = genc.attention %q, %k, %v mask(%mask) {causal = true, scale = 1.0 : f32} : (tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x8xf32>
  return %out : tensor<?x2x?x8xf32>
}
