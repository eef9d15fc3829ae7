//===- GencAttrs.td - genc attributes --------------------*- tablegen -*-===//

#ifndef GENC_ATTRS_TD
#define GENC_ATTRS_TD

include "genc/Dialect/GencBase.td"

// Numbered as runtime/include/genc/kernels.h numbers B's layouts.
def Genc_MatmulLayout : I32EnumAttr<"MatmulLayout", "how a matmul's B is laid out", [
  I32EnumAttrCase<"RowMajor", 0, "row_major">,
  I32EnumAttrCase<"Panels32", 1, "panels_32">]> {
  let cppNamespace = "::mlir::genc";
  let genSpecializedAttr = 0;
}

def Genc_MatmulQuantization : I32EnumAttr<"MatmulQuantization",
                                          "the operands that scale a matmul's quantised B", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"ColumnScale", 1, "column_scale">,
  I32EnumAttrCase<"GroupScaleOffset", 2, "group_scale_offset">,
  I32EnumAttrCase<"GroupScale", 3, "group_scale">]> {
  let cppNamespace = "::mlir::genc";
  let genSpecializedAttr = 0;
}

def Genc_MatmulEncodingAttr : AttrDef<Genc_Dialect, "MatmulEncoding"> {
  let mnemonic = "matmul";
  let summary = "how a matmul by weights stores B, and which operands scale it";
  let description = [{
    Marks a linalg.generic that computes C += A·B (maps (batch..., m, k, n),
    inputs A, B, then the quantisation's operands) and states B's form. A
    target may hand marked matmuls to a kernel; unmarked ones stay loops.

    - `layout`: `row_major` ([..., K, N]) or `panels_32` (columns in panels
      of 32, see genc-pack-matmul-weights); the weight type fixes how a
      panel orders its k (f32: [P, K, 32]; bf16 and i8: pairs of k,
      [P, ceil(K/2), 32, 2]; i4: two nibbles a byte).
    - `weightType`: B's element type (f32, bf16, i8 or i4; i4 is stored
      two a byte in i8 buffers).
    - `quantization`: `none`; `column_scale` (one f32 operand [N]: B[k][n]
      = q · scale[n]); `group_scale_offset` with `group` = G (two operands
      [ceil(K/G), N], both f32 or both f16: B[k][n] = q · scale[k/G][n] +
      offset[k/G][n]); `group_scale` with `group` = G, for symmetric i4
      (one operand [ceil(K/G), N], f32 or f16: the same with offset[k/G][n]
      = -8 · scale[k/G][n], computed in f32). i8 weights with `none` are
      the values themselves, and A holds integers of at most 32767 in
      magnitude (ONNX's MatMulInteger, its operands less their zero
      points): a matmul of integers, whose kernel takes A as it is.

    Examples: `#genc.matmul<row_major, f32>`, `#genc.matmul<panels_32,
    i8, column_scale>`, `#genc.matmul<panels_32, i8>`, `#genc.matmul<panels_32, i4, group_scale_offset,
    group = 32>`, `#genc.matmul<panels_32, i4, group_scale, group = 32>`.
  }];
  let parameters = (ins
    EnumParameter<Genc_MatmulLayout>:$layout,
    "::mlir::Type":$weightType,
    DefaultValuedParameter<"::mlir::genc::MatmulQuantization",
                           "::mlir::genc::MatmulQuantization::None">:$quantization,
    DefaultValuedParameter<"int64_t", "0">:$group);
  let assemblyFormat = [{
    `<` $layout `,` $weightType (`,` $quantization^)? (`,` `group` `=` $group^)? `>`
  }];
  let builders = [
    AttrBuilderWithInferredContext<(ins "MatmulLayout":$layout, "::mlir::Type":$weightType), [{
      return $_get(weightType.getContext(), layout, weightType, MatmulQuantization::None, 0);
    }]>
  ];
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// How many operands after A and B scale B (0, 1 or 2).
    unsigned getNumQuantizationOperands() const;
    /// This encoding with another layout.
    MatmulEncodingAttr withLayout(MatmulLayout layout) const;
  }];
}

#endif // GENC_ATTRS_TD
