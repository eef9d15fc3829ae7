// RUN: genc-opt --genc-raise-attention --canonicalize --split-input-file %s | FileCheck %s

// GPT-2: QKᵀ / 4, the causal table sliced from row Skv - Sq filled with the
// float minimum, plus the padding mask. The scale becomes 1/4, the sliced
// table `causal`, the padding mask the op's mask; nothing of the chain stays.
// CHECK-LABEL: func.func @gpt2
// CHECK: %[[Y:.+]] = genc.attention %arg0, %arg1, %arg2 mask(%arg3) {causal = true, scale = 2.500000e-01 : f32}
// CHECK-NOT: genc.softmax
// CHECK: return %[[Y]]
func.func @gpt2(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
                %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
                %pad: tensor<?x1x1x?xf32> {genc.dim_names = ["batch", "", "", "total"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %table = arith.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %four = arith.constant dense<4.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %axis2 = arith.constant dense<2> : tensor<1xi64>
  %axis3 = arith.constant dense<3> : tensor<1xi64>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.div %s, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %total = tensor.dim %k, %c2 : tensor<?x4x?x16xf32>
  %new = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %past = arith.subi %total, %new : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<1xi64>
  %total64 = arith.index_cast %total : index to i64
  %end = tensor.from_elements %total64 : tensor<1xi64>
  %rows = genc.slice %table[%start : %end] axes %axis2 steps %one : (tensor<1x1x3x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x3xi1>
  %causal = genc.slice %rows[%zero : %end] axes %axis3 steps %one : (tensor<1x1x?x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x?xi1>
  %filled = genc.where %causal, %scaled, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %filled, %pad : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// GPTBigCode (after genc-unmerge-query-heads): a [1, n, n] causal table
// sliced the same way, And-ed with the padding [B, 1, T], unsqueezed at
// the heads. The table becomes `causal`; the padding, unsqueezed as the
// And was, stays the fill. One key head, broadcast (MQA). With a table
// that is not lower-triangular, nothing is `causal`.
// CHECK-LABEL: func.func @sliced_table_and_padding
// CHECK: %[[PAD:.+]] = genc.unsqueeze %arg3 {axes = array<i64: 1>} : tensor<?x1x?xi1> -> tensor<?x1x1x?xi1>
// CHECK: %[[MASK:.+]] = genc.where %[[PAD]], %{{.+}}, %{{.+}} : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x1x?xf32>
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[MASK]]) {causal = true, scale = 1.000000e+00 : f32}
// CHECK-LABEL: func.func @sliced_other_table_and_padding
// CHECK-NOT: causal = true
// CHECK: return
// The And unsqueezed at the heads: the table's rows would run over the
// heads, not the queries. Not `causal`.
// CHECK-LABEL: func.func @sliced_table_and_padding_at_heads
// CHECK-NOT: causal = true
// CHECK: return
func.func @sliced_table_and_padding(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x1x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x1x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %pad: tensor<?x1x?xi1> {genc.dim_names = ["batch", "", "total"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %table = arith.constant dense<[[[true, false, false], [true, true, false], [true, true, true]]]> : tensor<1x3x3xi1>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %axis1 = arith.constant dense<1> : tensor<1xi64>
  %axis2 = arith.constant dense<2> : tensor<1xi64>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x1x?x16xf32> -> tensor<?x1x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x1x16x?xf32>) -> tensor<?x4x?x?xf32>
  %total = tensor.dim %k, %c2 : tensor<?x1x?x16xf32>
  %new = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %past = arith.subi %total, %new : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<1xi64>
  %total64 = arith.index_cast %total : index to i64
  %end = tensor.from_elements %total64 : tensor<1xi64>
  %rows = genc.slice %table[%start : %end] axes %axis1 steps %one : (tensor<1x3x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x3xi1>
  %causal = genc.slice %rows[%zero : %end] axes %axis2 steps %one : (tensor<1x?x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x?xi1>
  %both = genc.and %causal, %pad : (tensor<1x?x?xi1>, tensor<?x1x?xi1>) -> tensor<?x?x?xi1>
  %keep = genc.unsqueeze %both {axes = array<i64: 1>} : tensor<?x?x?xi1> -> tensor<?x1x?x?xi1>
  %filled = genc.where %keep, %s, %min : (tensor<?x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %filled {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
func.func @sliced_other_table_and_padding(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x1x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x1x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %pad: tensor<?x1x?xi1> {genc.dim_names = ["batch", "", "total"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %table = arith.constant dense<[[[true, true, false], [true, true, false], [true, true, true]]]> : tensor<1x3x3xi1>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %axis1 = arith.constant dense<1> : tensor<1xi64>
  %axis2 = arith.constant dense<2> : tensor<1xi64>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x1x?x16xf32> -> tensor<?x1x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x1x16x?xf32>) -> tensor<?x4x?x?xf32>
  %total = tensor.dim %k, %c2 : tensor<?x1x?x16xf32>
  %new = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %past = arith.subi %total, %new : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<1xi64>
  %total64 = arith.index_cast %total : index to i64
  %end = tensor.from_elements %total64 : tensor<1xi64>
  %rows = genc.slice %table[%start : %end] axes %axis1 steps %one : (tensor<1x3x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x3xi1>
  %causal = genc.slice %rows[%zero : %end] axes %axis2 steps %one : (tensor<1x?x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x?xi1>
  %both = genc.and %causal, %pad : (tensor<1x?x?xi1>, tensor<?x1x?xi1>) -> tensor<?x?x?xi1>
  %keep = genc.unsqueeze %both {axes = array<i64: 1>} : tensor<?x?x?xi1> -> tensor<?x1x?x?xi1>
  %filled = genc.where %keep, %s, %min : (tensor<?x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %filled {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
func.func @sliced_table_and_padding_at_heads(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x1x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x1x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %pad: tensor<?x1x?xi1> {genc.dim_names = ["batch", "", "total"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %table = arith.constant dense<[[[true, false, false], [true, true, false], [true, true, true]]]> : tensor<1x3x3xi1>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %axis1 = arith.constant dense<1> : tensor<1xi64>
  %axis2 = arith.constant dense<2> : tensor<1xi64>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x1x?x16xf32> -> tensor<?x1x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x1x16x?xf32>) -> tensor<?x4x?x?xf32>
  %total = tensor.dim %k, %c2 : tensor<?x1x?x16xf32>
  %new = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %past = arith.subi %total, %new : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<1xi64>
  %total64 = arith.index_cast %total : index to i64
  %end = tensor.from_elements %total64 : tensor<1xi64>
  %rows = genc.slice %table[%start : %end] axes %axis1 steps %one : (tensor<1x3x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x3xi1>
  %causal = genc.slice %rows[%zero : %end] axes %axis2 steps %one : (tensor<1x?x3xi1>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x?x?xi1>
  %both = genc.and %causal, %pad : (tensor<1x?x?xi1>, tensor<?x1x?xi1>) -> tensor<?x?x?xi1>
  %keep = genc.unsqueeze %both {axes = array<i64: 2>} : tensor<?x?x?xi1> -> tensor<?x?x1x?xi1>
  %filled = genc.where %keep, %s, %min : (tensor<?x?x1x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %filled {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// GPT-2 as older transformers exported it: the table of 0/1 bytes, the
// slice cast to booleans. The same `causal`.
// CHECK-LABEL: func.func @gpt2_bytes
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%arg3) {causal = true, scale = 2.500000e-01 : f32}
func.func @gpt2_bytes(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
                %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
                %pad: tensor<?x1x1x?xf32> {genc.dim_names = ["batch", "", "", "total"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %table = arith.constant dense<[[[[1, 0, 0], [1, 1, 0], [1, 1, 1]]]]> : tensor<1x1x3x3xui8>
  %four = arith.constant dense<4.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %axis2 = arith.constant dense<2> : tensor<1xi64>
  %axis3 = arith.constant dense<3> : tensor<1xi64>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.div %s, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %total = tensor.dim %k, %c2 : tensor<?x4x?x16xf32>
  %new = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %past = arith.subi %total, %new : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<1xi64>
  %total64 = arith.index_cast %total : index to i64
  %end = tensor.from_elements %total64 : tensor<1xi64>
  %rows = genc.slice %table[%start : %end] axes %axis2 steps %one : (tensor<1x1x3x3xui8>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x3xui8>
  %bytes = genc.slice %rows[%zero : %end] axes %axis3 steps %one : (tensor<1x1x?x3xui8>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x?xui8>
  %causal = genc.cast %bytes {to = i1} : tensor<1x1x?x?xui8> -> tensor<1x1x?x?xi1>
  %filled = genc.where %causal, %scaled, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %filled, %pad : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The same table as a resource, as the importer keeps large ones.
// CHECK-LABEL: func.func @gpt2_bytes_resource
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%arg3) {causal = true, scale = 2.500000e-01 : f32}
func.func @gpt2_bytes_resource(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
                %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
                %pad: tensor<?x1x1x?xf32> {genc.dim_names = ["batch", "", "", "total"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %table = arith.constant dense_resource<causal_bytes> : tensor<1x1x3x3xui8>
  %four = arith.constant dense<4.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %axis2 = arith.constant dense<2> : tensor<1xi64>
  %axis3 = arith.constant dense<3> : tensor<1xi64>
  %zero = arith.constant dense<0> : tensor<1xi64>
  %one = arith.constant dense<1> : tensor<1xi64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.div %s, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %total = tensor.dim %k, %c2 : tensor<?x4x?x16xf32>
  %new = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %past = arith.subi %total, %new : index
  %past64 = arith.index_cast %past : index to i64
  %start = tensor.from_elements %past64 : tensor<1xi64>
  %total64 = arith.index_cast %total : index to i64
  %end = tensor.from_elements %total64 : tensor<1xi64>
  %rows = genc.slice %table[%start : %end] axes %axis2 steps %one : (tensor<1x1x3x3xui8>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x3xui8>
  %bytes = genc.slice %rows[%zero : %end] axes %axis3 steps %one : (tensor<1x1x?x3xui8>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x?xui8>
  %causal = genc.cast %bytes {to = i1} : tensor<1x1x?x?xui8> -> tensor<1x1x?x?xi1>
  %filled = genc.where %causal, %scaled, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %filled, %pad : (tensor<?x4x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

{-#
  dialect_resources: {
    builtin: {
      causal_bytes: "0x01000000010000010100010101"
    }
  }
#-}

// -----

// LLaMA: K and V repeated from 2 to 8 heads (Unsqueeze → Expand →
// Reshape) are read unrepeated; a fill that is not a causal table becomes
// the additive mask Where(C, 0, F).
// CHECK-LABEL: func.func @grouped
// CHECK-DAG: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[MIN:.+]] = arith.constant dense<-3.40282347E+38> : tensor<f32>
// CHECK: %[[MASK:.+]] = genc.where %arg3, %[[ZERO]], %[[MIN]]
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[MASK]]) {scale = 0.353553{{[0-9]+}} : f32}
// CHECK-SAME: (tensor<?x8x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x1x?x?xf32>) -> tensor<?x8x?x8xf32>
// CHECK-NOT: genc.expand
func.func @grouped(%q: tensor<?x8x?x8xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                   %k: tensor<?x2x?x8xf32> {genc.dim_names = ["batch", "", "total", ""]},
                   %v: tensor<?x2x?x8xf32> {genc.dim_names = ["batch", "", "total", ""]},
                   %keep: tensor<?x1x?x?xi1> {genc.dim_names = ["batch", "", "sequence", "total"]}) -> tensor<?x8x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %rsqrt = arith.constant dense<0.353553385> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %b = tensor.dim %k, %c0 : tensor<?x2x?x8xf32>
  %s = tensor.dim %k, %c2 : tensor<?x2x?x8xf32>
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %c2_i64 = arith.constant 2 : i64
  %c4_i64 = arith.constant 4 : i64
  %c8_i64 = arith.constant 8 : i64
  %shape5 = tensor.from_elements %b64, %c2_i64, %c4_i64, %s64, %c8_i64 : tensor<5xi64>
  %shape4 = tensor.from_elements %b64, %c8_i64, %s64, %c8_i64 : tensor<4xi64>
  %ku = genc.unsqueeze %k {axes = array<i64: 2>} : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %ke = genc.expand %ku, %shape5 : (tensor<?x2x1x?x8xf32>, tensor<5xi64>) -> tensor<?x2x4x?x8xf32>
  %kr = genc.reshape %ke, %shape4 : (tensor<?x2x4x?x8xf32>, tensor<4xi64>) -> tensor<?x8x?x8xf32>
  %vu = genc.unsqueeze %v {axes = array<i64: 2>} : tensor<?x2x?x8xf32> -> tensor<?x2x1x?x8xf32>
  %ve = genc.expand %vu, %shape5 : (tensor<?x2x1x?x8xf32>, tensor<5xi64>) -> tensor<?x2x4x?x8xf32>
  %vr = genc.reshape %ve, %shape4 : (tensor<?x2x4x?x8xf32>, tensor<4xi64>) -> tensor<?x8x?x8xf32>
  %kt = genc.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x8x?x8xf32> -> tensor<?x8x8x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x8x?x8xf32>, tensor<?x8x8x?xf32>) -> tensor<?x8x?x?xf32>
  %scaled = genc.mul %rsqrt, %scores : (tensor<f32>, tensor<?x8x?x?xf32>) -> tensor<?x8x?x?xf32>
  %masked = genc.where %keep, %scaled, %min : (tensor<?x1x?x?xi1>, tensor<?x8x?x?xf32>, tensor<f32>) -> tensor<?x8x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x8x?x?xf32> -> tensor<?x8x?x?xf32>
  %y = genc.matmul %p, %vr : (tensor<?x8x?x?xf32>, tensor<?x8x?x8xf32>) -> tensor<?x8x?x8xf32>
  return %y : tensor<?x8x?x8xf32>
}

// -----

// Hugging Face's LLaMA-family mask: Tril(ones[Sq, T], T - Sq) & padding,
// as Where(allowed, 0, min), added to the scores. The table becomes
// `causal` and the mask keeps only the padding ([B, 1, 1, T], not
// [B, 1, Sq, T]). T is the attention mask's length, not provably the key
// length, so the call checks that they agree.
// CHECK-LABEL: func.func @tril_causal
// CHECK-NOT: genc.trilu
// CHECK: %[[PAD:.+]] = genc.where %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x1x?xf32>
// CHECK: %[[DIFFER:.+]] = arith.cmpi ne, %{{.+}}, %{{.+}} : index
// CHECK: scf.if %[[DIFFER]] {
// CHECK: genc.index_out_of_bounds {{.+}} {message = "the causal mask {{.*}}covers {index} positions but attention reads {bound} keys; {{.+}}"}
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[PAD]]) {causal = true, scale = 2.500000e-01 : f32}
func.func @tril_causal(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                       %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                       %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                       %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %past = arith.subi %t, %s : index
  %past64 = arith.index_cast %past : index to i64
  %diagonal = tensor.from_elements %past64 : tensor<i64>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %causal = genc.unsqueeze %tril {axes = array<i64: 0, 1>} : tensor<?x?xi1> -> tensor<1x1x?x?xi1>
  %m1 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %pad = genc.cast %m1 {to = i1} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xi1>
  %allowed = genc.and %causal, %pad : (tensor<1x1x?x?xi1>, tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xi1>
  %mask = genc.where %allowed, %zero, %min : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// The same table built from a past length P: Tril(ones[Sq, P + Sq], P),
// P a session's i64 past length (the query positions are a Range from P,
// as a decoder that adds its own position embeddings counts them).
// CHECK-LABEL: func.func @tril_from_past
// CHECK-NOT: genc.trilu
// CHECK: genc.attention %{{.+}}, %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32}
func.func @tril_from_past(%x: tensor<?x?x16xf32> {genc.dim_names = ["batch", "sequence", ""]},
                          %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                          %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                          %past_length: tensor<i64> {genc.name = "genc.past_length"}) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %one = arith.constant dense<1> : tensor<i64>
  %table = arith.constant dense<1.0> : tensor<64x16xf32>
  %p64 = tensor.extract %past_length[] : tensor<i64>
  %p = arith.index_cast %p64 : i64 to index
  %s = tensor.dim %x, %c1 : tensor<?x?x16xf32>
  %b = tensor.dim %x, %c0 : tensor<?x?x16xf32>
  %t = arith.addi %p, %s : index
  %t64 = arith.index_cast %t : index to i64
  %from = tensor.from_elements %p64 : tensor<i64>
  %to = tensor.from_elements %t64 : tensor<i64>
  %positions = genc.range %from, %to, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %at = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<64x16xf32>, tensor<?xi64>) -> tensor<?x16xf32>
  %h = genc.add %x, %at : (tensor<?x?x16xf32>, tensor<?x16xf32>) -> tensor<?x?x16xf32>
  %s2 = tensor.dim %h, %c1 : tensor<?x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %s264 = arith.index_cast %s2 : index to i64
  %c4 = arith.constant 4 : i64
  %shape4 = tensor.from_elements %b64, %s264, %c4, %c4 : tensor<4xi64>
  %split = genc.reshape %h, %shape4 : (tensor<?x?x16xf32>, tensor<4xi64>) -> tensor<?x?x4x4xf32>
  %heads = genc.transpose %split {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x4xf32> -> tensor<?x4x?x4xf32>
  %q = genc.concat %heads, %heads, %heads, %heads {axis = 3 : i64} : (tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>, tensor<?x4x?x4xf32>) -> tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %from {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %mask = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// An export without a past (BART's decoder): Tril(ones[Sq, Sq], 0) is
// causal, while the same square table with diagonal 1 lets each query see
// the next key and stays a mask.
// CHECK-LABEL: func.func @tril_square(
// CHECK-NOT: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32}
// CHECK-LABEL: func.func @tril_square_shifted(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(
// CHECK-NOT: causal
func.func @tril_square(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                       %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                       %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %diagonal = arith.constant dense<0> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %mask = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
func.func @tril_square_shifted(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                               %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                               %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %diagonal = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %mask = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// A square table beside keys that may outnumber the queries (a cache's
// concatenation: with one query the table broadcasts and shows every key)
// is not `causal`: it stays the mask it is.
// CHECK-LABEL: func.func @tril_square_with_past
// CHECK: genc.trilu
// CHECK-NOT: causal
// CHECK: genc.attention %arg0, %{{.+}}, %{{.+}} mask(
// CHECK-NOT: causal
// CHECK: return
func.func @tril_square_with_past(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                 %pastK: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]}, %newK: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                 %pastV: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "past", ""]}, %newV: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %diagonal = arith.constant dense<0> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %mask = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %k = genc.concat %pastK, %newK {axis = 2 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %v = genc.concat %pastV, %newV {axis = 2 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Left as they are: probabilities the model also returns; a fill of -1e4
// (s + F is not F); a mask added before the scale; queries and keys whose
// batch dims are not provably one; a mask whose batch may be larger than
// the scores' (the graph's result would be larger too).
// CHECK-LABEL: func.func @not_raised
// CHECK-NOT: genc.attention
// CHECK-COUNT-5: genc.softmax
// CHECK-NOT: genc.attention
func.func @not_raised(%q: tensor<?x2x?x4xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                      %k: tensor<?x2x?x4xf32> {genc.dim_names = ["batch", "", "total", ""]},
                      %other: tensor<?x2x?x4xf32>,
                      %keep: tensor<?x1x?x?xi1> {genc.dim_names = ["batch", "", "sequence", "total"]},
                      %bias: tensor<?x1x1x?xf32> {genc.dim_names = ["batch", "", "", "total"]},
                      %other_batch: tensor<?x1x1x?xf32>)
    -> (tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>) {
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %small = arith.constant dense<-1.0e+04> : tensor<f32>
  %s1 = genc.matmul %q, %kt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %p1 = genc.softmax %s1 {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %y1 = genc.matmul %p1, %k : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %s2 = genc.matmul %q, %kt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %f2 = genc.where %keep, %s2, %small : (tensor<?x1x?x?xi1>, tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %p2 = genc.softmax %f2 {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %y2 = genc.matmul %p2, %k : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %s3 = genc.matmul %q, %kt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %m3 = genc.add %s3, %bias : (tensor<?x2x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x2x?x?xf32>
  %d3 = genc.div %m3, %two : (tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %p3 = genc.softmax %d3 {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %y3 = genc.matmul %p3, %k : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %ot = genc.transpose %other {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s4 = genc.matmul %q, %ot : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %p4 = genc.softmax %s4 {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %y4 = genc.matmul %p4, %other : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %s5 = genc.matmul %q, %kt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %m5 = genc.add %s5, %other_batch : (tensor<?x2x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x2x?x?xf32>
  %p5 = genc.softmax %m5 {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %y5 = genc.matmul %p5, %k : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  return %y1, %p1, %y2, %y3, %y4, %y5 : tensor<?x2x?x4xf32>, tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>, tensor<?x2x?x4xf32>
}

// -----

// A session's cache: K and V are prefixes [0, past + new) of the cache
// buffers, their lengths computed apart (from the new keys' and the new
// values' dims); the lengths are still provably one, and the op reads the
// prefixes.
// CHECK-LABEL: func.func @session_cache
// CHECK: %[[KALL:.+]] = tensor.insert_slice %arg3 into %arg1
// CHECK: %[[K:.+]] = tensor.extract_slice %[[KALL]]
// CHECK: %[[VALL:.+]] = tensor.insert_slice %arg4 into %arg2
// CHECK: %[[V:.+]] = tensor.extract_slice %[[VALL]]
// CHECK: genc.attention %arg0, %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
func.func @session_cache(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                         %kcache: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "", ""]},
                         %vcache: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "", ""]},
                         %knew: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                         %vnew: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                         %past: index) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %four = arith.constant dense<4.0> : tensor<f32>
  %kb = tensor.dim %kcache, %c0 : tensor<?x4x?x16xf32>
  %kn = tensor.dim %knew, %c2 : tensor<?x4x?x16xf32>
  %kall = tensor.insert_slice %knew into %kcache[0, 0, %past, 0] [%kb, 4, %kn, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> into tensor<?x4x?x16xf32>
  %klen = arith.addi %past, %kn : index
  %k = tensor.extract_slice %kall[0, 0, 0, 0] [%kb, 4, %klen, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x4x?x16xf32>
  %vb = tensor.dim %vcache, %c0 : tensor<?x4x?x16xf32>
  %vn = tensor.dim %vnew, %c2 : tensor<?x4x?x16xf32>
  %vall = tensor.insert_slice %vnew into %vcache[0, 0, %past, 0] [%vb, 4, %vn, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> into tensor<?x4x?x16xf32>
  %vlen = arith.addi %past, %vn : index
  %v = tensor.extract_slice %vall[0, 0, 0, 0] [%vb, 4, %vlen, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x4x?x16xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.div %s, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %scaled {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// MHA's repeat_kv of one: Unsqueeze(2) → Reshape, the Expand to a group of
// 1 folded away (a Reshape of the Unsqueeze remains, here over a session's
// cache prefix). K and V are read unrepeated.
// CHECK-LABEL: func.func @repeat_of_one
// CHECK: %[[K:.+]] = tensor.extract_slice
// CHECK: %[[V:.+]] = tensor.extract_slice
// CHECK-NOT: genc.reshape
// CHECK: genc.attention %arg0, %[[K]], %[[V]] {scale = 2.500000e-01 : f32}
func.func @repeat_of_one(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                         %kcache: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "", ""]},
                         %vcache: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "", ""]},
                         %knew: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                         %vnew: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                         %past: index) -> tensor<?x4x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %four = arith.constant dense<4.0> : tensor<f32>
  %kb = tensor.dim %kcache, %c0 : tensor<?x4x?x16xf32>
  %kn = tensor.dim %knew, %c2 : tensor<?x4x?x16xf32>
  %kall = tensor.insert_slice %knew into %kcache[0, 0, %past, 0] [%kb, 4, %kn, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> into tensor<?x4x?x16xf32>
  %klen = arith.addi %past, %kn : index
  %k = tensor.extract_slice %kall[0, 0, 0, 0] [%kb, 4, %klen, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x4x?x16xf32>
  %vb = tensor.dim %vcache, %c0 : tensor<?x4x?x16xf32>
  %vn = tensor.dim %vnew, %c2 : tensor<?x4x?x16xf32>
  %vall = tensor.insert_slice %vnew into %vcache[0, 0, %past, 0] [%vb, 4, %vn, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> into tensor<?x4x?x16xf32>
  %vlen = arith.addi %past, %vn : index
  %v = tensor.extract_slice %vall[0, 0, 0, 0] [%vb, 4, %vlen, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x4x?x16xf32>
  %b = tensor.dim %knew, %c0 : tensor<?x4x?x16xf32>
  %b64 = arith.index_cast %b : index to i64
  %klen64 = arith.index_cast %klen : index to i64
  %vlen64 = arith.index_cast %vlen : index to i64
  %kshape = tensor.from_elements %b64, %c4_i64, %klen64, %c16_i64 : tensor<4xi64>
  %vshape = tensor.from_elements %b64, %c4_i64, %vlen64, %c16_i64 : tensor<4xi64>
  %ku = genc.unsqueeze %k {axes = array<i64: 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x1x?x16xf32>
  %kr = genc.reshape %ku, %kshape : (tensor<?x4x1x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %vu = genc.unsqueeze %v {axes = array<i64: 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x1x?x16xf32>
  %vr = genc.reshape %vu, %vshape : (tensor<?x4x1x?x16xf32>, tensor<4xi64>) -> tensor<?x4x?x16xf32>
  %kt = genc.transpose %kr {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.div %s, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %scaled {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %vr : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Gemma 2: the scaled scores soft-capped, 50 · tanh(x / 50), then the
// mask: `softcap`, and `mask_after_softcap` (genc.attention's own order,
// ONNX's, adds the mask first).
// CHECK-LABEL: func.func @softcap_then_mask
// CHECK: %[[Y:.+]] = genc.attention %arg0, %arg1, %arg2 mask(%arg3) {mask_after_softcap = true, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32}
// CHECK-NOT: genc.tanh
// CHECK: return %[[Y]]
func.func @softcap_then_mask(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>,
                             %mask: tensor<1x1x8x8xf32>) -> tensor<1x4x8x16xf32> {
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %cap = arith.constant dense<50.0> : tensor<f32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %s = genc.matmul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %scaled = genc.mul %s, %quarter : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %d = genc.div %scaled, %cap : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %t = genc.tanh %d : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %capped = genc.mul %t, %cap : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %masked = genc.add %capped, %mask : (tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %y = genc.matmul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// The mask first, then the soft-cap: genc.attention's own order.
// CHECK-LABEL: func.func @mask_then_softcap
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%arg3) {scale = 2.500000e-01 : f32, softcap = 3.000000e+01 : f32}
func.func @mask_then_softcap(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>,
                             %mask: tensor<1x1x8x8xf32>) -> tensor<1x4x8x16xf32> {
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %cap = arith.constant dense<30.0> : tensor<f32>
  %inverse = arith.constant dense<0.0333333351> : tensor<f32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %s = genc.matmul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %scaled = genc.mul %s, %quarter : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %masked = genc.add %scaled, %mask : (tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x4x8x8xf32>
  %d = genc.mul %masked, %inverse : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %t = genc.tanh %d : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %capped = genc.mul %cap, %t : (tensor<f32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = genc.softmax %capped {axis = 3 : i64} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %y = genc.matmul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y : tensor<1x4x8x16xf32>
}

// -----

// Masks on both sides of a soft-cap, or a tanh that is not one (the
// factors differ): left as they are.
// CHECK-LABEL: func.func @softcap_not_raised
// CHECK-NOT: genc.attention
// CHECK: genc.softmax
// CHECK: genc.softmax
func.func @softcap_not_raised(%q: tensor<1x4x8x16xf32>, %k: tensor<1x4x8x16xf32>, %v: tensor<1x4x8x16xf32>,
                              %mask: tensor<1x1x8x8xf32>) -> (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) {
  %cap = arith.constant dense<50.0> : tensor<f32>
  %other = arith.constant dense<40.0> : tensor<f32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x4x8x16xf32> -> tensor<1x4x16x8xf32>
  %s = genc.matmul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %m1 = genc.add %s, %mask : (tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x4x8x8xf32>
  %d = genc.div %m1, %cap : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %t = genc.tanh %d : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %capped = genc.mul %t, %cap : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %m2 = genc.add %capped, %mask : (tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32>) -> tensor<1x4x8x8xf32>
  %p = genc.softmax %m2 {axis = 3 : i64} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %y = genc.matmul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %s2 = genc.matmul %q, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %d2 = genc.div %s2, %other : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %t2 = genc.tanh %d2 : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %c2 = genc.mul %t2, %cap : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p2 = genc.softmax %c2 {axis = 3 : i64} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %y2 = genc.matmul %p2, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  return %y, %y2 : tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>
}

// -----

// masked_fill's spelling, Where(C, F, S): with C = Not(keep), `keep` is the
// fill's condition (the causal table of @gpt2 would become `causal`);
// otherwise the mask is Where(C, F, 0). A fill before the scale (GPT-J's
// Where(C, S, F) / 4) is scaled with the scores: the mask's F / 4.
// CHECK-LABEL: func.func @masked_fill_and_fill_before_scale
// CHECK-DAG: %[[ZERO:.+]] = arith.constant dense<0.000000e+00> : tensor<f32>
// CHECK-DAG: %[[MIN:.+]] = arith.constant dense<-3.40282347E+38> : tensor<f32>
// CHECK-DAG: %[[QUARTER_MIN:.+]] = arith.constant dense<-8.50705867E+37> : tensor<f32>
// CHECK: %[[KEPT:.+]] = genc.where %arg3, %[[ZERO]], %[[MIN]]
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[KEPT]]) {scale = 2.500000e-01 : f32}
// CHECK: %[[HIDDEN:.+]] = genc.where %arg4, %[[MIN]], %[[ZERO]]
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[HIDDEN]]) {scale = 2.500000e-01 : f32}
// CHECK: %[[SCALED:.+]] = genc.where %arg3, %[[ZERO]], %[[QUARTER_MIN]]
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[SCALED]]) {scale = 2.500000e-01 : f32}
// CHECK-NOT: genc.softmax
func.func @masked_fill_and_fill_before_scale(
    %q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
    %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "total", ""]},
    %keep: tensor<1x1x?x?xi1> {genc.dim_names = ["", "", "sequence", "total"]},
    %hide: tensor<1x1x?x?xi1> {genc.dim_names = ["", "", "sequence", "total"]})
    -> (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) {
  %four = arith.constant dense<4.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %s1 = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d1 = genc.div %s1, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %not = genc.not %keep : tensor<1x1x?x?xi1> -> tensor<1x1x?x?xi1>
  %f1 = genc.where %not, %min, %d1 : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p1 = genc.softmax %f1 {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y1 = genc.matmul %p1, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %s2 = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d2 = genc.div %s2, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %f2 = genc.where %hide, %min, %d2 : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p2 = genc.softmax %f2 {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y2 = genc.matmul %p2, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %s3 = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %f3 = genc.where %keep, %s3, %min : (tensor<1x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %d3 = genc.div %f3, %four : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p3 = genc.softmax %d3 {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y3 = genc.matmul %p3, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y1, %y2, %y3 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
}

// -----

// Mistral's sliding window built in the graph: Tril(ones[Sq, T], T - Sq) &
// Triu(ones[Sq, T], T - Sq - (W - 1)), here W = 4, And-ed before the
// Unsqueezes and then with the padding. The pair becomes `causal` with
// `window` 4; the mask keeps the padding alone.
// CHECK-LABEL: func.func @tril_triu_window
// CHECK-NOT: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%{{.+}}) {causal = true, scale = 2.500000e-01 : f32, window = 4 : i64} : ({{.+}}, tensor<?x1x1x?xf32>)
func.func @tril_triu_window(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                            %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                            %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                            %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c-3 = arith.constant -3 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %past = arith.subi %t, %s : index
  %past64 = arith.index_cast %past : index to i64
  %diagonal = tensor.from_elements %past64 : tensor<i64>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %oldest = arith.addi %past, %c-3 : index
  %oldest64 = arith.index_cast %oldest : index to i64
  %band = tensor.from_elements %oldest64 : tensor<i64>
  %triu = genc.trilu %ones, %band : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %window = genc.and %tril, %triu : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %causal = genc.unsqueeze %window {axes = array<i64: 0, 1>} : tensor<?x?xi1> -> tensor<1x1x?x?xi1>
  %m1 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %pad = genc.cast %m1 {to = i1} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xi1>
  %allowed = genc.and %causal, %pad : (tensor<1x1x?x?xi1>, tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xi1>
  %mask = genc.where %allowed, %zero, %min : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// MPT's masks for masked_fill: the keys to hide, Triu(ones[Sq, T], T - Sq +
// 1) | Not(padding). The triangle becomes `causal`; what is left hides the
// padding: Where(Not(padding), min, 0).
// CHECK-LABEL: func.func @masked_fill_causal
// CHECK-NOT: genc.trilu
// CHECK: %[[PAD:.+]] = genc.where %{{.+}}, %{{.+}}, %{{.+}} : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x1x1x?xf32>
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[PAD]]) {causal = true, scale = 2.500000e-01 : f32}
func.func @masked_fill_causal(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                              %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                              %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                              %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> tensor<?x4x?x16xf32> {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %past = arith.subi %t, %s : index
  %after = arith.addi %past, %c1 : index
  %after64 = arith.index_cast %after : index to i64
  %diagonal = tensor.from_elements %after64 : tensor<i64>
  %triu = genc.trilu %ones, %diagonal : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %later = genc.unsqueeze %triu {axes = array<i64: 0, 1>} : tensor<?x?xi1> -> tensor<1x1x?x?xi1>
  %m1 = genc.unsqueeze %attention_mask {axes = array<i64: 1, 2>} : tensor<?x?xi64> -> tensor<?x1x1x?xi64>
  %pad = genc.cast %m1 {to = i1} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xi1>
  %padding = genc.not %pad : tensor<?x1x1x?xi1> -> tensor<?x1x1x?xi1>
  %hidden = genc.or %later, %padding : (tensor<1x1x?x?xi1>, tensor<?x1x1x?xi1>) -> tensor<?x1x?x?xi1>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.where %hidden, %min, %scaled : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %p, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Near misses stay masks: keys to hide from T - Sq + 2 on (not the causal
// limit) are a mask, not `causal`; beside the causal Tril, a Triu that
// starts after its diagonal is no window and stays a mask beside `causal`.
// CHECK-LABEL: func.func @triangles_that_are_not_causal
// CHECK: genc.trilu %{{.+}}, %{{.+}} :
// CHECK-NOT: genc.trilu
// CHECK: genc.attention {{.+}} {scale = 2.500000e-01 : f32}
// CHECK: genc.attention {{.+}} {causal = true, scale = 2.500000e-01 : f32}
func.func @triangles_that_are_not_causal(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                         %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                                         %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "keys", ""]},
                                         %attention_mask: tensor<?x?xi64> {genc.dim_names = ["batch", "total"]}) -> (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %t = tensor.dim %attention_mask, %c1 : tensor<?x?xi64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %shape = tensor.from_elements %s64, %t64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %past = arith.subi %t, %s : index
  %past64 = arith.index_cast %past : index to i64
  %diagonal = tensor.from_elements %past64 : tensor<i64>
  %after2 = arith.addi %past, %c2 : index
  %after2_64 = arith.index_cast %after2 : index to i64
  %skip = tensor.from_elements %after2_64 : tensor<i64>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %hidden = genc.trilu %ones, %skip : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %s1 = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d1 = genc.mul %s1, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %f1 = genc.where %hidden, %min, %d1 : (tensor<?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %p1 = genc.softmax %f1 {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y1 = genc.matmul %p1, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %band = genc.and %tril, %hidden : (tensor<?x?xi1>, tensor<?x?xi1>) -> tensor<?x?xi1>
  %s2 = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %d2 = genc.mul %s2, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %f2 = genc.where %band, %d2, %min : (tensor<?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %p2 = genc.softmax %f2 {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y2 = genc.matmul %p2, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y1, %y2 : tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
}

// -----

// T5: a relative-position bias added to the square causal table. The table
// becomes `causal`, the bias stays the mask.
// CHECK-LABEL: func.func @tril_square_plus_bias(
// CHECK-NOT: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%arg3) {causal = true, scale = 1.000000e+00 : f32}
func.func @tril_square_plus_bias(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                 %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                 %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                 %bias: tensor<1x4x?x?xf32> {genc.dim_names = ["", "", "sequence", "sequence"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %diagonal = arith.constant dense<0> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %causal = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %mask = genc.add %bias, %causal : (tensor<1x4x?x?xf32>, tensor<?x?xf32>) -> tensor<1x4x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<1x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Meta's LLaMA: the additive mask Triu(full([S, S], -inf), 1) is `causal`.
// CHECK-LABEL: func.func @triu_filled(
// CHECK-NOT: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 {causal = true, scale = 2.500000e-01 : f32}
func.func @triu_filled(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                       %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                       %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %above = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %full = genc.constant_of_shape %shape {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %triu = genc.trilu %full, %above {upper = true} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %mask = genc.unsqueeze %triu {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %scaled = genc.mul %scores, %quarter : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scaled, %mask : (tensor<?x4x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// A relative-position bias plus (the unsqueezed causal Where plus padding):
// the causal term leaves the sum, the bias plus the padding stays the mask.
// CHECK-LABEL: func.func @bias_plus_causal_plus_padding(
// CHECK: %[[MASK:.+]] = genc.add %arg3, %arg4
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(%[[MASK]]) {causal = true
func.func @bias_plus_causal_plus_padding(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                         %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                         %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                         %bias: tensor<1x4x?x?xf32> {genc.dim_names = ["", "", "sequence", "sequence"]},
                                         %padding: tensor<?x1x1x?xf32> {genc.dim_names = ["batch", "", "", "sequence"]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %diagonal = arith.constant dense<0> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<true> : tensor<1xi1>} : (tensor<2xi64>) -> tensor<?x?xi1>
  %tril = genc.trilu %ones, %diagonal {upper = false} : (tensor<?x?xi1>, tensor<i64>) -> tensor<?x?xi1>
  %causal2 = genc.where %tril, %zero, %min : (tensor<?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<?x?xf32>
  %causal = genc.unsqueeze %causal2 {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %hidden = genc.add %causal, %padding : (tensor<1x1x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x1x?x?xf32>
  %mask = genc.add %bias, %hidden : (tensor<1x4x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %mask : (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}

// -----

// Triu(full(-inf), 0) hides the diagonal too: not `causal`, it stays a mask.
// CHECK-LABEL: func.func @triu_filled_diagonal(
// CHECK: genc.trilu
// CHECK: genc.attention %arg0, %arg1, %arg2 mask(
// CHECK-NOT: causal
func.func @triu_filled_diagonal(%q: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                %k: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]},
                                %v: tensor<?x4x?x16xf32> {genc.dim_names = ["batch", "", "sequence", ""]}) -> tensor<?x4x?x16xf32> {
  %c2 = arith.constant 2 : index
  %diagonal = arith.constant dense<0> : tensor<i64>
  %s = tensor.dim %q, %c2 : tensor<?x4x?x16xf32>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %full = genc.constant_of_shape %shape {value = dense<0xFF800000> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  %triu = genc.trilu %full, %diagonal {upper = true} : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<?x4x?x16xf32> -> tensor<?x4x16x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  %masked = genc.add %scores, %triu : (tensor<?x4x?x?xf32>, tensor<?x?xf32>) -> tensor<?x4x?x?xf32>
  %pr = genc.softmax %masked {axis = 3 : i64} : tensor<?x4x?x?xf32> -> tensor<?x4x?x?xf32>
  %y = genc.matmul %pr, %v : (tensor<?x4x?x?xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  return %y : tensor<?x4x?x16xf32>
}
