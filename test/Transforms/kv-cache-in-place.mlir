// RUN: genc-opt --genc-kv-cache-in-place --canonicalize --split-input-file %s | FileCheck %s

// present = Concat(past, new) becomes a write into the past buffer at the
// new past-length argument; attention reads the buffer's prefix, the
// past's shape reads P, and the present result is gone.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x2x?x8xf32>, %[[CACHE:[^:]+]]: tensor<1x2x?x8xf32> {genc.dim_names = ["batch", "", "", ""], genc.kv_cache, genc.name = "past_key_values.0.key"}, %[[NEW:[^:]+]]: tensor<1x2x?x8xf32>, %[[LEN:[^:]+]]: tensor<i64> {genc.name = "genc.past_length"})
// CHECK-SAME: -> (tensor<1x2x?x?xf32>, index)
// CHECK: %[[P64:.+]] = tensor.extract %[[LEN]][]
// CHECK: %[[P:.+]] = arith.index_cast %[[P64]]
// CHECK: %[[S:.+]] = tensor.dim %[[NEW]], %c2
// CHECK: %[[W:.+]] = tensor.insert_slice %[[NEW]] into %[[CACHE]][0, 0, %[[P]], 0] [1, 2, %[[S]], 8] [1, 1, 1, 1]
// CHECK: %[[T:.+]] = arith.addi %[[P]], %[[S]]
// CHECK: %[[K:.+]] = tensor.extract_slice %[[W]][0, 0, 0, 0] [1, 2, %[[T]], 8] [1, 1, 1, 1]
// CHECK: %[[SCORES:.+]] = genc.matmul %[[Q]], %{{.+}}
// CHECK-NOT: genc.concat
// CHECK: return %[[SCORES]], %[[P]] : tensor<1x2x?x?xf32>, index
func.func @layer(%q: tensor<1x2x?x8xf32>,
                 %past: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.key", genc.dim_names = ["batch", "", "past_sequence", ""]},
                 %new: tensor<1x2x?x8xf32>)
    -> (tensor<1x2x?x?xf32>, tensor<1x2x?x8xf32>, index) {
  %k = genc.concat %past, %new {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %kt = genc.transpose %k {perm = array<i64: 0, 1, 3, 2>} : tensor<1x2x?x8xf32> -> tensor<1x2x8x?xf32>
  %scores = genc.matmul %q, %kt : (tensor<1x2x?x8xf32>, tensor<1x2x8x?xf32>) -> tensor<1x2x?x?xf32>
  %c2 = arith.constant 2 : index
  %p = tensor.dim %past, %c2 : tensor<1x2x?x8xf32>
  return %scores, %k, %p : tensor<1x2x?x?xf32>, tensor<1x2x?x8xf32>, index
}

// -----

// A concat along another axis, or of values that are not arguments, is
// not a cache update: nothing changes.
// CHECK-LABEL: func.func @not_a_cache
// CHECK-NOT: genc.past_length
// CHECK: genc.concat
// CHECK: return
func.func @not_a_cache(%a: tensor<1x2x3x8xf32>, %b: tensor<1x2x3x8xf32>) -> tensor<1x2x3x16xf32> {
  %c = genc.concat %a, %b {axis = 3 : i64} : (tensor<1x2x3x8xf32>, tensor<1x2x3x8xf32>) -> tensor<1x2x3x16xf32>
  return %c : tensor<1x2x3x16xf32>
}
