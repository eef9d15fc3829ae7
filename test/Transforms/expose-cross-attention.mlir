// RUN: genc-opt --genc-expose-cross-attention --split-input-file %s | FileCheck %s

// Two layers, each with self-attention (keys from the target) and
// cross-attention (keys from the source): the result is the mean over
// heads of the second cross-attention's probabilities, not of the last
// softmax.
// CHECK-LABEL: func.func @decoder
// CHECK-SAME: -> (tensor<?x?x8xf32> {genc.name = "logits"}, tensor<?x?x?xf32> {genc.name = "cross_attentions"})
// CHECK-COUNT-2: genc.softmax
// CHECK: %[[CROSS2:.+]] = genc.softmax %{{.+}} {axis = 3 : i64}
// CHECK: genc.softmax
// CHECK: %[[MEAN:.+]] = genc.reduce_mean %[[CROSS2]] {axes = array<i64: 1>, keepdims = false} : tensor<?x2x?x?xf32> -> tensor<?x?x?xf32>
// CHECK: return %{{.+}}, %[[MEAN]]
func.func @decoder(%q: tensor<?x2x?x4xf32> {genc.name = "queries"},
                   %enc: tensor<?x2x4x?xf32> {genc.name = "encoder_hidden_states", genc.source},
                   %mask: tensor<?x1x1x?xf32> {genc.name = "encoder_attention_mask", genc.source},
                   %v: tensor<?x2x?x8xf32> {genc.name = "values"})
    -> (tensor<?x?x8xf32> {genc.name = "logits"}) {
  %scale = arith.constant dense<2.0> : tensor<f32>
  // Layer 1: self, then cross.
  %qt = genc.transpose %q {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s1 = genc.matmul %q, %qt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %p1 = genc.softmax %s1 {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %c1 = genc.matmul %q, %enc : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %c1s = genc.div %c1, %scale : (tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %c1m = genc.add %c1s, %mask : (tensor<?x2x?x?xf32>, tensor<?x1x1x?xf32>) -> tensor<?x2x?x?xf32>
  %cp1 = genc.softmax %c1m {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  // Layer 2: cross-attention first, then a self-attention softmax, so that
  // the last softmax of the function is not the one to return.
  %s2 = genc.matmul %p1, %q : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %c2 = genc.matmul %s2, %enc : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %c2m = genc.add %mask, %c2 : (tensor<?x1x1x?xf32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %cp2 = genc.softmax %c2m {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %s2t = genc.transpose %s2 {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s2s = genc.matmul %s2, %s2t : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %p2 = genc.softmax %s2s {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %both = genc.add %cp2, %p2 : (tensor<?x2x?x?xf32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = genc.matmul %both, %v : (tensor<?x2x?x?xf32>, tensor<?x2x?x8xf32>) -> tensor<?x2x?x8xf32>
  %l = genc.reduce_sum %o {axes = array<i64: 1>, keepdims = false} : tensor<?x2x?x8xf32> -> tensor<?x?x8xf32>
  return %l : tensor<?x?x8xf32>
}

// -----

// A decoder that returns cross_attentions already is left alone; so is a
// function with self-attention only.
// CHECK-LABEL: func.func @returns_it
// CHECK-SAME: -> (tensor<?x?x?xf32> {genc.name = "cross_attentions"})
// CHECK-NOT: genc.reduce_mean
// CHECK-LABEL: func.func @self_only
// CHECK-SAME: -> tensor<?x2x?x?xf32>
// CHECK-NOT: genc.reduce_mean
func.func @returns_it(%q: tensor<?x2x?x4xf32>, %enc: tensor<?x2x4x?xf32> {genc.source})
    -> (tensor<?x?x?xf32> {genc.name = "cross_attentions"}) {
  %c = genc.matmul %q, %enc : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %p = genc.softmax %c {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  %m = genc.reduce_sum %p {axes = array<i64: 1>, keepdims = false} : tensor<?x2x?x?xf32> -> tensor<?x?x?xf32>
  return %m : tensor<?x?x?xf32>
}
func.func @self_only(%q: tensor<?x2x?x4xf32>, %enc: tensor<?x2x4x?xf32> {genc.source}) -> tensor<?x2x?x?xf32> {
  %qt = genc.transpose %q {perm = array<i64: 0, 1, 3, 2>} : tensor<?x2x?x4xf32> -> tensor<?x2x4x?xf32>
  %s = genc.matmul %q, %qt : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %p = genc.softmax %s {axis = 3 : i64} : tensor<?x2x?x?xf32> -> tensor<?x2x?x?xf32>
  return %p : tensor<?x2x?x?xf32>
}
