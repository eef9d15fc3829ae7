//===- FuseMatmulEpilogues.cpp - a matmul's elementwise consumer in its call ===//
//
// A bias, an activation or a residual add after a matmul is a loop nest of
// its own: it reads C back from memory after the kernel wrote all of it.
// Here the elementwise nest that follows a matmul kernel call moves into a
// genc_cpu.tile_epilogue the call takes, and the kernel runs it on each block
// of C as soon as the block is final, while it is still in cache. Each
// element goes through the same scalar ops as before, so results are bit
// for bit the same.
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

/// How the epilogue reads an operand of the nest, in terms of C's [rows,
/// columns] once its batch dims are flattened into the rows.
enum class Access {
  Element, // the element at C's position: a buffer of C's shape
  Column,  // the element of C's column: a vector along C's last dim
  Scalar,  // one value: a rank-0 buffer
};

/// How `map` reads an operand of type `type` in a nest of `rank` parallel
/// loops over C, if the epilogue can read it blockwise.
std::optional<Access> accessOf(AffineMap map, Type type, int64_t rank) {
  auto buffer = dyn_cast<MemRefType>(type);
  if (!buffer || !buffer.getLayout().isIdentity())
    return std::nullopt;
  if (map.isIdentity() && buffer.getRank() == rank)
    return Access::Element;
  if (map.getNumResults() == 1 && map.getResult(0) == getAffineDimExpr(rank - 1, map.getContext()))
    return Access::Column;
  if (map.getNumResults() == 0)
    return Access::Scalar;
  return std::nullopt;
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
  /// The ops between the two that move before the call: all but frees.
  SmallVector<Operation *> hoisted;
};

/// The elementwise nest `call`'s epilogue can run, if any: the first
/// linalg op after the call, with nothing between them but allocations,
/// frees and ops that touch no memory (none of them using what a free
/// returns); all its loops parallel, one per dim of C, its body plain
/// arithmetic on its operands' elements; it reads C where it writes, its
/// other operands by element, by C's column or as a scalar, and it writes
/// a buffer of C's shape. Running it a block at a time must not change
/// what it reads: it writes nothing the matmul reads, and reads nothing
/// written elsewhere than at the element it is at.
std::optional<Fusion> fusableNest(func::CallOp call) {
  Value c = rankedOperand(call, kResultOperand);
  if (!c)
    return std::nullopt;
  auto cType = cast<MemRefType>(c.getType());
  int64_t rank = cType.getRank();
  if (rank < 2 || !cType.getLayout().isIdentity())
    return std::nullopt;

  Fusion fusion{call, {}, {}};
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
  if (!nest || !nest.hasPureBufferSemantics() || nest.getNumDpsInits() != 1 ||
      nest.getNumLoops() != rank || nest.getNumParallelLoops() != rank)
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
  if (accessOf(nest.getMatchingIndexingMap(&outOperand), out.getType(), rank) != Access::Element)
    return std::nullopt;
  // The matmul's operands after C, up to the epilogue: A, B, B's scales...
  for (unsigned i = kResultOperand + 1; i + 1 < call.getNumOperands(); ++i)
    if (Value read = rankedOperand(call, i); read && mayAlias(read, out))
      return std::nullopt;

  bool readsC = false;
  for (OpOperand *input : nest.getDpsInputOperands()) {
    Value v = input->get();
    std::optional<Access> access = accessOf(nest.getMatchingIndexingMap(input), v.getType(), rank);
    if (!access)
      return std::nullopt;
    if (*access == Access::Element) {
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

/// `view` [d0, ..., dn] as [d0 × ... × dn-1, dn].
Value flattenRows(OpBuilder &b, Location loc, Value view) {
  int64_t rank = cast<MemRefType>(view.getType()).getRank();
  if (rank == 2)
    return view;
  ReassociationIndices rows;
  for (int64_t d = 0; d + 1 < rank; ++d)
    rows.push_back(d);
  return memref::CollapseShapeOp::create(b, loc, view,
                                         SmallVector<ReassociationIndices>{rows, {rank - 1}});
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
  int64_t rank = nest.getNumLoops();
  // One flattened view and one slice per buffer, however often the nest
  // names it: a nest written in place then loads and stores through one
  // pointer, which LLVM vectorises without a runtime overlap check (that
  // check takes equal pointers for a conflict).
  DenseMap<Value, Value> flattened;
  SmallVector<std::pair<Value, Access>> operands;
  for (OpOperand &operand : nest->getOpOperands()) {
    Access access = *accessOf(nest.getMatchingIndexingMap(&operand), operand.get().getType(), rank);
    Value v = operand.get();
    if (access == Access::Element) {
      auto [it, inserted] = flattened.try_emplace(v);
      if (inserted)
        it->second = flattenRows(b, loc, v);
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
  OpFoldResult one = b.getIndexAttr(1);

  AffineExpr row = getAffineDimExpr(0, ctx), column = getAffineDimExpr(1, ctx);
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
      blocks.push_back(slice(v, {bounds[0], bounds[2]}, {rows, columns}, {one, one}));
      maps.push_back(AffineMap::get(2, 0, {row, column}, ctx));
      break;
    case Access::Column:
      blocks.push_back(slice(v, {bounds[2]}, {columns}, {one}));
      maps.push_back(AffineMap::get(2, 0, {column}, ctx));
      break;
    case Access::Scalar:
      blocks.push_back(v);
      maps.push_back(AffineMap::get(2, 0, {}, ctx));
      break;
    }
  }
  unsigned inputs = nest.getNumDpsInputs();
  auto blockNest = linalg::GenericOp::create(
      b, loc, TypeRange{}, ArrayRef(blocks).take_front(inputs), ArrayRef(blocks).drop_front(inputs),
      maps, SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel));
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
