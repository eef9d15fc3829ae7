//===- RaiseNorms.cpp - exporters' RMSNorm and LayerNorm as genc ops -------===//
//
// Exporters spell a normalisation out: RMSNorm (LLaMA, Gemma, T5, Qwen) as
// x · 1/√(mean(x²) + ε) · w, LayerNorm before opset 17 as
// (x − mean) / √(mean((x − mean)²) + ε) · w + b. Each becomes one
// genc.rms_norm or genc.layer_norm, whose lowering reads a row for its
// statistics and once more to write it. Matching starts from the mean of the squares and follows
// single uses forward, so that the weight and bias fold in where they are
// constants.
//
//===----------------------------------------------------------------------===//

#include "ChainMatching.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"

namespace mlir::genc {
#define GEN_PASS_DEF_RAISENORMS
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

bool isConstantEqualTo(Value v, double expected) { return floatConstant(v) == expected; }

/// Whether `reduce` takes the mean over the trailing dims of its input,
/// keeping them; the first of them.
std::optional<int64_t> trailingAxes(ReduceMeanOp reduce) {
  int64_t rank = cast<RankedTensorType>(reduce.getInput().getType()).getRank();
  SmallVector<int64_t> axes(reduce.getAxes());
  llvm::sort(axes);
  if (!reduce.getKeepdims() || axes.empty() || axes.back() != rank - 1)
    return std::nullopt;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return std::nullopt;
  return axes.front();
}

/// Whether the constant `c` broadcasts over the normalised dims
/// [axis, rank) of a tensor of `rank` only: any dim before them is 1.
bool isPerFeatureConstant(Value c, int64_t axis, int64_t rank) {
  if (!matchPattern(c, m_Constant()))
    return false;
  auto type = cast<RankedTensorType>(c.getType());
  int64_t leading = type.getRank() - (rank - axis);
  for (int64_t d = 0; d < leading; ++d)
    if (type.getDimSize(d) != 1)
      return false;
  return type.getRank() <= rank;
}

/// A normalisation the chain from a mean of squares spells.
struct Norm {
  Value input;      // x
  Value scale, bias; // constants, or null
  int64_t axis;
  double epsilon;
  bool rms;
  Operation *root; // the op whose result the genc op replaces
  SmallVector<Operation *> chain; // the ops it replaces, in order
};

/// Matches forward from `squaresMean` = ReduceMean(Pow(c, 2) | Mul(c, c)),
/// c = x (RMSNorm) or x − ReduceMean(x) over the same axes (LayerNorm).
std::optional<Norm> matchNorm(ReduceMeanOp squaresMean) {
  std::optional<int64_t> axis = trailingAxes(squaresMean);
  if (!axis || !squaresMean.getInput().hasOneUse())
    return std::nullopt;
  Operation *squares = squaresMean.getInput().getDefiningOp();
  Value centered;
  if (auto pow = dyn_cast_or_null<PowOp>(squares); pow && isConstantEqualTo(pow.getRhs(), 2.0))
    centered = pow.getLhs();
  else if (auto mul = dyn_cast_or_null<MulOp>(squares); mul && mul.getLhs() == mul.getRhs())
    centered = mul.getLhs();
  if (!centered || centered.getType() != squares->getResult(0).getType())
    return std::nullopt;

  Norm norm{centered, {}, {}, *axis, 0.0, /*rms=*/true, nullptr, {squares, squaresMean}};
  // LayerNorm: centered = x − mean(x), read by the squares and the division only.
  if (auto sub = centered.getDefiningOp<SubOp>()) {
    auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
    if (mean && mean.getInput() == sub.getLhs() && trailingAxes(mean) == axis &&
        mean.getAxes().size() == squaresMean.getAxes().size() && mean->hasOneUse() &&
        sub.getType() == sub.getLhs().getType()) {
      norm.input = sub.getLhs();
      norm.rms = false;
      norm.chain.insert(norm.chain.begin(), {mean, sub});
    }
  }
  // mean + ε, its square root, and x divided by it (or times its reciprocal).
  auto shifted = soleUser<AddOp>(squaresMean.getResult());
  std::optional<double> epsilon =
      shifted ? floatConstant(otherOperand(shifted, squaresMean.getResult())) : std::nullopt;
  auto root = shifted ? soleUser<SqrtOp>(shifted.getResult()) : SqrtOp();
  if (!epsilon || !root)
    return std::nullopt;
  norm.epsilon = *epsilon;
  Value deviation = root.getResult();
  Operation *normalized = nullptr, *inverse = nullptr;
  if (auto div = soleUser<DivOp>(deviation); div && div.getRhs() == deviation) {
    if (div.getLhs() == centered) {
      normalized = div;
    } else if (isConstantEqualTo(div.getLhs(), 1.0)) {
      inverse = div;
      auto times = soleUser<MulOp>(div.getResult());
      if (times && otherOperand(times, div.getResult()) == centered)
        normalized = times;
    }
  } else if (auto reciprocal = soleUser<ReciprocalOp>(deviation)) {
    inverse = reciprocal;
    auto times = soleUser<MulOp>(reciprocal.getResult());
    if (times && otherOperand(times, reciprocal.getResult()) == centered)
      normalized = times;
  }
  if (!normalized || normalized->getResult(0).getType() != centered.getType())
    return std::nullopt;
  // LayerNorm's centered values feed the squares and the normalised values only.
  if (!norm.rms && !llvm::all_of(centered.getUsers(), [&](Operation *user) {
        return user == squares || user == normalized;
      }))
    return std::nullopt;
  norm.root = normalized;
  norm.chain.append({shifted, root});
  if (inverse)
    norm.chain.push_back(inverse);
  norm.chain.push_back(normalized);

  // The weight and the bias, where they are per-feature constants.
  int64_t rank = cast<RankedTensorType>(centered.getType()).getRank();
  auto perFeature = [&](Operation *op) -> Value {
    Value c = op ? otherOperand(op, norm.root->getResult(0)) : Value();
    return c && isPerFeatureConstant(c, *axis, rank) &&
                   op->getResult(0).getType() == centered.getType()
               ? c
               : Value();
  };
  auto weighted = soleUser<MulOp>(norm.root->getResult(0));
  if (Value scale = perFeature(weighted)) {
    norm.scale = scale;
    norm.root = weighted;
    norm.chain.push_back(weighted);
  }
  auto biased = norm.rms ? AddOp() : soleUser<AddOp>(norm.root->getResult(0));
  if (Value bias = perFeature(biased)) {
    norm.bias = bias;
    norm.root = biased;
    norm.chain.push_back(biased);
  }
  return norm;
}

struct RaiseNormsPass : genc::impl::RaiseNormsBase<RaiseNormsPass> {
  void runOnOperation() override {
    SmallVector<Norm> norms;
    getOperation().walk([&](ReduceMeanOp mean) {
      if (std::optional<Norm> norm = matchNorm(mean))
        norms.push_back(*norm);
    });
    // A norm may read another's result (BLOOM's embedding LayerNorm, then
    // its first layer's): read the genc op that replaced it.
    DenseMap<Value, Value> raisedFrom;
    for (const Norm &norm : norms) {
      Value input = raisedFrom.lookup_or(norm.input, norm.input);
      OpBuilder b(norm.root);
      Location loc = norm.root->getLoc();
      Type type = norm.root->getResult(0).getType();
      Value scale = norm.scale;
      if (!scale) // a unit weight
        scale = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(
                RankedTensorType::get({}, cast<RankedTensorType>(type).getElementType()),
                b.getFloatAttr(cast<RankedTensorType>(type).getElementType(), 1.0)));
      auto axis = b.getI64IntegerAttr(norm.axis);
      auto epsilon = b.getF32FloatAttr(static_cast<float>(norm.epsilon));
      Value raised =
          norm.rms
              ? RmsNormOp::create(b, loc, type, input, scale, axis, epsilon).getResult()
              : LayerNormOp::create(b, loc, type, input, scale, norm.bias, axis, epsilon)
                    .getResult();
      norm.root->getResult(0).replaceAllUsesWith(raised);
      raisedFrom[norm.root->getResult(0)] = raised;
      for (Operation *op : llvm::reverse(norm.chain))
        if (op->use_empty())
          op->erase();
    }
  }
};

} // namespace
