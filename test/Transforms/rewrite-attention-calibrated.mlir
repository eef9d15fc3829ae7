// RUN: genc-opt --split-input-file --verify-diagnostics --genc-rewrite-attention="spec=gqa:1:calibrated" %s | FileCheck %s

// Calibrated MQA of 2 KV heads of size 2 (module attribute
// genc.attention_calibration, one entry per layer): the shared key is
// k0·M0 + k1·M1, the shared value (v0·N0 + v1·N1) − (μ0·N0 + μ1·N1); each
// query head is multiplied by its KV head's key map, each output by the
// transpose of its value map, plus that head's mean. The attribute is gone.
// CHECK-LABEL: module {
// CHECK-NOT: genc.attention_calibration
// CHECK-LABEL: func.func @main
// CHECK-DAG: %[[QMAPS:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]], {{\[\[}}5.000000e+00, 6.000000e+00], [7.000000e+00, 8.000000e+00]]]]> : tensor<1x2x2x2xf32>
// CHECK-DAG: %[[KMAP0:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: %[[KMAP1:.+]] = arith.constant dense<{{\[\[\[\[}}5.000000e+00, 6.000000e+00], [7.000000e+00, 8.000000e+00]]]]> : tensor<1x1x2x2xf32>
// The shift: μ0·N0 + μ1·N1 = [1, 1]·I + [2, 0]·[[2, 1], [0, 2]] = [5, 3].
// CHECK-DAG: %[[SHIFT:.+]] = arith.constant dense<{{\[\[\[\[}}5.000000e+00, 3.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK-DAG: %[[Q:.+]] = genc.matmul %arg0, %[[QMAPS]]
// CHECK-DAG: %[[K0:.+]] = tensor.extract_slice %arg1[0, 0, 0, 0]
// CHECK-DAG: %[[KM0:.+]] = genc.matmul %[[K0]], %[[KMAP0]]
// CHECK-DAG: %[[K1:.+]] = tensor.extract_slice %arg1[0, 1, 0, 0]
// CHECK-DAG: %[[KM1:.+]] = genc.matmul %[[K1]], %[[KMAP1]]
// CHECK-DAG: %[[K:.+]] = genc.add %[[KM0]], %[[KM1]]
// CHECK-DAG: %[[V:.+]] = genc.sub %{{.+}}, %[[SHIFT]]
// CHECK: %[[OUT:.+]] = genc.attention %[[Q]], %[[K]], %[[V]] {{.*}} : (tensor<?x2x?x2xf32>, tensor<?x1x?x2xf32>, tensor<?x1x?x2xf32>) -> tensor<?x2x?x2xf32>
// Output maps: N0ᵀ = I, N1ᵀ = [[2, 0], [1, 2]]; means per query head.
// CHECK-DAG: %[[OMAPS:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00]], {{\[\[}}2.000000e+00, 0.000000e+00], [1.000000e+00, 2.000000e+00]]]]> : tensor<1x2x2x2xf32>
// CHECK-DAG: %[[MEANS:.+]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 1.000000e+00]], {{\[\[}}2.000000e+00, 0.000000e+00]]]]> : tensor<1x2x1x2xf32>
// CHECK: %[[REBUILT:.+]] = genc.matmul %[[OUT]], %[[OMAPS]]
// CHECK: %[[RESULT:.+]] = genc.add %[[REBUILT]], %[[MEANS]]
// CHECK: return %[[RESULT]]
module attributes {genc.attention_calibration = [{
    key_maps = dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]]> : tensor<1x2x2x2xf32>,
    value_maps = dense<[[[[1.0, 0.0], [0.0, 1.0]], [[2.0, 1.0], [0.0, 2.0]]]]> : tensor<1x2x2x2xf32>,
    value_means = dense<[[[1.0, 1.0], [2.0, 0.0]]]> : tensor<1x2x2xf32>}]} {
  func.func @main(%q: tensor<?x2x?x2xf32>, %k: tensor<?x2x?x2xf32>, %v: tensor<?x2x?x2xf32>) -> tensor<?x2x?x2xf32> {
    %0 = genc.attention %q, %k, %v {causal = true, scale = 0.5 : f32} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x2xf32>
    return %0 : tensor<?x2x?x2xf32>
  }
}

// -----

// Without a calibration for the layer: an error naming the option.
module {
  func.func @main(%q: tensor<?x2x?x2xf32>, %k: tensor<?x2x?x2xf32>, %v: tensor<?x2x?x2xf32>) -> tensor<?x2x?x2xf32> {
    // expected-error @+1 {{--attention=gqa:1:calibrated: layer 0 has no calibration; genc compile fits one on the token ids of --calibration-ids}}
    %0 = genc.attention %q, %k, %v {causal = true, scale = 0.5 : f32} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x2xf32>
    return %0 : tensor<?x2x?x2xf32>
  }
}

// -----

// A calibration of the wrong shape (heads of size 3).
module attributes {genc.attention_calibration = [{
    key_maps = dense<0.0> : tensor<1x2x3x3xf32>, value_maps = dense<0.0> : tensor<1x2x3x3xf32>,
    value_means = dense<0.0> : tensor<1x2x3xf32>}]} {
  func.func @main(%q: tensor<?x2x?x2xf32>, %k: tensor<?x2x?x2xf32>, %v: tensor<?x2x?x2xf32>) -> tensor<?x2x?x2xf32> {
    // expected-error @+1 {{--attention=gqa:1:calibrated: the calibration of layer 0 does not fit its 2 key/value heads of 2 and 2}}
    %0 = genc.attention %q, %k, %v {causal = true, scale = 0.5 : f32} : (tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>, tensor<?x2x?x2xf32>) -> tensor<?x2x?x2xf32>
    return %0 : tensor<?x2x?x2xf32>
  }
}


