// RUN: genc-opt --split-input-file --verify-diagnostics %s

func.func @matmul_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+2 {{operand shapes [2,3] and [4,5] cannot be multiplied}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @broadcast_mismatch(%a: tensor<?x3xf32>, %b: tensor<4xf32>) -> tensor<?x3xf32> {
  // expected-error @+2 {{operand shapes [?,3] and [4] cannot be broadcast together}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.add %a, %b : (tensor<?x3xf32>, tensor<4xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @result_contradicts_inference(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+2 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<3x2xf32>'}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.relu %a : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %s = arith.constant dense<[4, 2]> : tensor<2xi64>
  // expected-error @+2 {{cannot reshape [2,3] to [4,2]: the element counts differ}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.reshape %a, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @bad_perm(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{perm must be a permutation of 0..1}}
  %0 = genc.transpose %a {perm = array<i64: 2, 0>} : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @gqa_heads(%q: tensor<1x6x4x8xf32>, %k: tensor<1x4x4x8xf32>) -> tensor<1x6x4x8xf32> {
  // expected-error @+2 {{query heads (6) must be a multiple of key/value heads (4)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.attention %q, %k, %k {scale = 1.0 : f32} : (tensor<1x6x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) -> tensor<1x6x4x8xf32>
  return %0 : tensor<1x6x4x8xf32>
}

// -----

func.func @split_sizes(%a: tensor<2x6xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  // expected-error @+1 {{sizes add up to 4 but dim 1 is 6}}
  %0:2 = genc.split %a {axis = 1 : i64, sizes = array<i64: 2, 2>} : tensor<2x6xf32> -> tensor<2x2xf32>, tensor<2x2xf32>
  return %0#0, %0#1 : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

func.func @squeeze_non_unit(%a: tensor<2x3xf32>) -> tensor<3xf32> {
  // expected-error @+2 {{cannot squeeze dim 0 of size 2}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.squeeze %a {axes = array<i64: 0>} : tensor<2x3xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @if_arity(%c: tensor<1xi1>, %a: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{a branch yields 0 values but the op has 1 results}}
  %0 = genc.if %c : tensor<1xi1> -> tensor<2xf32> {
    genc.yield %a : tensor<2xf32>
  } else {
    genc.yield
  }
  return %0 : tensor<2xf32>
}

// -----

func.func @bigbird_partial_global_block(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{global_tokens 6 must be whole blocks of 4}}
  %0 = genc.attention %q, %q, %q {block = 4 : i64, global_tokens = 6 : i64, scale = 1.0 : f32} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32>
  return %0 : tensor<1x1x8x4xf32>
}

// -----

func.func @bigbird_and_window(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{takes BigBird blocks or a window (with sinks), not both}}
  %0 = genc.attention %q, %q, %q {block = 4 : i64, window = 4 : i64, scale = 1.0 : f32} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32>
  return %0 : tensor<1x1x8x4xf32>
}

// -----

func.func @linear_with_window(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{linear attention (feature_map) takes no window, blocks, sinks, global tokens, softcap or LSH}}
  %0 = genc.attention %q, %q, %q {feature_map = "elu", window = 4 : i64, scale = 1.0 : f32} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32>
  return %0 : tensor<1x1x8x4xf32>
}

// -----

func.func @state_without_linear_or_lsh(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{state_slot needs a feature_map (linear attention) or lsh_buckets}}
  %0 = genc.attention %q, %q, %q {causal = true, state_slot = 0 : i64, scale = 1.0 : f32} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32>
  return %0 : tensor<1x1x8x4xf32>
}

// -----

func.func @performer_features_shape(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{random_features must be [head size, features], features >= 1}}
  %0 = genc.attention %q, %q, %q {feature_map = "performer", random_features = dense<1.0> : tensor<3x2xf32>, scale = 1.0 : f32} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32>
  return %0 : tensor<1x1x8x4xf32>
}

// -----

// Axes are normalised at import: ops take them in [0, rank).
func.func @negative_axis(%a: tensor<2x6xf32>) -> tensor<2x6xf32> {
  // expected-error @+2 {{axis -1 is out of range [0, 2) (genc ops take axes normalised)}}
  // expected-error @+1 {{failed to infer returned types}}
  %0 = genc.softmax %a {axis = -1 : i64} : tensor<2x6xf32> -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// -----

func.func @negative_split_axis(%a: tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  // expected-error @+1 {{axis -1 is out of range [0, 2)}}
  %0:2 = genc.split %a {axis = -1 : i64, sizes = array<i64>} : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// ScatterND's updates: indices' dims but the last, then data's after the
// first k (here [2] ++ [4]).
func.func @scatter_nd_updates(%d: tensor<3x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x5xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{updates must have shape [2,4], not [2,5]}}
  %0 = genc.scatter_nd %d[%i] = %u : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x5xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @scatter_nd_reduction(%d: tensor<3x4xf32>, %i: tensor<2x1xi64>, %u: tensor<2x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{reduction must be none, add, mul, max or min, not 'sum'}}
  %0 = genc.scatter_nd %d[%i] = %u {reduction = "sum"} : (tensor<3x4xf32>, tensor<2x1xi64>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// ScatterElements: indices no wider than data off the axis.
func.func @scatter_elements_wider(%d: tensor<3x4xf32>, %i: tensor<4x1xi64>, %u: tensor<4x1xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{indices' dim 0 (4) exceeds data's (3)}}
  %0 = genc.scatter_elements %d[%i] = %u {axis = 1 : i64} : (tensor<3x4xf32>, tensor<4x1xi64>, tensor<4x1xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @scatter_elements_axis(%d: tensor<3x4xf32>, %i: tensor<2x4xi64>, %u: tensor<2x4xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{axis must be in [0, 2), not 2}}
  %0 = genc.scatter_elements %d[%i] = %u {axis = 2 : i64} : (tensor<3x4xf32>, tensor<2x4xi64>, tensor<2x4xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @scatter_elements_updates(%d: tensor<3x4xf32>, %i: tensor<2x4xi64>, %u: tensor<2x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{indices and updates must have one shape of data's rank (2), not [2,4] and [2,3]}}
  %0 = genc.scatter_elements %d[%i] = %u {axis = 0 : i64} : (tensor<3x4xf32>, tensor<2x4xi64>, tensor<2x3xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @causal_from_start_alone(%q: tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32> {
  // expected-error @+1 {{causal_from_start goes with causal}}
  %0 = genc.attention %q, %q, %q {causal_from_start = true, scale = 1.0 : f32} : (tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>, tensor<1x1x8x4xf32>) -> tensor<1x1x8x4xf32>
  return %0 : tensor<1x1x8x4xf32>
}
