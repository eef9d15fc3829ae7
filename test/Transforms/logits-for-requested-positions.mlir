// RUN: genc-opt --genc-logits-for-requested-positions --split-input-file %s | FileCheck %s

// The LM head's input keeps its last min(K, S) positions; K is a new
// argument, the bias add stays after the matmul.
// CHECK-LABEL: func.func @lm_head
// CHECK-SAME: (%[[H:[^:]+]]: tensor<?x?x4xf32>, %[[K:[^:]+]]: tensor<i64> {genc.name = "genc.logits_positions"})
// CHECK: %[[K64:.+]] = tensor.extract %[[K]][]
// CHECK: %[[KI:.+]] = arith.index_cast %[[K64]]
// CHECK: %[[S:.+]] = tensor.dim %[[H]], %c1
// CHECK: %[[KEPT:.+]] = arith.minsi %[[KI]], %[[S]]
// CHECK: %[[START:.+]] = arith.subi %[[S]], %[[KEPT]]
// CHECK: %[[LAST:.+]] = tensor.extract_slice %[[H]][0, %[[START]], 0] [%{{.+}}, %[[KEPT]], 4] [1, 1, 1]
// CHECK: %[[L:.+]] = genc.matmul %[[LAST]], %{{.+}}
// CHECK: %[[B:.+]] = genc.add %[[L]], %{{.+}}
// CHECK: return %[[B]]
func.func @lm_head(%h: tensor<?x?x4xf32>) -> (tensor<?x?x8xf32> {genc.name = "logits"}) {
  %w = arith.constant dense<1.0> : tensor<4x8xf32>
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %l = genc.matmul %h, %w : (tensor<?x?x4xf32>, tensor<4x8xf32>) -> tensor<?x?x8xf32>
  %r = genc.add %l, %b : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----

// A result not named logits, or a matmul by something that is not a
// weight, is left alone.
// CHECK-LABEL: func.func @not_a_head
// CHECK-NOT: genc.logits_positions
// CHECK-NOT: tensor.extract_slice
func.func @not_a_head(%h: tensor<?x?x4xf32>, %w: tensor<4x8xf32>) -> (tensor<?x?x8xf32> {genc.name = "logits"}, tensor<?x?x8xf32> {genc.name = "scores"}) {
  %c = arith.constant dense<1.0> : tensor<4x8xf32>
  %l = genc.matmul %h, %w : (tensor<?x?x4xf32>, tensor<4x8xf32>) -> tensor<?x?x8xf32>
  %s = genc.matmul %h, %c : (tensor<?x?x4xf32>, tensor<4x8xf32>) -> tensor<?x?x8xf32>
  return %l, %s : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
