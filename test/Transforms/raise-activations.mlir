// RUN: genc-opt --genc-raise-activations --split-input-file %s | FileCheck %s

// GELU as torch exports it before opset 20: x · (1 + erf(x / √2)) · ½.
// CHECK-LABEL: func.func @gelu_erf(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x256xf32>
// CHECK-NOT: genc.erf
// CHECK: %[[Y:.+]] = genc.gelu %[[X]] : tensor<?x256xf32> -> tensor<?x256xf32>
// CHECK-NEXT: return %[[Y]]
func.func @gelu_erf(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %0 = genc.div %x, %sqrt2 : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %1 = genc.erf %0 : tensor<?x256xf32> -> tensor<?x256xf32>
  %2 = genc.add %1, %one : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %3 = genc.mul %x, %2 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %4 = genc.mul %3, %half : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  return %4 : tensor<?x256xf32>
}

// -----

// The tanh form, x³ as x · (x · x) (torch's approximate="tanh"), and as
// Pow(x, 3) with ½ · x first (Hugging Face's NewGELU).
// CHECK-LABEL: func.func @gelu_tanh(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x256xf32>
// CHECK-NOT: genc.tanh
// CHECK: %[[A:.+]] = genc.gelu %[[X]] {tanh_approximation = true}
// CHECK-NEXT: %[[B:.+]] = genc.gelu %[[A]] {tanh_approximation = true}
// CHECK-NEXT: return %[[B]]
func.func @gelu_tanh(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %c = arith.constant dense<0.0447149985> : tensor<f32>
  %k = arith.constant dense<0.797884583> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %three = arith.constant dense<3.0> : tensor<f32>
  %0 = genc.mul %x, %x : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %1 = genc.mul %x, %0 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %2 = genc.mul %1, %c : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %3 = genc.add %x, %2 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %4 = genc.mul %3, %k : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %5 = genc.tanh %4 : tensor<?x256xf32> -> tensor<?x256xf32>
  %6 = genc.add %5, %one : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %7 = genc.mul %x, %6 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %a = genc.mul %7, %half : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %10 = genc.mul %half, %a : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %11 = genc.pow %a, %three : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %12 = genc.mul %c, %11 : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %13 = genc.add %a, %12 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %14 = genc.mul %k, %13 : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %15 = genc.tanh %14 : tensor<?x256xf32> -> tensor<?x256xf32>
  %16 = genc.add %one, %15 : (tensor<f32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %17 = genc.mul %10, %16 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  return %17 : tensor<?x256xf32>
}

// -----

// SiLU: x · sigmoid(x), either order.
// CHECK-LABEL: func.func @silu(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x172xf32>
// CHECK-NEXT: %[[Y:.+]] = genc.silu %[[X]] : tensor<?x172xf32> -> tensor<?x172xf32>
// CHECK-NEXT: return %[[Y]]
func.func @silu(%x: tensor<?x172xf32>) -> tensor<?x172xf32> {
  %0 = genc.sigmoid %x : tensor<?x172xf32> -> tensor<?x172xf32>
  %1 = genc.mul %0, %x : (tensor<?x172xf32>, tensor<?x172xf32>) -> tensor<?x172xf32>
  return %1 : tensor<?x172xf32>
}

// -----

// Not activations of x: erf(x / 2) (another function), x · sigmoid(y), a
// sigmoid something else reads, and a GELU whose ½ broadcasts x wider.
// CHECK-LABEL: func.func @not_activations(
// CHECK-NOT: genc.gelu
// CHECK-NOT: genc.silu
// CHECK: return
func.func @not_activations(%x: tensor<?x256xf32>, %y: tensor<?x256xf32>)
    -> (tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<1x?x256xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %0 = genc.div %x, %two : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %1 = genc.erf %0 : tensor<?x256xf32> -> tensor<?x256xf32>
  %2 = genc.add %1, %one : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %3 = genc.mul %x, %2 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %4 = genc.mul %3, %half : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %5 = genc.sigmoid %y : tensor<?x256xf32> -> tensor<?x256xf32>
  %6 = genc.mul %x, %5 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %7 = genc.sigmoid %x : tensor<?x256xf32> -> tensor<?x256xf32>
  %8 = genc.mul %x, %7 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %wide = arith.constant dense<0.5> : tensor<1x1x1xf32>
  %9 = genc.div %y, %sqrt2 : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %10 = genc.erf %9 : tensor<?x256xf32> -> tensor<?x256xf32>
  %11 = genc.add %10, %one : (tensor<?x256xf32>, tensor<f32>) -> tensor<?x256xf32>
  %12 = genc.mul %y, %11 : (tensor<?x256xf32>, tensor<?x256xf32>) -> tensor<?x256xf32>
  %13 = genc.mul %12, %wide : (tensor<?x256xf32>, tensor<1x1x1xf32>) -> tensor<1x?x256xf32>
  return %4, %6, %8, %7, %13 : tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<?x256xf32>, tensor<1x?x256xf32>
}
