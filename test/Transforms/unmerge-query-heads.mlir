// RUN: genc-opt --genc-unmerge-query-heads --split-input-file %s | FileCheck %s

// GPTBigCode's multi-query attention: q [B, S, 4·16] merged to [B, S·4,
// 16], times the key head [B, 16, T], scaled, plus zeros (baddbmm), viewed
// [B, S, 4, T] for the mask and the softmax, merged back for the value
// head [B, T, 16], merged to [B, S, 64]. Afterwards: q [B, 4, S, 16], the
// key and value one broadcast head, the mask unsqueezed before the
// queries, the zeros gone, the result transposed back and merged to the
// same shape.
// CHECK-LABEL: func.func @merged_heads
// CHECK: %[[SPLIT:.+]] = genc.reshape %arg0, %{{.+}} : (tensor<?x?x64xf32>, tensor<4xi64>) -> tensor<?x?x4x16xf32>
// CHECK: %[[Q:.+]] = genc.transpose %[[SPLIT]] {perm = array<i64: 0, 2, 1, 3>} : tensor<?x?x4x16xf32> -> tensor<?x4x?x16xf32>
// CHECK: %[[K1:.+]] = genc.unsqueeze %arg1 {axes = array<i64: 1>} : tensor<?x?x16xf32> -> tensor<?x1x?x16xf32>
// CHECK: %[[KT:.+]] = genc.transpose %[[K1]] {perm = array<i64: 0, 1, 3, 2>}
// CHECK: %[[S:.+]] = genc.matmul %[[Q]], %[[KT]] : (tensor<?x4x?x16xf32>, tensor<?x1x16x?xf32>) -> tensor<?x4x?x?xf32>
// CHECK: %[[SCALED:.+]] = genc.mul %[[S]], %{{.+}} : (tensor<?x4x?x?xf32>, tensor<f32>)
// CHECK: %[[MASK:.+]] = genc.unsqueeze %arg3 {axes = array<i64: 1>} : tensor<?x?x?xi1> -> tensor<?x1x?x?xi1>
// CHECK: %[[MASKED:.+]] = genc.where %[[MASK]], %[[SCALED]], %{{.+}} : (tensor<?x1x?x?xi1>, tensor<?x4x?x?xf32>, tensor<f32>)
// CHECK: %[[P:.+]] = genc.softmax %[[MASKED]] {axis = 3 : i64} : tensor<?x4x?x?xf32>
// CHECK: %[[V:.+]] = genc.unsqueeze %arg2 {axes = array<i64: 1>} : tensor<?x?x16xf32> -> tensor<?x1x?x16xf32>
// CHECK: %[[O:.+]] = genc.matmul %[[P]], %[[V]] : (tensor<?x4x?x?xf32>, tensor<?x1x?x16xf32>) -> tensor<?x4x?x16xf32>
// CHECK: %[[OT:.+]] = genc.transpose %[[O]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: %[[Y:.+]] = genc.reshape %[[OT]], %{{.+}} : (tensor<?x?x4x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
// CHECK: return %[[Y]]
// CHECK-NOT: genc.constant_of_shape
func.func @merged_heads(%q: tensor<?x?x64xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>,
                        %mask: tensor<?x?x?xi1>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %c64_i64 = arith.constant 64 : i64
  %scale = arith.constant dense<2.500000e-01> : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %b = tensor.dim %q, %c0 : tensor<?x?x64xf32>
  %s = tensor.dim %q, %c1 : tensor<?x?x64xf32>
  %t = tensor.dim %k, %c1 : tensor<?x?x16xf32>
  %rows = arith.muli %s, %c4 : index
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %rows64 = arith.index_cast %rows : index to i64
  %merge_shape = tensor.from_elements %b64, %rows64, %c16_i64 : tensor<3xi64>
  %merged = genc.reshape %q, %merge_shape : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 2, 1>} : tensor<?x?x16xf32> -> tensor<?x16x?xf32>
  %scores_shape = tensor.from_elements %b64, %rows64, %t64 : tensor<3xi64>
  %zeros = genc.constant_of_shape %scores_shape {value = dense<0.000000e+00> : tensor<1xf32>} : (tensor<3xi64>) -> tensor<?x?x?xf32>
  %product = genc.matmul %merged, %kt : (tensor<?x?x16xf32>, tensor<?x16x?xf32>) -> tensor<?x?x?xf32>
  %scaled = genc.mul %product, %scale : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %beta = genc.mul %zeros, %one : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %scores = genc.add %scaled, %beta : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %view_shape = tensor.from_elements %b64, %s64, %c4_i64, %t64 : tensor<4xi64>
  %view = genc.reshape %scores, %view_shape : (tensor<?x?x?xf32>, tensor<4xi64>) -> tensor<?x?x4x?xf32>
  %mask4 = genc.unsqueeze %mask {axes = array<i64: 2>} : tensor<?x?x?xi1> -> tensor<?x?x1x?xi1>
  %masked = genc.where %mask4, %view, %min : (tensor<?x?x1x?xi1>, tensor<?x?x4x?xf32>, tensor<f32>) -> tensor<?x?x4x?xf32>
  %probs = genc.softmax %masked {axis = 3 : i64} : tensor<?x?x4x?xf32> -> tensor<?x?x4x?xf32>
  %unview = genc.reshape %probs, %scores_shape : (tensor<?x?x4x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %out = genc.matmul %unview, %v : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %out_shape = tensor.from_elements %b64, %s64, %c64_i64 : tensor<3xi64>
  %y = genc.reshape %out, %out_shape : (tensor<?x?x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// A constant added before the view is kept (the zeros still go).
// CHECK-LABEL: func.func @shift_before_view
// CHECK: %[[S:.+]] = genc.matmul
// CHECK: %[[SCALED:.+]] = genc.mul %[[S]], %{{.+}} : (tensor<?x4x?x?xf32>, tensor<f32>)
// CHECK: genc.add %[[SCALED]], %{{.+}} : (tensor<?x4x?x?xf32>, tensor<f32>) -> tensor<?x4x?x?xf32>
// CHECK-NOT: genc.constant_of_shape
func.func @shift_before_view(%q: tensor<?x?x64xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>,
                        %mask: tensor<?x?x?xi1>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %c64_i64 = arith.constant 64 : i64
  %scale = arith.constant dense<2.500000e-01> : tensor<f32>
  %one = arith.constant dense<1.000000e+00> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %b = tensor.dim %q, %c0 : tensor<?x?x64xf32>
  %s = tensor.dim %q, %c1 : tensor<?x?x64xf32>
  %t = tensor.dim %k, %c1 : tensor<?x?x16xf32>
  %rows = arith.muli %s, %c4 : index
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %rows64 = arith.index_cast %rows : index to i64
  %merge_shape = tensor.from_elements %b64, %rows64, %c16_i64 : tensor<3xi64>
  %merged = genc.reshape %q, %merge_shape : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 2, 1>} : tensor<?x?x16xf32> -> tensor<?x16x?xf32>
  %scores_shape = tensor.from_elements %b64, %rows64, %t64 : tensor<3xi64>
  %zeros = genc.constant_of_shape %scores_shape {value = dense<0.000000e+00> : tensor<1xf32>} : (tensor<3xi64>) -> tensor<?x?x?xf32>
  %product = genc.matmul %merged, %kt : (tensor<?x?x16xf32>, tensor<?x16x?xf32>) -> tensor<?x?x?xf32>
  %scaled = genc.mul %product, %scale : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %beta = genc.mul %zeros, %one : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %zeroed = genc.add %scaled, %beta : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %scores = genc.add %zeroed, %one : (tensor<?x?x?xf32>, tensor<f32>) -> tensor<?x?x?xf32>
  %view_shape = tensor.from_elements %b64, %s64, %c4_i64, %t64 : tensor<4xi64>
  %view = genc.reshape %scores, %view_shape : (tensor<?x?x?xf32>, tensor<4xi64>) -> tensor<?x?x4x?xf32>
  %mask4 = genc.unsqueeze %mask {axes = array<i64: 2>} : tensor<?x?x?xi1> -> tensor<?x?x1x?xi1>
  %masked = genc.where %mask4, %view, %min : (tensor<?x?x1x?xi1>, tensor<?x?x4x?xf32>, tensor<f32>) -> tensor<?x?x4x?xf32>
  %probs = genc.softmax %masked {axis = 3 : i64} : tensor<?x?x4x?xf32> -> tensor<?x?x4x?xf32>
  %unview = genc.reshape %probs, %scores_shape : (tensor<?x?x4x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %out = genc.matmul %unview, %v : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %out_shape = tensor.from_elements %b64, %s64, %c64_i64 : tensor<3xi64>
  %y = genc.reshape %out, %out_shape : (tensor<?x?x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}

// -----

// Rows merged as heads then queries (q viewed [B, 4, S, 16] by an
// exporter) are not what the view splits: nothing changes.
// CHECK-LABEL: func.func @heads_before_queries
// CHECK: genc.softmax %{{.+}} {axis = 3 : i64} : tensor<?x?x4x?xf32>
// CHECK-NOT: genc.transpose
func.func @heads_before_queries(%q: tensor<?x?x64xf32>, %k: tensor<?x16x?xf32>,
                                %v: tensor<?x?x16xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c4_i64 = arith.constant 4 : i64
  %c16_i64 = arith.constant 16 : i64
  %c64_i64 = arith.constant 64 : i64
  %b = tensor.dim %q, %c0 : tensor<?x?x64xf32>
  %s = tensor.dim %q, %c1 : tensor<?x?x64xf32>
  %t = tensor.dim %k, %c2 : tensor<?x16x?xf32>
  %rows = arith.muli %s, %c4 : index
  %b64 = arith.index_cast %b : index to i64
  %s64 = arith.index_cast %s : index to i64
  %t64 = arith.index_cast %t : index to i64
  %rows64 = arith.index_cast %rows : index to i64
  %merge_shape = tensor.from_elements %b64, %rows64, %c16_i64 : tensor<3xi64>
  %merged = genc.reshape %q, %merge_shape : (tensor<?x?x64xf32>, tensor<3xi64>) -> tensor<?x?x16xf32>
  %product = genc.matmul %merged, %k : (tensor<?x?x16xf32>, tensor<?x16x?xf32>) -> tensor<?x?x?xf32>
  %view_shape = tensor.from_elements %b64, %t64, %c4_i64, %t64 : tensor<4xi64>
  %view = genc.reshape %product, %view_shape : (tensor<?x?x?xf32>, tensor<4xi64>) -> tensor<?x?x4x?xf32>
  %probs = genc.softmax %view {axis = 3 : i64} : tensor<?x?x4x?xf32> -> tensor<?x?x4x?xf32>
  %scores_shape = tensor.from_elements %b64, %rows64, %t64 : tensor<3xi64>
  %unview = genc.reshape %probs, %scores_shape : (tensor<?x?x4x?xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  %out = genc.matmul %unview, %v : (tensor<?x?x?xf32>, tensor<?x?x16xf32>) -> tensor<?x?x16xf32>
  %out_shape = tensor.from_elements %b64, %s64, %c64_i64 : tensor<3xi64>
  %y = genc.reshape %out, %out_shape : (tensor<?x?x16xf32>, tensor<3xi64>) -> tensor<?x?x64xf32>
  return %y : tensor<?x?x64xf32>
}
