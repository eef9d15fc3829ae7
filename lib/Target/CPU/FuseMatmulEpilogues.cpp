//===- FuseMatmulEpilogues.cpp - a matmul's elementwise consumer in its call ===//
//
// A bias, an activation or a residual add after a matmul is a loop nest of
// its own: it reads C back from memory after the kernel wrote all of it.
// Here the elementwise nest that follows a matmul kernel call moves into a
// genc_cpu.tile_epilogue the call takes, and the kernel runs it on each block
// of C as soon as the block is final, while it is still in cache. Each
// element goes through the same scalar ops as before, so results are bit
// for bit the same. A gated unit's nest (genc-interleave-gated-halves)
// runs over C's panels: it reads C as [..., N/32, 2, 16] and writes
// [..., N/32, 16], and a block of whole panels holds whole output columns.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/CPUOps.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::genc {
#define GEN_PASS_DEF_FUSEMATMULEPILOGUES
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// The operands of a matmul kernel call (CallCPUKernels): context, check,
/// C, A, B, ..., epilogue.
constexpr unsigned kResultOperand = 2;

/// The columns of a panel: every block the kernel finishes starts on one
/// and ends on one or at N (runtime/include/genc/kernels.h).
constexpr int64_t kPanel = genc::kPanelColumns;

/// How the epilogue reads an operand of the nest, in terms of C's [rows,
/// columns] once its batch dims are flattened into the rows. A paired
/// nest's loops are [rows, panel, j < 16].
enum class Access {
  Element,    // the element at the nest's position: a buffer of its shape
  Column,     // the element of C's column: a vector along C's last dim
              // (paired: [N/32, 16] at [panel, j])
  Scalar,     // one value: a rank-0 buffer
  FirstHalf,  // a paired nest's C [..., panel, 0, j]
  SecondHalf, // a paired nest's C [..., panel, 1, j]
};

/// How `map` reads an operand of type `type` in a nest of `loops` parallel
/// loops (`paired`: over C's panels), if the epilogue can read it blockwise.
std::optional<Access> accessOf(AffineMap map, Type type, int64_t loops, bool paired) {
  auto buffer = dyn_cast<MemRefType>(type);
  if (!buffer || !buffer.getLayout().isIdentity())
    return std::nullopt;
  MLIRContext *ctx = map.getContext();
  if (map.isIdentity() && buffer.getRank() == loops)
    return Access::Element;
  if (!paired && map.getNumResults() == 1 && map.getResult(0) == getAffineDimExpr(loops - 1, ctx))
    return Access::Column;
  if (paired && buffer.getRank() == 2 && buffer.getShape().back() == kPanel / 2 &&
      map == AffineMap::get(loops, 0,
                            {getAffineDimExpr(loops - 2, ctx), getAffineDimExpr(loops - 1, ctx)},
                            ctx))
    return Access::Column;
  if (map.getNumResults() == 0)
    return Access::Scalar;
  if (!paired || buffer.getRank() != loops + 1 || map.getNumResults() != loops + 1 ||
      buffer.getShape().take_back(2) != ArrayRef<int64_t>{2, kPanel / 2})
    return std::nullopt;
  for (int64_t d = 0; d < loops; ++d)
    if (map.getResult(d < loops - 1 ? d : d + 1) != getAffineDimExpr(d, ctx))
      return std::nullopt;
  auto half = dyn_cast<AffineConstantExpr>(map.getResult(loops - 1));
  if (!half || (half.getValue() != 0 && half.getValue() != 1))
    return std::nullopt;
  return half.getValue() == 0 ? Access::FirstHalf : Access::SecondHalf;
}

/// Whether two buffers may share memory: views of one buffer do, a fresh
/// allocation shares with nothing else, and anything else might.
bool mayAlias(Value x, Value y) {
  Value rx = genc::rootBuffer(x), ry = genc::rootBuffer(y);
  if (rx == ry)
    return true;
  auto fresh = [](Value v) { return v.getDefiningOp<memref::AllocOp>() != nullptr; };
  return !fresh(rx) && !fresh(ry);
}

