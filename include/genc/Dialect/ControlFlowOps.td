//===- ControlFlowOps.td - If with two regions ---*- tablegen -*-===//

#ifndef GENC_CONTROL_FLOW_OPS_TD
#define GENC_CONTROL_FLOW_OPS_TD

include "genc/Dialect/GencBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Genc_IfOp : Genc_Op<"if", [RecursiveMemoryEffects, NoRegionArguments,
                               SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "ONNX If: runs one branch on a boolean scalar, yields its values";
  let arguments = (ins RankedTensorOf<[I1]>:$condition);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let regions = (region SizedRegion<1>:$then_branch, SizedRegion<1>:$else_branch);
  let assemblyFormat = [{
    $condition `:` type($condition) (`->` type($results)^)? $then_branch `else` $else_branch attr-dict
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

def Genc_YieldOp : Genc_Op<"yield", [Pure, Terminator, ReturnLike, HasParent<"IfOp">]> {
  let summary = "the values a branch of genc.if produces";
  let arguments = (ins Variadic<AnyRankedTensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, ::mlir::ValueRange()); }]>];
}

#endif // GENC_CONTROL_FLOW_OPS_TD
