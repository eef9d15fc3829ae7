// RUN: genc-opt --genc-expose-matmul-inputs %s | FileCheck %s

// One result per distinct input of a matmul by constant weights, named
// after the first such matmul's ONNX node: the Q and K projections share
// theirs, the Gemm (B transposed) gets its own, the product of two
// activations (scores) none. The model's own result stays first and
// unchanged.
// CHECK-LABEL: func.func @block
// CHECK-SAME: -> (tensor<?x4xf32> {genc.name = "out"},
// CHECK-SAME: tensor<?x4xf32> {genc.name = "matmul_input:/q_proj/MatMul"},
// CHECK-SAME: tensor<?x4xf32> {genc.name = "matmul_input:/o_proj/Gemm"},
// CHECK-SAME: tensor<?x4xf32> {genc.name = "matmul_input:"})
// CHECK: %[[A:.+]] = genc.matmul %{{.+}}, %{{.+}} : (tensor<?x?xf32>, tensor<?x4xf32>)
// CHECK: %[[O:.+]] = genc.gemm %[[A]]
// CHECK: %[[U:.+]] = genc.matmul %[[O]]
// CHECK: return %[[U]], %arg0, %[[A]], %[[O]] :
func.func @block(%x: tensor<?x4xf32> {genc.name = "x"}) -> (tensor<?x4xf32> {genc.name = "out"}) {
  %wq = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0]]> : tensor<4x4xf32>
  %wk = arith.constant dense<[[2.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 5.0]]> : tensor<4x4xf32>
  %q = genc.matmul %x, %wq : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/q_proj/MatMul")
  %k = genc.matmul %x, %wk : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/k_proj/MatMul")
  %kt = genc.transpose %k {perm = array<i64: 1, 0>} : tensor<?x4xf32> -> tensor<4x?xf32>
  %s = genc.matmul %q, %kt : (tensor<?x4xf32>, tensor<4x?xf32>) -> tensor<?x?xf32> loc("/scores/MatMul")
  %a = genc.matmul %s, %q : (tensor<?x?xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %o = genc.gemm %a, %wk {trans_b = true} : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32> loc("/o_proj/Gemm")
  %u = genc.matmul %o, %wq : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %u : tensor<?x4xf32>
}
