//===- InterleaveGatedHalves.cpp - a gated unit's halves in every panel ----===//
//
// A gated linear unit multiplies an activation of one projection of x by
// another, act(x·Wg) · (x·Wu). Merged into one matmul (genc-merge-projections,
// or a model's own gate_up weight), C = x·[Wg Wu] is read by one elementwise
// nest as its halves C[..., 0:F] and C[..., F:2F]. The kernel finishes C
// a block of 32-column panels at a time, and a block of one half is final
// long before the same columns of the other: the nest cannot run on the
// kernel's blocks (genc-fuse-matmul-epilogues) and reads all of C back from
// memory. Reordering the weight's columns so that panel b holds columns
// [16b, 16b + 16) of both halves, and the nest C as [..., F/16, 2, 16],
// gives it whole output columns in every panel. Each column is the same
// products in the same order: exact.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencAttrs.h"
#include "genc/Dialect/GencOps.h"
#include "genc/Dialect/MatmulAttributes.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <cstring>

namespace mlir::genc {
#define GEN_PASS_DEF_INTERLEAVEGATEDHALVES
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

/// Columns of each half per panel of the packed weight.
constexpr int64_t kHalfPanel = genc::kPanelColumns / 2;

/// A matmul by constant weights whose result's two halves one nest reads.
struct GatedHalves {
  linalg::GenericOp matmul;
  genc::ConstantWeight weight; // [K, 2F], or [2F, K] transposed
  int64_t half;                // F
  /// The nest's operands that read a half, and which half (0 or 1).
  SmallVector<std::pair<OpOperand *, int64_t>> halfReads;
  linalg::GenericOp nest;
};

/// Whether `a` and `b` are provably the same size.
bool sameSize(OpFoldResult a, OpFoldResult b) {
  std::optional<int64_t> ca = getConstantIntValue(a), cb = getConstantIntValue(b);
  if (ca || cb)
    return ca == cb;
  return genc::provablyEqualIndices(cast<Value>(a), cast<Value>(b));
}

/// The sizes of `c` if the matmul that computes it starts from one value
/// in every element (a `linalg.fill` of a `tensor.empty`, as the lowering
/// builds it): a start that differs by column would not follow the
/// reordered columns.
std::optional<SmallVector<OpFoldResult>> filledSizes(linalg::GenericOp matmul) {
  auto fill = matmul.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
  auto empty = fill ? fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>() : nullptr;
  if (!empty)
    return std::nullopt;
  return empty.getMixedSizes();
}

bool allParallel(linalg::GenericOp op) { return op.getNumParallelLoops() == op.getNumLoops(); }

/// Whether `map` reads a vector along the loops' last dim (a bias).
bool isColumnRead(AffineMap map) {
  return map.getNumResults() == 1 &&
         map.getResult(0) == getAffineDimExpr(map.getNumDims() - 1, map.getContext());
}

/// The gated unit `matmul` computes, if it is one this pass reorders.
std::optional<GatedHalves> matchGatedHalves(linalg::GenericOp matmul) {
  auto encoding = matmul->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
  if (!encoding || encoding.getLayout() != genc::MatmulLayout::RowMajor ||
      matmul.getNumDpsInputs() != 2 || matmul->getNumResults() != 1 ||
      matmul->hasAttr(genc::kWeightGridAttrName))
    return std::nullopt;
  std::optional<genc::ConstantWeight> weight =
      genc::matchConstantWeight(matmul.getDpsInputOperand(1)->get());
  if (!weight || failed(genc::getConstantBytes(weight->source)))
    return std::nullopt;
  Value c = matmul->getResult(0);
  auto cType = cast<RankedTensorType>(c.getType());
  int64_t rank = cType.getRank(), columns = cType.getShape().back();
  int64_t n = cast<ShapedType>(weight->source.getType()).getDimSize(weight->transposed ? 0 : 1);
  if (rank < 2 || columns != n || n % genc::kPanelColumns != 0)
    return std::nullopt;
  std::optional<SmallVector<OpFoldResult>> cSizes = filledSizes(matmul);
  if (!cSizes)
    return std::nullopt;

  GatedHalves match{matmul, *weight, n / 2, {}, {}};
  for (OpOperand &use : c.getUses()) {
    if (isa<tensor::DimOp>(use.getOwner()))
      continue;
    // A half: all of C's other dims, half of its columns.
    auto slice = dyn_cast<tensor::ExtractSliceOp>(use.getOwner());
    if (!slice || !slice.hasUnitStride() || slice.getType().getRank() != rank ||
        !slice->hasOneUse())
      return std::nullopt;
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets(), sizes = slice.getMixedSizes();
    std::optional<int64_t> offset = getConstantIntValue(offsets.back());
    if (!offset || (*offset != 0 && *offset != match.half) ||
        getConstantIntValue(sizes.back()) != match.half)
      return std::nullopt;
    for (int64_t d = 0; d + 1 < rank; ++d)
      if (getConstantIntValue(offsets[d]) != 0 || !sameSize(sizes[d], (*cSizes)[d]))
        return std::nullopt;
    OpOperand &read = *slice->getUses().begin();
    auto nest = dyn_cast<linalg::GenericOp>(read.getOwner());
    if (!nest || (match.nest && nest != match.nest) || !nest.isDpsInput(&read))
      return std::nullopt;
    match.nest = nest;
    match.halfReads.emplace_back(&read, *offset == 0 ? 0 : 1);
  }
  // Both halves, read by an all-parallel nest that writes [..., F]: its
  // other operands at its element, by column (a bias [F]) or as scalars.
  linalg::GenericOp nest = match.nest;
  if (!nest || match.halfReads.size() != 2 ||
      match.halfReads[0].second == match.halfReads[1].second || !allParallel(nest) ||
      nest.getNumLoops() != rank || nest.getNumDpsInits() != 1 || nest->getNumResults() != 1)
    return std::nullopt;
  for (Operation &op : nest.getBlock()->without_terminator())
    if (isa<linalg::IndexOp>(op))
      return std::nullopt;
  for (OpOperand &operand : nest->getOpOperands()) {
    AffineMap map = nest.getMatchingIndexingMap(&operand);
    auto type = dyn_cast<RankedTensorType>(operand.get().getType());
    if (!type)
      return std::nullopt;
    if (!map.isIdentity() && !isColumnRead(map) && map.getNumResults() != 0)
      return std::nullopt;
    if ((!map.isIdentity() && !nest.isDpsInput(&operand)) ||
        (map.getNumResults() != 0 && type.getShape().back() != match.half))
      return std::nullopt;
  }
  return match;
}

/// Column c of the reordered weight is column `sourceColumn(c)` of the old.
int64_t sourceColumn(int64_t c, int64_t half) {
  int64_t panel = c / (2 * kHalfPanel), within = c % (2 * kHalfPanel);
  int64_t column = panel * kHalfPanel + within % kHalfPanel;
  return within < kHalfPanel ? column : half + column;
}

/// The weight's columns reordered, as a new [K, 2F] constant.
DenseResourceElementsAttr reorderedCopy(const genc::ConstantWeight &weight, int64_t half,
                                        MLIRContext *ctx) {
  auto shape = cast<ShapedType>(weight.source.getType()).getShape();
  int64_t n = 2 * half, k = weight.transposed ? shape[1] : shape[0];
  AsmResourceBlob reordered =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(k * n) * sizeof(float), alignof(float));
  auto *out = reinterpret_cast<float *>(reordered.getMutableData().data());
  auto *in = reinterpret_cast<const float *>(genc::getConstantBytes(weight.source)->data());
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t c = 0; c < n; ++c) {
      int64_t from = sourceColumn(c, half);
      out[kk * n + c] = weight.transposed ? in[from * k + kk] : in[kk * n + from];
    }
  auto type = RankedTensorType::get({k, n}, Float32Type::get(ctx));
  return DenseResourceElementsAttr::get(type, "interleaved_weight", std::move(reordered));
}

