//===- ControlFlowOps.td - branches and failed checks ---------*- tablegen -*-===//

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

def Genc_IndexOutOfBoundsOp : Genc_Op<"index_out_of_bounds", [MemoryEffects<[MemWrite]>]> {
  let summary = "reports an index outside its dimension to the caller";
  let description = [{
    Compiled code only: genc-convert-to-linalg puts it on the path an op
    that indexes with data (Gather's indices, rotary's position ids) takes
    when an index is out of range, instead of reading outside a buffer.
    genc-call-cpu-kernels turns it into a call of `genc_index_error` with
    the caller's context; the runtime then fails the call with `message`,
    in which `{index}` and `{bound}` stand for the index and the size of
    the dimension.
  }];
  let arguments = (ins I64:$index, I64:$bound, StrAttr:$message);
  let assemblyFormat = "$index `,` $bound attr-dict";
}

#endif // GENC_CONTROL_FLOW_OPS_TD
