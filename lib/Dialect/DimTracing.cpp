//===- DimTracing.cpp - which earlier dim a dynamic dim equals -------------===//
//
// A dynamic dim of an intermediate tensor is usually a dim of a graph input
// in disguise: the batch dim survives matmuls, transposes and elementwise
// ops. Tracing it back gives every such dim one canonical (value, dim)
// name, so shape folding produces one tensor.dim per symbol and Reshape's
// inference can cancel a dim against itself.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::genc;

/// The dim_param name of dim `d` of a function argument, or "".
static StringRef argDimName(func::FuncOp fn, unsigned argIndex, int64_t d) {
  auto names = fn.getArgAttrOfType<ArrayAttr>(argIndex, "genc.dim_names");
  if (!names || d >= static_cast<int64_t>(names.size()))
    return {};
  auto name = dyn_cast<StringAttr>(names[d]);
  return name ? name.getValue() : StringRef();
}

/// Arguments whose dims share a dim_param name are the same symbol: use the
/// first argument dim with that name.
static DimSource canonicalArgDim(BlockArgument arg, int64_t d) {
  auto fn = dyn_cast_or_null<func::FuncOp>(arg.getOwner()->getParentOp());
  if (!fn || arg.getOwner() != &fn.getBody().front())
    return {arg, d};
  StringRef name = argDimName(fn, arg.getArgNumber(), d);
  if (name.empty())
    return {arg, d};
  for (BlockArgument other : fn.getArguments()) {
    auto type = cast<RankedTensorType>(other.getType());
    for (int64_t j = 0; j < type.getRank(); ++j)
      if (type.isDynamicDim(j) && argDimName(fn, other.getArgNumber(), j) == name)
        return {other, j};
  }
  return {arg, d};
}

/// For a broadcasting op: the operand dim that the result's dim `d`
/// (right-aligned) equals. Operands with a static 1 there broadcast and
/// don't count; several candidates must trace to one symbol.
static std::optional<DimSource> broadcastSource(ValueRange operands, int64_t d,
                                                int64_t resultRank) {
  std::optional<DimSource> source;
  for (Value operand : operands) {
    auto type = cast<RankedTensorType>(operand.getType());
    int64_t i = d - (resultRank - type.getRank());
    if (i < 0 || type.getDimSize(i) == 1)
      continue;
    if (source && !(traceDim(source->value, source->dim) == traceDim(operand, i)))
      return std::nullopt; // Could be 1 at run time: undecidable here.
    if (!source)
      source = DimSource{operand, i};
  }
  return source;
}

/// The input dim a reduction passes through to result dim `d`.
template <typename ReduceOp>
static std::optional<DimSource> reductionSource(ReduceOp op, int64_t d) {
  int64_t rank = op.getInput().getType().getRank();
  SmallVector<bool> reduced(rank, op.getAxes().empty());
  for (int64_t axis : op.getAxes())
    reduced[axis < 0 ? axis + rank : axis] = true;
  for (int64_t i = 0, r = 0; i < rank; ++i) {
    if (reduced[i] && !op.getKeepdims())
      continue;
    if (r++ == d)
      return reduced[i] ? std::nullopt : std::optional<DimSource>(DimSource{op.getInput(), i});
  }
  return std::nullopt;
}