/// Reorders [K, 2F] weights' columns: in place where the compiler owns a
/// weight's bytes and one op reads them; otherwise into one copy per
/// weight, which every function's matmuls by that weight share.
class WeightReorder {
public:
  explicit WeightReorder(ModuleOp module) : weights(module) {}

  /// `match`'s matmul reading its weight reordered.
  void apply(const GatedHalves &match) {
    linalg::GenericOp matmul = match.matmul;
    Value old = matmul.getDpsInputOperand(1)->get();
    auto resource = dyn_cast<DenseResourceElementsAttr>(match.weight.source);
    AsmResourceBlob *blob = resource ? resource.getRawHandle().getBlob() : nullptr;
    // A weight copied for another matmul takes that copy (it may hold its
    // bytes alone only since then), so that all its matmuls share one.
    if (!match.weight.transposed && blob && blob->isMutable() &&
        weights.holdsBytesAlone(match.weight.source) && old.hasOneUse() &&
        !copies.count({match.weight.source, 0u})) {
      // A row at a time, through one row of scratch.
      int64_t n = 2 * match.half;
      int64_t k = cast<ShapedType>(match.weight.source.getType()).getDimSize(0);
      auto *data = reinterpret_cast<float *>(blob->getMutableData().data());
      std::vector<float> row(n);
      for (int64_t kk = 0; kk < k; ++kk) {
        std::memcpy(row.data(), data + kk * n, n * sizeof(float));
        for (int64_t c = 0; c < n; ++c)
          data[kk * n + c] = row[sourceColumn(c, match.half)];
      }
      return;
    }
    ElementsAttr &copy = copies[{match.weight.source, match.weight.transposed ? 1u : 0u}];
    if (!copy)
      copy = reorderedCopy(match.weight, match.half, matmul.getContext());
    OpBuilder b(matmul);
    matmul->setOperand(1, arith::ConstantOp::create(b, old.getLoc(), copy));
    weights.eraseIfDead(old);
  }

private:
  genc::WeightConstants weights;
  /// Each weight's reordered copy, by (weight, transposed).
  llvm::DenseMap<std::pair<Attribute, unsigned>, ElementsAttr> copies;
};

