//===- CPUOps.td - the ops of code compiled for the CPU ---*- tablegen -*-===//
//
// The genc_cpu dialect: what the CPU target's passes put into compiled code
// for the runtime to drive (its thread pool, a matmul kernel's callback).
// They appear after the lowering to buffers and are outlined into
// functions after the lowering to the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_TARGET_CPU_CPUOPS_TD
#define GENC_TARGET_CPU_CPUOPS_TD

include "mlir/Dialect/LLVMIR/LLVMOpBase.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def GencCPU_Dialect : Dialect {
  let name = "genc_cpu";
  let cppNamespace = "::mlir::genc::cpu";
  let summary = "Ops of code compiled for the CPU that the runtime drives";
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

class GencCPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<GencCPU_Dialect, mnemonic, traits>;

def GencCPU_ParallelForOp : GencCPU_Op<"parallel_for", [RecursiveMemoryEffects]> {
  let summary = "runs its region once per task on the caller's thread pool";
  let description = [{
    genc-thread-loop-nests wraps a loop nest in it: the region's argument
    is the task number, in [0, `tasks`), and each task runs the nest on its
    own slice of the iteration space, so tasks may run in any order and at
    once. `runtime_context` is the entry point's genc_context (an
    `!llvm.ptr`): the tasks run on the pool it carries.

    The op outlives the lowering to the LLVM dialect (its region is lowered
    in place, so it may hold several blocks by then);
    genc-outline-parallel-for then moves the region into a function of its
    own and calls `genc_parallel_for` with it and the values it uses.
  }];
  let arguments = (ins LLVM_AnyPointer:$runtime_context, I64:$tasks);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "$tasks `on` $runtime_context `:` type($runtime_context) $body attr-dict";
  let hasVerifier = 1;
}

def GencCPU_ParallelForEndOp
    : GencCPU_Op<"parallel_for_end", [Pure, Terminator, ReturnLike, HasParent<"ParallelForOp">]> {
  let summary = "ends a task of genc_cpu.parallel_for";
  let assemblyFormat = "attr-dict";
}

def GencCPU_TileEpilogueOp : GencCPU_Op<"tile_epilogue", [Pure]> {
  let summary = "code a matmul kernel runs on each block of its result it finishes";
  let description = [{
    genc-fuse-matmul-epilogues moves the elementwise loop nest that
    follows a matmul kernel call into this op's region, and the call takes
    the op's result as its `epilogue` (runtime/include/genc/kernels.h,
    genc_tile_epilogue). The region's
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
  let results = (outs LLVM_AnyPointer:$closure);
  let regions = (region AnyRegion:$body);
  let assemblyFormat = "`:` type($closure) $body attr-dict";
  let hasVerifier = 1;
}

def GencCPU_TileEpilogueEndOp
    : GencCPU_Op<"tile_epilogue_end",
                 [Pure, Terminator, ReturnLike, HasParent<"TileEpilogueOp">]> {
  let summary = "ends a block of genc_cpu.tile_epilogue";
  let assemblyFormat = "attr-dict";
}

#endif // GENC_TARGET_CPU_CPUOPS_TD
