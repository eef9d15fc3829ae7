//===- OutlineParallelFor.cpp - regions the runtime runs → functions ------===//
//
// Each genc_cpu.parallel_for (its region lowered in place by then) becomes a
// function of the runtime's task signature, void(void *captures, int64_t
// task), and a call of genc_parallel_for (runtime/include/genc/kernels.h)
// with it; each genc_cpu.tile_epilogue a function a matmul kernel calls on
// blocks of its result, and the address of its closure. The values a
// region uses from outside are stored into a struct on the caller's stack,
// whose address the function receives. Constants are cloned instead. Runs
// on a module fully in the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/CPUOps.h"
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

/// A region moved into a function of its own, and the struct in the
/// caller's frame that the function's first argument points to.
struct Outlined {
  LLVM::LLVMFuncOp function;
  Value frame;
};

/// Moves `op`'s region (arguments of `argumentTypes`) into a new internal
/// function `void(ptr frame, argumentTypes...)` placed before the function
/// holding `op`, named after it with `suffix`. The values the region uses
/// from outside become fields of a struct in the caller's frame, stored
/// where `op` is and loaded at the new function's entry; constants and
/// addresses of globals are cloned instead. With `addressFirst`, the
/// struct's first field is the new function's address. The region's
/// terminators become returns; `op` stays for the caller to replace.
FailureOr<Outlined> outline(Operation *op, ArrayRef<Type> argumentTypes, StringRef suffix,
                            bool addressFirst, SymbolTable &symbols) {
  auto parent = op->getParentOfType<LLVM::LLVMFuncOp>();
  if (!parent || op->getParentOfType<genc::cpu::ParallelForOp>() ||
      op->getParentOfType<genc::cpu::TileEpilogueOp>())
    return op->emitError("internal error: ")
           << op->getName() << " must sit in an llvm.func, unnested";
  Region &body = op->getRegion(0);
  SetVector<Value> used;
  getUsedValuesDefinedAbove(body, used);
  SmallVector<Value> captures;
  for (Value value : used) {
    if (!LLVM::isCompatibleType(value.getType()))
      return op->emitError("internal error: ")
             << op->getName() << " uses a value of type " << value.getType()
             << ", which the LLVM dialect cannot hold";
    Operation *def = value.getDefiningOp();
    if (def && (def->hasTrait<OpTrait::ConstantLike>() || isa<LLVM::AddressOfOp>(def))) {
      OpBuilder b(&body.front(), body.front().begin());
      Operation *copy = b.clone(*def);
      replaceAllUsesInRegionWith(value, copy->getResult(0), body);
      continue;
    }
    captures.push_back(value);
  }

  MLIRContext *ctx = op->getContext();
  Location loc = op->getLoc();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  unsigned firstCapture = addressFirst ? 1 : 0;
  SmallVector<Type> fields(firstCapture, ptr);
  for (Value value : captures)
    fields.push_back(value.getType());
  auto frameType = LLVM::LLVMStructType::getLiteral(ctx, fields);
  auto field = [&](OpBuilder &b, Value frame, unsigned i) -> Value {
    return LLVM::GEPOp::create(b, loc, ptr, frameType, frame,
                               ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
  };

  SmallVector<Type> arguments = {ptr};
  arguments.append(argumentTypes.begin(), argumentTypes.end());
  OpBuilder b(parent);
  auto function =
      LLVM::LLVMFuncOp::create(b, loc, (parent.getName() + suffix).str(),
                               LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx), arguments),
                               LLVM::Linkage::Internal);
  symbols.insert(function); // renames it if the name is taken
  Block *entry = function.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [i, value] : llvm::enumerate(captures))
    mapping.map(value, LLVM::LoadOp::create(b, loc, value.getType(),
                                            field(b, entry->getArgument(0), firstCapture + i)));
  body.cloneInto(&function.getBody(), mapping);
  Block *first = mapping.lookup(&body.front());
  LLVM::BrOp::create(b, loc, entry->getArguments().drop_front(), first);
  function.walk([&](Operation *terminator) {
    if (terminator->hasTrait<OpTrait::ReturnLike>() &&
        isa<genc::cpu::ParallelForEndOp, genc::cpu::TileEpilogueEndOp>(terminator)) {
      OpBuilder at(terminator);
      LLVM::ReturnOp::create(at, terminator->getLoc(), ValueRange{});
      terminator->erase();
    }
  });

  // The struct lives in the caller's frame: one slot per op, made at entry
  // so that a loop around the op does not grow the stack.
  OpBuilder atEntry(&parent.getBody().front(), parent.getBody().front().begin());
  Value one =
      LLVM::ConstantOp::create(atEntry, loc, atEntry.getI64Type(), atEntry.getI64IntegerAttr(1));
  Value frame = LLVM::AllocaOp::create(atEntry, loc, ptr, frameType, one);
  b.setInsertionPoint(op);
  if (addressFirst)
    LLVM::StoreOp::create(b, loc, LLVM::AddressOfOp::create(b, loc, function), field(b, frame, 0));
  for (auto [i, value] : llvm::enumerate(captures))
    LLVM::StoreOp::create(b, loc, value, field(b, frame, firstCapture + i));
  return Outlined{function, frame};
}