/// The memref a kernel call's operand was cast to unranked from.
Value rankedOperand(func::CallOp call, unsigned index) {
  auto cast = call.getOperand(index).getDefiningOp<memref::CastOp>();
  return cast ? cast.getSource() : Value();
}

bool isFree(Operation *op) { return isa<memref::DeallocOp, bufferization::DeallocOp>(op); }

/// A matmul kernel call and the elementwise nest its epilogue runs.
struct Fusion {
  func::CallOp call;
  linalg::GenericOp nest;
  /// The nest runs over C's panels: [rows..., N/32, 16].
  bool paired;
  /// The ops between the two that move before the call: all but frees.
  SmallVector<Operation *> hoisted;
};

/// Whether `view` is C [..., N] expanded to [..., N/32, 2, 16].
bool isPanelPairsOf(Value view, Value c) {
  auto expand = view.getDefiningOp<memref::ExpandShapeOp>();
  if (!expand || expand.getSrc() != c)
    return false;
  int64_t rank = expand.getSrcType().getRank();
  SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
  return groups.back() == ReassociationIndices{rank - 1, rank, rank + 1} &&
         expand.getResultType().getShape().take_back(3) ==
             ArrayRef<int64_t>{expand.getSrcType().getShape().back() / kPanel, 2, kPanel / 2};
}

/// The elementwise nest `call`'s epilogue can run, if any: the first
/// linalg op after the call, with nothing between them but allocations,
/// frees and ops that touch no memory (none of them using what a free
/// returns); all its loops parallel, one per dim of C, its body plain
/// arithmetic on its operands' elements; it reads C where it writes, its
/// other operands by element, by C's column or as a scalar, and it writes
/// a buffer of C's shape. Or, paired, one loop more, over C's panels and
/// 16 columns: it reads C's halves of each panel (isPanelPairsOf), other
/// operands by element, by column ([N/32, 16]) or as scalars, and writes
/// [..., N/32, 16] elsewhere than C. Running it a block at a time must not
/// change what it reads: it writes nothing the matmul reads, and reads
/// nothing written elsewhere than at the element it is at.
std::optional<Fusion> fusableNest(func::CallOp call) {
  Value c = rankedOperand(call, kResultOperand);
  if (!c)
    return std::nullopt;
  auto cType = cast<MemRefType>(c.getType());
  int64_t rank = cType.getRank();
  if (rank < 2 || !cType.getLayout().isIdentity())
    return std::nullopt;

  Fusion fusion{call, {}, false, {}};
  SmallVector<Operation *> frees;
  for (Operation *op = call->getNextNode(); op; op = op->getNextNode()) {
    if ((fusion.nest = dyn_cast<linalg::GenericOp>(op)))
      break;
    if (isFree(op)) {
      frees.push_back(op);
      continue;
    }
    if (!isMemoryEffectFree(op) && !isa<memref::AllocOp>(op))
      return std::nullopt;
    for (Value operand : op->getOperands())
      if (llvm::is_contained(frees, operand.getDefiningOp()))
        return std::nullopt;
    fusion.hoisted.push_back(op);
  }
  linalg::GenericOp nest = fusion.nest;
  if (!nest || !nest.hasPureBufferSemantics() || nest.getNumDpsInits() != 1)
    return std::nullopt;
  int64_t loops = nest.getNumLoops();
  fusion.paired = loops == rank + 1;
  if ((loops != rank && !fusion.paired) || nest.getNumParallelLoops() != loops)
    return std::nullopt;
  int64_t columns = cType.getShape().back();
  if (fusion.paired && (ShapedType::isDynamic(columns) || columns % kPanel != 0))
    return std::nullopt;
  for (Operation &op : nest.getBlock()->without_terminator())
    if (isa<linalg::IndexOp>(op) || !isMemoryEffectFree(&op))
      return std::nullopt;
  // Operands the frees in between define would not reach the call.
  for (Value operand : nest->getOperands())
    if (llvm::is_contained(frees, operand.getDefiningOp()))
      return std::nullopt;

  Value out = nest.getDpsInits()[0];
  OpOperand &outOperand = nest.getDpsInitsMutable()[0];
  if (accessOf(nest.getMatchingIndexingMap(&outOperand), out.getType(), loops, fusion.paired) !=
      Access::Element)
    return std::nullopt;
  // A paired nest writes [..., N/32, 16], not C.
  if (fusion.paired && (cast<MemRefType>(out.getType()).getShape().take_back(2) !=
                            ArrayRef<int64_t>{columns / kPanel, kPanel / 2} ||
                        mayAlias(out, c)))
    return std::nullopt;
  // The matmul's operands after C, up to the epilogue: A, B, B's scales...
  for (unsigned i = kResultOperand + 1; i + 1 < call.getNumOperands(); ++i)
    if (Value read = rankedOperand(call, i); read && mayAlias(read, out))
      return std::nullopt;

  bool readsC = false;
  for (OpOperand *input : nest.getDpsInputOperands()) {
    Value v = input->get();
    std::optional<Access> access =
        accessOf(nest.getMatchingIndexingMap(input), v.getType(), loops, fusion.paired);
    if (!access)
      return std::nullopt;
    if (*access == Access::FirstHalf || *access == Access::SecondHalf) {
      // C's panels, at the one the nest is at.
      if (!isPanelPairsOf(v, c))
        return std::nullopt;
      readsC = true;
    } else if (*access == Access::Element) {
      // Read where the nest (and the kernel) write, or not where they do.
      if ((v != c && mayAlias(v, c)) || (v != out && mayAlias(v, out)))
        return std::nullopt;
      readsC |= v == c;
    } else if (mayAlias(v, c) || mayAlias(v, out)) {
      return std::nullopt;
    }
  }
  if (!readsC)
    return std::nullopt;
  return fusion;
}

