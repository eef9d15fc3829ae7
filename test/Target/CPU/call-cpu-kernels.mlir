// RUN: genc-opt --genc-call-cpu-kernels --cse --split-input-file %s | FileCheck %s

#lhs = affine_map<(b, m, k, n) -> (b, m, k)>
#rhs = affine_map<(b, m, k, n) -> (n floordiv 32, k, n mod 32)>
#out = affine_map<(b, m, k, n) -> (b, m, n)>

// A marked matmul on buffers becomes one kernel call: the caller's context
// (a new first argument), the check the kernel fails the call with (1: the
// line of genc_checks that names the ONNX node, the kernel saying what went
// wrong), C, A, B as unranked memrefs (strided views included), B's layout
// (1: 32-wide panels), whether to add to C (1: C is the caller's, with
// values) and no epilogue (a null pointer).
// CHECK-LABEL: func.func @panels
// CHECK-SAME: (%[[CTX:[^:]+]]: !llvm.ptr {genc.context}, %[[AARG:[^:]+]]: memref<?x?x3xf32, {{.*}}>, %[[BARG:[^:]+]]: memref<2x3x32xf32>, %[[CARG:[^:]+]]: memref<?x?x40xf32>)
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[C:.+]] = memref.cast %[[CARG]] : memref<?x?x40xf32> to memref<*xf32>
// CHECK-DAG: %[[A:.+]] = memref.cast %[[AARG]] : memref<?x?x3xf32, strided<[?, ?, 1], offset: ?>> to memref<*xf32>
// CHECK-DAG: %[[B:.+]] = memref.cast %[[BARG]] : memref<2x3x32xf32> to memref<*xf32>
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[NONE:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK: call @genc_matmul_f32(%[[CTX]], %[[ONE]], %[[C]], %[[A]], %[[B]], %[[ONE]], %[[ONE]], %[[NONE]])
// CHECK: llvm.mlir.global external constant @genc_checks("1 node 'h.0/attn/MatMul' of model.onnx: {reason}\0A\00")
// CHECK: func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)
// CHECK-SAME: llvm.emit_c_interface
func.func @panels(%a: memref<?x?x3xf32, strided<[?, ?, 1], offset: ?>>, %b: memref<2x3x32xf32>,
                  %c: memref<?x?x40xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x?x3xf32, strided<[?, ?, 1], offset: ?>>, memref<2x3x32xf32>)
      outs(%c : memref<?x?x40xf32>) attrs = {genc.matmul = #genc.matmul<panels_32, f32>} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } loc("h.0/attn/MatMul"("model.onnx":1:1))
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// Not yet bufferized, or not f32: the loops stay.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: call
// CHECK: linalg.generic
// CHECK: linalg.generic
func.func @untouched(%a: tensor<?x3xf32>, %b: tensor<3x4xf32>, %c: tensor<?x4xf32>,
                     %i: memref<?x3xi32>, %j: memref<3x4xi32>, %k: memref<?x4xi32>) -> tensor<?x4xf32> {
  %r = linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                       iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : tensor<?x3xf32>, tensor<3x4xf32>) outs(%c : tensor<?x4xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%i, %j : memref<?x3xi32>, memref<3x4xi32>) outs(%k : memref<?x4xi32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%x: i32, %y: i32, %acc: i32):
    %p = arith.muli %x, %y : i32
    %s = arith.addi %acc, %p : i32
    linalg.yield %s : i32
  }
  return %r : tensor<?x4xf32>
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (k, n)>
#out = affine_map<(m, k, n) -> (m, n)>

// A fresh buffer filled with +0.0 just for the matmul: the fill goes and
// the kernel writes C (accumulate 0). A buffer read in between keeps its
// fill, and the kernel adds to it.
// CHECK-LABEL: func.func @zero_fill
// CHECK: %[[FRESH:.+]] = memref.alloc
// CHECK-NOT: linalg.fill
// CHECK: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: %[[C1:.+]] = memref.cast %[[FRESH]]
// CHECK: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK: call @genc_matmul_f32(%{{.+}}, %[[ONE]], %[[C1]], %{{.+}}, %{{.+}}, %[[ZERO]], %[[ZERO]], %{{.+}})
// CHECK: %[[READ:.+]] = memref.alloc
// CHECK: linalg.fill
// CHECK: memref.load %[[READ]]
// CHECK: %[[C2:.+]] = memref.cast %[[READ]]
// CHECK: call @genc_matmul_f32(%{{.+}}, %[[ONE]], %[[C2]], %{{.+}}, %{{.+}}, %[[ZERO]], %[[ONE]], %{{.+}})
func.func @zero_fill(%a: memref<4x3xf32>, %b: memref<3x5xf32>) -> (memref<4x5xf32>, memref<4x5xf32>, f32) {
  %zero = arith.constant 0.0 : f32
  %i = arith.constant 0 : index
  %fresh = memref.alloc() : memref<4x5xf32>
  linalg.fill ins(%zero : f32) outs(%fresh : memref<4x5xf32>)
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<4x3xf32>, memref<3x5xf32>) outs(%fresh : memref<4x5xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  %read = memref.alloc() : memref<4x5xf32>
  linalg.fill ins(%zero : f32) outs(%read : memref<4x5xf32>)
  %v = memref.load %read[%i, %i] : memref<4x5xf32>
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<4x3xf32>, memref<3x5xf32>) outs(%read : memref<4x5xf32>)
      attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return %fresh, %read, %v : memref<4x5xf32>, memref<4x5xf32>, f32
}