DimSource genc::traceDim(Value v, int64_t d) {
  for (int steps = 0; steps < 256; ++steps) {
    auto type = cast<RankedTensorType>(v.getType());
    if (!type.isDynamicDim(d))
      return {v, d};
    if (auto arg = dyn_cast<BlockArgument>(v))
      return canonicalArgDim(arg, d);
    Operation *op = v.getDefiningOp();
    std::optional<DimSource> next;
    if (isa<NegOp, AbsOp, SqrtOp, ReciprocalOp, ExpOp, LogOp, TanhOp, SigmoidOp, ReluOp, ErfOp,
            SinOp, CosOp, FloorOp, CeilOp, NotOp, GeluOp, CastOp, SoftmaxOp, LayerNormOp,
            RmsNormOp, RotaryOp, TriluOp>(op)) {
      next = DimSource{op->getOperand(0), d};
    } else if (isa<AddOp, SubOp, MulOp, DivOp, PowOp, ModOp, MaxOp, MinOp, AndOp, OrOp, XorOp,
                   EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, WhereOp>(op)) {
      next = broadcastSource(op->getOperands(), d, type.getRank());
    } else if (auto r = dyn_cast<ReduceSumOp>(op)) {
      next = reductionSource(r, d);
    } else if (auto r = dyn_cast<ReduceMeanOp>(op)) {
      next = reductionSource(r, d);
    } else if (auto r = dyn_cast<ReduceMaxOp>(op)) {
      next = reductionSource(r, d);
    } else if (auto r = dyn_cast<ReduceMinOp>(op)) {
      next = reductionSource(r, d);
    } else if (auto r = dyn_cast<ReduceProdOp>(op)) {
      next = reductionSource(r, d);
    } else if (auto t = dyn_cast<TransposeOp>(op)) {
      next = DimSource{t.getInput(), t.getPerm()[d]};
    } else if (auto m = dyn_cast<MatMulOp>(op)) {
      auto lhs = m.getLhs().getType(), rhs = m.getRhs().getType();
      int64_t rank = type.getRank();
      if (lhs.getRank() >= 2 && rhs.getRank() >= 2) {
        if (d == rank - 1)
          next = DimSource{m.getRhs(), rhs.getRank() - 1};
        else if (d == rank - 2)
          next = DimSource{m.getLhs(), lhs.getRank() - 2};
        else
          next = broadcastSource({m.getLhs(), m.getRhs()}, d + 2, rank);
      }
    } else if (auto g = dyn_cast<GatherOp>(op)) {
      int64_t axis = g.getAxis() < 0 ? g.getAxis() + g.getInput().getType().getRank()
                                     : g.getAxis();
      int64_t indicesRank = g.getIndices().getType().getRank();
      if (d < axis)
        next = DimSource{g.getInput(), d};
      else if (d < axis + indicesRank)
        next = DimSource{g.getIndices(), d - axis};
      else
        next = DimSource{g.getInput(), d - indicesRank + 1};
    } else if (auto c = dyn_cast<ConcatOp>(op)) {
      int64_t axis = c.getAxis() < 0 ? c.getAxis() + type.getRank() : c.getAxis();
      if (d != axis)
        next = DimSource{c.getInputs().front(), d};
    } else if (auto s = dyn_cast<SplitOp>(op)) {
      if (d != s.getAxis())
        next = DimSource{s.getInput(), d};
    } else if (auto r = dyn_cast<ReshapeOp>(op)) {
      // A 0 entry copies the input dim (ONNX), unless allowzero.
      DenseIntElementsAttr shape;
      if (!r.getAllowzero() && matchPattern(r.getShape(), m_Constant(&shape)) &&
          shape.getValues<APInt>()[d].isZero())
        next = DimSource{r.getInput(), d};
      // An entry that is a dim of some tensor is that dim.
      if (auto fromElements = r.getShape().getDefiningOp<tensor::FromElementsOp>())
        if (auto cast = fromElements.getElements()[d].getDefiningOp<arith::IndexCastOp>())
          if (auto dim = cast.getIn().getDefiningOp<tensor::DimOp>())
            if (auto index = dim.getConstantIndex())
              next = DimSource{dim.getSource(), *index};
    } else if (auto e = dyn_cast<ExpandOp>(op)) {
      auto inputType = e.getInput().getType();
      int64_t i = d - (type.getRank() - inputType.getRank());
      if (auto fromElements = e.getShape().getDefiningOp<tensor::FromElementsOp>()) {
        if (auto cast = fromElements.getElements()[d].getDefiningOp<arith::IndexCastOp>())
          if (auto dim = cast.getIn().getDefiningOp<tensor::DimOp>())
            if (auto index = dim.getConstantIndex())
              next = DimSource{dim.getSource(), *index};
      } else if (i >= 0 && inputType.getDimSize(i) != 1) {
        next = DimSource{e.getInput(), i};
      }
    }
    if (!next)
      return {v, d};
    v = next->value;
    d = next->dim;
  }
  return {v, d};
}
