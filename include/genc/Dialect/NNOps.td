//===- NNOps.td - matmul, softmax, normalisation ---*- tablegen -*-===//

#ifndef GENC_NN_OPS_TD
#define GENC_NN_OPS_TD

include "genc/Dialect/GencBase.td"

def Genc_MatMulOp : Genc_InferOp<"matmul"> {
  let summary = "numpy matmul: batch dims broadcast, 1-D operands promoted";
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Genc_GemmOp : Genc_InferOp<"gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C on 2-D operands";
  let arguments = (ins AnyRankedTensor:$a, AnyRankedTensor:$b,
                       Optional<AnyRankedTensor>:$c,
                       DefaultValuedAttr<F32Attr, "1.0f">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0f">:$beta,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_a,
                       DefaultValuedAttr<BoolAttr, "false">:$trans_b);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $a `,` $b (`bias` `(` $c^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
}

def Genc_SoftmaxOp : Genc_InferOp<"softmax"> {
  let summary = "softmax along one axis (the opset-13 meaning)";
  let arguments = (ins AnyRankedTensor:$input, Genc_I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$log);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Genc_LayerNormOp : Genc_InferOp<"layer_norm"> {
  let summary = "(x - mean) / sqrt(var + epsilon) * scale + bias over axes axis..r-1";
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                       Optional<AnyRankedTensor>:$bias, Genc_I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scale (`bias` `(` $bias^ `)`)? attr-dict `:` functional-type(operands, results)
  }];
}

def Genc_RmsNormOp : Genc_InferOp<"rms_norm"> {
  let summary = "x / sqrt(mean(x^2) + epsilon) * scale over axes axis..r-1";
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale, Genc_I64Attr:$axis,
                       DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $scale attr-dict `:` functional-type(operands, results)";
}

#endif // GENC_NN_OPS_TD
