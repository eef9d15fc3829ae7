// RUN: genc-opt --genc-fill-per-use %s | FileCheck %s

// One filled tensor (CSE merged the fills) as the destination of two
// matmuls: each gets its own fill of its own empty tensor, right before
// it, so that bufferization writes both in place with no copy.
// CHECK-LABEL: func.func @shared_zeros
// CHECK: %[[E1:.+]] = tensor.empty() : tensor<4x5xf32>
// CHECK: %[[F1:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E1]] : tensor<4x5xf32>)
// CHECK: linalg.matmul ins(%arg0, %arg1 : {{.*}}) outs(%[[F1]] : tensor<4x5xf32>)
// CHECK: %[[E2:.+]] = tensor.empty() : tensor<4x5xf32>
// CHECK: %[[F2:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E2]] : tensor<4x5xf32>)
// CHECK: linalg.matmul ins(%arg0, %arg2 : {{.*}}) outs(%[[F2]] : tensor<4x5xf32>)
// CHECK-NOT: linalg.fill
func.func @shared_zeros(%a: tensor<4x3xf32>, %b: tensor<3x5xf32>, %c: tensor<3x5xf32>)
    -> (tensor<4x5xf32>, tensor<4x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x5xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x5xf32>) -> tensor<4x5xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x5xf32>) outs(%f : tensor<4x5xf32>) -> tensor<4x5xf32>
  %1 = linalg.matmul ins(%a, %c : tensor<4x3xf32>, tensor<3x5xf32>) outs(%f : tensor<4x5xf32>) -> tensor<4x5xf32>
  return %0, %1 : tensor<4x5xf32>, tensor<4x5xf32>
}
