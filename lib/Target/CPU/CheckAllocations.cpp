//===- CheckAllocations.cpp - entry points fail a call they cannot allocate for ===//
//
// MLIR's allocation hooks cannot fail: compiled code writes to whatever
// they return. In an entry point, each allocation becomes a call of the
// runtime's genc_alloc with the caller's context instead, followed by a
// test: a null block returns from the entry point at once. The context
// counts the blocks the call holds (each free becomes genc_release), so
// the caller frees them and fails the call with the check's message, which
// names the ONNX node the buffer was for. Runs on a module fully in the LLVM
// dialect, after genc-outline-parallel-for: an entry point's body is then
// one control-flow graph, which can return from any block.
//
//===----------------------------------------------------------------------===//

#include "genc/Support/ModelLocation.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Matchers.h"

namespace mlir::genc {
#define GEN_PASS_DEF_CHECKALLOCATIONS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

// MLIR's hooks (finalize-memref-to-llvm{use-generic-functions}) and the
// runtime's entries that replace them (runtime/include/genc/kernels.h).
constexpr StringLiteral kAllocHook = "_mlir_memref_to_llvm_alloc";
constexpr StringLiteral kAlignedAllocHook = "_mlir_memref_to_llvm_aligned_alloc";
constexpr StringLiteral kFreeHook = "_mlir_memref_to_llvm_free";
constexpr StringLiteral kCInterfacePrefix = "_mlir_ciface_";
constexpr StringLiteral kAllocFunction = "genc_alloc";
constexpr StringLiteral kReleaseFunction = "genc_release";
/// What genc_alloc aligns blocks to; larger alignments keep MLIR's hook.
constexpr int64_t kBlockAlignment = 64;

bool calls(LLVM::CallOp call, StringRef callee) { return call.getCallee() == callee; }

/// The bytes `call` (of a hook) asks for, or null when genc_alloc cannot
/// serve it.
Value requestedBytes(LLVM::CallOp call) {
  if (calls(call, kAllocHook))
    return call.getArgOperands()[0];
  APInt alignment;
  if (calls(call, kAlignedAllocHook) &&
      matchPattern(call.getArgOperands()[0], m_ConstantInt(&alignment)) &&
      alignment.getZExtValue() <= kBlockAlignment)
    return call.getArgOperands()[1];
  return {};
}

/// The line of `genc_checks` for an allocation at `loc`.
std::string allocationMessage(Location loc) {
  return genc::describeNode(loc) + ": a buffer of {index} bytes could not be allocated; run the "
                                   "model on smaller inputs or with more memory";
}

/// A block at the end of `fn` that returns zeros: the entry point's results
/// (descriptors whose pointers are null) are then nobody's to free.
Block *createFailureExit(LLVM::LLVMFuncOp fn) {
  Block *exit = new Block();
  fn.getBody().push_back(exit);
  OpBuilder b = OpBuilder::atBlockEnd(exit);
  Type result = fn.getFunctionType().getReturnType();
  if (isa<LLVM::LLVMVoidType>(result)) {
    LLVM::ReturnOp::create(b, fn.getLoc(), ValueRange());
  } else {
    Value zeros = LLVM::ZeroOp::create(b, fn.getLoc(), result);
    LLVM::ReturnOp::create(b, fn.getLoc(), zeros);
  }
  return exit;
}

struct CheckAllocationsPass : genc::impl::CheckAllocationsBase<CheckAllocationsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    SmallVector<LLVM::LLVMFuncOp> entryPoints;
    bool freesOutsideEntryPoints = false;
    module.walk([&](LLVM::LLVMFuncOp fn) {
      // The conversion copies the mark onto the C-interface wrappers too;
      // they take the results first, and only call the entry point.
      if (fn->hasAttr(genc::kEntryPointAttrName) && !fn.isExternal() &&
          !fn.getName().starts_with(kCInterfacePrefix)) {
        entryPoints.push_back(fn);
        return;
      }
      fn.walk([&](LLVM::CallOp call) { freesOutsideEntryPoints |= calls(call, kFreeHook); });
    });
    // A block counted in the context but freed where the context is not
    // known would be freed twice by a failing call's caller.
    if (freesOutsideEntryPoints)
      return;

    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    LLVM::LLVMFuncOp alloc =
        genc::getOrDeclareRuntimeFunction(module, kAllocFunction, ptr, {ptr, i64, i64});
    LLVM::LLVMFuncOp release = genc::getOrDeclareRuntimeFunction(
        module, kReleaseFunction, LLVM::LLVMVoidType::get(ctx), {ptr, ptr});
    for (LLVM::LLVMFuncOp fn : entryPoints) {
      Value context = fn.getArgument(0);
      if (context.getType() != ptr) {
        fn.emitError("internal error: an entry point's first argument is not its context");
        return signalPassFailure();
      }
      SmallVector<LLVM::CallOp> allocations, frees;
      fn.walk([&](LLVM::CallOp call) {
        if (requestedBytes(call))
          allocations.push_back(call);
        else if (calls(call, kFreeHook))
          frees.push_back(call);
      });
      for (LLVM::CallOp call : frees) {
        OpBuilder b(call);
        LLVM::CallOp::create(b, call.getLoc(), release,
                             ValueRange{context, call.getArgOperands()[0]});
        call.erase();
      }
      if (allocations.empty())
        continue;
      std::vector<std::string> messages;
      for (LLVM::CallOp call : allocations)
        messages.push_back(allocationMessage(call.getLoc()));
      SmallVector<int64_t> checks = genc::addCheckMessages(module, messages);
      Block *exit = createFailureExit(fn);
      for (auto [call, check] : llvm::zip_equal(allocations, checks)) {
        OpBuilder b(call);
        Location loc = call.getLoc();
        Value number = LLVM::ConstantOp::create(b, loc, i64, check);
        Value block =
            LLVM::CallOp::create(b, loc, alloc, ValueRange{context, number, requestedBytes(call)})
                .getResult();
        call.getResult().replaceAllUsesWith(block);
        Block *rest = call->getBlock()->splitBlock(std::next(call->getIterator()));
        call.erase();
        b.setInsertionPointToEnd(block.getParentBlock());
        Value null = LLVM::ZeroOp::create(b, loc, ptr);
        Value failed = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, block, null);
        LLVM::CondBrOp::create(b, loc, failed, exit, ValueRange(), rest, ValueRange());
      }
    }
  }
};

} // namespace
