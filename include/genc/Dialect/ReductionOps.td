//===- ReductionOps.td - reductions over axes ---*- tablegen -*-===//

#ifndef GENC_REDUCTION_OPS_TD
#define GENC_REDUCTION_OPS_TD

include "genc/Dialect/GencBase.td"

// Reduces over `axes` (every axis if empty), keeping them as unit dims when
// `keepdims` is set. The importer resolves ONNX's noop_with_empty_axes.
class Genc_ReduceOp<string mnemonic> : Genc_InferOp<mnemonic> {
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes,
                       DefaultValuedAttr<BoolAttr, "true">:$keepdims);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Genc_ReduceSumOp : Genc_ReduceOp<"reduce_sum">;
def Genc_ReduceMeanOp : Genc_ReduceOp<"reduce_mean">;
def Genc_ReduceMaxOp : Genc_ReduceOp<"reduce_max">;
def Genc_ReduceMinOp : Genc_ReduceOp<"reduce_min">;
def Genc_ReduceProdOp : Genc_ReduceOp<"reduce_prod">;

def Genc_CumSumOp : Genc_InferOp<"cumsum"> {
  let summary = "running sums along `axis` (ONNX CumSum)";
  let description = [{
    Element i along `axis` is the sum of elements 0..i, or 0..i-1 when
    `exclusive`; with `reverse`, of i..n-1 (i+1..n-1). OPT-style exports
    count positions with it from the attention mask.
  }];
  let arguments = (ins AnyRankedTensor:$input, Genc_I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$exclusive,
                       DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

#endif // GENC_REDUCTION_OPS_TD
