// RUN: genc-opt --genc-call-cpu-kernels --split-input-file %s | FileCheck %s

#lhs = affine_map<(b, m, k, n) -> (b, m, k)>
#rhs = affine_map<(b, m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(b, m, k, n) -> (b, m, n)>

// A marked matmul on buffers becomes one kernel call: C, A, B as unranked
// memrefs (strided views included), then B's layout (1: 32-wide panels).
// CHECK-LABEL: func.func @panels
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[C:.+]] = memref.cast %arg2 : memref<?x?x40xf32> to memref<*xf32>
// CHECK-DAG: %[[A:.+]] = memref.cast %arg0 : memref<?x?x3xf32, strided<[?, ?, 1], offset: ?>> to memref<*xf32>
// CHECK-DAG: %[[B:.+]] = memref.cast %arg1 : memref<2x3x32xf32> to memref<*xf32>
// CHECK-DAG: %[[LAYOUT:.+]] = arith.constant 1 : i64
// CHECK: call @genc_matmul_f32(%[[C]], %[[A]], %[[B]], %[[LAYOUT]])
// CHECK: func.func private @genc_matmul_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, i64)
// CHECK-SAME: llvm.emit_c_interface
func.func @panels(%a: memref<?x?x3xf32, strided<[?, ?, 1], offset: ?>>, %b: memref<2x3x32xf32>,
                  %c: memref<?x?x40xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x?x3xf32, strided<[?, ?, 1], offset: ?>>, memref<2x3x32xf32>)
      outs(%c : memref<?x?x40xf32>) attrs = {genc.matmul = "panels_32"} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// Not yet bufferized, or not f32: the loops stay.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: call
// CHECK: linalg.generic
// CHECK: linalg.generic
func.func @untouched(%a: tensor<?x3xf32>, %b: tensor<3x4xf32>, %c: tensor<?x4xf32>,
                     %i: memref<?x3xi32>, %j: memref<3x4xi32>, %k: memref<?x4xi32>) -> tensor<?x4xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<?x3xf32>, tensor<3x4xf32>) outs(%c : tensor<?x4xf32>)
      attrs = {genc.matmul = "row_major"} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%i, %j : memref<?x3xi32>, memref<3x4xi32>) outs(%k : memref<?x4xi32>)
      attrs = {genc.matmul = "row_major"} {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %p = arith.muli %x, %y : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return %r : tensor<?x4xf32>
}
