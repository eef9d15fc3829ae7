// RUN: genc-opt --genc-add-kv-cache --split-input-file --verify-diagnostics %s

// Each graph below would compute something else with a cache: the pass
// says why, naming the layer or the op, and fails (what it changed before
// it saw why is left to the failed pipeline).

// Earlier positions of a bidirectional layer see later keys.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{cannot add a KV cache: attention layer 0 is not causal}}
  %out = genc.attention %q, %k, %w {scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// Causality counted from the first key: new queries would not come after
// the cached keys.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{cannot add a KV cache: attention layer 0 counts its causal diagonal from the first key (queries and keys of lengths genc cannot prove equal), so new queries would not come after the cached keys; export the model with a KV cache}}
  %out = genc.attention %q, %k, %w {causal = true, causal_from_start = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A mask with a row per query was built for the whole sequence.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %m: tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32> {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{attention layer 0 has a mask with a row per query, built for the whole sequence from more than its positions (its rows and keys are not provably input_ids' positions)}}
  %out = genc.attention %q, %k, %w mask(%m) {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// Values computed from the mask must reach the graph through a Gather's
// indices or a Slice of their last input_ids-length columns: returned as
// they are, they would cover the past too.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %mask: tensor<1x?xi64> {genc.name = "attention_mask"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x?xi64>) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %positions = genc.cumsum %mask {axis = 1 : i64} : tensor<1x?xi64> -> tensor<1x?xi64>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{attention_mask reaches 'func.return' other than as an attention mask}}
  return %out, %positions : tensor<1x2x?x8xf32>, tensor<1x?xi64>
}

// -----

// Positions computed from the mask and other data: their last columns
// over a longer mask are not what the new tokens would get.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %mask: tensor<1x?xi64> {genc.name = "attention_mask", genc.dim_names = ["batch", "total_sequence"]}, %extra: tensor<1x?xi64> {genc.dim_names = ["batch", "total_sequence"]}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x?x8xf32>) {
  %table = arith.constant dense<0.5> : tensor<64x8xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %sums = genc.cumsum %mask {axis = 1 : i64} : tensor<1x?xi64> -> tensor<1x?xi64>
  %mixed = genc.add %sums, %extra : (tensor<1x?xi64>, tensor<1x?xi64>) -> tensor<1x?xi64>
  // expected-error @+1 {{'genc.gather' reads values computed from attention_mask and other data}}
  %rows = genc.gather %table[%mixed] {axis = 0 : i64} : (tensor<64x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %rows : tensor<1x2x?x8xf32>, tensor<1x?x8xf32>
}

// -----

// A Range that is not 0 .. input_ids' length: genc cannot tell what it counts.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %n: tensor<i64>, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<?xi64>) {
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  // expected-error @+1 {{the Range is not 0 .. input_ids' length}}
  %r = genc.range %zero, %n, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %r : tensor<1x2x?x8xf32>, tensor<?xi64>
}

// -----

// Positions counted in floats (sinusoidal embeddings' arange(S).float()):
// the message says that the element type is what stops it.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<?xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %n = tensor.from_elements %s64 : tensor<i64>
  %limit = genc.cast %n {to = f32} : tensor<i64> -> tensor<f32>
  // expected-error @+1 {{the Range counts in floats; genc counts from the cached length only Ranges of 0 .. input_ids' length in i64}}
  %r = genc.range %zero, %limit, %one : (tensor<f32>, tensor<f32>, tensor<f32>) -> tensor<?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %r : tensor<1x2x?x8xf32>, tensor<?xf32>
}

// -----

// A table cut to the sequence and added as it is: which rows a cached step
// needs depends on how the graph reads them.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<?x8xf32>) {
  %zeros = arith.constant dense<0> : tensor<1xi64>
  %ones = arith.constant dense<1> : tensor<1xi64>
  %table = arith.constant dense<0.5> : tensor<64x8xf32>
  %c1 = arith.constant 1 : index
  %s = tensor.dim %ids, %c1 : tensor<?x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %end = tensor.from_elements %s64 : tensor<1xi64>
  // expected-error @+1 {{the Slice cuts a table to input_ids' length}}
  %rows = genc.slice %table[%zeros : %end] axes %zeros steps %ones : (tensor<64x8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %rows : tensor<1x2x?x8xf32>, tensor<?x8xf32>
}

// -----

// expected-error @+1 {{the model already has a KV cache (input past_key_values.0.key): compile it without --add-kv-cache}}
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %past: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.key"}) -> tensor<1x2x?x8xf32> {
  return %past : tensor<1x2x?x8xf32>
}

// -----

// expected-error @+1 {{genc recognised no attention layer in the model}}
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}) -> tensor<?x?xi64> {
  return %ids : tensor<?x?xi64>
}

