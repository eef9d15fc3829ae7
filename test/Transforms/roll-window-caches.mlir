// RUN: genc-opt --genc-kv-cache-in-place --genc-roll-window-caches --canonicalize --split-input-file %s 2>/dev/null | FileCheck %s
// RUN: genc-opt --genc-kv-cache-in-place --genc-roll-window-caches --split-input-file %s -o /dev/null 2>&1 | FileCheck %s --check-prefix=WARN

// A layer with a window of 16 and 2 sinks: one shift argument for the
// window, the new rows written at P - shift, attention reading P + S -
// shift rows of both caches, and the mask without columns [2, 2 + shift),
// the call failing if it is not one column per key.
// CHECK-LABEL: func.func @windowed
// CHECK-SAME: %[[KC:[^:]+]]: tensor<1x2x?x8xf32> {{{.*}}genc.kv_cache, genc.name = "past_key_values.0.key", genc.window_cache = {shift = "genc.window_shift.16.2", sinks = 2 : i64, window = 16 : i64}}
// CHECK-SAME: %[[VC:[^:]+]]: tensor<1x2x?x8xf32> {{{.*}}genc.window_cache = {shift = "genc.window_shift.16.2", sinks = 2 : i64, window = 16 : i64}}
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<1x1x?x?xf32>
// CHECK-SAME: %[[SHIFTARG:[^:]+]]: tensor<i64> {genc.name = "genc.window_shift.16.2"}
// CHECK: %[[S64:.+]] = tensor.extract %[[SHIFTARG]]
// CHECK: %[[SHIFT:.+]] = arith.index_cast %[[S64]]
// CHECK: %[[AT:.+]] = arith.subi %{{.+}}, %[[SHIFT]]
// CHECK: %[[KW:.+]] = tensor.insert_slice %{{.+}} into %[[KC]][0, 0, %[[AT]], 0]
// CHECK: %[[END:.+]] = arith.addi
// CHECK: %[[ROWS:.+]] = arith.subi %[[END]], %[[SHIFT]]
// CHECK: %[[K:.+]] = tensor.extract_slice %[[KW]][0, 0, 0, 0] [1, 2, %[[ROWS]], 8]
// CHECK: %[[VW:.+]] = tensor.insert_slice %{{.+}} into %[[VC]][0, 0, %{{.+}}, 0]
// CHECK: %[[V:.+]] = tensor.extract_slice %[[VW]][0, 0, 0, 0] [1, 2, %{{.+}}, 8]
// CHECK: %[[COLS:.+]] = tensor.dim %[[MASK]], %c3
// CHECK: %[[WRONG:.+]] = arith.cmpi ne, %[[COLS]], %[[END]]
// CHECK: scf.if %[[WRONG]]
// CHECK: genc.index_out_of_bounds {{.*}}"the attention mask covers {index} positions but attention reads {bound} keys
// CHECK: %[[SINKEND:.+]] = arith.minsi %[[COLS]], %c2
// CHECK: %[[FROM:.+]] = arith.addi %[[SINKEND]], %[[SHIFT]]
// CHECK: %[[KEPTFROM:.+]] = arith.minsi %[[FROM]], %[[COLS]]
// CHECK: %[[RECENT:.+]] = tensor.extract_slice %[[MASK]][0, 0, 0, %[[KEPTFROM]]]
// CHECK: %[[SINKS:.+]] = tensor.extract_slice %[[MASK]][0, 0, 0, 0] [1, 1, %{{.+}}, %[[SINKEND]]]
// CHECK: %[[KEPT:.+]] = genc.concat %[[SINKS]], %[[RECENT]] {axis = 3 : i64}
// CHECK: genc.attention %{{.+}}, %[[K]], %[[V]] mask(%[[KEPT]]) {causal = true, scale = {{.+}}, sinks = 2 : i64, window = 16 : i64}
func.func @windowed(%q: tensor<1x4x?x8xf32>,
                    %pk: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.key"},
                    %pv: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.value"},
                    %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %mask: tensor<1x1x?x?xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %keys = genc.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %values = genc.concat %pv, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %out = genc.attention %q, %keys, %values mask(%mask) {causal = true, scale = 0.35 : f32, window = 16 : i64, sinks = 2 : i64} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x4x?x8xf32>
  return %out, %keys, %values : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// Global tokens stay in the buffer as sinks do (the larger of the two
// counts); a mask broadcast over the keys is left as it is. A dense layer
// keeps every position.
// CHECK-LABEL: func.func @global_and_dense
// CHECK-SAME: genc.name = "past_key_values.0.key", genc.window_cache = {shift = "genc.window_shift.8.4", sinks = 4 : i64, window = 8 : i64}
// CHECK-SAME: genc.name = "past_key_values.0.value", genc.window_cache = {shift = "genc.window_shift.8.4", sinks = 4 : i64, window = 8 : i64}
// CHECK-SAME: genc.name = "past_key_values.1.key"}
// CHECK-SAME: genc.name = "past_key_values.1.value"}
// CHECK-SAME: genc.name = "genc.window_shift.8.4"
// CHECK-NOT: genc.concat
// CHECK: genc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%arg7) {causal = true, global_tokens = 4 : i64, scale = {{.+}}, sinks = 1 : i64, window = 8 : i64}
// CHECK: genc.attention
func.func @global_and_dense(%q: tensor<1x4x?x8xf32>,
                            %pk: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.key"},
                            %pv: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.value"},
                            %pk1: tensor<1x2x?x8xf32> {genc.name = "past_key_values.1.key"},
                            %pv1: tensor<1x2x?x8xf32> {genc.name = "past_key_values.1.value"},
                            %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %mask: tensor<1x1x1x1xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %keys = genc.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %values = genc.concat %pv, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %keys1 = genc.concat %pk1, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %values1 = genc.concat %pv1, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %h = genc.attention %q, %keys, %values mask(%mask) {causal = true, scale = 0.35 : f32, window = 8 : i64, sinks = 1 : i64, global_tokens = 4 : i64} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x1x1xf32>) -> tensor<1x4x?x8xf32>
  %out = genc.attention %h, %keys1, %values1 {causal = true, scale = 0.35 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
  return %out, %keys, %values, %keys1, %values1 : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// Keys that a windowed and a dense layer share cannot slide, nor can the
// windowed layer's values then: a warning says so, and nothing changes.
// WARN: roll-window-caches.mlir:[[# @LINE + 12]]:8: warning: this windowed attention's KV cache keeps every position
// WARN-NOT: warning
// CHECK-LABEL: func.func @shared_keys
// CHECK-NOT: genc.window
// CHECK: return
func.func @shared_keys(%q: tensor<1x4x?x8xf32>,
                       %pk: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.key"},
                       %pv: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.value"},
                       %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %keys = genc.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %values = genc.concat %pv, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %h = genc.attention %q, %keys, %values {causal = true, scale = 0.35 : f32, window = 8 : i64} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
  %out = genc.attention %h, %keys, %keys {causal = true, scale = 0.35 : f32} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x4x?x8xf32>
  return %out, %keys, %values : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}

// -----

// Causal linear attention sees earlier positions through the sums a
// session keeps, not the cache: its caches slide as a window of 0 (the
// rows the sums have not folded), and its padding mask loses the dropped
// columns. With a mask per query the kernel keeps no sums, and the caches
// hold every position (no warning: nothing was asked of them).
// CHECK-LABEL: func.func @linear
// CHECK-SAME: genc.name = "past_key_values.0.key", genc.window_cache = {shift = "genc.window_shift.sums", sinks = 0 : i64, window = 0 : i64}
// CHECK-SAME: genc.name = "past_key_values.0.value", genc.window_cache = {shift = "genc.window_shift.sums", sinks = 0 : i64, window = 0 : i64}
// CHECK-SAME: genc.name = "past_key_values.1.key"}
// CHECK-SAME: genc.name = "past_key_values.1.value"}
// CHECK-SAME: genc.name = "genc.window_shift.sums"
// CHECK: %[[RECENT:.+]] = tensor.extract_slice %arg7
// CHECK: genc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%[[RECENT]]) {causal = true, feature_map = "elu"
// CHECK: genc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%arg8) {causal = true, feature_map = "elu"
// WARN-NOT: warning
func.func @linear(%q: tensor<1x4x?x8xf32>,
                  %pk: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.key"},
                  %pv: tensor<1x2x?x8xf32> {genc.name = "past_key_values.0.value"},
                  %pk1: tensor<1x2x?x8xf32> {genc.name = "past_key_values.1.key"},
                  %pv1: tensor<1x2x?x8xf32> {genc.name = "past_key_values.1.value"},
                  %k: tensor<1x2x?x8xf32>, %v: tensor<1x2x?x8xf32>, %padding: tensor<1x1x1x?xf32>,
                  %perQuery: tensor<1x1x?x?xf32>)
    -> (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) {
  %keys = genc.concat %pk, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %values = genc.concat %pv, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %keys1 = genc.concat %pk1, %k {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %values1 = genc.concat %pv1, %v {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
  %h = genc.attention %q, %keys, %values mask(%padding) {causal = true, scale = 0.35 : f32, feature_map = "elu"} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x1x?xf32>) -> tensor<1x4x?x8xf32>
  %out = genc.attention %h, %keys1, %values1 mask(%perQuery) {causal = true, scale = 0.35 : f32, feature_map = "elu"} : (tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x1x?x?xf32>) -> tensor<1x4x?x8xf32>
  return %out, %keys, %values, %keys1, %values1 : tensor<1x4x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>
}