/// genc_cpu.parallel_for → `genc_parallel_for(context, tasks, @task,
/// captures)`, or a direct call of the task when there is one.
LogicalResult outlineParallelFor(genc::cpu::ParallelForOp op, LLVM::LLVMFuncOp parallelFor,
                                 SymbolTable &symbols) {
  OpBuilder b(op);
  FailureOr<Outlined> task = outline(op, {b.getI64Type()}, "_task", false, symbols);
  if (failed(task))
    return failure();
  // One task (a decode step's nests) is called directly: no trip through
  // the runtime, and LLVM may inline it.
  Location loc = op.getLoc();
  Block *before = op->getBlock();
  Block *after = before->splitBlock(op);
  Block *direct = b.createBlock(after), *pooled = b.createBlock(after);
  b.setInsertionPointToEnd(before);
  Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(1));
  Value single = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, op.getTasks(), one);
  LLVM::CondBrOp::create(b, loc, single, direct, pooled);
  b.setInsertionPointToEnd(direct);
  Value first = LLVM::ConstantOp::create(b, loc, b.getI64Type(), b.getI64IntegerAttr(0));
  LLVM::CallOp::create(b, loc, task->function, ValueRange{task->frame, first});
  LLVM::BrOp::create(b, loc, after);
  b.setInsertionPointToEnd(pooled);
  Value function = LLVM::AddressOfOp::create(b, loc, task->function);
  LLVM::CallOp::create(b, loc, parallelFor,
                       ValueRange{op.getRuntimeContext(), op.getTasks(), function, task->frame});
  LLVM::BrOp::create(b, loc, after);
  op.erase();
  return success();
}

/// genc_cpu.tile_epilogue → the address of its closure: the function, then
/// what it captures.
LogicalResult outlineTileEpilogue(genc::cpu::TileEpilogueOp op, SymbolTable &symbols) {
  Type i64 = IntegerType::get(op.getContext(), 64);
  FailureOr<Outlined> epilogue = outline(op, {i64, i64, i64, i64}, "_epilogue", true, symbols);
  if (failed(epilogue))
    return failure();
  op.getClosure().replaceAllUsesWith(epilogue->frame);
  op.erase();
  return success();
}

struct OutlineParallelForPass : genc::impl::OutlineParallelForBase<OutlineParallelForPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> regions;
    module.walk([&](Operation *op) {
      if (isa<genc::cpu::ParallelForOp, genc::cpu::TileEpilogueOp>(op))
        regions.push_back(op);
    });
    if (regions.empty())
      return;
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    LLVM::LLVMFuncOp parallelFor = genc::getOrDeclareRuntimeFunction(
        module, kParallelForFunction, LLVM::LLVMVoidType::get(ctx),
        {ptr, IntegerType::get(ctx, 64), ptr, ptr});
    // Built after the declaration, so that the table holds it and no
    // function takes its name.
    SymbolTable symbols(module);
    for (Operation *op : regions) {
      LogicalResult outlined =
          isa<genc::cpu::ParallelForOp>(op)
              ? outlineParallelFor(cast<genc::cpu::ParallelForOp>(op), parallelFor, symbols)
              : outlineTileEpilogue(cast<genc::cpu::TileEpilogueOp>(op), symbols);
      if (failed(outlined))
        return signalPassFailure();
    }
  }
};

} // namespace