// -----

#lhs = affine_map<(b0, b1, b2, b3, b4, b5, b6, b7, b8, m, k, n) -> (b0, b1, b2, b3, b4, b5, b6, b7, b8, m, k)>
#rhs = affine_map<(b0, b1, b2, b3, b4, b5, b6, b7, b8, m, k, n) -> (k, n)>
#out = affine_map<(b0, b1, b2, b3, b4, b5, b6, b7, b8, m, k, n) -> (b0, b1, b2, b3, b4, b5, b6, b7, b8, m, n)>

// Nine batch dims are more than the kernel takes: the loops stay.
// CHECK-LABEL: func.func @too_many_batch_dims
// CHECK-NOT: call
// CHECK: linalg.generic
func.func @too_many_batch_dims(%a: memref<1x1x1x1x1x1x1x1x2x5x3xf32>, %b: memref<3x4xf32>,
                               %c: memref<1x1x1x1x1x1x1x1x2x5x4xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel",
                                    "parallel", "parallel", "parallel", "parallel", "parallel",
                                    "reduction", "parallel"]}
      ins(%a, %b : memref<1x1x1x1x1x1x1x1x2x5x3xf32>, memref<3x4xf32>)
      outs(%c : memref<1x1x1x1x1x1x1x1x2x5x4xf32>) attrs = {genc.matmul = #genc.matmul<row_major, f32>} {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// genc.attention_kernel becomes one call of genc_attention_f32: context,
// check, out, Q, K, V, the mask (here none: out stands in, hasMask 0), scale,
// causal, window, softcap, the causal offset as i64, sinks, global
// tokens, whether the mask comes after the soft-cap, BigBird's block,
// random blocks and seed (here none), LSH's buckets (none), hashes and
// chunk (their defaults), and the session state's slot (none: -1).
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[CTX:[^:]+]]: !llvm.ptr {genc.context}, %[[QARG:[^:]+]]: memref<1x8x?x16xf32>, %[[KARG:[^:]+]]: memref<1x2x?x16xf32, {{.*}}>, %[[OARG:[^:]+]]: memref<1x8x?x16xf32>, %[[OFF:[^:]+]]: index)
// CHECK-DAG: %[[O:.+]] = memref.cast %[[OARG]] : memref<1x8x?x16xf32> to memref<*xf32>
// CHECK-DAG: %[[Q:.+]] = memref.cast %[[QARG]] : memref<1x8x?x16xf32> to memref<*xf32>
// CHECK-DAG: %[[K:.+]] = memref.cast %[[KARG]]
// CHECK-DAG: %[[ZERO:.+]] = arith.constant 0 : i64
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK-DAG: %[[WINDOW:.+]] = arith.constant 256 : i64
// CHECK-DAG: %[[SINKS:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[GLOBAL:.+]] = arith.constant 2 : i64
// CHECK-DAG: %[[CHUNK:.+]] = arith.constant 64 : i64
// CHECK-DAG: %[[NOSLOT:.+]] = arith.constant -1 : i64
// CHECK-DAG: %[[SCALE:.+]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[CAP:.+]] = arith.constant 3.000000e+01 : f32
// CHECK-DAG: %[[OFF64:.+]] = arith.index_cast %[[OFF]] : index to i64
// CHECK: call @genc_attention_f32(%[[CTX]], %[[ONE]], %[[O]], %[[Q]], %[[K]], %[[K]], %[[O]], %[[ZERO]], %[[SCALE]], %[[ONE]], %[[WINDOW]], %[[CAP]], %[[OFF64]], %[[SINKS]], %[[GLOBAL]], %[[ONE]], %[[ZERO]], %[[ZERO]], %[[ZERO]], %[[ZERO]], %[[ONE]], %[[CHUNK]], %[[NOSLOT]])
// CHECK-NOT: genc.attention_kernel
// CHECK: func.func private @genc_attention_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, f32, i64, i64, f32, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64)
// CHECK-SAME: llvm.emit_c_interface
func.func @attention(%q: memref<1x8x?x16xf32>, %k: memref<1x2x?x16xf32, strided<[?, ?, ?, ?], offset: ?>>,
                     %out: memref<1x8x?x16xf32>, %offset: index) {
  genc.attention_kernel %out, %q, %k, %k offset %offset {scale = 0.25 : f32, causal = true, window = 256 : i64, softcap = 30.0 : f32, sinks = 4 : i64, global_tokens = 2 : i64, mask_after_softcap = true} : memref<1x8x?x16xf32>, memref<1x8x?x16xf32>, memref<1x2x?x16xf32, strided<[?, ?, ?, ?], offset: ?>>, memref<1x2x?x16xf32, strided<[?, ?, ?, ?], offset: ?>>
  return
}

