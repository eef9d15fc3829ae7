// RUN: genc-opt --genc-record-signature --split-input-file --verify-diagnostics %s | FileCheck %s --check-prefix=RECORD
// RUN: genc-opt --genc-prepare-entry-points --split-input-file --verify-diagnostics %s | FileCheck %s --check-prefix=PREPARE

// The signature names every value of @main, then each other entry point's;
// the cache input gets its line. Before bufferization the entry points take
// their compiled names, and only the cache is writable.

// RECORD: module attributes {genc.session, genc.signature = "genc-signature 14\0Ainput ids i64 1,? batch,seq\0Ainput past f32 1,2,?,8 -,-,-,-\0Aoutput logits f32 3 1,?,16\0Acache past\0Aentry encoder\0Ainput src i64 ? -\0Aoutput memory f32 1 ?\0Asession\0A"}
// PREPARE-LABEL: func.func @genc_model(
// PREPARE-SAME: bufferization.writable = false
// PREPARE-SAME: bufferization.writable = true
// PREPARE-SAME: attributes {llvm.emit_c_interface}
// PREPARE-LABEL: func.func @genc_model_encoder(
// PREPARE-SAME: bufferization.writable = false
// PREPARE-NOT: func.func @main
module attributes {genc.session} {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "ids", genc.dim_names = ["batch", "seq"]},
                  %past: tensor<1x2x?x8xf32> {genc.name = "past", genc.kv_cache})
      -> (tensor<1x?x16xf32> {genc.name = "logits"}) {
    %c = arith.constant dense<0.0> : tensor<1x4x16xf32>
    %r = tensor.cast %c : tensor<1x4x16xf32> to tensor<1x?x16xf32>
    return %r : tensor<1x?x16xf32>
  }
  func.func @encoder(%src: tensor<?xi64> {genc.name = "src"}) -> (tensor<?xf32> {genc.name = "memory"}) {
    %c = arith.constant dense<0.0> : tensor<3xf32>
    %r = tensor.cast %c : tensor<3xf32> to tensor<?xf32>
    return %r : tensor<?xf32>
  }
}

// -----

// In a session artifact, each causal linear or LSH attention gets a state
// slot and its line: the linear layer's sums (2 KV heads x (8 + 1) x
// (8 + 1) floats), the LSH layer's bucket per position, KV head and round
// (2 x 3). Softmax and non-causal LSH attention keep nothing.

