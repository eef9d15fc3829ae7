//===- ThreadLoopNests.cpp - loop nests on the caller's thread pool --------===//
//
// After bufferization every linalg op that is not a kernel call (norms,
// softmax, rotary, elementwise chains, residual adds, copies) becomes one
// serial loop nest. Each is cut here into tasks along its outer parallel
// loops and put in a genc_cpu.parallel_for, which runs the tasks on the pool of
// the context the entry point was called with. Tasks write disjoint slices
// of the outputs and no task reads what another writes (an input that
// shares a buffer with an output must read it where it writes), so the
// result is the same bits in any order. Tile sizes depend on the nest's
// sizes only, never on the thread count.
//
// A function pass that may add the function's context argument: entry
// points have no callers in the module.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/CPUOps.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::genc {
#define GEN_PASS_DEF_THREADLOOPNESTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// About this many iterations of a nest's loops per task: a few
/// microseconds of work, against the sub-microsecond cost of handing a
/// task to a pool thread. Nests with fewer than two tasks' worth run on the
/// calling thread.
constexpr int64_t kIterationsPerTask = 8192;

/// The outer loops a nest is cut along: its leading parallel loops but the
/// innermost (kept whole, for LLVM to vectorise), less those of static
/// size 1; the innermost alone when it is parallel and all the others are
/// of size 1. None when a task could not own its slice of every output (an
/// output must index each of these loops by the loop itself) or could read
/// another task's slice (an input on an output's buffer, read through
/// another map).
SmallVector<unsigned> loopsToSplit(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> sizes = op.getStaticLoopRanges();
  unsigned count = 0;
  while (count < iterators.size() && iterators[count] == utils::IteratorType::parallel)
    ++count;
  if (count == 0)
    return {};
  bool allParallel = count == iterators.size();
  SmallVector<unsigned> loops;
  for (unsigned loop = 0; loop < (allParallel ? count - 1 : count); ++loop)
    if (sizes[loop] != 1)
      loops.push_back(loop);
  if (loops.empty() && allParallel && sizes[count - 1] != 1)
    loops.push_back(count - 1);

  for (OpOperand &init : op.getDpsInitsMutable()) {
    AffineMap map = op.getMatchingIndexingMap(&init);
    for (unsigned loop : loops)
      if (!llvm::is_contained(map.getResults(), getAffineDimExpr(loop, op.getContext())))
        return {};
    Value written = genc::rootBuffer(init.get());
    for (OpOperand *input : op.getDpsInputOperands())
      if (genc::rootBuffer(input->get()) == written &&
          (op.getMatchingIndexingMap(input) != map || input->get() != init.get()))
        return {};
  }
  return loops;
}

/// Whether tasks of the nest may run at once: its body only computes,
/// reads and reports failed index checks (which the runtime records
/// atomically: of several failures in one call, one is reported).
bool bodyIsThreadSafe(linalg::LinalgOp op) {
  WalkResult result = op.getBlock()->walk([](Operation *inner) {
    // Ops with recursive effects have their nested ops visited too.
    if (inner->hasTrait<OpTrait::HasRecursiveMemoryEffects>() || isMemoryEffectFree(inner))
      return WalkResult::advance();
    if (auto call = dyn_cast<func::CallOp>(inner);
        call && call.getCallee() == genc::kIndexErrorKernel)
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(inner);
    if (effects && effects.onlyHasEffect<MemoryEffects::Read>())
      return WalkResult::advance();
    return WalkResult::interrupt();
  });
  return !result.wasInterrupted();
}

/// Whether the nest has fewer iterations than two tasks' worth whatever
/// its dynamic sizes.
bool provablySmall(linalg::LinalgOp op) {
  int64_t iterations = 1;
  for (int64_t size : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(size))
      return false;
    if (size == 0)
      return true;
    if (llvm::MulOverflow(iterations, size, iterations))
      return false;
  }
  return iterations < 2 * kIterationsPerTask;
}

Value ceilDiv(OpBuilder &b, Location loc, Value a, Value d) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value sum = arith::AddIOp::create(b, loc, a, arith::SubIOp::create(b, loc, d, one));
  return arith::DivUIOp::create(b, loc, sum, d);
}