// -----

// Attention genc did not raise: a product of two computed tensors.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %a: tensor<1x?x8xf32>, %b: tensor<1x8x?xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x?x?xf32>) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{'genc.matmul' multiplies two computed tensors (an attention genc did not recognise?)}}
  %scores = genc.matmul %a, %b : (tensor<1x?x8xf32>, tensor<1x8x?xf32>) -> tensor<1x?x?xf32>
  return %out, %scores : tensor<1x2x?x8xf32>, tensor<1x?x?xf32>
}

// -----

// Positions counted over the tokens themselves (ones_like(ids).cumsum()):
// a decode step would count from 0 again.
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x?xi64>) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %one = arith.constant dense<1> : tensor<i64>
  %ones = genc.mul %ids, %one : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
  // expected-error @+1 {{'genc.cumsum' sums along the sequence}}
  %positions = genc.cumsum %ones {axis = 1 : i64} : tensor<1x?xi64> -> tensor<1x?xi64>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %positions : tensor<1x2x?x8xf32>, tensor<1x?xi64>
}

// -----

// Mean pooling over the sequence.
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids", genc.dim_names = ["batch", "sequence"]}, %x: tensor<1x?x8xf32> {genc.dim_names = ["batch", "sequence", ""]}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x1x8xf32>) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{'genc.reduce_mean' reduces along the sequence}}
  %pooled = genc.reduce_mean %x {axes = array<i64: 1>} : tensor<1x?x8xf32> -> tensor<1x1x8xf32>
  return %out, %pooled : tensor<1x2x?x8xf32>, tensor<1x1x8xf32>
}

// -----

