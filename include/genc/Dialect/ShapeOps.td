//===- ShapeOps.td - ops that move data or compute shapes ---*- tablegen -*-===//

#ifndef GENC_SHAPE_OPS_TD
#define GENC_SHAPE_OPS_TD

include "genc/Dialect/GencBase.td"

def Genc_ShapeOp : Genc_InferOp<"shape"> {
  let summary = "the dims [start, end) of the input's shape, as i64";
  let arguments = (ins AnyRankedTensor:$input,
                       DefaultValuedAttr<Genc_I64Attr, "0">:$start,
                       OptionalAttr<Genc_I64Attr>:$end);
  let results = (outs Genc_ShapeTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Genc_ReshapeOp : Genc_InferOp<"reshape"> {
  let summary = "ONNX Reshape: 0 copies the input dim (unless allowzero), -1 is inferred";
  let arguments = (ins AnyRankedTensor:$input, Genc_ShapeTensor:$shape,
                       DefaultValuedAttr<BoolAttr, "false">:$allowzero);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Genc_TransposeOp : Genc_InferOp<"transpose"> {
  let summary = "permutes dims: result dim i is input dim perm[i]";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

def Genc_SqueezeOp : Genc_InferOp<"squeeze"> {
  let summary = "removes the unit dims `axes` (all unit dims if empty)";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Genc_UnsqueezeOp : Genc_InferOp<"unsqueeze"> {
  let summary = "inserts unit dims at `axes` (positions in the result)";
  let arguments = (ins AnyRankedTensor:$input, DenseI64ArrayAttr:$axes);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Genc_ConcatOp : Genc_InferOp<"concat"> {
  let summary = "concatenates along `axis`";
  let arguments = (ins Variadic<AnyRankedTensor>:$inputs, Genc_I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$inputs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Genc_SliceOp : Genc_InferOp<"slice"> {
  let summary = "ONNX Slice with clamped starts/ends, negative steps allowed";
  let arguments = (ins AnyRankedTensor:$input, Genc_ShapeTensor:$starts,
                       Genc_ShapeTensor:$ends, Genc_ShapeTensor:$axes,
                       Genc_ShapeTensor:$steps);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `[` $starts `:` $ends `]` `axes` $axes `steps` $steps attr-dict
    `:` functional-type(operands, results)
  }];
  let hasFolder = 1;
}

def Genc_GatherOp : Genc_InferOp<"gather"> {
  let summary = "ONNX Gather: takes `indices` along `axis` (negative indices wrap)";
  let arguments = (ins AnyRankedTensor:$input, Genc_IntTensor:$indices, Genc_I64Attr:$axis);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `[` $indices `]` attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Genc_ScatterNDOp : Genc_InferOp<"scatter_nd"> {
  let summary = "ONNX ScatterND: `data` with the slices that `indices` names "
                "replaced by (or combined with) `updates`";
  let description = [{
    The last dim of `indices` (static, k <= rank(data)) holds index tuples
    into data's first k dims; each tuple's slice of data's remaining dims
    takes the matching slice of `updates` (shape: indices' dims but the
    last, then data's dims after the first k). `reduction` is `none`
    (replace), `add`, `mul`, `max` or `min`; negative indices count from
    the end. Tuples apply in order, so with `none` a repeated tuple keeps
    its last update (ONNX leaves that case undefined).
  }];
  let arguments = (ins AnyRankedTensor:$data, Genc_IntTensor:$indices,
                       AnyRankedTensor:$updates,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `=` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Genc_ScatterElementsOp : Genc_InferOp<"scatter_elements"> {
  let summary = "ONNX ScatterElements: `data` with the elements that `indices` "
                "names along `axis` replaced by (or combined with) `updates`";
  let description = [{
    `indices` and `updates` have one shape, of data's rank, each dim at most
    data's but along `axis`. The element of `updates` at p goes to data at
    p with its `axis` coordinate replaced by `indices` at p (negative
    counted from the end). `reduction` is `none` (replace), `add`, `mul`,
    `max` or `min`. Elements apply in row-major order, so with `none` a
    repeated destination keeps its last update (ONNX leaves that case
    undefined).
  }];
  let arguments = (ins AnyRankedTensor:$data, Genc_IntTensor:$indices,
                       AnyRankedTensor:$updates, Genc_I64Attr:$axis,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $data `[` $indices `]` `=` $updates attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Genc_NonZeroOp : Genc_InferOp<"non_zero"> {
  let summary = "ONNX NonZero: the coordinates of the non-zero elements";
  let description = [{
    Result [rank, n] (i64): column c holds the coordinates of the c-th
    non-zero element of `input` in row-major order. n is known only when
    the input's values are: transformers' eager mixture-of-experts routes
    tokens with it (`torch.where(mask)`).
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs 2DTensorOf<[I64]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

def Genc_ExpandOp : Genc_InferOp<"expand"> {
  let summary = "broadcasts the input against `shape` (ONNX Expand)";
  let arguments = (ins AnyRankedTensor:$input, Genc_ShapeTensor:$shape);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Genc_SplitOp : Genc_Op<"split", [Pure]> {
  let summary = "splits along `axis` into pieces of `sizes` (equal pieces if empty)";
  let arguments = (ins AnyRankedTensor:$input, Genc_I64Attr:$axis, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<AnyRankedTensor>:$results);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Genc_ConstantOfShapeOp : Genc_InferOp<"constant_of_shape"> {
  let summary = "a tensor of `shape` filled with the one element of `value`";
  let arguments = (ins Genc_ShapeTensor:$shape, ElementsAttr:$value);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$shape attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Genc_RangeOp : Genc_InferOp<"range"> {
  let summary = "[start, start + delta, ...) below `limit` (0-d operands)";
  let arguments = (ins AnyRankedTensor:$start, AnyRankedTensor:$limit,
                       AnyRankedTensor:$delta);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$start `,` $limit `,` $delta attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Genc_TriluOp : Genc_InferOp<"trilu"> {
  let summary = "keeps the upper (or lower) triangle of the last two dims, offset by k";
  let description = [{
    `k` is a one-element i64 tensor: exports compute it from shapes (e.g.
    the past length), so it may only be known at run time.
  }];
  let arguments = (ins AnyRankedTensor:$input, RankedTensorOf<[I64]>:$k,
                       DefaultValuedAttr<BoolAttr, "true">:$upper);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input `,` $k attr-dict `:` functional-type(operands, results)";
}

#endif // GENC_SHAPE_OPS_TD
