// RUN: genc-opt --genc-raise-attention --canonicalize --split-input-file %s | FileCheck %s

// Causal masks built by comparing positions, as transformers' decoders
// built them before its AttentionMaskConverter, become `causal`.

// create_extended_attention_mask_for_decoder (T5): the keys' positions
// (an arange tiled over batch and rows) <= the queries' (an arange as a
// column), times the padding as integers, then (1 - m) · min. The
// comparison becomes `causal`; (1 - padding) · min stays the mask.
// CHECK-LABEL: func.func @tiled_positions_times_padding(
// CHECK-NOT: genc.less_equal
// CHECK: %[[P:.+]] = genc.cast %{{.+}} {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
// CHECK: %[[I:.+]] = genc.sub %{{.+}}, %[[P]]
// CHECK: %[[M:.+]] = genc.mul %[[I]], %{{.+}}
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[M]]) {causal = true, scale = 1.000000e+00 : f32}
func.func @tiled_positions_times_padding(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %padding: tensor<?x?xi64> {genc.dim_names = ["batch", "sequence"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %row = genc.unsqueeze %positions {axes = array<i64: 0, 1>} : tensor<?xi64> -> tensor<1x1x?xi64>
  %spread = genc.unsqueeze %row {axes = array<i64: 0, 2, 4>} : tensor<1x1x?xi64> -> tensor<1x1x1x1x1x?xi64>
  %copies = tensor.from_elements %b64, %c1_i64, %s64, %c1_i64, %c1_i64, %s64 : tensor<6xi64>
  %expanded = genc.expand %spread, %copies : (tensor<1x1x1x1x1x?xi64>, tensor<6xi64>) -> tensor<?x1x?x1x1x?xi64>
  %sizes = tensor.from_elements %b64, %s64, %s64 : tensor<3xi64>
  %keys = genc.reshape %expanded, %sizes {allowzero = true} : (tensor<?x1x?x1x1x?xi64>, tensor<3xi64>) -> tensor<?x?x?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 0, 2>} : tensor<?xi64> -> tensor<1x?x1xi64>
  %visible = genc.less_equal %keys, %queries : (tensor<?x?x?xi64>, tensor<1x?x1xi64>) -> tensor<?x?x?xi1>
  %causal = genc.cast %visible {to = i64} : tensor<?x?x?xi1> -> tensor<?x?x?xi64>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 1>} : tensor<?x?x?xi64> -> tensor<?x1x?x?xi64>
  %padding4 = genc.unsqueeze %padding {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %product = genc.mul %causal4, %padding4 : (tensor<?x1x?x?xi64>, tensor<?x1x1x?xi64>) -> tensor<?x1x?x?xi64>
  %m = genc.cast %product {to = f32} : tensor<?x1x?x?xi64> -> tensor<?x1x?x?xf32>
  %inverted = genc.sub %one, %m : (tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %mask = genc.mul %inverted, %min : (tensor<?x1x?x?xf32>, tensor<f32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// _make_causal_mask (OPT, BART, older LLaMA): full(min) filled with 0
// where arange < (arange + 1).view(s, 1), unsqueezed and expanded over the
// batch (unsqueezed one axis at a time, as exports do), plus the padding
// expanded over the rows. The table becomes
// `causal`; the padding stays the mask, one row over the keys.
// CHECK-LABEL: func.func @converter_table(
// CHECK-NOT: genc.less
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%arg3) {causal = true, scale = 1.000000e+00 : f32} : ({{.+}}, tensor<?x1x1x?xf32>)
func.func @converter_table(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %padding: tensor<?x1x1x?xf32> {genc.dim_names = ["batch", "", "", "sequence"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %next = genc.add %positions, %one64 : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %column = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %rows = genc.reshape %next, %column : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %visible = genc.less %positions, %rows : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %square = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %full = genc.constant_of_shape %square {value = dense<-3.40282347E+38> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.where %visible, %zero, %full : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %table3 = genc.unsqueeze %table {axes = array<i64: 0>} : tensor<?x?xf32> -> tensor<1x?x?xf32>
  %table4 = genc.unsqueeze %table3 {axes = array<i64: 1>} : tensor<1x?x?xf32> -> tensor<1x1x?x?xf32>
  %shape = tensor.from_elements %b64, %c1_i64, %s64, %s64 : tensor<4xi64>
  %causal = genc.expand %table4, %shape : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %padded = genc.expand %padding, %shape : (tensor<?x1x1x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %mask = genc.add %padded, %causal : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// AttentionMaskConverter.to_4d: the padding filled into that table,
// table.masked_fill(hidden, min). The table becomes `causal`; the mask is
// Where(hidden, min, 0).
// CHECK-LABEL: func.func @converter_padding_filled(
// CHECK-NOT: genc.less
// CHECK: %[[M:.+]] = genc.where %arg3, %{{.+}}, %{{.+}} : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x1x?xf32>
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[M]]) {causal = true, scale = 1.000000e+00 : f32}
func.func @converter_padding_filled(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %hidden: tensor<?x1x1x?xi1> {genc.dim_names = ["batch", "", "", "sequence"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %next = genc.add %positions, %one64 : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %column = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %rows = genc.reshape %next, %column : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %visible = genc.less %positions, %rows : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %square = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %full = genc.constant_of_shape %square {value = dense<-3.40282347E+38> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.where %visible, %zero, %full : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %table4 = genc.unsqueeze %table {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %shape = tensor.from_elements %b64, %c1_i64, %s64, %s64 : tensor<4xi64>
  %causal = genc.expand %table4, %shape : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %mask = genc.where %hidden, %min, %causal : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// With a past: zeros [s, P] for the past's keys concatenated before the
// table. `causal`, with a check that P + s are the keys.
// CHECK-LABEL: func.func @converter_table_after_past(
// CHECK-NOT: genc.concat
// CHECK: %[[TOTAL:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK: arith.cmpi ne, %[[TOTAL]]
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask {{.*}}covers {index} positions but attention reads {bound} keys; {{.+}}"}
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32}
func.func @converter_table_after_past(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %past_length: i64) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %next = genc.add %positions, %one64 : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %column = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %rows = genc.reshape %next, %column : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %visible = genc.less %positions, %rows : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %square = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %full = genc.constant_of_shape %square {value = dense<-3.40282347E+38> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.where %visible, %zero, %full : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %past_shape = tensor.from_elements %s64, %past_length : tensor<2xi64>
  %past = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %both = genc.concat %past, %table {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %mask = genc.unsqueeze %both {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// masked_fill(arange > arange as a column, min): the keys to hide.
// CHECK-LABEL: func.func @hidden_later_positions(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32}
func.func @hidden_later_positions(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %later = genc.greater %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.where %later, %min, %scores : (tensor<?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Not causal: arange < arange + 2 as a column also shows the next key.
// CHECK-LABEL: func.func @one_key_ahead(
// CHECK: genc.less
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @one_key_ahead(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %two64 = arith.constant dense<2> : tensor<i64>
  %ahead = genc.add %positions, %two64 : (tensor<?xi64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %ahead {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Not causal: the keys' positions count another length than the queries'.
// CHECK-LABEL: func.func @other_length(
// CHECK: genc.less_equal
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @other_length(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}, %n: i64) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %b = tensor.dim %q, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %other_limit = tensor.from_elements %n : tensor<i64>
  %keys = genc.range %zero64, %other_limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %keys, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The queries' positions on the left: queries >= keys keeps j <= i.
// CHECK-LABEL: func.func @queries_first(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32}
func.func @queries_first(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.greater_equal %queries, %positions : (tensor<?x1xi64>, tensor<?xi64>) -> tensor<?x?xi1>
  %mask = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Not causal: queries <= keys keeps the keys from the diagonal on.
// CHECK-LABEL: func.func @upper_triangle(
// CHECK: genc.less_equal
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @upper_triangle(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %queries, %positions : (tensor<?x1xi64>, tensor<?xi64>) -> tensor<?x?xi1>
  %mask = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Not causal: a square table, but the keys are not provably the queries
// (beside a cache, its one row would show every key).
// CHECK-LABEL: func.func @square_beside_other_keys(
// CHECK: genc.less_equal
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @square_beside_other_keys(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %mask = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Not causal: the zeros after the table, not before it.
// CHECK-LABEL: func.func @zeros_after_table(
// CHECK: genc.concat
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @zeros_after_table(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]}, %past_length: i64) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %past_shape = tensor.from_elements %s64, %past_length : tensor<2xi64>
  %past = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %mask = genc.concat %table, %past {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// (1 - cast(keys <= queries)) · min alone: `causal`, no mask left.
// CHECK-LABEL: func.func @one_minus_alone(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32}
func.func @one_minus_alone(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %m = genc.cast %visible {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %inverted = genc.sub %one, %m : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %mask = genc.mul %inverted, %min : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// zeros.masked_fill(keys > queries, min): the keys to hide.
// CHECK-LABEL: func.func @zeros_filled_after_diagonal(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32}
func.func @zeros_filled_after_diagonal(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %later = genc.greater %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %square = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %zeros = genc.constant_of_shape %square {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %mask = genc.where %later, %min, %zeros : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// A mask unsqueezed in the middle is not read through: the rest of it
// would line its batch up with the heads.
// CHECK-LABEL: func.func @unsqueezed_between(
// CHECK: genc.less_equal
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32} : ({{.+}}, tensor<?x1x?x?xf32>)
func.func @unsqueezed_between(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %padding: tensor<?x1x?xi64> {genc.dim_names = ["batch", "", "sequence"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %causal = genc.cast %visible {to = i64} : tensor<?x?xi1> -> tensor<?x?xi64>
  %product = genc.mul %causal, %padding : (tensor<?x?xi64>, tensor<?x1x?xi64>) -> tensor<?x?x?xi64>
  %m = genc.cast %product {to = f32} : tensor<?x?x?xi64> -> tensor<?x?x?xf32>
  %inverted = genc.sub %one, %m : (tensor<f32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %mask3 = genc.mul %inverted, %min : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %mask = genc.unsqueeze %mask3 {axes = array<i64: 1>} : tensor<?x?x?xf32> -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// _make_causal_mask with a sliding window (Mistral, transformers 4.36):
// the keys before the window filled again where 1 - triu(ones_like(mask),
// 1 - W) holds, W = 4. `causal` with `window`, no mask left.
// CHECK-LABEL: func.func @window_filled_again(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @window_filled_again(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %diagonal = arith.constant dense<-3> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %band_shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The same window in a session's form (genc-kv-cache-in-place): the keys
// are a prefix of the cache the step's rows went into at P, and the band's
// diagonal is P - 3 with P read from genc.past_length as i64, where an
// export's past length is a dim (an index).
// CHECK-LABEL: func.func @window_after_session_past(
// CHECK: genc.attention %arg0, %[[KEYS:.+]], %[[KEYS]] {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @window_after_session_past(%q: tensor<1x4x?x16xf32>, %new: tensor<1x4x?x16xf32>,
    %cache: tensor<1x4x?x16xf32>, %length: tensor<i64>) -> tensor<1x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %c-3 = arith.constant -3 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %p64 = tensor.extract %length[] : tensor<i64>
  %p = arith.index_cast %p64 : i64 to index
  %s = tensor.dim %q, %c2 : tensor<1x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %written = tensor.insert_slice %new into %cache[0, 0, %p, 0] [1, 4, %s, 16] [1, 1, 1, 1] : tensor<1x4x?x16xf32> into tensor<1x4x?x16xf32>
  %t = arith.addi %p, %s : index
  %k = tensor.extract_slice %written[0, 0, 0, 0] [1, 4, %t, 16] [1, 1, 1, 1] : tensor<1x4x?x16xf32> to tensor<1x4x?x16xf32>
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %new_table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %past_shape = tensor.from_elements %s64, %p64 : tensor<2xi64>
  %past_table = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.concat %past_table, %new_table {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %c1 = arith.constant 1 : index
  %columns = tensor.dim %table, %c1 : tensor<?x?xf32>
  %columns64 = arith.index_cast %columns : index to i64
  %band_shape = tensor.from_elements %s64, %columns64 : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %d = arith.addi %p, %c-3 : index
  %d64 = arith.index_cast %d : index to i64
  %diagonal = tensor.from_elements %d64 : tensor<i64>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x4x?x16xf32> -> tensor<1x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<1x4x?x?xf32>, tensor<?x?xf32>) -> tensor<1x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  %y = genc.matmul %pr, %k : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %y : tensor<1x4x?x16xf32>
}

// -----

// And sliced to the keys in the layer (Phi-3's with a cache, in a session):
// the table, over the past and the new keys, provably covers the cache's
// prefix [0, P + S). Read through; no width check is left.
// CHECK-LABEL: func.func @window_after_session_past_sliced_to_keys(
// CHECK-NOT: genc.slice
// CHECK-NOT: covers {index} positions
// CHECK: genc.attention %arg0, %[[KEYS:.+]], %[[KEYS]] {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @window_after_session_past_sliced_to_keys(%q: tensor<1x4x?x16xf32>, %new: tensor<1x4x?x16xf32>,
    %cache: tensor<1x4x?x16xf32>, %length: tensor<i64>) -> tensor<1x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %c-3 = arith.constant -3 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %p64 = tensor.extract %length[] : tensor<i64>
  %p = arith.index_cast %p64 : i64 to index
  %s = tensor.dim %q, %c2 : tensor<1x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %written = tensor.insert_slice %new into %cache[0, 0, %p, 0] [1, 4, %s, 16] [1, 1, 1, 1] : tensor<1x4x?x16xf32> into tensor<1x4x?x16xf32>
  %t = arith.addi %p, %s : index
  %k = tensor.extract_slice %written[0, 0, 0, 0] [1, 4, %t, 16] [1, 1, 1, 1] : tensor<1x4x?x16xf32> to tensor<1x4x?x16xf32>
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %new_table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %past_shape = tensor.from_elements %s64, %p64 : tensor<2xi64>
  %past_table = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.concat %past_table, %new_table {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %c1 = arith.constant 1 : index
  %columns = tensor.dim %table, %c1 : tensor<?x?xf32>
  %columns64 = arith.index_cast %columns : index to i64
  %band_shape = tensor.from_elements %s64, %columns64 : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %d = arith.addi %p, %c-3 : index
  %d64 = arith.index_cast %d : index to i64
  %diagonal = tensor.from_elements %d64 : tensor<i64>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x4x?x16xf32> -> tensor<1x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<1x4x?x16xf32>, tensor<1x4x16x?xf32>) -> tensor<1x4x?x?xf32>
  %keys = tensor.dim %k, %c2 : tensor<1x4x?x16xf32>
  %keys64 = arith.index_cast %keys : index to i64
  %key_count = tensor.from_elements %keys64 : tensor<1xi64>
  %first = arith.constant dense<0> : tensor<1xi64>
  %last_axis = arith.constant dense<1> : tensor<1xi64>
  %step = arith.constant dense<1> : tensor<1xi64>
  %sliced = genc.slice %mask[%first : %key_count] axes %last_axis steps %step : (tensor<?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?xf32>
  %masked = genc.add %scores, %sliced : (tensor<1x4x?x?xf32>, tensor<?x?xf32>) -> tensor<1x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<1x4x?x?xf32> -> tensor<1x4x?x?xf32>
  %y = genc.matmul %pr, %k : (tensor<1x4x?x?xf32>, tensor<1x4x?x16xf32>) -> tensor<1x4x?x16xf32>
  return %y : tensor<1x4x?x16xf32>
}

// -----

// AttentionMaskConverter.to_4d's mask (the padding filled into the table
// with its window), sliced in the layer to the keys after their heads are
// repeated (repeat_kv). The whole mask is as wide as the attention mask,
// not provably as its table, but the table is provably as wide as the keys
// are many (no past): its first columns are the table's. `causal` with
// `window`; the mask keeps the padding.
// CHECK-LABEL: func.func @padded_window_sliced_to_repeated_keys(
// CHECK-NOT: genc.trilu
// CHECK-NOT: genc.slice
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64} : ({{.+}}, tensor<?x1x1x?xf32>)
func.func @padded_window_sliced_to_repeated_keys(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c2_i64 = arith.constant 2 : i64
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %onef = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %diagonal = arith.constant dense<-3> : tensor<i64>
  %first = arith.constant dense<0> : tensor<1xi64>
  %last_axis = arith.constant dense<3> : tensor<1xi64>
  %step = arith.constant dense<1> : tensor<1xi64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %band_shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %windowed = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %table4 = genc.unsqueeze %windowed {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %m4 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %m = genc.cast %m4 {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
  %inverted = genc.sub %onef, %m : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
  %padding = genc.cast %inverted {to = i1} : tensor<?x1x1x?xf32> -> tensor<?x1x1x?xi1>
  %mask = genc.where %padding, %min, %table4 : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<1x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %b = tensor.dim %k, %c0 : tensor<?x2x?x16xf32>
  %n = tensor.dim %k, %c2 : tensor<?x2x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %n64 = arith.index_cast %n : index to i64
  %spread = tensor.from_elements %b64, %c2_i64, %c2_i64, %n64, %c16_i64 : tensor<5xi64>
  %merged = tensor.from_elements %b64, %c4_i64, %n64, %c16_i64 : tensor<4xi64>
  %k5 = genc.unsqueeze %k {axes = array<i64: 2>} : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %ke = genc.expand %k5, %spread : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %kr = genc.reshape %ke, %merged : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %v5 = genc.unsqueeze %v {axes = array<i64: 2>} : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %ve = genc.expand %v5, %spread : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %vr = genc.reshape %ve, %merged : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %keys = tensor.dim %kr, %c2 : tensor<?x4x?x16xf32>
  %keys64 = arith.index_cast %keys : index to i64
  %key_count = tensor.from_elements %keys64 : tensor<1xi64>
  %sliced = genc.slice %mask[%first : %key_count] axes %last_axis steps %step : (tensor<?x1x?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliced : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %vr : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The same with a cache, as Phi-3 exports it: to_4d's table is zeros over
// the past's keys, then the new queries' triangle, and the keys are past ++
// new. The table is provably as wide as those keys: read through.
// CHECK-LABEL: func.func @padded_window_after_past_sliced_to_repeated_keys(
// CHECK-NOT: genc.trilu
// CHECK-NOT: genc.slice
// CHECK-NOT: covers {index} positions
// CHECK: genc.attention %arg0, %{{.+}}, %{{.+}} mask(%{{.+}}) {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64} : ({{.+}}, tensor<?x1x1x?xf32>)
func.func @padded_window_after_past_sliced_to_repeated_keys(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %new_k: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %new_v: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %past_k: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %past_v: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c-3 = arith.constant -3 : index
  %c2_i64 = arith.constant 2 : i64
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %onef = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %first = arith.constant dense<0> : tensor<1xi64>
  %last_axis = arith.constant dense<3> : tensor<1xi64>
  %step = arith.constant dense<1> : tensor<1xi64>
  %k = genc.concat %past_k, %new_k {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %v = genc.concat %past_v, %new_v {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %p = tensor.dim %past_k, %c2 : tensor<?x2x?x16xf32>
  %p64 = arith.index_cast %p : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %new_table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %past_shape = tensor.from_elements %s64, %p64 : tensor<2xi64>
  %past_table = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.concat %past_table, %new_table {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %c1 = arith.constant 1 : index
  %columns = tensor.dim %table, %c1 : tensor<?x?xf32>
  %columns64 = arith.index_cast %columns : index to i64
  %band_shape = tensor.from_elements %s64, %columns64 : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %d = arith.addi %p, %c-3 : index
  %d64 = arith.index_cast %d : index to i64
  %diagonal = tensor.from_elements %d64 : tensor<i64>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %windowed = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %table4 = genc.unsqueeze %windowed {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %m4 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %m = genc.cast %m4 {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
  %inverted = genc.sub %onef, %m : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
  %padding = genc.cast %inverted {to = i1} : tensor<?x1x1x?xf32> -> tensor<?x1x1x?xi1>
  %mask = genc.where %padding, %min, %table4 : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<1x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %b = tensor.dim %k, %c0 : tensor<?x2x?x16xf32>
  %n = tensor.dim %k, %c2 : tensor<?x2x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %n64 = arith.index_cast %n : index to i64
  %spread = tensor.from_elements %b64, %c2_i64, %c2_i64, %n64, %c16_i64 : tensor<5xi64>
  %merged = tensor.from_elements %b64, %c4_i64, %n64, %c16_i64 : tensor<4xi64>
  %k5 = genc.unsqueeze %k {axes = array<i64: 2>} : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %ke = genc.expand %k5, %spread : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %kr = genc.reshape %ke, %merged : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %v5 = genc.unsqueeze %v {axes = array<i64: 2>} : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %ve = genc.expand %v5, %spread : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %vr = genc.reshape %ve, %merged : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %keys = tensor.dim %kr, %c2 : tensor<?x4x?x16xf32>
  %keys64 = arith.index_cast %keys : index to i64
  %key_count = tensor.from_elements %keys64 : tensor<1xi64>
  %sliced = genc.slice %mask[%first : %key_count] axes %last_axis steps %step : (tensor<?x1x?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliced : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %vr : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The same, the table's zeros as many as another tensor's rows: not
// provably the keys' past, so the slice stays (and no `causal`).
// CHECK-LABEL: func.func @past_of_other_keys_not_read_through(
// CHECK: genc.slice
// CHECK-NOT: causal = true
// CHECK: return
func.func @past_of_other_keys_not_read_through(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %new_k: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %new_v: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %past_k: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %past_v: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %other: tensor<?x2x?x16xf32> {genc.dim_names = ["batch", "", "other", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c-3 = arith.constant -3 : index
  %c2_i64 = arith.constant 2 : i64
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %onef = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %first = arith.constant dense<0> : tensor<1xi64>
  %last_axis = arith.constant dense<3> : tensor<1xi64>
  %step = arith.constant dense<1> : tensor<1xi64>
  %k = genc.concat %past_k, %new_k {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %v = genc.concat %past_v, %new_v {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %p = tensor.dim %other, %c2 : tensor<?x2x?x16xf32>
  %p64 = arith.index_cast %p : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %new_table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %past_shape = tensor.from_elements %s64, %p64 : tensor<2xi64>
  %past_table = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %table = genc.concat %past_table, %new_table {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %c1 = arith.constant 1 : index
  %columns = tensor.dim %table, %c1 : tensor<?x?xf32>
  %columns64 = arith.index_cast %columns : index to i64
  %band_shape = tensor.from_elements %s64, %columns64 : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %d = arith.addi %p, %c-3 : index
  %d64 = arith.index_cast %d : index to i64
  %diagonal = tensor.from_elements %d64 : tensor<i64>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %windowed = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %table4 = genc.unsqueeze %windowed {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %m4 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %m = genc.cast %m4 {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
  %inverted = genc.sub %onef, %m : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
  %padding = genc.cast %inverted {to = i1} : tensor<?x1x1x?xf32> -> tensor<?x1x1x?xi1>
  %mask = genc.where %padding, %min, %table4 : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<1x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %b = tensor.dim %k, %c0 : tensor<?x2x?x16xf32>
  %n = tensor.dim %k, %c2 : tensor<?x2x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %n64 = arith.index_cast %n : index to i64
  %spread = tensor.from_elements %b64, %c2_i64, %c2_i64, %n64, %c16_i64 : tensor<5xi64>
  %merged = tensor.from_elements %b64, %c4_i64, %n64, %c16_i64 : tensor<4xi64>
  %k5 = genc.unsqueeze %k {axes = array<i64: 2>} : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %ke = genc.expand %k5, %spread : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %kr = genc.reshape %ke, %merged : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %v5 = genc.unsqueeze %v {axes = array<i64: 2>} : tensor<?x2x?x16xf32> -> tensor<?x2x1x?x16xf32>
  %ve = genc.expand %v5, %spread : (tensor<?x2x1x?x16xf32>, tensor<5xi64>) -> tensor<?x2x2x?x16xf32>
  %vr = genc.reshape %ve, %merged : (tensor<?x2x2x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %keys = tensor.dim %kr, %c2 : tensor<?x4x?x16xf32>
  %keys64 = arith.index_cast %keys : index to i64
  %key_count = tensor.from_elements %keys64 : tensor<1xi64>
  %sliced = genc.slice %mask[%first : %key_count] axes %last_axis steps %step : (tensor<?x1x?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliced : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %vr : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// No window where the band's ones are not the table's: the fill stays a
// mask beside `causal`.
// CHECK-LABEL: func.func @band_of_other_columns(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {causal = true, scale = 1.000000e+00 : f32}
func.func @band_of_other_columns(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}, %n: i64) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %diagonal = arith.constant dense<-3> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %band_shape = tensor.from_elements %s64, %n : tensor<2xi64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The window's hidden keys as tril(ones, -W), W = 4: j - i <= -4.
// CHECK-LABEL: func.func @window_below_tril(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @window_below_tril(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %band_shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %diagonal = arith.constant dense<-4> : tensor<i64>
  %ones = genc.constant_of_shape %band_shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %before = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// No window of 0 keys: 1 - triu(ones, 1) hides the diagonal too. The fill
// stays a mask beside `causal`.
// CHECK-LABEL: func.func @no_empty_window(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {causal = true, scale = 1.000000e+00 : f32}
func.func @no_empty_window(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %band_shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %diagonal = arith.constant dense<1> : tensor<i64>
  %ones = genc.constant_of_shape %band_shape {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %table : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// With a past P: zeros [s, P] before the table, then the keys before the
// window over the whole [s, P + s], 1 - triu(ones, P - 3). `causal` with
// `window` 4.
// CHECK-LABEL: func.func @window_after_past(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @window_after_past(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]}, %past_length: index) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %one32 = arith.constant dense<1> : tensor<i32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %visible = genc.less_equal %positions, %queries : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %table = genc.where %visible, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %band_shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %p64 = arith.index_cast %past_length : index to i64
  %past_shape = tensor.from_elements %s64, %p64 : tensor<2xi64>
  %past = genc.constant_of_shape %past_shape {value = dense<0.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %both = genc.concat %past, %table {axis = 1 : i64} : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %total = tensor.dim %both, %c1 : tensor<?x?xf32>
  %total64 = arith.index_cast %total : index to i64
  %whole = tensor.from_elements %s64, %total64 : tensor<2xi64>
  %ones = genc.constant_of_shape %whole {value = dense<1> : tensor<1xi32>} : (tensor<2xi64>) -> tensor<?x?xi32>
  %minus3 = arith.constant -3 : index
  %shifted = arith.addi %past_length, %minus3 : index
  %k64 = arith.index_cast %shifted : index to i64
  %diagonal = tensor.from_elements %k64 : tensor<i64>
  %band = genc.trilu %ones, %diagonal {upper = true} : (tensor<?x?xi32>, tensor<i64>) -> tensor<?x?xi32>
  %outside = genc.sub %one32, %band : (tensor<i32>, tensor<?x?xi32>) -> tensor<?x?xi32>
  %before = genc.cast %outside {to = i1} : tensor<?x?xi32> -> tensor<?x?xi1>
  %mask = genc.where %before, %min, %both : (tensor<?x?xi1>, tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// transformers 4.41 and later: triu(full(min), 1) times arange(T) >
// cache_position (arange(P, P + S), P the past's length) as numbers, F
// filled where that plus the attention mask is 0 (the padding), sliced to
// the keys in the layer. `causal`; the mask is F where the attention mask
// is 0. At run time the table must cover every key and the queries'
// positions follow the past's keys.
// CHECK-LABEL: func.func @cache_position(
// CHECK-NOT: genc.trilu
// CHECK-NOT: genc.greater
// CHECK: %[[M:.+]] = genc.cast %{{.+}} {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
// CHECK: %[[NONE:.+]] = genc.equal %[[M]], %{{.+}}
// CHECK: %[[PAD:.+]] = genc.where %[[NONE]], %{{.+}}, %{{.+}} : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x1x?xf32>
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask of {{.+}} lets the last query see {index} positions but attention reads {bound} keys; the queries' positions must follow the past's keys"}
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask of {{.+}} covers {index} positions but attention reads {bound} keys; give attention_mask one entry per position, past and new"}
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[PAD]]) {causal = true, scale = 1.000000e+00 : f32}
func.func @cache_position(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %past: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %first = arith.constant dense<0> : tensor<1xi64>
  %last_axis = arith.constant dense<3> : tensor<1xi64>
  %step = arith.constant dense<1> : tensor<1xi64>
  %p = tensor.dim %past, %c2 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %n = tensor.dim %k, %c2 : tensor<?x4x?x16xf32>
  %end = arith.addi %p, %s : index
  %p64 = arith.index_cast %p : index to i64
  %end64 = arith.index_cast %end : index to i64
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %n64 = arith.index_cast %n : index to i64
  %start = tensor.from_elements %p64 : tensor<i64>
  %limit = tensor.from_elements %end64 : tensor<i64>
  %cache_position = genc.range %start, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %cache_position, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %table_shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %full = genc.constant_of_shape %table_shape {value = dense<-3.40282347E+38> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %triu = genc.trilu %full, %one64 : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %causal = genc.mul %triu, %later_f : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %m4 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %m = genc.cast %m4 {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
  %sum = genc.add %causal4, %m : (tensor<1x1x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x1x?x?xf32>
  %padding = genc.equal %sum, %zero : (tensor<?x1x?x?xf32>, tensor<f32>) -> tensor<?x1x?x?xi1>
  %mask = genc.where %padding, %min, %causal4 : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<1x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %key_count = tensor.from_elements %n64 : tensor<1xi64>
  %sliced = genc.slice %mask[%first : %key_count] axes %last_axis steps %step : (tensor<?x1x?x?xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliced : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The same table, but cache_position starts at an index that need not be
// a length: Triu(full(min), 1) hides j > i, which adds to j > i + P where
// P < 0. Not raised.
// CHECK-LABEL: func.func @cache_position_from_any_index(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @cache_position_from_any_index(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %start64: i64, %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %p = arith.index_cast %start64 : i64 to index
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %end = arith.addi %p, %s : index
  %p64 = arith.index_cast %p : index to i64
  %end64 = arith.index_cast %end : index to i64
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %start = tensor.from_elements %p64 : tensor<i64>
  %limit = tensor.from_elements %end64 : tensor<i64>
  %cache_position = genc.range %start, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %cache_position, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %table_shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %full = genc.constant_of_shape %table_shape {value = dense<-3.40282347E+38> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %triu = genc.trilu %full, %one64 : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %causal = genc.mul %triu, %later_f : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %causal : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Mistral since transformers 4.42: full(min) times the keys to exclude,
// those after cache_position Or-ed with those at or before cache_position
// - 4. `causal` with `window` 4.
// CHECK-LABEL: func.func @cache_position_window(
// CHECK-NOT: genc.greater
// CHECK-NOT: genc.less_equal
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @cache_position_window(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %past: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %four = arith.constant dense<4> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %p = tensor.dim %past, %c2 : tensor<?x4x?x16xf32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %end = arith.addi %p, %s : index
  %p64 = arith.index_cast %p : index to i64
  %end64 = arith.index_cast %end : index to i64
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %start = tensor.from_elements %p64 : tensor<i64>
  %limit = tensor.from_elements %end64 : tensor<i64>
  %cache_position = genc.range %start, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %cache_position, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %window_start = genc.sub %column, %four : (tensor<?x1xi64>, tensor<i64>) -> tensor<?x1xi64>
  %before = genc.less_equal %keys, %window_start : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %exclude = genc.or %later, %before : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %exclude_f = genc.cast %exclude {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %exclude_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %causal : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// -inf times the 0/1 indicator is NaN where a key is kept: not the mask
// `causal` gives. Not raised.
// CHECK-LABEL: func.func @infinite_fill(
// CHECK: genc.greater
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {scale = 1.000000e+00 : f32}
func.func @infinite_fill(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %inf = arith.constant dense<0xFF800000> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %positions, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %later = genc.greater %positions, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %inf, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %causal : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Without a past, the keys' positions may count the attention mask's
// length: `causal` where the keys are the queries, the mask's length checked
// at run time. Beside keys that may be more (a cache), the table's diagonal
// is still at the first key: `causal_from_start`, checked the same way.
// CHECK-LABEL: func.func @keys_over_mask_length(
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask of {{.+}} covers {index} positions
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32}
// CHECK-LABEL: func.func @keys_over_mask_length_beside_cache(
// CHECK-NOT: genc.greater
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask of {{.+}} covers {index} positions
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, causal_from_start = true, scale = 1.000000e+00 : f32}
func.func @keys_over_mask_length(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %rows = tensor.from_elements %s64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %zero64, %rows, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %causal : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
func.func @keys_over_mask_length_beside_cache(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %rows = tensor.from_elements %s64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %zero64, %rows, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %causal : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// transformers 4.38 to 4.40 filled the padding where the table is 0 and
// the attention mask is 0 (`M.eq(0) * m.eq(0)`, exported as And; the table
// expanded over the batch, on both sides, as cleanup leaves it): the same
// split, the mask F where the attention mask is 0.
// CHECK-LABEL: func.func @cache_position_padding_and(
// CHECK-NOT: genc.and
// CHECK: %[[NONE:.+]] = genc.equal %{{.+}}, %{{.+}} : (tensor<?x1x1x?xf32>, tensor<f32>) -> tensor<?x1x1x?xi1>
// CHECK: %[[PAD:.+]] = genc.where %[[NONE]], %{{.+}}, %{{.+}} : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x1x?xf32>
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[PAD]]) {causal = true, scale = 1.000000e+00 : f32}
func.func @cache_position_padding_and(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c1_i64 = arith.constant 1 : i64
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %rows = tensor.from_elements %s64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %zero64, %rows, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %table_shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %full = genc.constant_of_shape %table_shape {value = dense<-3.40282347E+38> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %triu = genc.trilu %full, %one64 : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %causal = genc.mul %triu, %later_f : (tensor<?x?xf32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %b = tensor.dim %attention_mask, %c0 : tensor<?x?xi64>
  %b64 = arith.index_cast %b : index to i64
  %batch = tensor.from_elements %b64, %c1_i64, %c1_i64, %c1_i64 : tensor<4xi64>
  %causal_b = genc.expand %causal4, %batch : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %kept4 = genc.equal %causal4, %zero : (tensor<1x1x?x?xf32>, tensor<f32>) -> tensor<1x1x?x?xi1>
  %kept = genc.expand %kept4, %batch : (tensor<1x1x?x?xi1>, tensor<4xi64>) -> tensor<?x1x?x?xi1>
  %m4 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %m = genc.cast %m4 {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
  %none = genc.equal %m, %zero : (tensor<?x1x1x?xf32>, tensor<f32>) -> tensor<?x1x1x?xi1>
  %padding = genc.and %kept, %none : (tensor<?x1x?x?xi1>, tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xi1>
  %mask = genc.where %padding, %min, %causal_b : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Gemma 2's sliding layers (transformers 4.42-4.44): tril(ones_like(mask),
// -W) over the whole [B, 1, S, T] mask, filled with min into it, W = 4.
// Without a past the rows' diagonal is the table's: `causal` with `window`
// 4, no mask left. The band must span the table's columns: one column
// broadcast over the keys hides whole rows, and stays a mask.
// CHECK-LABEL: func.func @band_over_whole_mask(
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 1.000000e+00 : f32, window = 4 : i64}
// CHECK-LABEL: func.func @band_of_one_column(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {causal = true, scale = 1.000000e+00 : f32}
// Keys not provably the queries: the table's diagonal at 0 counts from the
// first key, `causal_from_start` (the call checks that the table covers the
// keys), and the band is the window.
// CHECK-LABEL: func.func @band_beside_other_keys(
// CHECK-NOT: genc.trilu
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask {{.*}}covers {index} positions but attention reads {bound} keys; {{.+}}"}
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, causal_from_start = true, scale = 1.000000e+00 : f32, window = 4 : i64}
func.func @band_over_whole_mask(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %b = tensor.dim %attention_mask, %c0 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %b64 = arith.index_cast %b : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %batch = tensor.from_elements %b64, %c1_i64, %c1_i64, %c1_i64 : tensor<4xi64>
  %mask = genc.expand %causal4, %batch : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %mb = tensor.dim %mask, %c0 : tensor<?x1x?x?xf32>
  %mr = tensor.dim %mask, %c2 : tensor<?x1x?x?xf32>
  %mc = tensor.dim %mask, %c3 : tensor<?x1x?x?xf32>
  %mb64 = arith.index_cast %mb : index to i64
  %mr64 = arith.index_cast %mr : index to i64
  %mc64 = arith.index_cast %mc : index to i64
  %ones_shape = tensor.from_elements %mb64, %c1_i64, %mr64, %mc64 : tensor<4xi64>
  %ones = genc.constant_of_shape %ones_shape {value = dense<true> : tensor<1xi1>} : (tensor<4xi64>) -> tensor<?x1x?x?xi1>
  %diagonal = arith.constant dense<-4> : tensor<i64>
  %before = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x1x?x?xi1>, tensor<i64>) -> tensor<?x1x?x?xi1>
  %sliding = genc.where %before, %min, %mask : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliding : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
func.func @band_of_one_column(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %b = tensor.dim %attention_mask, %c0 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %b64 = arith.index_cast %b : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %batch = tensor.from_elements %b64, %c1_i64, %c1_i64, %c1_i64 : tensor<4xi64>
  %mask = genc.expand %causal4, %batch : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %mb = tensor.dim %mask, %c0 : tensor<?x1x?x?xf32>
  %mr = tensor.dim %mask, %c2 : tensor<?x1x?x?xf32>
  %mc = tensor.dim %mask, %c3 : tensor<?x1x?x?xf32>
  %mb64 = arith.index_cast %mb : index to i64
  %mr64 = arith.index_cast %mr : index to i64
  %mc64 = arith.index_cast %mc : index to i64
  %ones_shape = tensor.from_elements %mb64, %c1_i64, %mr64, %c1_i64 : tensor<4xi64>
  %ones = genc.constant_of_shape %ones_shape {value = dense<true> : tensor<1xi1>} : (tensor<4xi64>) -> tensor<?x1x?x?xi1>
  %diagonal = arith.constant dense<-4> : tensor<i64>
  %before = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x1x?x?xi1>, tensor<i64>) -> tensor<?x1x?x?xi1>
  %sliding = genc.where %before, %min, %mask : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliding : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
func.func @band_beside_other_keys(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %b = tensor.dim %attention_mask, %c0 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %b64 = arith.index_cast %b : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %zero64, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %batch = tensor.from_elements %b64, %c1_i64, %c1_i64, %c1_i64 : tensor<4xi64>
  %mask = genc.expand %causal4, %batch : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %mb = tensor.dim %mask, %c0 : tensor<?x1x?x?xf32>
  %mr = tensor.dim %mask, %c2 : tensor<?x1x?x?xf32>
  %mc = tensor.dim %mask, %c3 : tensor<?x1x?x?xf32>
  %mb64 = arith.index_cast %mb : index to i64
  %mr64 = arith.index_cast %mr : index to i64
  %mc64 = arith.index_cast %mc : index to i64
  %ones_shape = tensor.from_elements %mb64, %c1_i64, %mr64, %mc64 : tensor<4xi64>
  %ones = genc.constant_of_shape %ones_shape {value = dense<true> : tensor<1xi1>} : (tensor<4xi64>) -> tensor<?x1x?x?xi1>
  %diagonal = arith.constant dense<-4> : tensor<i64>
  %before = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x1x?x?xi1>, tensor<i64>) -> tensor<?x1x?x?xi1>
  %sliding = genc.where %before, %min, %mask : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliding : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// With a past P the band stays relative to the rows (j <= i - W, whatever P
// is), not a window over the queries' positions: it stays a mask.
// CHECK-LABEL: func.func @band_after_cache_position(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {causal = true, scale = 1.000000e+00 : f32}
func.func @band_after_cache_position(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
    %past: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]},
    %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c1_i64 = arith.constant 1 : i64
  %zero64 = arith.constant dense<0> : tensor<i64>
  %one64 = arith.constant dense<1> : tensor<i64>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %b = tensor.dim %attention_mask, %c0 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %b64 = arith.index_cast %b : index to i64
  %p = tensor.dim %past, %c2 : tensor<?x4x?x16xf32>
  %end = arith.addi %p, %s : index
  %p64 = arith.index_cast %p : index to i64
  %end64 = arith.index_cast %end : index to i64
  %start = tensor.from_elements %p64 : tensor<i64>
  %limit = tensor.from_elements %end64 : tensor<i64>
  %total = tensor.from_elements %t64 : tensor<i64>
  %queries = genc.range %start, %limit, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %column_shape = tensor.from_elements %s64, %c1_i64 : tensor<2xi64>
  %column = genc.reshape %queries, %column_shape : (tensor<?xi64>, tensor<2xi64>) -> tensor<?x1xi64>
  %keys = genc.range %zero64, %total, %one64 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %later = genc.greater %keys, %column : (tensor<?xi64>, tensor<?x1xi64>) -> tensor<?x?xi1>
  %later_f = genc.cast %later {to = f32} : tensor<?x?xi1> -> tensor<?x?xf32>
  %causal = genc.mul %min, %later_f : (tensor<f32>, tensor<?x?xf32>) -> tensor<?x?xf32>
  %causal4 = genc.unsqueeze %causal {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %batch = tensor.from_elements %b64, %c1_i64, %c1_i64, %c1_i64 : tensor<4xi64>
  %mask = genc.expand %causal4, %batch : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %mb = tensor.dim %mask, %c0 : tensor<?x1x?x?xf32>
  %mr = tensor.dim %mask, %c2 : tensor<?x1x?x?xf32>
  %mc = tensor.dim %mask, %c3 : tensor<?x1x?x?xf32>
  %mb64 = arith.index_cast %mb : index to i64
  %mr64 = arith.index_cast %mr : index to i64
  %mc64 = arith.index_cast %mc : index to i64
  %ones_shape = tensor.from_elements %mb64, %c1_i64, %mr64, %mc64 : tensor<4xi64>
  %ones = genc.constant_of_shape %ones_shape {value = dense<true> : tensor<1xi1>} : (tensor<4xi64>) -> tensor<?x1x?x?xi1>
  %diagonal = arith.constant dense<-4> : tensor<i64>
  %before = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x1x?x?xi1>, tensor<i64>) -> tensor<?x1x?x?xi1>
  %sliding = genc.where %before, %min, %mask : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %sliding : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
