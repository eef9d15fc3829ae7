//===- OutlineParallelFor.cpp - threaded loop nests → task functions ------===//
//
// Each genc.parallel_for (its region lowered in place by then) becomes a
// function of the runtime's task signature, void(void *captures, int64_t
// task), and a call of genc_parallel_for (runtime/include/genc/kernels.h)
// with it: the values the region uses from outside are stored into a
// struct on the caller's stack, whose address the tasks receive. Constants
// are cloned instead. Runs on a module fully in the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::genc {
#define GEN_PASS_DEF_OUTLINEPARALLELFOR
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

constexpr StringLiteral kParallelForFunction = "genc_parallel_for";

/// Moves `op`'s region into a new task function placed before `parent` and
/// returns it; `captures` are loaded from the task's first argument, in
/// order, as fields of `capturesType`.
LLVM::LLVMFuncOp outlineTask(genc::ParallelForOp op, LLVM::LLVMFuncOp parent,
                             ArrayRef<Value> captures, LLVM::LLVMStructType capturesType,
                             SymbolTable &symbols) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type i64 = IntegerType::get(ctx, 64);
  OpBuilder b(parent);
  auto task = LLVM::LLVMFuncOp::create(
      b, loc, (parent.getName() + "_task").str(),
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), {ptr, i64}),
      LLVM::Linkage::Internal);
  symbols.insert(task); // renames it if the name is taken

  Block *entry = task.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [i, value] : llvm::enumerate(captures)) {
    Value field = LLVM::GEPOp::create(b, loc, ptr, capturesType, entry->getArgument(0),
                                      ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    mapping.map(value, LLVM::LoadOp::create(b, loc, value.getType(), field));
  }
  Region &body = op.getBody();
  body.cloneInto(&task.getBody(), mapping);
  Block *first = mapping.lookup(&body.front());
  LLVM::BrOp::create(b, loc, ValueRange{entry->getArgument(1)}, first);
  task.walk([&](genc::ParallelForEndOp end) {
    OpBuilder at(end);
    LLVM::ReturnOp::create(at, end.getLoc(), ValueRange{});
    end.erase();
  });
  return task;
}

struct OutlineParallelForPass : genc::impl::OutlineParallelForBase<OutlineParallelForPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<genc::ParallelForOp> loops;
    module.walk([&](genc::ParallelForOp op) { loops.push_back(op); });
    if (loops.empty())
      return;
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    LLVM::LLVMFuncOp parallelFor = genc::getOrDeclareRuntimeFunction(
        module, kParallelForFunction, LLVM::LLVMVoidType::get(ctx),
        {ptr, IntegerType::get(ctx, 64), ptr, ptr});
    // Built after the declaration, so that the table holds it and no task
    // takes its name.
    SymbolTable symbols(module);

    for (genc::ParallelForOp op : loops) {
      auto parent = op->getParentOfType<LLVM::LLVMFuncOp>();
      if (!parent || op->getParentOfType<genc::ParallelForOp>()) {
        op.emitError("internal error: genc.parallel_for must sit in an llvm.func, unnested");
        return signalPassFailure();
      }
      // Constants and addresses of globals the region uses are cloned into
      // it, not passed.
      SetVector<Value> used;
      getUsedValuesDefinedAbove(op.getBody(), used);
      SmallVector<Value> captures;
      for (Value value : used) {
        if (!LLVM::isCompatibleType(value.getType())) {
          op.emitError("internal error: genc.parallel_for uses a value of type ")
              << value.getType() << ", which the LLVM dialect cannot hold";
          return signalPassFailure();
        }
        Operation *def = value.getDefiningOp();
        if (def && (def->hasTrait<OpTrait::ConstantLike>() || isa<LLVM::AddressOfOp>(def))) {
          OpBuilder b(&op.getBody().front(), op.getBody().front().begin());
          Operation *copy = b.clone(*def);
          replaceAllUsesInRegionWith(value, copy->getResult(0), op.getBody());
          continue;
        }
        captures.push_back(value);
      }
      SmallVector<Type> types = llvm::map_to_vector(captures, [](Value v) { return v.getType(); });
      auto capturesType = LLVM::LLVMStructType::getLiteral(ctx, types);
      LLVM::LLVMFuncOp task = outlineTask(op, parent, captures, capturesType, symbols);

      // The captures live in the caller's frame: one slot per loop, made at
      // entry so that a loop inside a loop does not grow the stack.
      OpBuilder b(&parent.getBody().front(), parent.getBody().front().begin());
      Location loc = op.getLoc();
      Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(1));
      Value frame = LLVM::AllocaOp::create(b, loc, ptr, capturesType, one);
      b.setInsertionPoint(op);
      for (auto [i, value] : llvm::enumerate(captures)) {
        Value field = LLVM::GEPOp::create(b, loc, ptr, capturesType, frame,
                                          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
        LLVM::StoreOp::create(b, loc, value, field);
      }
      // One task (a decode step's nests) is called directly: no trip
      // through the runtime, and LLVM may inline it.
      Block *before = op->getBlock();
      Block *after = before->splitBlock(op);
      Block *direct = b.createBlock(after), *pooled = b.createBlock(after);
      b.setInsertionPointToEnd(before);
      Value single = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, op.getTasks(), one);
      LLVM::CondBrOp::create(b, loc, single, direct, pooled);
      b.setInsertionPointToEnd(direct);
      Value first = LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(0));
      LLVM::CallOp::create(b, loc, task, ValueRange{frame, first});
      LLVM::BrOp::create(b, loc, after);
      b.setInsertionPointToEnd(pooled);
      Value function = LLVM::AddressOfOp::create(b, loc, task);
      LLVM::CallOp::create(b, loc, parallelFor,
                           ValueRange{op.getRuntimeContext(), op.getTasks(), function, frame});
      LLVM::BrOp::create(b, loc, after);
      op.erase();
    }
  }
};

} // namespace
