// RUN: genc-opt --genc-cross-attention-from-first-step --split-input-file %s | FileCheck %s

// The cross-attention keys the cached branch reads are computed before the
// If as the first step computes them; the input and its present output go.
// CHECK-LABEL: func.func @merged
// CHECK-SAME: (%[[SRC:[^:]+]]: tensor<1x?x8xf32> {genc.name = "encoder_hidden_states"}, %[[PAST:[^:]+]]: tensor<1x2x?x4xf32> {genc.name = "past_key_values.0.decoder.key"}, %[[NEW:[^:]+]]: tensor<1x2x?x4xf32> {genc.name = "new"}, %[[USE:[^:]+]]: tensor<1xi1> {genc.name = "use_cache_branch"})
// CHECK-SAME: -> (tensor<1x2x?x4xf32> {genc.name = "present.0.decoder.key"})
// CHECK: %[[R:.+]] = genc.reshape %[[SRC]]
// CHECK: %[[CROSS:.+]] = genc.transpose %[[R]]
// CHECK: genc.if %[[USE]]
// CHECK: genc.concat %[[PAST]], %[[NEW]]
// CHECK: genc.add %{{.+}}, %[[CROSS]]
func.func @merged(%src: tensor<1x?x8xf32> {genc.name = "encoder_hidden_states"},
                  %past: tensor<1x2x?x4xf32> {genc.name = "past_key_values.0.decoder.key"},
                  %cross: tensor<1x2x?x4xf32> {genc.name = "past_key_values.0.encoder.key"},
                  %new: tensor<1x2x?x4xf32> {genc.name = "new"},
                  %use: tensor<1xi1> {genc.name = "use_cache_branch"})
    -> (tensor<1x2x?x4xf32> {genc.name = "present.0.decoder.key"},
        tensor<1x2x?x4xf32> {genc.name = "present.0.encoder.key"}) {
  %shape = arith.constant dense<[1, -1, 2, 4]> : tensor<4xi64>
  %r:2 = genc.if %use : tensor<1xi1> -> tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32> {
    %k = genc.concat %past, %new {axis = 2 : i64} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %s = genc.add %k, %cross : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    genc.yield %s, %cross : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
  } else {
    %h = genc.reshape %src, %shape : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %t = genc.transpose %h {perm = array<i64: 0, 2, 1, 3>} : tensor<1x?x2x4xf32> -> tensor<1x2x?x4xf32>
    genc.yield %new, %t : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
  }
  return %r#0, %r#1 : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
}

// -----

// An If on another condition is not the merged decoder's choice of steps:
// its else branch is not a first step, and the input stays.
// CHECK-LABEL: func.func @other_condition
// CHECK-SAME: genc.name = "past_key_values.0.encoder.key"
// CHECK-SAME: genc.name = "present.0.encoder.key"
func.func @other_condition(%src: tensor<1x2x?x4xf32> {genc.name = "encoder_hidden_states"},
                           %cross: tensor<1x2x?x4xf32> {genc.name = "past_key_values.0.encoder.key"},
                           %c: tensor<1xi1> {genc.name = "flag"},
                           %use: tensor<1xi1> {genc.name = "use_cache_branch"})
    -> (tensor<1x2x?x4xf32> {genc.name = "present.0.encoder.key"}) {
  %r = genc.if %c : tensor<1xi1> -> tensor<1x2x?x4xf32> {
    genc.yield %cross : tensor<1x2x?x4xf32>
  } else {
    %n = genc.neg %src : tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
    genc.yield %n : tensor<1x2x?x4xf32>
  }
  return %r : tensor<1x2x?x4xf32>
}

// -----

// An input also read outside the cached branch stays (replacing it there
// would read the copy before the If computes it).
// CHECK-LABEL: func.func @read_before
// CHECK-SAME: genc.name = "past_key_values.0.encoder.key"
func.func @read_before(%src: tensor<1x2x?x4xf32> {genc.name = "encoder_hidden_states"},
                       %cross: tensor<1x2x?x4xf32> {genc.name = "past_key_values.0.encoder.key"},
                       %use: tensor<1xi1> {genc.name = "use_cache_branch"})
    -> (tensor<1x2x?x4xf32> {genc.name = "present.0.encoder.key"}, tensor<1x2x?x4xf32> {genc.name = "other"}) {
  %before = genc.neg %cross : tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
  %r = genc.if %use : tensor<1xi1> -> tensor<1x2x?x4xf32> {
    genc.yield %cross : tensor<1x2x?x4xf32>
  } else {
    %n = genc.neg %src : tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
    genc.yield %n : tensor<1x2x?x4xf32>
  }
  return %r, %before : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
}

// -----

// A past with no present output to compute it from stays an input
// (Optimum's decoder_with_past_model.onnx: there is no first step).
// CHECK-LABEL: func.func @with_past_only
// CHECK-SAME: genc.name = "past_key_values.0.encoder.key"
func.func @with_past_only(%cross: tensor<1x2x?x4xf32> {genc.name = "past_key_values.0.encoder.key"})
    -> (tensor<1x2x?x4xf32> {genc.name = "logits"}) {
  return %cross : tensor<1x2x?x4xf32>
}
