// RUN: genc-opt --split-input-file --verify-diagnostics --genc-rewrite-attention="spec=gqa:2:grouped" %s | FileCheck %s

// gqa:G:grouped with the groups calibration chose, {3, 0} and {1, 2} of 4
// KV heads read by 8 query heads: each group the mean of its heads, side by
// side; query heads reordered so that those of a group are adjacent
// (kv 3: q6 q7, kv 0: q0 q1, kv 1: q2 q3, kv 2: q4 q5), outputs put back.
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[ORDER:.+]] = arith.constant dense<[6, 7, 0, 1, 2, 3, 4, 5]> : tensor<8xi64>
// CHECK-DAG: %[[Q:.+]] = genc.gather %arg0[%[[ORDER]]] {axis = 1 : i64}
// CHECK-DAG: %[[K3:.+]] = tensor.extract_slice %arg1[0, 3, 0, 0] [%{{.+}}, 1, %{{.+}}, 8] [1, 1, 1, 1]
// CHECK-DAG: %[[K0:.+]] = tensor.extract_slice %arg1[0, 0, 0, 0] [%{{.+}}, 1, %{{.+}}, 8] [1, 1, 1, 1]
// CHECK-DAG: %[[SUM30:.+]] = genc.add %[[K3]], %[[K0]]
// CHECK-DAG: %[[MEAN30:.+]] = genc.mul %[[SUM30]]
// CHECK-DAG: %[[K:.+]] = genc.concat %[[MEAN30]], %{{.+}} {axis = 1 : i64}
// CHECK: %[[OUT:.+]] = genc.attention %[[Q]], %[[K]], %{{.+}} : (tensor<?x8x?x8xf32>, tensor<?x2x?x8xf32>, tensor<?x2x?x8xf32>) -> tensor<?x8x?x8xf32>
// CHECK: %[[BACK:.+]] = arith.constant dense<[2, 3, 4, 5, 6, 7, 0, 1]> : tensor<8xi64>
// CHECK: %[[RESULT:.+]] = genc.gather %[[OUT]][%[[BACK]]] {axis = 1 : i64}
// CHECK: return %[[RESULT]]
module attributes {genc.attention_calibration = [{groups = dense<[[3, 0], [1, 2]]> : tensor<2x2xi64>}]} {
  func.func @main(%q: tensor<?x8x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x8x?x8xf32> {
    %0 = genc.attention %q, %k, %v {causal = true, scale = 0.5 : f32} : (tensor<?x8x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x8x?x8xf32>
    return %0 : tensor<?x8x?x8xf32>
  }
}

// -----

// Without the chosen groups: an error naming the option.
module {
  func.func @main(%q: tensor<?x8x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x8x?x8xf32> {
    // expected-error @+1 {{--attention=gqa:2:grouped: layer 0 has no calibration; genc compile chooses the groups on the token ids of --calibration-ids}}
    %0 = genc.attention %q, %k, %v {causal = true, scale = 0.5 : f32} : (tensor<?x8x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x8x?x8xf32>
    return %0 : tensor<?x8x?x8xf32>
  }
}

// -----

// Heads 0 and 0: not a partition.
module attributes {genc.attention_calibration = [{groups = dense<[[0, 0], [1, 2]]> : tensor<2x2xi64>}]} {
  func.func @main(%q: tensor<?x8x?x8xf32>, %k: tensor<?x4x?x8xf32>, %v: tensor<?x4x?x8xf32>) -> tensor<?x8x?x8xf32> {
    // expected-error @+1 {{--attention=gqa:2:grouped: the groups chosen for layer 0 are not 2 groups of the layer's 4 key/value heads}}
    %0 = genc.attention %q, %k, %v {causal = true, scale = 0.5 : f32} : (tensor<?x8x?x8xf32>, tensor<?x4x?x8xf32>, tensor<?x4x?x8xf32>) -> tensor<?x8x?x8xf32>
    return %0 : tensor<?x8x?x8xf32>
  }
}