/// `tensor` [..., F] as [..., F / 16, 16]; C [..., 2F] (`halves`) as
/// [..., F / 16, 2, 16].
Value expandColumns(OpBuilder &b, Location loc, Value tensor, bool halves) {
  auto type = cast<RankedTensorType>(tensor.getType());
  int64_t rank = type.getRank();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, tensor);
  sizes.pop_back();
  SmallVector<int64_t> shape(type.getShape().drop_back());
  int64_t parts = halves ? 2 : 1;
  shape.push_back(type.getShape().back() / (parts * kHalfPanel));
  if (halves)
    shape.push_back(2);
  shape.push_back(kHalfPanel);
  for (int64_t d = rank - 1; d < static_cast<int64_t>(shape.size()); ++d)
    sizes.push_back(b.getIndexAttr(shape[d]));
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + 1 < rank; ++d)
    groups.push_back({d});
  groups.emplace_back();
  for (int64_t d = rank - 1; d < static_cast<int64_t>(shape.size()); ++d)
    groups.back().push_back(d);
  return tensor::ExpandShapeOp::create(b, loc, type.clone(shape), tensor, groups, sizes);
}

/// Rewrites the nest over [..., F/16, 16], reading C's panels (whose
/// weight is reordered).
void readPanels(const GatedHalves &match) {
  linalg::GenericOp nest = match.nest, matmul = match.matmul;
  OpBuilder b(nest);
  Location loc = nest.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t rank = nest.getNumLoops();
  Value c = matmul->getResult(0);
  Value pairs = expandColumns(b, loc, c, /*halves=*/true);
  // Loops (d0, ..., d[rank-2], panel, j): C's [..., panel, half, j].
  SmallVector<AffineExpr> leading;
  for (int64_t d = 0; d + 1 < rank; ++d)
    leading.push_back(getAffineDimExpr(d, ctx));
  AffineExpr panel = getAffineDimExpr(rank - 1, ctx), j = getAffineDimExpr(rank, ctx);
  auto halfMap = [&](int64_t half) {
    SmallVector<AffineExpr> results(leading);
    results.append({panel, getAffineConstantExpr(half, ctx), j});
    return AffineMap::get(rank + 1, 0, results, ctx);
  };
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank + 1, ctx);

  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  for (OpOperand *input : nest.getDpsInputOperands()) {
    auto read = llvm::find_if(match.halfReads, [&](auto &r) { return r.first == input; });
    if (read != match.halfReads.end()) {
      inputs.push_back(pairs);
      maps.push_back(halfMap(read->second));
    } else if (nest.getMatchingIndexingMap(input).getNumResults() == 0) {
      inputs.push_back(input->get());
      maps.push_back(AffineMap::get(rank + 1, 0, {}, ctx));
    } else if (isColumnRead(nest.getMatchingIndexingMap(input))) {
      inputs.push_back(expandColumns(b, loc, input->get(), /*halves=*/false));
      maps.push_back(AffineMap::get(rank + 1, 0, {panel, j}, ctx));
    } else {
      inputs.push_back(expandColumns(b, loc, input->get(), /*halves=*/false));
      maps.push_back(identity);
    }
  }
  Value init = expandColumns(b, loc, nest.getDpsInits()[0], /*halves=*/false);
  maps.push_back(identity);
  auto rewritten = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(rank + 1, utils::IteratorType::parallel));
  rewritten.getRegion().takeBody(nest.getRegion());
  for (NamedAttribute attr : nest->getDiscardableAttrs())
    rewritten->setAttr(attr.getName(), attr.getValue());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + 1 < rank; ++d)
    groups.push_back({d});
  groups.push_back({rank - 1, rank});
  Value result = tensor::CollapseShapeOp::create(b, loc, nest->getResult(0).getType(),
                                                 rewritten->getResult(0), groups);
  nest->getResult(0).replaceAllUsesWith(result);
  SmallVector<Operation *> slices;
  for (auto [read, half] : match.halfReads)
    slices.push_back(read->get().getDefiningOp());
  nest.erase();
  for (Operation *slice : slices)
    slice->erase();
}

struct InterleaveGatedHalvesPass
    : genc::impl::InterleaveGatedHalvesBase<InterleaveGatedHalvesPass> {
  void runOnOperation() override {
    SmallVector<GatedHalves> matches;
    llvm::DenseSet<Operation *> nests; // a nest may read two matmuls' halves
    getOperation().walk([&](linalg::GenericOp op) {
      if (std::optional<GatedHalves> match = matchGatedHalves(op);
          match && nests.insert(match->nest).second)
        matches.push_back(std::move(*match));
    });
    WeightReorder reorder(getOperation());
    for (const GatedHalves &match : matches) {
      reorder.apply(match);
      readPanels(match);
    }
  }
};

} // namespace
