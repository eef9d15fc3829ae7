// RUN: genc-opt --canonicalize %s | FileCheck %s

// Folding reads unsigned integers as unsigned, as the lowering does (200
// is not -56): division, remainder, max/min, comparisons and casts.
// CHECK-LABEL: func.func @fold_unsigned
// CHECK-DAG: %[[QUOTIENT:.+]] = arith.constant dense<66> : tensor<1xui8>
// CHECK-DAG: %[[REMAINDER:.+]] = arith.constant dense<4> : tensor<1xui8>
// CHECK-DAG: %[[MAX:.+]] = arith.constant dense<200> : tensor<1xui8>
// CHECK-DAG: %[[MIN:.+]] = arith.constant dense<3> : tensor<1xui8>
// CHECK-DAG: %[[GREATER:.+]] = arith.constant dense<true> : tensor<1xi1>
// CHECK-DAG: %[[FLOAT:.+]] = arith.constant dense<2.000000e+02> : tensor<1xf32>
// CHECK-DAG: %[[WIDE:.+]] = arith.constant dense<200> : tensor<1xi32>
// CHECK-DAG: %[[FROM_FLOAT:.+]] = arith.constant dense<40000> : tensor<1xui16>
// CHECK: return %[[QUOTIENT]], %[[REMAINDER]], %[[MAX]], %[[MIN]], %[[GREATER]], %[[FLOAT]], %[[WIDE]], %[[FROM_FLOAT]]
func.func @fold_unsigned() -> (tensor<1xui8>, tensor<1xui8>, tensor<1xui8>, tensor<1xui8>,
                               tensor<1xi1>, tensor<1xf32>, tensor<1xi32>, tensor<1xui16>) {
  %a = arith.constant dense<200> : tensor<1xui8>
  %b = arith.constant dense<3> : tensor<1xui8>
  %seven = arith.constant dense<7> : tensor<1xui8>
  %f = arith.constant dense<40000.0> : tensor<1xf32>
  %q = genc.div %a, %b : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xui8>
  %r = genc.mod %a, %seven : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xui8>
  %max = genc.max %a, %b : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xui8>
  %min = genc.min %a, %b : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xui8>
  %gt = genc.greater %a, %b : (tensor<1xui8>, tensor<1xui8>) -> tensor<1xi1>
  %tf = genc.cast %a {to = f32} : tensor<1xui8> -> tensor<1xf32>
  %ti = genc.cast %a {to = i32} : tensor<1xui8> -> tensor<1xi32>
  %tu = genc.cast %f {to = ui16} : tensor<1xf32> -> tensor<1xui16>
  return %q, %r, %max, %min, %gt, %tf, %ti, %tu
      : tensor<1xui8>, tensor<1xui8>, tensor<1xui8>, tensor<1xui8>,
        tensor<1xi1>, tensor<1xf32>, tensor<1xi32>, tensor<1xui16>
}
