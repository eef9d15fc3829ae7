// RUN: genc-opt --genc-rewrite-attention="spec=bigbird:4@layers=0,bigbird:2:1:0@layers=1,gqa:2@layers=1" %s | FileCheck %s
// RUN: genc-opt --genc-rewrite-attention="spec=lsh:8@layers=0,lsh:4:3:16@layers=1" %s | FileCheck %s --check-prefix=LSH
// RUN: not genc-opt --genc-rewrite-attention="spec=lsh:5" %s 2>&1 | FileCheck %s --check-prefix=LSH-SYNTAX
// RUN: not genc-opt --genc-rewrite-attention="spec=lsh:8,linear@layers=1" %s 2>&1 | FileCheck %s --check-prefix=LSH-BOTH
// RUN: not genc-opt --genc-rewrite-attention="spec=bigbird:8" %s 2>&1 | FileCheck %s --check-prefix=CONTEXT
// RUN: not genc-opt --genc-rewrite-attention="spec=bigbird:4,window:8@layers=1" %s 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not genc-opt --genc-rewrite-attention="spec=bigbird:4:65" %s 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not genc-opt --genc-rewrite-attention="spec=bigbird:0" %s 2>&1 | FileCheck %s --check-prefix=SYNTAX

// BigBird is the block size, the random blocks per query block, the global
// positions (whole blocks: 2 by default) and a seed per layer (its index,
// so layers draw different blocks). It combines with GQA.
// CHECK: %[[L0:.+]] = genc.attention %arg0, %arg1, %arg2 {block = 4 : i64, causal = true, global_tokens = 8 : i64, random_blocks = 3 : i64, scale = 2.500000e-01 : f32}
// CHECK: genc.attention %[[L0]], %{{.+}}, %{{.+}} {block = 2 : i64, causal = true, random_blocks = 1 : i64, scale = 2.500000e-01 : f32, seed = 1 : i64} : (tensor<2x4x32x16xf32>, tensor<2x2x32x16xf32>, tensor<2x2x32x16xf32>)

// LSH (Reformer): buckets, hashing rounds (default 2), chunk size
// (default 64) and the layer's seed for its rotations.
// LSH: %[[L0:.+]] = genc.attention %arg0, %arg1, %arg2 {causal = true, lsh_buckets = 8 : i64, lsh_hashes = 2 : i64, scale = 2.500000e-01 : f32}
// LSH: genc.attention %[[L0]], %arg1, %arg2 {causal = true, lsh_buckets = 4 : i64, lsh_chunk = 16 : i64, lsh_hashes = 3 : i64, scale = 2.500000e-01 : f32, seed = 1 : i64}
// LSH-SYNTAX: error: --attention=lsh:5: 'lsh' takes an even number of buckets, then optionally hashing rounds (1 to 64, default 2) and the chunk size (default 64), as lsh:16:2:64
// LSH-BOTH: error: --attention: layer 1 gets both lsh:8 and linear@layers=1; LSH attention chooses its keys by their buckets alone

// Errors name the option.
// CONTEXT: error: --attention=bigbird:8: layer 0 attends over 32 positions, and 32 of them (the global and neighbouring blocks) are seen anyway, so BigBird changes nothing; choose smaller blocks
// BOTH: error: --attention: layer 1 gets both bigbird:4 and window:8@layers=1; BigBird has its own window
// SYNTAX: error: --attention=bigbird:{{.+}}: 'bigbird' takes a block size, then optionally random blocks per query block (0 to 64, default 3) and global blocks (default 2), as bigbird:64:3:2
func.func @main(%q: tensor<2x4x32x16xf32>, %k: tensor<2x4x32x16xf32>, %v: tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32> {
  %0 = genc.attention %q, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  %1 = genc.attention %0, %k, %v {causal = true, scale = 0.25 : f32} : (tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>, tensor<2x4x32x16xf32>) -> tensor<2x4x32x16xf32>
  return %1 : tensor<2x4x32x16xf32>
}