// A padding mask built from the tokens (ids != pad) has one column per new
// token, not per position past and new.
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %pad = arith.constant dense<0> : tensor<i64>
  %keep = genc.equal %ids, %pad : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi1>
  %m = genc.unsqueeze %keep {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{attention layer 0 has a mask whose keys are not attention_mask's}}
  %out = genc.attention %q, %k, %w mask(%m) {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// Keys another op reads too would give it past and new rows.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %kk = genc.neg %k : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{attention layer 0 reads keys or values that 'genc.neg' reads too}}
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %kk : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// expected-error @+1 {{attention_mask and input_ids name their second dim alike}}
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids", genc.dim_names = ["batch", "sequence_length"]}, %mask: tensor<?x?xi64> {genc.name = "attention_mask", genc.dim_names = ["batch", "sequence_length"]}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A mask with a row per query and no causal triangle genc recognised may
// be a band genc does not know: the message does not call it bidirectional.
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %m: tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32> {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{attention layer 0 has a mask with a row per query in which genc found no causal triangle (it may be bidirectional, or a band, window or causal table in a form genc does not recognise)}}
  %out = genc.attention %q, %k, %w mask(%m) {scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A product over the sequence with a table built from its length (a
// running sum spelled as a matmul by ones): a cached step would sum only
// the new tokens.
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids", genc.dim_names = ["batch", "sequence"]}, %x: tensor<1x?x8xf32> {genc.dim_names = ["batch", "sequence", ""]}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x?x8xf32>) {
  %c1 = arith.constant 1 : index
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %shape = tensor.from_elements %s64, %s64 : tensor<2xi64>
  %ones = genc.constant_of_shape %shape {value = dense<1.0> : tensor<1xf32>} : (tensor<2xi64>) -> tensor<?x?xf32>
  // expected-error @+1 {{'genc.matmul' sums products along the sequence}}
  %sums = genc.matmul %ones, %x : (tensor<?x?xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %out, %sums : tensor<1x2x?x8xf32>, tensor<1x?x8xf32>
}

// -----

// A present returned without a past must be what a layer reads as its keys
// or values: the pass returns those, past and new, in its place.
// expected-error @+1 {{cannot add a KV cache: the model returns present.0.key without taking a past, and it is not the keys or values that an attention layer genc recognised reads (it comes from 'genc.neg'); export the model with past_key_values inputs, or without its present outputs}}
func.func @main(%ids: tensor<?x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32> {genc.name = "present.0.key"}) {
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %w = genc.neg %v : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %notKeys = genc.neg %k : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %w {causal = true, scale = 0.25 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  return %out, %notKeys : tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// A table of the sequence length whose entries read the length itself
// (the distance to the last position), not only positions: its rows for
// earlier positions change as the sequence grows, which a cache keeps.
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32> {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero, %limit, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %keys = genc.unsqueeze %positions {axes = array<i64: 0>} : tensor<?xi64> -> tensor<1x?xi64>
  %toLast = genc.sub %limit, %keys : (tensor<i64>, tensor<1x?xi64>) -> tensor<1x?xi64>
  %table = genc.add %toLast, %queries : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %float = genc.cast %table {to = f32} : tensor<?x?xi64> -> tensor<?x?xf32>
  %bias = genc.unsqueeze %float {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{cannot add a KV cache: attention layer 0 has a mask with a row per query, built for the whole sequence from more than its positions (its entries read the sequence's length itself, not only positions)}}
  %out = genc.attention %q, %k, %v mask(%bias) {causal = true, scale = 1.0 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32>
  return %out : tensor<1x2x?x8xf32>
}

// -----

// A table of the sequence length that something besides the layers reads
// (here: returned): a cache computes only its new rows.
func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"}, %q: tensor<1x2x?x8xf32>, %kx: tensor<1x2x?x8xf32>, %vx: tensor<1x2x?x8xf32>) -> (tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) {
  %c1 = arith.constant 1 : index
  %zero = arith.constant dense<0> : tensor<i64>
  %one = arith.constant dense<1> : tensor<i64>
  %s = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %s64 = arith.index_cast %s : index to i64
  %limit = tensor.from_elements %s64 : tensor<i64>
  %positions = genc.range %zero, %limit, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %queries = genc.unsqueeze %positions {axes = array<i64: 1>} : tensor<?xi64> -> tensor<?x1xi64>
  %keys = genc.unsqueeze %positions {axes = array<i64: 0>} : tensor<?xi64> -> tensor<1x?xi64>
  %relative = genc.sub %keys, %queries : (tensor<1x?xi64>, tensor<?x1xi64>) -> tensor<?x?xi64>
  %float = genc.cast %relative {to = f32} : tensor<?x?xi64> -> tensor<?x?xf32>
  %bias = genc.unsqueeze %float {axes = array<i64: 0, 1>} : tensor<?x?xf32> -> tensor<1x1x?x?xf32>
  %k = genc.neg %kx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %v = genc.neg %vx : tensor<1x2x?x8xf32> -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %k, %v mask(%bias) {causal = true, scale = 1.0 : f32} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x8xf32>
  // expected-error @+1 {{cannot add a KV cache: 'func.return' reads an attention mask built for the whole sequence, of which a cache computes only the new tokens' rows}}
  return %out, %bias : tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>
}

// -----

// A cached step takes the new tokens only: input_ids' length must be dynamic.
// expected-error @+1 {{cannot add a KV cache: input_ids is 'tensor<1x5xi64>', not [batch, sequence] with a dynamic sequence}}
func.func @main(%ids: tensor<1x5xi64> {genc.name = "input_ids"}, %q: tensor<1x2x5x8xf32>, %k: tensor<1x2x5x8xf32>, %v: tensor<1x2x5x8xf32>) -> tensor<1x2x5x8xf32> {
  %out = genc.attention %q, %k, %v {causal = true, scale = 1.0 : f32} : (tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>, tensor<1x2x5x8xf32>) -> tensor<1x2x5x8xf32>
  return %out : tensor<1x2x5x8xf32>
}
