//===- ControlFlowOps.td - branches, checks, threaded loops ---*- tablegen -*-===//

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

def Genc_ParallelForOp : Genc_Op<"parallel_for", [RecursiveMemoryEffects]> {
  let summary = "runs its region once per task on the caller's thread pool";
  let description = [{
    Compiled code only. genc-thread-loop-nests wraps a loop nest in it: the
    region's argument is the task number, in [0, `tasks`), and each task
    runs the nest on its own slice of the iteration space, so tasks may run
    in any order and at once. `runtime_context` is the entry point's genc_context
    (an `!llvm.ptr`): the tasks run on the pool it carries.

    The op outlives the lowering to the LLVM dialect (its region is lowered
    in place, so it may hold several blocks by then);
    genc-outline-parallel-for then moves the region into a function of its
    own and calls `genc_parallel_for` with it and the values it uses.
  }];
  let arguments = (ins AnyType:$runtime_context, I64:$tasks);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "$tasks `on` $runtime_context `:` type($runtime_context) $body attr-dict";
  let hasVerifier = 1;
}

def Genc_ParallelForEndOp : Genc_Op<"parallel_for_end",
                                    [Pure, Terminator, ReturnLike, HasParent<"ParallelForOp">]> {
  let summary = "ends a task of genc.parallel_for";
  let assemblyFormat = "attr-dict";
}

def Genc_TileEpilogueOp : Genc_Op<"tile_epilogue", [Pure]> {
  let summary = "code a matmul kernel runs on each block of its result it finishes";
  let description = [{
    Compiled code only. genc-fuse-matmul-epilogues moves the elementwise
    loop nest that follows a matmul kernel call into this op's region, and
    the call takes the op's result as its `epilogue`
    (runtime/include/genc/kernels.h, genc_tile_epilogue). The region's
    arguments (i64 each) are a block of the matmul's result C seen as
    [batch... × M, N]: its rows [row_begin, row_end) and columns
    [col_begin, col_end). The kernel runs the region once per block it
    finishes, blocks in any order and at once, every element of C in
    exactly one block.

    Creating the op runs nothing, hence `Pure`. genc-outline-parallel-for
    moves the region (lowered in place by then) into a function; the
    result becomes the address of a struct in the caller's frame holding
    that function and the values the region uses.
  }];
  let results = (outs AnyType:$closure);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "`:` type($closure) $body attr-dict";
  let hasVerifier = 1;
}

def Genc_TileEpilogueEndOp : Genc_Op<"tile_epilogue_end",
                                     [Pure, Terminator, ReturnLike, HasParent<"TileEpilogueOp">]> {
  let summary = "ends a block of genc.tile_epilogue";
  let assemblyFormat = "attr-dict";
}

#endif // GENC_CONTROL_FLOW_OPS_TD
