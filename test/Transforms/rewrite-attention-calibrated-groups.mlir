// RUN: genc-opt --genc-rewrite-attention="spec=gqa:2:calibrated" %s | FileCheck %s

// A GQA source (8 query heads, 4 KV heads) to gqa:2:calibrated: group g
// holds KV heads 2g and 2g + 1 (members r = 0, 1: the strided slices
// {0, 2} and {1, 3}); query head h reads KV head h / 2 and takes that
// head's key map, M[k] = k + 1 for KV head k (head size 1).
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[QMAPS:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}1.000000e+00]], {{\[\[}}2.000000e+00]], {{\[\[}}2.000000e+00]], {{\[\[}}3.000000e+00]], {{\[\[}}3.000000e+00]], {{\[\[}}4.000000e+00]], {{\[\[}}4.000000e+00]]]]> : tensor<1x8x1x1xf32>
// CHECK-DAG: %[[M0:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00]], {{\[\[}}3.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[M1:.+]] = arith.constant dense<{{\[\[\[\[}}2.000000e+00]], {{\[\[}}4.000000e+00]]]]> : tensor<1x2x1x1xf32>
// CHECK-DAG: %[[K0:.+]] = tensor.extract_slice %arg1[0, 0, 0, 0] [%{{.+}}, 2, %{{.+}}, 1] [1, 2, 1, 1]
// CHECK-DAG: genc.matmul %[[K0]], %[[M0]]
// CHECK-DAG: %[[K1:.+]] = tensor.extract_slice %arg1[0, 1, 0, 0] [%{{.+}}, 2, %{{.+}}, 1] [1, 2, 1, 1]
// CHECK-DAG: genc.matmul %[[K1]], %[[M1]]
// CHECK-DAG: genc.matmul %arg0, %[[QMAPS]]
// CHECK: genc.attention {{.*}} : (tensor<?x8x?x1xf32>, tensor<?x2x?x1xf32>, tensor<?x2x?x1xf32>) -> tensor<?x8x?x1xf32>
module attributes {genc.attention_calibration = [{
    key_maps = dense<[[[[1.0]], [[2.0]]], [[[3.0]], [[4.0]]]]> : tensor<2x2x1x1xf32>,
    value_maps = dense<[[[[1.0]], [[1.0]]], [[[1.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>,
    value_means = dense<0.0> : tensor<2x2x1xf32>}]} {
  func.func @main(%q: tensor<?x8x?x1xf32>, %k: tensor<?x4x?x1xf32>, %v: tensor<?x4x?x1xf32>) -> tensor<?x8x?x1xf32> {
    %0 = genc.attention %q, %k, %v {causal = true, scale = 1.0 : f32} : (tensor<?x8x?x1xf32>, tensor<?x4x?x1xf32>, tensor<?x4x?x1xf32>) -> tensor<?x8x?x1xf32>
    return %0 : tensor<?x8x?x1xf32>
  }
}
