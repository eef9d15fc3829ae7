// RUN: genc-opt --genc-convert-to-linalg --split-input-file --verify-diagnostics %s | FileCheck %s

// Elementwise ops share one lowering: a generic over the broadcast result;
// a static unit dim reads index 0.
// CHECK-DAG: #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @broadcast_add
// CHECK: %[[B:.+]] = tensor.dim %arg0, %c0
// CHECK: %[[E:.+]] = tensor.empty(%[[B]]) : tensor<?x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.addf
// CHECK-NOT: genc.
func.func @broadcast_add(%a: tensor<?x4xf32>, %b: tensor<1x4xf32>) -> tensor<?x4xf32> {
  %0 = genc.add %a, %b : (tensor<?x4xf32>, tensor<1x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// A batched matmul against a 2-D weight: the weight map has no batch dim;
// loops are (batch, m, k, n) so the innermost loop has no reduction.
// CHECK-DAG: #[[LHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[RHS:.+]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @matmul
// CHECK: linalg.fill
// An f32 matmul is marked for the CPU kernel (genc-call-cpu-kernels).
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[OUT]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK-SAME: genc.matmul = #genc.matmul<row_major, f32>
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul(%x: tensor<?x?x64xf32>, %w: tensor<64x32xf32>) -> tensor<?x?x32xf32> {
  %0 = genc.matmul %x, %w : (tensor<?x?x64xf32>, tensor<64x32xf32>) -> tensor<?x?x32xf32>
  return %0 : tensor<?x?x32xf32>
}

// -----

// Calibration statistics on a matmul or a Gemm stay on the generic that
// computes its product, for the CPU target's calibrated quantisation.
// CHECK-LABEL: func.func @calibrated
// CHECK: linalg.generic
// CHECK-SAME: genc.input_gram = dense<{{\[}}[1.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
// CHECK-SAME: genc.matmul = #genc.matmul<row_major, f32>
// CHECK: linalg.generic
// CHECK-SAME: genc.input_gram = dense<3.000000e+00> : tensor<2x2xf32>
// CHECK-SAME: genc.matmul = #genc.matmul<row_major, f32>
func.func @calibrated(%x: tensor<?x2xf32>, %w: tensor<2x3xf32>, %v: tensor<3x2xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %0 = genc.matmul %x, %w {genc.input_gram = dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>} : (tensor<?x2xf32>, tensor<2x3xf32>) -> tensor<?x3xf32>
  %1 = genc.gemm %x, %v {trans_b = true, genc.input_gram = dense<3.0> : tensor<2x2xf32>} : (tensor<?x2xf32>, tensor<3x2xf32>) -> tensor<?x3xf32>
  return %0, %1 : tensor<?x3xf32>, tensor<?x3xf32>
}

// -----

// Attention the fused kernel does not take (f16 here) stays loops. GQA:
// query head h reads KV head h floordiv (Hq / Hkv); causal masking
// compares j with i + (Skv - Sq).
// CHECK-DAG: #[[KV:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1 floordiv 4, d3, d4)>
// CHECK-LABEL: func.func @gqa
// CHECK: linalg.generic {indexing_maps = [{{.+}}, #[[KV]], {{.+}}]
// CHECK: arith.cmpi sle
// CHECK: math.exp
// CHECK-NOT: genc.attention_kernel
func.func @gqa(%q: tensor<?x8x?x16xf16>, %k: tensor<?x2x?x16xf16>) -> tensor<?x8x?x16xf16> {
  %0 = genc.attention %q, %k, %k {scale = 0.25 : f32, causal = true} : (tensor<?x8x?x16xf16>, tensor<?x2x?x16xf16>, tensor<?x2x?x16xf16>) -> tensor<?x8x?x16xf16>
  return %0 : tensor<?x8x?x16xf16>
}

// -----

// A boolean mask hides keys after the softcap, the kernel's additive mask
// before it: with both, the loops.
// CHECK-LABEL: func.func @softcap_bool_mask
// CHECK-NOT: genc.attention_kernel
// CHECK: math.tanh
func.func @softcap_bool_mask(%q: tensor<1x2x4x8xf32>, %keep: tensor<1x1x4x4xi1>) -> tensor<1x2x4x8xf32> {
  %0 = genc.attention %q, %q, %q mask(%keep) {scale = 0.25 : f32, softcap = 30.0 : f32} : (tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x2x4x8xf32>, tensor<1x1x4x4xi1>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// f32 attention is the fused kernel's: Q, K, V and the mask are read in
// place as buffers of any strides, a boolean mask becomes 0 / -inf, the
// causal offset is Skv - Sq, and the result is a fresh buffer. No scores
// are computed here.
// CHECK-LABEL: func.func @fused
// CHECK: %[[NEGINF:.+]] = arith.constant 0xFF800000 : f32
// CHECK: %[[ADDITIVE:.+]] = linalg.generic
// CHECK: arith.select %{{.+}}, %{{.+}}, %[[NEGINF]] : f32
// CHECK: %[[OUT:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x8x?x16xf32>
// CHECK-DAG: %[[Q:.+]] = bufferization.to_buffer %arg0 read_only : tensor<?x8x?x16xf32> to memref<?x8x?x16xf32, strided<[?, ?, ?, ?], offset: ?>>
// CHECK-DAG: %[[K:.+]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG: %[[MASK:.+]] = bufferization.to_buffer %[[ADDITIVE]] read_only
// CHECK-DAG: %[[OFFSET:.+]] = arith.subi
// CHECK: genc.attention_kernel %[[OUT]], %[[Q]], %[[K]], %{{.+}} mask(%[[MASK]]) offset %[[OFFSET]] {causal = true, scale = 2.500000e-01 : f32, window = 64 : i64}
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: math.exp
func.func @fused(%q: tensor<?x8x?x16xf32> {genc.dim_names = ["B", "", "S", ""]},
                 %k: tensor<?x2x?x16xf32> {genc.dim_names = ["B", "", "T", ""]},
                 %keep: tensor<?x1x1x?xi1> {genc.dim_names = ["B", "", "", "T"]}) -> tensor<?x8x?x16xf32> {
  %0 = genc.attention %q, %k, %k mask(%keep) {scale = 0.25 : f32, causal = true, window = 64 : i64} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x1x?xi1>) -> tensor<?x8x?x16xf32>
  return %0 : tensor<?x8x?x16xf32>
}

// -----

// Causality counted from the first key: the offset is 0, not Skv - Sq.
// (The printer names an index constant 0 %c0, %c0_1, ...)
// CHECK-LABEL: func.func @fused_from_start
// CHECK-NOT: arith.subi
// CHECK: genc.attention_kernel %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}} offset %c0{{(_[0-9]+)?}} {causal = true, scale = 2.500000e-01 : f32}
func.func @fused_from_start(%q: tensor<?x8x?x16xf32> {genc.dim_names = ["B", "", "S", ""]},
                            %k: tensor<?x2x?x16xf32> {genc.dim_names = ["B", "", "T", ""]}) -> tensor<?x8x?x16xf32> {
  %0 = genc.attention %q, %k, %k {scale = 0.25 : f32, causal = true, causal_from_start = true} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>) -> tensor<?x8x?x16xf32>
  return %0 : tensor<?x8x?x16xf32>
}

// -----

// Reshape resolves ONNX's 0 (copy the input dim) and -1 (inferred) at run
// time and becomes tensor.reshape.
// CHECK-LABEL: func.func @reshape
// CHECK: arith.select
// CHECK: arith.divui
// CHECK: %[[SHAPE:.+]] = tensor.from_elements {{.*}} : tensor<3xindex>
// CHECK: tensor.reshape %arg0(%[[SHAPE]])
func.func @reshape(%x: tensor<?x?x8x8xf32>) -> tensor<?x?x?xf32> {
  %s = arith.constant dense<[0, 0, -1]> : tensor<3xi64>
  %0 = genc.reshape %x, %s : (tensor<?x?x8x8xf32>, tensor<3xi64>) -> tensor<?x?x?xf32>
  return %0 : tensor<?x?x?xf32>
}

// -----

// If becomes scf.if on the extracted condition.
// CHECK-LABEL: func.func @if
// CHECK: %[[C:.+]] = tensor.extract %arg0
// CHECK: scf.if %[[C]] -> (tensor<4xf32>)
// CHECK: scf.yield
// CHECK: } else {
// CHECK: scf.yield
func.func @if(%c: tensor<1xi1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = genc.if %c : tensor<1xi1> -> tensor<4xf32> {
    %1 = genc.relu %x : tensor<4xf32> -> tensor<4xf32>
    genc.yield %1 : tensor<4xf32>
  } else {
    genc.yield %x : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

// A negative step reads backwards: a generic gathers input[start + i * step].
// CHECK-LABEL: func.func @negative_step
// CHECK: linalg.generic
// CHECK: linalg.index 0
// CHECK: tensor.extract %arg0
func.func @negative_step(%x: tensor<8xf32>) -> tensor<3xf32> {
  %s = arith.constant dense<-1> : tensor<1xi64>
  %e = arith.constant dense<-9> : tensor<1xi64>
  %a = arith.constant dense<0> : tensor<1xi64>
  %st = arith.constant dense<-3> : tensor<1xi64>
  %0 = genc.slice %x[%s : %e] axes %a steps %st : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// What the CPU lowering cannot do is an error at the op, not a crash.
func.func @matmul_vector(%x: tensor<4xf32>, %w: tensor<4x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{matmul of 1-D operands is not supported by the CPU lowering yet}}
  %0 = genc.matmul %x, %w : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// arith has no unsigned types: the body reads unsigned scalars as signless
// ones and picks the unsigned op; the tensors keep their ui types.
// CHECK-LABEL: func.func @unsigned
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.+]]: ui8, %[[Y:.+]]: ui8, %{{.+}}: ui8):
// CHECK-DAG: %[[SX:.+]] = builtin.unrealized_conversion_cast %[[X]] : ui8 to i8
// CHECK-DAG: %[[SY:.+]] = builtin.unrealized_conversion_cast %[[Y]] : ui8 to i8
// CHECK: %[[Q:.+]] = arith.divui %[[SX]], %[[SY]] : i8
// CHECK: %[[R:.+]] = builtin.unrealized_conversion_cast %[[Q]] : i8 to ui8
// CHECK: linalg.yield %[[R]] : ui8
// CHECK: arith.cmpi ult
// An unsigned exponent converts with uitofp, a cast to unsigned with fptoui.
// CHECK: arith.uitofp %{{.+}} : i32 to f32
// CHECK: math.powf
// CHECK: arith.fptoui %{{.+}} : f32 to i16
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>, %x: tensor<4xf32>, %e: tensor<4xui32>)
    -> (tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<4xui16>) {
  %0 = genc.div %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xui8>
  %1 = genc.less %a, %b : (tensor<4xui8>, tensor<4xui8>) -> tensor<4xi1>
  %2 = genc.pow %x, %e : (tensor<4xf32>, tensor<4xui32>) -> tensor<4xf32>
  %3 = genc.cast %x {to = ui16} : tensor<4xf32> -> tensor<4xui16>
  return %0, %1, %2, %3 : tensor<4xui8>, tensor<4xi1>, tensor<4xf32>, tensor<4xui16>
}

// -----

// A split whose input knows a dim that the piece's type does not: the slice
// has the input's dims and is cast to the piece's type.
// CHECK-LABEL: func.func @split_piece_less_static
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %{{.*}}[0, 0, 0, %{{.*}}] [%{{.*}}, %{{.*}}, 4, 32] [1, 1, 1, 1] : tensor<?x?x4x96xf32> to tensor<?x?x4x32xf32>
// CHECK: tensor.cast %[[SLICE]] : tensor<?x?x4x32xf32> to tensor<?x?x?x32xf32>
func.func @split_piece_less_static(%x: tensor<?x?x4x96xf32>) -> tensor<?x?x?x32xf32> {
  %p:3 = genc.split %x {axis = 3 : i64, sizes = array<i64: 32, 32, 32>} : tensor<?x?x4x96xf32> -> tensor<?x?x?x32xf32>, tensor<?x?x?x32xf32>, tensor<?x?x?x32xf32>
  return %p#0 : tensor<?x?x?x32xf32>
}

// -----

// SiLU is x times sigmoid(x) = 1 / (1 + exp(-x)), in one body.
// CHECK-LABEL: func.func @silu
// CHECK: linalg.generic
// CHECK: ^bb0(%[[X:.+]]: f32, %{{.+}}: f32):
// CHECK: %[[N:.+]] = arith.negf %[[X]]
// CHECK: %[[E:.+]] = math.exp %[[N]]
// CHECK: %[[D:.+]] = arith.addf %{{.+}}, %[[E]]
// CHECK: %[[S:.+]] = arith.divf %{{.+}}, %[[D]]
// CHECK: %[[Y:.+]] = arith.mulf %[[X]], %[[S]]
// CHECK: linalg.yield %[[Y]]
func.func @silu(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = genc.silu %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Round takes halves to even (ONNX Round), not away from zero.
// CHECK-LABEL: func.func @round
// CHECK: linalg.generic
// CHECK: %[[Y:.+]] = math.roundeven %{{.+}} : f32
// CHECK: linalg.yield %[[Y]]
func.func @round(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = genc.round %x : tensor<?x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// f16 products sum in f32 and round to f16 once, not once per term.
// CHECK-LABEL: func.func @f16_matmul
// CHECK: %[[ACC:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<?x5xf32>)
// CHECK: %[[SUM:.+]] = linalg.generic
// CHECK-SAME: outs(%[[ACC]] : tensor<?x5xf32>)
// CHECK: ^bb0(%[[X:.+]]: f16, %[[W:.+]]: f16, %[[S:.+]]: f32):
// CHECK: %[[XF:.+]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[WF:.+]] = arith.extf %[[W]] : f16 to f32
// CHECK: %[[P:.+]] = arith.mulf %[[XF]], %[[WF]] : f32
// CHECK: arith.addf %[[S]], %[[P]] : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<?x5xf32>)
// CHECK: arith.truncf %{{.+}} : f32 to f16
func.func @f16_matmul(%a: tensor<?x4xf16>, %b: tensor<4x5xf16>) -> tensor<?x5xf16> {
  %0 = genc.matmul %a, %b : (tensor<?x4xf16>, tensor<4x5xf16>) -> tensor<?x5xf16>
  return %0 : tensor<?x5xf16>
}