// -----

// An LSH layer's session state slot is the call's last argument.
// CHECK-LABEL: func.func @lsh_attention
// CHECK-DAG: %[[BUCKETS:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[SLOT:.+]] = arith.constant 2 : i64
// CHECK-DAG: %[[CHUNK:.+]] = arith.constant 32 : i64
// CHECK: call @genc_attention_f32({{.+}}, %[[BUCKETS]], %{{.+}}, %[[CHUNK]], %[[SLOT]])
func.func @lsh_attention(%q: memref<1x8x?x16xf32>, %out: memref<1x8x?x16xf32>, %offset: index) {
  genc.attention_kernel %out, %q, %q, %q offset %offset {scale = 0.25 : f32, causal = true, lsh_buckets = 8 : i64, lsh_hashes = 2 : i64, lsh_chunk = 32 : i64, state_slot = 2 : i64} : memref<1x8x?x16xf32>, memref<1x8x?x16xf32>, memref<1x8x?x16xf32>, memref<1x8x?x16xf32>
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#pairs = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 2, n mod 32, k mod 2)>
#scale = affine_map<(m, k, n) -> (n floordiv 32, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Int8 weights in panels of k pairs with a scale per column: the int8
// kernel, which takes the scales after B and no layout (panels only).
// CHECK-LABEL: func.func @int8_weights
// CHECK-SAME: (%[[CTX:[^:]+]]: !llvm.ptr {genc.context}, %[[AARG:[^:]+]]: memref<?x3xf32>, %[[BARG:[^:]+]]: memref<2x2x32x2xi8>, %[[SARG:[^:]+]]: memref<2x32xf32>, %[[CARG:[^:]+]]: memref<?x40xf32>)
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[B:.+]] = memref.cast %[[BARG]] : memref<2x2x32x2xi8> to memref<*xi8>
// CHECK-DAG: %[[S:.+]] = memref.cast %[[SARG]] : memref<2x32xf32> to memref<*xf32>
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: call @genc_matmul_f32_i8(%[[CTX]], %[[ONE]], %{{.+}}, %{{.+}}, %[[B]], %[[S]], %[[ONE]], %{{.+}})
// CHECK: func.func private @genc_matmul_f32_i8(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xi8>, memref<*xf32>, i64, !llvm.ptr)
func.func @int8_weights(%a: memref<?x3xf32>, %b: memref<2x2x32x2xi8>, %s: memref<2x32xf32>,
                        %c: memref<?x40xf32>) {
  linalg.generic {indexing_maps = [#lhs, #pairs, #scale, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b, %s : memref<?x3xf32>, memref<2x2x32x2xi8>, memref<2x32xf32>)
      outs(%c : memref<?x40xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i8, column_scale>} {
  ^bb0(%x: f32, %q: i8, %sc: f32, %acc: f32):
    %w = arith.sitofp %q : i8 to f32
    %d = arith.mulf %w, %sc : f32
    %p = arith.mulf %x, %d : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 2, n mod 32, k mod 2)>
#out = affine_map<(m, k, n) -> (m, n)>

// int8 weights without scales, a matmul of integers: the integer kernel,
// which takes A as it is; no scales, no layout.
// CHECK-LABEL: func.func @int8_integers
// CHECK: %[[B:.+]] = memref.cast %{{.+}} : memref<2x2x32x2xi8> to memref<*xi8>
// CHECK: call @genc_matmul_i8_integers(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[B]], %{{.+}}, %{{.+}}) : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xi8>, i64, !llvm.ptr) -> ()
func.func @int8_integers(%a: memref<?x3xf32>, %b: memref<2x2x32x2xi8>, %c: memref<?x40xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x3xf32>, memref<2x2x32x2xi8>)
      outs(%c : memref<?x40xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i8>} {
  ^bb0(%x: f32, %q: i8, %acc: f32):
    %w = arith.sitofp %q : i8 to f32
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#rhs = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 2, n mod 32, k mod 2)>
#out = affine_map<(m, k, n) -> (m, n)>

// bf16 weights in pairs of k: the bf16 kernel, no layout.
// CHECK-LABEL: func.func @bf16_weights
// CHECK: %[[B:.+]] = memref.cast %{{.+}} : memref<2x2x32x2xbf16> to memref<*xbf16>
// CHECK: call @genc_matmul_bf16(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[B]], %{{.+}}, %{{.+}}) : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xbf16>, i64, !llvm.ptr) -> ()
func.func @bf16_weights(%a: memref<?x3xf32>, %b: memref<2x2x32x2xbf16>, %c: memref<?x40xf32>) {
  linalg.generic {indexing_maps = [#lhs, #rhs, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b : memref<?x3xf32>, memref<2x2x32x2xbf16>)
      outs(%c : memref<?x40xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, bf16>} {
  ^bb0(%x: f32, %w: bf16, %acc: f32):
    %t = arith.truncf %x : f32 to bf16
    %xe = arith.extf %t : bf16 to f32
    %we = arith.extf %w : bf16 to f32
    %p = arith.mulf %xe, %we : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#bytes = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 16)>
#groups = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 64, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// int4 weights: the int4 kernel with B's bytes, the scales, the offsets
// and the group size from the marker.
// CHECK-LABEL: func.func @int4_weights
// CHECK-SAME: (%[[CTX:[^:]+]]: !llvm.ptr {genc.context}, %[[AARG:[^:]+]]: memref<?x70xf32>, %[[BARG:[^:]+]]: memref<2x70x16xi8>, %[[SARG:[^:]+]]: memref<2x2x32xf32>, %[[OARG:[^:]+]]: memref<2x2x32xf32>, %[[CARG:[^:]+]]: memref<?x40xf32>)
// CHECK-DAG: %[[C:.+]] = memref.cast %[[CARG]] : memref<?x40xf32> to memref<*xf32>
// CHECK-DAG: %[[A:.+]] = memref.cast %[[AARG]] : memref<?x70xf32> to memref<*xf32>
// CHECK-DAG: %[[B:.+]] = memref.cast %[[BARG]] : memref<2x70x16xi8> to memref<*xi8>
// CHECK-DAG: %[[S:.+]] = memref.cast %[[SARG]] : memref<2x2x32xf32> to memref<*xf32>
// CHECK-DAG: %[[O:.+]] = memref.cast %[[OARG]] : memref<2x2x32xf32> to memref<*xf32>
// CHECK-DAG: %[[GROUP:.+]] = arith.constant 64 : i64
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: call @genc_matmul_f32_i4(%[[CTX]], %[[ONE]], %[[C]], %[[A]], %[[B]], %[[S]], %[[O]], %[[GROUP]], %[[ONE]], %{{.+}})
// CHECK: func.func private @genc_matmul_f32_i4(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xi8>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)
func.func @int4_weights(%a: memref<?x70xf32>, %b: memref<2x70x16xi8>, %s: memref<2x2x32xf32>,
                        %o: memref<2x2x32xf32>, %c: memref<?x40xf32>) {
  linalg.generic {indexing_maps = [#lhs, #bytes, #groups, #groups, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b, %s, %o : memref<?x70xf32>, memref<2x70x16xi8>, memref<2x2x32xf32>, memref<2x2x32xf32>)
      outs(%c : memref<?x40xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i4, group_scale_offset, group = 64>} {
  ^bb0(%x: f32, %q: i8, %sc: f32, %off: f32, %acc: f32):
    %n = linalg.index 2 : index
    %c32 = arith.constant 32 : index
    %col = arith.remui %n, %c32 : index
    %c16 = arith.constant 16 : index
    %high = arith.cmpi uge, %col, %c16 : index
    %c4 = arith.constant 4 : i8
    %shifted = arith.shrui %q, %c4 : i8
    %picked = arith.select %high, %shifted, %q : i8
    %c15 = arith.constant 15 : i8
    %nib = arith.andi %picked, %c15 : i8
    %qf = arith.uitofp %nib : i8 to f32
    %w0 = arith.mulf %qf, %sc : f32
    %w = arith.addf %w0, %off : f32
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#bytes = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 16)>
#groups = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 32, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// int4 weights whose scales and offsets are f16: the kernel that reads
// them in half precision.
// CHECK-LABEL: func.func @int4_weights_f16_parameters
// CHECK: call @genc_matmul_f32_i4_f16({{.+}}) : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xi8>, memref<*xf16>, memref<*xf16>, i64, i64, !llvm.ptr) -> ()
func.func @int4_weights_f16_parameters(%a: memref<?x64xf32>, %b: memref<1x64x16xi8>,
                                       %s: memref<1x2x32xf16>, %o: memref<1x2x32xf16>,
                                       %c: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#lhs, #bytes, #groups, #groups, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b, %s, %o : memref<?x64xf32>, memref<1x64x16xi8>, memref<1x2x32xf16>, memref<1x2x32xf16>)
      outs(%c : memref<?x32xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i4, group_scale_offset, group = 32>} {
  ^bb0(%x: f32, %q: i8, %sc: f16, %off: f16, %acc: f32):
    %n = linalg.index 2 : index
    %c32 = arith.constant 32 : index
    %col = arith.remui %n, %c32 : index
    %c16 = arith.constant 16 : index
    %high = arith.cmpi uge, %col, %c16 : index
    %c4 = arith.constant 4 : i8
    %shifted = arith.shrui %q, %c4 : i8
    %picked = arith.select %high, %shifted, %q : i8
    %c15 = arith.constant 15 : i8
    %nib = arith.andi %picked, %c15 : i8
    %qf = arith.uitofp %nib : i8 to f32
    %scf = arith.extf %sc : f16 to f32
    %offf = arith.extf %off : f16 to f32
    %w0 = arith.mulf %qf, %scf : f32
    %w = arith.addf %w0, %offf : f32
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#bytes = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 16)>
#groups = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 32, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// f16 scales with f32 offsets: no kernel takes them, the loops stay.
// CHECK-LABEL: func.func @int4_weights_mixed_parameters
// CHECK-NOT: call @genc_matmul
// CHECK: linalg.generic
func.func @int4_weights_mixed_parameters(%a: memref<?x64xf32>, %b: memref<1x64x16xi8>,
                                         %s: memref<1x2x32xf16>, %o: memref<1x2x32xf32>,
                                         %c: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#lhs, #bytes, #groups, #groups, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b, %s, %o : memref<?x64xf32>, memref<1x64x16xi8>, memref<1x2x32xf16>, memref<1x2x32xf32>)
      outs(%c : memref<?x32xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i4, group_scale_offset, group = 32>} {
  ^bb0(%x: f32, %q: i8, %sc: f16, %off: f32, %acc: f32):
    %nib = arith.uitofp %q : i8 to f32
    %scf = arith.extf %sc : f16 to f32
    %w0 = arith.mulf %nib, %scf : f32
    %w = arith.addf %w0, %off : f32
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// -----

#lhs = affine_map<(m, k, n) -> (m, k)>
#bytes = affine_map<(m, k, n) -> (n floordiv 32, k, n mod 16)>
#groups = affine_map<(m, k, n) -> (n floordiv 32, k floordiv 32, n mod 32)>
#out = affine_map<(m, k, n) -> (m, n)>

// Symmetric int4 weights (scales only, each offset -8 · scale): the
// symmetric kernels, one operand fewer; f16 scales take the one that
// reads them in half precision.
// CHECK-LABEL: func.func @int4_symmetric_weights
// CHECK: call @genc_matmul_f32_i4_symmetric_f16({{.+}}) : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xi8>, memref<*xf16>, i64, i64, !llvm.ptr) -> ()
// CHECK: call @genc_matmul_f32_i4_symmetric({{.+}}) : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xi8>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
func.func @int4_symmetric_weights(%a: memref<?x64xf32>, %b: memref<1x64x16xi8>,
                                  %hs: memref<1x2x32xf16>, %fs: memref<1x2x32xf32>,
                                  %c: memref<?x32xf32>) {
  linalg.generic {indexing_maps = [#lhs, #bytes, #groups, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b, %hs : memref<?x64xf32>, memref<1x64x16xi8>, memref<1x2x32xf16>)
      outs(%c : memref<?x32xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i4, group_scale, group = 32>} {
  ^bb0(%x: f32, %q: i8, %sc: f16, %acc: f32):
    %nib = arith.uitofp %q : i8 to f32
    %scf = arith.extf %sc : f16 to f32
    %m8 = arith.constant -8.0 : f32
    %off = arith.mulf %scf, %m8 : f32
    %w0 = arith.mulf %nib, %scf : f32
    %w = arith.addf %w0, %off : f32
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#lhs, #bytes, #groups, #out],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%a, %b, %fs : memref<?x64xf32>, memref<1x64x16xi8>, memref<1x2x32xf32>)
      outs(%c : memref<?x32xf32>)
      attrs = {genc.matmul = #genc.matmul<panels_32, i4, group_scale, group = 32>} {
  ^bb0(%x: f32, %q: i8, %sc: f32, %acc: f32):
    %nib = arith.uitofp %q : i8 to f32
    %m8 = arith.constant -8.0 : f32
    %off = arith.mulf %sc, %m8 : f32
    %w0 = arith.mulf %nib, %sc : f32
    %w = arith.addf %w0, %off : f32
    %p = arith.mulf %x, %w : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}