/// `view` [d0, ..., dn] with its first `rowDims` dims as one:
/// [d0 × ... × d(rowDims-1), d(rowDims), ..., dn].
Value flattenRows(OpBuilder &b, Location loc, Value view, int64_t rowDims) {
  int64_t rank = cast<MemRefType>(view.getType()).getRank();
  if (rowDims == 1)
    return view;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < rank; ++d) {
    if (d >= rowDims)
      groups.emplace_back();
    groups.back().push_back(d);
  }
  return memref::CollapseShapeOp::create(b, loc, view, groups);
}

/// Moves the nest into a genc_cpu.tile_epilogue that the call takes: the nest
/// on the block's slice of each operand, over the block's rows and columns.
void fuse(const Fusion &fusion) {
  func::CallOp call = fusion.call;
  linalg::GenericOp nest = fusion.nest;
  // What the nest's operands need (its output's allocation, sizes) comes
  // before the call; frees stay where they are.
  for (Operation *op : fusion.hoisted)
    op->moveBefore(call);

  OpBuilder b(call);
  Location loc = nest.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t loops = nest.getNumLoops();
  // C's rows: all its dims but the columns (a paired nest's two last).
  int64_t rowDims = loops - (fusion.paired ? 2 : 1);
  // One flattened view and one slice per buffer, however often the nest
  // names it: a nest written in place then loads and stores through one
  // pointer, which LLVM vectorises without a runtime overlap check (that
  // check takes equal pointers for a conflict).
  DenseMap<Value, Value> flattened;
  SmallVector<std::pair<Value, Access>> operands;
  for (OpOperand &operand : nest->getOpOperands()) {
    Access access = *accessOf(nest.getMatchingIndexingMap(&operand), operand.get().getType(), loops,
                              fusion.paired);
    Value v = operand.get();
    if (access != Access::Column && access != Access::Scalar) {
      auto [it, inserted] = flattened.try_emplace(v);
      if (inserted)
        it->second = flattenRows(b, loc, v, rowDims);
      v = it->second;
    }
    operands.push_back({v, access});
  }

  Type i64 = b.getI64Type();
  auto epilogue = genc::cpu::TileEpilogueOp::create(b, loc, LLVM::LLVMPointerType::get(ctx));
  Block *body = b.createBlock(&epilogue.getBody(), {}, {i64, i64, i64, i64}, {loc, loc, loc, loc});
  SmallVector<Value, 4> bounds;
  for (Value bound : body->getArguments())
    bounds.push_back(arith::IndexCastOp::create(b, loc, b.getIndexType(), bound));
  Value rows = arith::SubIOp::create(b, loc, bounds[1], bounds[0]);
  Value columns = arith::SubIOp::create(b, loc, bounds[3], bounds[2]);
  OpFoldResult zero = b.getIndexAttr(0), one = b.getIndexAttr(1);
  // A paired nest's block: the panels [col_begin / 32, col_end / 32).
  Value firstPanel, panels;
  if (fusion.paired) {
    Value panel = arith::ConstantIndexOp::create(b, loc, kPanel);
    firstPanel = arith::DivUIOp::create(b, loc, bounds[2], panel);
    panels = arith::DivUIOp::create(b, loc, columns, panel);
  }
  OpFoldResult halfPanel = b.getIndexAttr(kPanel / 2);

  AffineExpr row = getAffineDimExpr(0, ctx), column = getAffineDimExpr(1, ctx);
  AffineExpr j = getAffineDimExpr(2, ctx);
  int64_t blockLoops = fusion.paired ? 3 : 2;
  DenseMap<Value, Value> sliced;
  auto slice = [&](Value v, ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
                   ArrayRef<OpFoldResult> strides) {
    auto [it, inserted] = sliced.try_emplace(v);
    if (inserted)
      it->second = memref::SubViewOp::create(b, loc, v, offsets, sizes, strides);
    return it->second;
  };
  SmallVector<Value> blocks;
  SmallVector<AffineMap> maps;
  for (auto [v, access] : operands) {
    switch (access) {
    case Access::Element:
      if (fusion.paired)
        blocks.push_back(
            slice(v, {bounds[0], firstPanel, zero}, {rows, panels, halfPanel}, {one, one, one}));
      else
        blocks.push_back(slice(v, {bounds[0], bounds[2]}, {rows, columns}, {one, one}));
      maps.push_back(AffineMap::getMultiDimIdentityMap(blockLoops, ctx));
      break;
    case Access::Column:
      if (fusion.paired) {
        blocks.push_back(slice(v, {firstPanel, zero}, {panels, halfPanel}, {one, one}));
        maps.push_back(AffineMap::get(3, 0, {column, j}, ctx));
      } else {
        blocks.push_back(slice(v, {bounds[2]}, {columns}, {one}));
        maps.push_back(AffineMap::get(2, 0, {column}, ctx));
      }
      break;
    case Access::Scalar:
      blocks.push_back(v);
      maps.push_back(AffineMap::get(blockLoops, 0, {}, ctx));
      break;
    case Access::FirstHalf:
    case Access::SecondHalf:
      blocks.push_back(slice(v, {bounds[0], firstPanel, zero, zero},
                             {rows, panels, b.getIndexAttr(2), halfPanel}, {one, one, one, one}));
      maps.push_back(AffineMap::get(
          3, 0, {row, column, getAffineConstantExpr(access == Access::FirstHalf ? 0 : 1, ctx), j},
          ctx));
      break;
    }
  }
  unsigned inputs = nest.getNumDpsInputs();
  auto blockNest = linalg::GenericOp::create(
      b, loc, TypeRange{}, ArrayRef(blocks).take_front(inputs), ArrayRef(blocks).drop_front(inputs),
      maps, SmallVector<utils::IteratorType>(blockLoops, utils::IteratorType::parallel));
  blockNest.getRegion().takeBody(nest.getRegion());
  genc::cpu::TileEpilogueEndOp::create(b, loc);

  Operation *none = call.getOperand(call.getNumOperands() - 1).getDefiningOp();
  call->setOperand(call.getNumOperands() - 1, epilogue);
  if (none && none->use_empty())
    none->erase();
  nest.erase();
}

struct FuseMatmulEpiloguesPass : genc::impl::FuseMatmulEpiloguesBase<FuseMatmulEpiloguesPass> {
  void runOnOperation() override {
    SmallVector<Fusion> fusions;
    getOperation().walk([&](func::CallOp call) {
      if (!genc::isMatmulKernel(call.getCallee()) ||
          !call.getOperand(call.getNumOperands() - 1).getDefiningOp<LLVM::ZeroOp>())
        return;
      if (std::optional<Fusion> fusion = fusableNest(call))
        fusions.push_back(std::move(*fusion));
    });
    for (const Fusion &fusion : fusions)
      fuse(fusion);
  }
};

} // namespace
