// RUN: genc-opt --split-input-file --genc-rewrite-attention="spec=window:16,sinks:4,global:2" %s | FileCheck %s --check-prefix=SPARSE
// RUN: genc-opt --split-input-file --genc-rewrite-attention="spec=gqa:2" %s | FileCheck %s --check-prefix=GQA

// A window with sinks and global tokens is three attributes.
// SPARSE-LABEL: func.func @main
// SPARSE: genc.attention %arg0, %arg1, %arg2 {causal = true, global_tokens = 2 : i64, scale = 2.500000e-01 : f32, sinks = 4 : i64, window = 16 : i64}
// GQA pools 4 KV heads into 2 by averaging adjacent pairs: heads (0, 1) and
// (2, 3) are the strided slices {0, 2} and {1, 3} summed, halved.
// GQA-LABEL: func.func @main
// GQA-DAG: %[[HALF:.+]] = arith.constant dense<5.000000e-01> : tensor<f32>
// GQA-DAG: %[[K0:.+]] = tensor.extract_slice %arg1[0, 0, 0, 0] [%{{.+}}, 2, %{{.+}}, 16] [1, 2, 1, 1]
// GQA-DAG: %[[K1:.+]] = tensor.extract_slice %arg1[0, 1, 0, 0] [%{{.+}}, 2, %{{.+}}, 16] [1, 2, 1, 1]
// GQA: %[[KSUM:.+]] = genc.add %[[K0]], %[[K1]]
// GQA: %[[K:.+]] = genc.mul %[[KSUM]], %[[HALF]]
// GQA: genc.attention %arg0, %[[K]], %{{.+}} {causal = true, scale = 2.500000e-01 : f32} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x16xf32>
func.func @main(%q: tensor<?x8x?x16xf32>, %k: tensor<?x4x?x16xf32>, %v: tensor<?x4x?x16xf32>) -> tensor<?x8x?x16xf32> {
  %0 = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %0 : tensor<?x8x?x16xf32>
}

// -----

// A session's KV cache holds the pooled heads: the new rows are pooled
// before they are written, the cache argument shrinks to 2 heads, and
// attention reads its prefix. Cross-attention (keys from the encoder) is
// not a layer and stays as it is.
// SPARSE-LABEL: func.func @main
// SPARSE: %[[SELF:.+]] = genc.attention {{.+}} {causal = true, global_tokens = 2 : i64, scale = 2.500000e-01 : f32, sinks = 4 : i64, window = 16 : i64}
// SPARSE: genc.attention %[[SELF]], %arg3, %arg3 {scale = 2.500000e-01 : f32}
// GQA-LABEL: func.func @main
// GQA-SAME: %arg1: tensor<?x2x?x16xf32> {genc.kv_cache, genc.name = "past_key_values.0.key"}
// GQA-SAME: %arg2: tensor<?x2x?x16xf32> {genc.kv_cache, genc.name = "past_key_values.0.value"}
// GQA: %[[NEW:.+]] = genc.mul
// GQA: %[[WRITTEN:.+]] = tensor.insert_slice %[[NEW]] into %arg1[0, 0, %{{.+}}, 0] [%{{.+}}, 2, %{{.+}}, 16] [1, 1, 1, 1] : tensor<?x2x?x16xf32> into tensor<?x2x?x16xf32>
// GQA: %[[KEYS:.+]] = tensor.extract_slice %[[WRITTEN]][0, 0, 0, 0] [%{{.+}}, 2, %{{.+}}, 16]
// GQA: %[[SELF:.+]] = genc.attention %arg0, %[[KEYS]], %{{.+}} {causal
// GQA: genc.attention %[[SELF]], %arg3, %arg3 {scale
// GQA-SAME: tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
func.func @main(%q: tensor<?x8x?x16xf32>,
                %kcache: tensor<?x4x?x16xf32> {genc.kv_cache, genc.name = "past_key_values.0.key"},
                %vcache: tensor<?x4x?x16xf32> {genc.kv_cache, genc.name = "past_key_values.0.value"},
                %source: tensor<?x4x?x16xf32> {genc.name = "encoder_hidden_states"},
                %newk: tensor<?x4x?x16xf32>, %newv: tensor<?x4x?x16xf32>, %past: index) -> tensor<?x8x?x16xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %newk, %c0 : tensor<?x4x?x16xf32>
  %s = tensor.dim %newk, %c2 : tensor<?x4x?x16xf32>
  %total = arith.addi %past, %s : index
  %wk = tensor.insert_slice %newk into %kcache[0, 0, %past, 0] [%b, 4, %s, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> into tensor<?x4x?x16xf32>
  %keys = tensor.extract_slice %wk[0, 0, 0, 0] [%b, 4, %total, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x4x?x16xf32>
  %wv = tensor.insert_slice %newv into %vcache[0, 0, %past, 0] [%b, 4, %s, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> into tensor<?x4x?x16xf32>
  %values = tensor.extract_slice %wv[0, 0, 0, 0] [%b, 4, %total, 16] [1, 1, 1, 1] : tensor<?x4x?x16xf32> to tensor<?x4x?x16xf32>
  %0 = genc.attention %q, %keys, %values {causal = true, scale = 0.25 : f32} : (tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x8x?x16xf32>
  %1 = genc.attention %0, %source, %source {scale = 0.25 : f32} : (tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %1 : tensor<?x8x?x16xf32>
}

// -----

// An exported past: Concat(past, new) feeds attention and is returned as the
// present. The past argument, the concat and the present take 2 heads.
// GQA-LABEL: func.func @main
// GQA-SAME: %arg1: tensor<?x2x?x16xf32>
// GQA-SAME: -> (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>)
// GQA: %[[K:.+]] = genc.concat %arg1, %{{.+}} {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
// GQA: %[[V:.+]] = genc.concat %arg2, %{{.+}} {axis = 2 : i64} : (tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x2x?x16xf32>
// GQA: return %{{.+}}, %[[K]], %[[V]]
func.func @main(%q: tensor<?x8x?x16xf32>, %pastk: tensor<?x4x?x16xf32>, %pastv: tensor<?x4x?x16xf32>,
                %newk: tensor<?x4x?x16xf32>, %newv: tensor<?x4x?x16xf32>) -> (tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) {
  %k = genc.concat %pastk, %newk {axis = 2 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %v = genc.concat %pastv, %newv {axis = 2 : i64} : (tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x4x?x16xf32>
  %0 = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %0, %k, %v : tensor<?x8x?x16xf32>, tensor<?x4x?x16xf32>, tensor<?x4x?x16xf32>
}
