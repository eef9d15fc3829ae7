// RUN: genc-opt --genc-split-source-computation --split-input-file %s | FileCheck %s

// The cross-attention keys (matmul, bias, transpose) move to @step_source,
// whose result the step takes in place of encoder_hidden_states. The mask
// is an integer tensor: it and what the step computes from it stay.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x?x16xf32> {genc.name = "x"}, %[[MASK:[^:]+]]: tensor<?x?xi64> {genc.name = "encoder_attention_mask"}, %[[KT:[^:]+]]: tensor<?x16x?xf32> {genc.name = "genc.source.0"})
// CHECK-NOT: genc.transpose
// CHECK: genc.unsqueeze %[[MASK]]
// CHECK: %[[S:.+]] = genc.matmul %[[X]], %[[KT]]
// CHECK: return
// CHECK-LABEL: func.func @step_source
// CHECK-SAME: (%[[ENC:[^:]+]]: tensor<?x?x16xf32> {genc.name = "encoder_hidden_states"}, %[[M2:[^:]+]]: tensor<?x?xi64> {genc.name = "encoder_attention_mask"})
// CHECK-SAME: -> (tensor<?x?xi64> {genc.name = "encoder_attention_mask"}, tensor<?x16x?xf32> {genc.name = "genc.source.0"})
// CHECK-DAG: %[[W:.+]] = arith.constant dense<5.000000e-01> : tensor<16x16xf32>
// CHECK-DAG: %[[K:.+]] = genc.matmul %[[ENC]], %[[W]]
// CHECK-DAG: %[[T:.+]] = genc.transpose
// CHECK: return %[[M2]], %[[T]]
func.func @step(%x: tensor<?x?x16xf32> {genc.name = "x"},
                %enc: tensor<?x?x16xf32> {genc.name = "encoder_hidden_states", genc.source},
                %mask: tensor<?x?xi64> {genc.name = "encoder_attention_mask", genc.source}) -> tensor<?x?x?xf32> {
  %w = arith.constant dense<0.5> : tensor<16x16xf32>
  %b = arith.constant dense<0.25> : tensor<16xf32>
  %big = arith.constant dense<-1.0e+09> : tensor<f32>
  %k = genc.matmul %enc, %w : (tensor<?x?x16xf32>, tensor<16x16xf32>) -> tensor<?x?x16xf32>
  %kb = genc.add %k, %b : (tensor<?x?x16xf32>, tensor<16xf32>) -> tensor<?x?x16xf32>
  %kt = genc.transpose %kb {perm = array<i64: 0, 2, 1>} : tensor<?x?x16xf32> -> tensor<?x16x?xf32>
  %m1 = genc.unsqueeze %mask {axes = array<i64: 1>} : tensor<?x?xi64> -> tensor<?x1x?xi64>
  %mf = genc.cast %m1 {to = f32} : tensor<?x1x?xi64> -> tensor<?x1x?xf32>
  %madd = genc.mul %mf, %big : (tensor<?x1x?xf32>, tensor<f32>) -> tensor<?x1x?xf32>
  %s = genc.matmul %x, %kt : (tensor<?x?x16xf32>, tensor<?x16x?xf32>) -> tensor<?x?x?xf32>
  %r = genc.add %s, %madd : (tensor<?x?x?xf32>, tensor<?x1x?xf32>) -> tensor<?x?x?xf32>
  return %r : tensor<?x?x?xf32>
}

// -----

// A shape read of a source argument stays in the step, which keeps the
// argument (under its own name) next to the moved values; integer values
// never move.
// CHECK-LABEL: func.func @shape_read
// CHECK-SAME: (%[[X:[^:]+]]: tensor<?x16xf32>, %[[ENC:[^:]+]]: tensor<?x16xf32> {genc.name = "encoder_hidden_states"}, %[[E2:[^:]+]]: tensor<?x16xf32> {genc.name = "genc.source.0"})
// CHECK: tensor.dim %[[ENC]]
// CHECK-LABEL: func.func @shape_read_source
// CHECK: return %arg0, %{{.+}} : tensor<?x16xf32>, tensor<?x16xf32>
func.func @shape_read(%x: tensor<?x16xf32>,
                      %enc: tensor<?x16xf32> {genc.name = "encoder_hidden_states", genc.source}) -> (tensor<?x16xf32>, index) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %enc, %c0 : tensor<?x16xf32>
  %e2 = genc.add %enc, %enc : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  %r = genc.add %x, %e2 : (tensor<?x16xf32>, tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r, %n : tensor<?x16xf32>, index
}

// -----

// Without source arguments nothing changes.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: func.func @plain_source
func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = genc.add %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}
