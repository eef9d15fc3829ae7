// RUN: genc-opt --genc-convert-to-linalg --genc-fuse-elementwise --split-input-file %s | FileCheck %s

// A chain of elementwise ops becomes one generic computing every step.
// CHECK-LABEL: func.func @chain
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: arith.mulf
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @chain(%x: tensor<?x8xf32>, %y: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %a = genc.add %x, %y : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %m = genc.mul %a, %y : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %e = genc.exp %m : tensor<?x8xf32> -> tensor<?x8xf32>
  return %e : tensor<?x8xf32>
}

// -----

// A result read twice stays its own generic (fusing it would compute it
// twice).
// CHECK-LABEL: func.func @shared
// CHECK-COUNT-3: linalg.generic
func.func @shared(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %e = genc.exp %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %a = genc.add %e, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %m = genc.mul %e, %x : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %a, %m : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A consumer that broadcasts the producer's result does not absorb it: the
// producer would run once per broadcast copy.
// CHECK-LABEL: func.func @broadcast
// CHECK-COUNT-2: linalg.generic
func.func @broadcast(%x: tensor<?x8xf32>, %s: tensor<?x1xf32>) -> tensor<?x8xf32> {
  %r = genc.sqrt %s : tensor<?x1xf32> -> tensor<?x1xf32>
  %d = genc.div %x, %r : (tensor<?x8xf32>, tensor<?x1xf32>) -> tensor<?x8xf32>
  return %d : tensor<?x8xf32>
}

// -----

// A matmul for the CPU kernel keeps its operands' producers apart and
// stays a plain matmul generic, still marked.
// CHECK-LABEL: func.func @matmul_input
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: linalg.generic
// CHECK-SAME: genc.matmul = #genc.matmul<row_major, f32>
func.func @matmul_input(%x: tensor<?x8xf32>, %w: tensor<8x4xf32>) -> tensor<?x4xf32> {
  %e = genc.exp %x : tensor<?x8xf32> -> tensor<?x8xf32>
  %r = genc.matmul %e, %w : (tensor<?x8xf32>, tensor<8x4xf32>) -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// The chain of a bias add and GELU with dynamic sizes: each op's result
// size is asked of its producer (tensor.dim), which does not count as a
// second use, so the chain is still one generic.
// CHECK-LABEL: func.func @bias_gelu
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: math.erf
// CHECK: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @bias_gelu(%x: tensor<?x?x8xf32>, %b: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %a = genc.add %x, %b : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %e = genc.erf %a : tensor<?x?x8xf32> -> tensor<?x?x8xf32>
  %m = genc.mul %e, %a : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %m : tensor<?x?x8xf32>
}

// -----

// A splat constant of unsigned integers folds into the body as a signless
// constant (arith has no ui8 constant), and the chain that reads it is one
// generic that multiplies and adds in i8.
// CHECK-LABEL: func.func @unsigned_splat
// CHECK: %[[C:.+]] = arith.constant 3 : i8
// CHECK: linalg.generic
// CHECK-NOT: arith.constant
// CHECK: arith.muli %{{.+}}, %[[C]] : i8
// CHECK: arith.addi
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @unsigned_splat(%x: tensor<2x3xui8>) -> tensor<2x3xui8> {
  %c = arith.constant dense<3> : tensor<ui8>
  %m = genc.mul %x, %c : (tensor<2x3xui8>, tensor<ui8>) -> tensor<2x3xui8>
  %a = genc.add %m, %x : (tensor<2x3xui8>, tensor<2x3xui8>) -> tensor<2x3xui8>
  return %a : tensor<2x3xui8>
}