// RECORD: genc-signature 14\0Ainput q
// RECORD-SAME: \0Astate 0 324 0\0Astate 1 30 12\0A"
// RECORD: genc.attention {{.+}}feature_map = "elu"{{.+}}state_slot = 0
// RECORD: genc.attention {{.+}}lsh_buckets = 4 : i64, lsh_hashes = 3 : i64{{.+}}state_slot = 1
// RECORD-NOT: state_slot
// RECORD: return
module attributes {genc.session} {
  func.func @main(%q: tensor<1x4x?x8xf32> {genc.name = "q"}, %k: tensor<1x2x?x8xf32> {genc.name = "k"})
      -> (tensor<1x4x?x8xf32> {genc.name = "y"}) {
    %0 = genc.attention %q, %k, %k {causal = true, feature_map = "elu", scale = 0.25 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
    %1 = genc.attention %0, %k, %k {causal = true, lsh_buckets = 4, lsh_hashes = 3, scale = 0.25 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
    %2 = genc.attention %1, %k, %k {lsh_buckets = 4, scale = 0.25 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
    %3 = genc.attention %2, %k, %k {causal = true, scale = 0.25 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
    return %3 : tensor<1x4x?x8xf32>
  }
}

// -----

// The positions @main can embed: the smallest constant table gathered by
// position, less how far ahead the positions run (OPT's CumSum of the mask
// counts from 1, then adds 1: 10 rows embed 8 positions; a Range from 2, as
// RoBERTa counts, in 9 rows embeds 7). Token ids, the difference of two
// positions (T5's buckets), positions by steps of 2 or times 2, and a table
// that is not a constant (an activation) do not count. The node's name may
// hold spaces.

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-SAME: \0Apositions 7 roberta positions\0A"
module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %positions: tensor<1x?xi64> {genc.name = "position_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %n: tensor<i64> {genc.name = "n"}, %activations: tensor<3x4xf32> {genc.name = "h"})
      -> (tensor<1x?x4xf32> {genc.name = "a"}, tensor<1x?x4xf32> {genc.name = "b"},
          tensor<1x?x4xf32> {genc.name = "c"}, tensor<?x4xf32> {genc.name = "d"},
          tensor<?x4xf32> {genc.name = "e"}, tensor<1x?x4xf32> {genc.name = "f"},
          tensor<?x4xf32> {genc.name = "g"}, tensor<1x?x4xf32> {genc.name = "h"}) {
    %tokens = arith.constant dense<0.0> : tensor<5x4xf32>
    %table = arith.constant dense<0.0> : tensor<16x4xf32>
    %opt = arith.constant dense<0.0> : tensor<10x4xf32>
    %roberta = arith.constant dense<0.0> : tensor<9x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %two = arith.constant dense<2> : tensor<i64>
    %zero = arith.constant dense<0> : tensor<i64>
    %a = genc.gather %tokens[%ids] {axis = 0 : i64} : (tensor<5x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    %b = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<16x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    %sum = genc.cumsum %mask {axis = 1 : i64} : tensor<1x?xi64> -> tensor<1x?xi64>
    %masked = genc.mul %sum, %mask : (tensor<1x?xi64>, tensor<1x?xi64>) -> tensor<1x?xi64>
    %shifted = genc.add %masked, %one : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
    %c = genc.gather %opt[%shifted] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32> loc("opt_positions")
    %r1 = genc.range %zero, %n, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %r2 = genc.range %zero, %n, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %relative = genc.sub %r1, %r2 : (tensor<?xi64>, tensor<?xi64>) -> tensor<?xi64>
    %d = genc.gather %tokens[%relative] {axis = 0 : i64} : (tensor<5x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
    %from2 = genc.range %two, %n, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %e = genc.gather %roberta[%from2] {axis = 0 : i64} : (tensor<9x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("roberta positions")
    %f = genc.gather %activations[%positions] {axis = 0 : i64} : (tensor<3x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    %small = arith.constant dense<0.0> : tensor<3x4xf32>
    %evens = genc.range %zero, %n, %two : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %g = genc.gather %small[%evens] {axis = 0 : i64} : (tensor<3x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
    %doubled = genc.mul %positions, %two : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
    %h = genc.gather %small[%doubled] {axis = 0 : i64} : (tensor<3x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    return %a, %b, %c, %d, %e, %f, %g, %h : tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<1x?x4xf32>, tensor<?x4xf32>, tensor<1x?x4xf32>
  }
}

// -----

// A Range from the past length plus 3 runs 3 positions ahead, as one from
// the constant 3 does: a table of 12 rows embeds 9 positions.

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-SAME: \0Apositions 9 past_plus_3\0A"
module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %past: tensor<i64> {genc.name = "genc.past_length"},
                  %count: tensor<i64> {genc.name = "n"})
      -> (tensor<?x4xf32> {genc.name = "p"}) {
    %table = arith.constant dense<0.0> : tensor<12x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %three = arith.constant dense<3> : tensor<i64>
    %from = genc.add %past, %three : (tensor<i64>, tensor<i64>) -> tensor<i64>
    %to = genc.add %from, %count : (tensor<i64>, tensor<i64>) -> tensor<i64>
    %positions = genc.range %from, %to, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %p = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<12x4xf32>, tensor<?xi64>) -> tensor<?x4xf32> loc("past_plus_3")
    return %p : tensor<?x4xf32>
  }
}

// -----

// A table cut to a run-time length before its gather (GPT-NeoX's rotary
// tables, raised): the cut only lowers the limit of 12 rows.

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-SAME: \0Apositions 12 cut_rotary\0A"
module {
  func.func @main(%x: tensor<1x2x?x4xf32> {genc.name = "input_ids"},
                  %ids: tensor<1x?xi64> {genc.name = "position_ids"},
                  %n: tensor<1xi64> {genc.name = "n"})
      -> (tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.5> : tensor<12x2xf32>
    %zero = arith.constant dense<0> : tensor<1xi64>
    %one = arith.constant dense<1> : tensor<1xi64>
    %cut = genc.slice %table[%zero : %n] axes %zero steps %one : (tensor<12x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x2xf32>
    %y = genc.rotary %x, %cut, %cut positions(%ids) : (tensor<1x2x?x4xf32>, tensor<?x2xf32>, tensor<?x2xf32>, tensor<1x?xi64>) -> tensor<1x2x?x4xf32> loc("cut_rotary")
    return %y : tensor<1x2x?x4xf32>
  }
}

// -----

// A model without position_ids that counts positions from its attention
// mask (OPT's cumulative sum, gathered from a table) and hides the padding
// with it in causal windowed, linear and LSH attention: a session may
// left-pad its rows.

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-SAME: \0Apositions-from-mask\0Apositions 8 opt_positions\0A"
module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"})
      -> (tensor<1x?x4xf32> {genc.name = "h"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %tokens = arith.constant dense<0.0> : tensor<5x4xf32>
    %table = arith.constant dense<0.0> : tensor<10x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %a = genc.gather %tokens[%ids] {axis = 0 : i64} : (tensor<5x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    %sum = genc.cumsum %mask {axis = 1 : i64} : tensor<1x?xi64> -> tensor<1x?xi64>
    %masked = genc.mul %sum, %mask : (tensor<1x?xi64>, tensor<1x?xi64>) -> tensor<1x?xi64>
    %positions = genc.add %masked, %one : (tensor<1x?xi64>, tensor<i64>) -> tensor<1x?xi64>
    %p = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32> loc("opt_positions")
    %h = genc.add %a, %p : (tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %w = genc.attention %q, %q, %q mask(%hide) {causal = true, window = 3 : i64, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    %l = genc.attention %w, %q, %q mask(%hide) {causal = true, feature_map = "elu", scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    %y = genc.attention %l, %q, %q mask(%hide) {causal = true, lsh_buckets = 4, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %h, %y : tensor<1x?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

// Each of these blocks left padding, in a model that otherwise would not
// (its attention masks the padding): a Range of run-time length (arange);
// a cumulative sum of ones spread over the sequence; a sinusoidal table
// computed from constants, cut at run time (`table[:n]`); a gather from a
// table by the past length; rotary embedding at positions from the past
// length; attention sinks (which also refuse padding with position_ids).
// Then attention that does not hide the padding:
// no mask, a softmax left unraised, no attention at all; and a model that
// takes position_ids (the session gives them; the line is not needed).

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD-SAME: \0Akeys-by-index sinks sinks_layer\0A
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-NOT: positions-from-mask
// RECORD: return
module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}, %n: tensor<i64> {genc.name = "n"})
      -> (tensor<?x4xf32> {genc.name = "p"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.5> : tensor<10x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %shape11 = arith.constant dense<1> : tensor<2xi64>
    %zero = arith.constant dense<0> : tensor<i64>
    %positions = genc.range %zero, %n, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %p = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<?xi64>) -> tensor<?x4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %p, %y : tensor<?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}, %shape: tensor<2xi64> {genc.name = "shape"})
      -> (tensor<?x?x4xf32> {genc.name = "p"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.5> : tensor<10x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %shape11 = arith.constant dense<1> : tensor<2xi64>
    %ones = genc.expand %one, %shape : (tensor<i64>, tensor<2xi64>) -> tensor<?x?xi64>
    %counted = genc.cumsum %ones {axis = 1 : i64} : tensor<?x?xi64> -> tensor<?x?xi64>
    %positions = genc.sub %counted, %one : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi64>
    %p = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %p, %y : tensor<?x?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}, %n: tensor<1xi64> {genc.name = "n"})
      -> (tensor<?x4xf32> {genc.name = "p"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.5> : tensor<10x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %shape11 = arith.constant dense<1> : tensor<2xi64>
    %zero = arith.constant dense<0> : tensor<1xi64>
    %step = arith.constant dense<1> : tensor<1xi64>
    %sinusoids = genc.sin %table : tensor<10x4xf32> -> tensor<10x4xf32>
    %p = genc.slice %sinusoids[%zero : %n] axes %zero steps %step : (tensor<10x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %p, %y : tensor<?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}, %past: tensor<i64> {genc.name = "genc.past_length"})
      -> (tensor<4xf32> {genc.name = "p"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.5> : tensor<10x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %shape11 = arith.constant dense<1> : tensor<2xi64>
    %p = genc.gather %table[%past] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<i64>) -> tensor<4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %p, %y : tensor<4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}, %past: tensor<i64> {genc.name = "genc.past_length"})
      -> (tensor<1x2x?x4xf32> {genc.name = "p"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.5> : tensor<10x4xf32>
    %one = arith.constant dense<1> : tensor<i64>
    %shape11 = arith.constant dense<1> : tensor<2xi64>
    %half = arith.constant dense<0.5> : tensor<10x2xf32>
    %at = genc.reshape %past, %shape11 : (tensor<i64>, tensor<2xi64>) -> tensor<1x1xi64>
    %p = genc.rotary %q, %half, %half positions(%at) : (tensor<1x2x?x4xf32>, tensor<10x2xf32>, tensor<10x2xf32>, tensor<1x1xi64>) -> tensor<1x2x?x4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %p, %y : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}) -> (tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, window = 3 : i64, sinks = 1 : i64, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32> loc("sinks_layer")
    return %y : tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}) -> (tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %y = genc.attention %q, %q, %q {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    return %y : tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}) -> (tensor<1x2x?x4xf32> {genc.name = "y"}, tensor<1x2x?x4xf32> {genc.name = "z"}) {
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    %z = genc.softmax %q {axis = 3 : i64} : tensor<1x2x?x4xf32> -> tensor<1x2x?x4xf32>
    return %y, %z : tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"}) -> (tensor<1x?x4xf32> {genc.name = "h"}) {
    %tokens = arith.constant dense<0.0> : tensor<5x4xf32>
    %h = genc.gather %tokens[%ids] {axis = 0 : i64} : (tensor<5x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    return %h : tensor<1x?x4xf32>
  }
}

// -----

module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %positions: tensor<1x?xi64> {genc.name = "position_ids"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}) -> (tensor<1x?x4xf32> {genc.name = "p"}, tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %table = arith.constant dense<0.0> : tensor<10x4xf32>
    %p = genc.gather %table[%positions] {axis = 0 : i64} : (tensor<10x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %q, %q mask(%hide) {causal = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %p, %y : tensor<1x?x4xf32>, tensor<1x2x?x4xf32>
  }
}

// -----

// Global tokens and BigBird's blocks are a row's first keys, which left
// padding would make padding, even where the session gives position_ids:
// the first such layer is named (BigBird's own global tokens count as
// blocks).

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-SAME: \0Akeys-by-index bigbird layer_0\0A
// RECORD-NOT: keys-by-index
// RECORD: return
module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %positions: tensor<1x?xi64> {genc.name = "position_ids"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"}) -> (tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %b = genc.attention %q, %q, %q mask(%hide) {causal = true, block = 2 : i64, global_tokens = 2 : i64, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32> loc("layer_0")
    %y = genc.attention %b, %q, %q mask(%hide) {causal = true, window = 3 : i64, global_tokens = 1 : i64, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32> loc("layer_1")
    return %y : tensor<1x2x?x4xf32>
  }
}

// -----

// A causal diagonal counted from the call's first key depends on the
// tokens a call is given together (whole-calls), and left padding would
// shift it (no positions-from-mask), though the mask hides the padding.

// RECORD: genc-signature 14\0Ainput input_ids
// RECORD-SAME: \0Awhole-calls\0A
// RECORD-NOT: positions-from-mask
// RECORD: return
module {
  func.func @main(%ids: tensor<1x?xi64> {genc.name = "input_ids"},
                  %mask: tensor<1x?xi64> {genc.name = "attention_mask"},
                  %q: tensor<1x2x?x4xf32> {genc.name = "q"},
                  %k: tensor<1x2x?x4xf32> {genc.name = "k"}) -> (tensor<1x2x?x4xf32> {genc.name = "y"}) {
    %keys = genc.cast %mask {to = i1} : tensor<1x?xi64> -> tensor<1x?xi1>
    %hide = genc.unsqueeze %keys {axes = array<i64: 1, 2>} : tensor<1x?xi1> -> tensor<1x1x1x?xi1>
    %y = genc.attention %q, %k, %k mask(%hide) {causal = true, causal_from_start = true, scale = 0.5 : f32} : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>, tensor<1x1x1x?xi1>) -> tensor<1x2x?x4xf32>
    return %y : tensor<1x2x?x4xf32>
  }
}

// -----

// expected-error @below {{the module has no @main function to compile}}
module {
  func.func @forward(%x: tensor<2xf32>) -> tensor<2xf32> {
    return %x : tensor<2xf32>
  }
}
