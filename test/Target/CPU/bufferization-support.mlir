// RUN: genc-opt --genc-decompose-concat %s | FileCheck %s --check-prefix=CONCAT
// RUN: genc-opt --genc-copies-to-loops %s | FileCheck %s --check-prefix=COPY

// CONCAT-LABEL: func.func @concat
// CONCAT-NOT: tensor.concat
// CONCAT: tensor.empty
// CONCAT: tensor.insert_slice %{{.*}} into %{{.*}}[0, 0] [2, 3]
// CONCAT: tensor.insert_slice %{{.*}} into %{{.*}}[2, 0] [1, 3]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<3x3xf32> {
  %r = tensor.concat dim(0) %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
  return %r : tensor<3x3xf32>
}

// COPY-LABEL: func.func @copy
// COPY-NOT: memref.copy
// COPY: linalg.copy ins(%{{.*}} : memref<4xf32, strided<[2]>>) outs(%{{.*}} : memref<4xf32>)
func.func @copy(%a: memref<4xf32, strided<[2]>>, %b: memref<4xf32>) {
  memref.copy %a, %b : memref<4xf32, strided<[2]>> to memref<4xf32>
  return
}