/// Tile sizes for `loops` of `op` (0, untiled, for the rest), computed
/// before `op`: the last of `loops` in runs of about kIterationsPerTask
/// iterations, the others one at a time; every loop whole when the nest is
/// smaller than two tasks.
SmallVector<Value, 4> tileSizes(OpBuilder &b, linalg::LinalgOp op, ArrayRef<unsigned> loops) {
  Location loc = op.getLoc();
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  SmallVector<Value> sizes;
  for (Range range : op.createLoopRanges(b, loc))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, loc, range.size));
  auto product = [&](ArrayRef<Value> factors) {
    Value result = one;
    for (Value factor : factors)
      result = arith::MulIOp::create(b, loc, result, factor);
    return result;
  };
  unsigned last = loops.back();
  Value inner = arith::MaxUIOp::create(b, loc, product(ArrayRef(sizes).drop_front(last + 1)), one);
  Value perTask = arith::ConstantIndexOp::create(b, loc, kIterationsPerTask);
  Value rows = arith::MaxUIOp::create(b, loc, ceilDiv(b, loc, perTask, inner), one);
  Value small =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, product(sizes),
                            arith::ConstantIndexOp::create(b, loc, 2 * kIterationsPerTask));

  SmallVector<Value, 4> tiles(sizes.size(), zero);
  for (unsigned loop : loops) {
    Value whole = arith::MaxUIOp::create(b, loc, sizes[loop], one);
    Value tile = loop == last ? rows : one;
    tiles[loop] = arith::SelectOp::create(b, loc, small, whole, tile);
  }
  return tiles;
}

/// The scf.parallel tiling made, as a genc_cpu.parallel_for: its iterations
/// numbered in row-major order, one task each.
void toParallelFor(OpBuilder &b, scf::ParallelOp loop, Value context) {
  Location loc = loop.getLoc();
  b.setInsertionPoint(loop);
  SmallVector<Value> counts;
  Value tasks = arith::ConstantIndexOp::create(b, loc, 1);
  for (auto [lower, upper, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    counts.push_back(ceilDiv(b, loc, arith::SubIOp::create(b, loc, upper, lower), step));
    tasks = arith::MulIOp::create(b, loc, tasks, counts.back());
  }
  Value taskCount = arith::IndexCastOp::create(b, loc, b.getI64Type(), tasks);
  auto parallelFor = genc::cpu::ParallelForOp::create(b, loc, context, taskCount);
  Block *body = b.createBlock(&parallelFor.getBody(), {}, {b.getI64Type()}, {loc});
  Value task = arith::IndexCastOp::create(b, loc, b.getIndexType(), body->getArgument(0));
  for (int i = static_cast<int>(counts.size()) - 1; i >= 0; --i) {
    Value position = arith::RemUIOp::create(b, loc, task, counts[i]);
    task = arith::DivUIOp::create(b, loc, task, counts[i]);
    Value iv = arith::AddIOp::create(b, loc, loop.getLowerBound()[i],
                                     arith::MulIOp::create(b, loc, position, loop.getStep()[i]));
    loop.getInductionVars()[i].replaceAllUsesWith(iv);
  }
  Block &loopBody = loop.getRegion().front();
  body->getOperations().splice(body->end(), loopBody.getOperations(), loopBody.begin(),
                               std::prev(loopBody.end()));
  genc::cpu::ParallelForEndOp::create(b, loc);
  loop.erase();
}

struct ThreadLoopNestsPass : genc::impl::ThreadLoopNestsBase<ThreadLoopNestsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    // Entry points only: their callers pass the context.
    if (fn.isExternal() || !fn.isPublic())
      return;
    SmallVector<linalg::LinalgOp> nests;
    fn.walk([&](linalg::LinalgOp op) {
      // A matmul's epilogue runs on the kernel's tasks already.
      if (op->getParentOfType<genc::cpu::TileEpilogueOp>())
        return;
      if (op.hasPureBufferSemantics() && !provablySmall(op) && bodyIsThreadSafe(op))
        nests.push_back(op);
    });
    if (nests.empty())
      return;
    Value context = genc::getOrAddContextArgument(fn);
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : nests) {
      SmallVector<unsigned> loops = loopsToSplit(op);
      if (loops.empty())
        continue;
      linalg::LinalgTilingOptions options;
      options.setLoopType(linalg::LinalgTilingLoopType::ParallelLoops)
          .setTileSizeComputationFunction(
              [&](OpBuilder &b, Operation *) { return tileSizes(b, op, loops); });
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::TiledLinalgOp> tiled = linalg::tileLinalgOp(rewriter, op, options);
      if (failed(tiled)) {
        op.emitError("internal error: could not cut the loop nest into tasks");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
      if (tiled->loops.empty())
        continue; // every loop it could cut has size 1
      toParallelFor(rewriter, cast<scf::ParallelOp>(tiled->loops.front()), context);
    }
  }
};

} // namespace
