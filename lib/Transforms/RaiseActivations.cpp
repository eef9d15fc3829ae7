//===- RaiseActivations.cpp - exporters' GELU and SiLU as genc ops ---------===//
//
// Before opset 20 an exporter writes GELU out: x · ½ · (1 + erf(x / √2)),
// or with tanh, x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 x³))); SiLU (swish)
// is x · sigmoid(x) at every opset. Each becomes one genc.gelu or genc.silu.
// Matching starts from the erf, tanh or sigmoid and follows single uses.
//
//===----------------------------------------------------------------------===//

#include "ChainMatching.h"

#include "genc/Dialect/GencOps.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

namespace mlir::genc {
#define GEN_PASS_DEF_RAISEACTIVATIONS
#include "genc/Transforms/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

namespace {

/// Whether `v` is a one-element constant within float32 rounding of
/// `expected`: exporters write √2 or 0.044715 as they round.
bool isConstantNear(Value v, double expected) {
  std::optional<double> c = v ? floatConstant(v) : std::nullopt;
  return c && std::abs(*c - expected) <= 1e-6 * std::abs(expected);
}

/// x · c or c · x (Mul), or x / (1/c) (Div), with c near `factor`: the x.
Value scaledBy(Value v, double factor) {
  if (auto mul = v.getDefiningOp<MulOp>()) {
    if (isConstantNear(mul.getRhs(), factor))
      return mul.getLhs();
    if (isConstantNear(mul.getLhs(), factor))
      return mul.getRhs();
  }
  if (auto div = v.getDefiningOp<DivOp>(); div && isConstantNear(div.getRhs(), 1.0 / factor))
    return div.getLhs();
  return {};
}

/// x³ as Pow(x, 3), x · (x · x) or (x · x) · x: the x.
Value cubed(Value v) {
  if (auto pow = v.getDefiningOp<PowOp>(); pow && isConstantNear(pow.getRhs(), 3.0))
    return pow.getLhs();
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return {};
  for (auto [square, x] : {std::pair(mul.getLhs(), mul.getRhs()), {mul.getRhs(), mul.getLhs()}})
    if (auto inner = square.getDefiningOp<MulOp>();
        inner && inner.getLhs() == x && inner.getRhs() == x && square.hasOneUse())
      return x;
  return {};
}

/// The argument x of tanh's argument √(2/π) · (x + 0.044715 x³).
Value tanhGeluInput(Value argument) {
  Value sum = scaledBy(argument, 0.7978845608028654);
  auto add = sum ? sum.getDefiningOp<AddOp>() : AddOp();
  if (!add || !argument.hasOneUse() || !sum.hasOneUse())
    return {};
  for (auto [x, term] : {std::pair(add.getLhs(), add.getRhs()), {add.getRhs(), add.getLhs()}})
    if (Value c = scaledBy(term, 0.044715); c && term.hasOneUse() && c.hasOneUse() && cubed(c) == x)
      return x;
  return {};
}

/// x · ½ · (1 + inner), in the orders exporters write it, where `inner`
/// (the erf or tanh) has one use: the op that computes it.
Operation *geluTail(Value inner, Value x) {
  auto plusOne = soleUser<AddOp>(inner);
  if (!plusOne || !isConstantNear(otherOperand(plusOne, inner), 1.0))
    return nullptr;
  Value g = plusOne.getResult();
  auto product = soleUser<MulOp>(g);
  if (!product)
    return nullptr;
  Value other = otherOperand(product, g);
  // (x · (1 + e)) · ½
  if (other == x) {
    auto half = soleUser<MulOp>(product.getResult());
    return half && isConstantNear(otherOperand(half, product.getResult()), 0.5) ? half : nullptr;
  }
  // (x · ½) · (1 + e)
  if (scaledBy(other, 0.5) == x && other.hasOneUse())
    return product;
  // x · ((1 + e) · ½)
  if (isConstantNear(other, 0.5)) {
    auto outer = soleUser<MulOp>(product.getResult());
    return outer && otherOperand(outer, product.getResult()) == x ? outer : nullptr;
  }
  return nullptr;
}

struct RaiseActivationsPass : genc::impl::RaiseActivationsBase<RaiseActivationsPass> {
  void runOnOperation() override {
    // (root, x, kind): kind 0 GELU with erf, 1 GELU with tanh, 2 SiLU.
    SmallVector<std::tuple<Operation *, Value, int>> found;
    getOperation().walk([&](Operation *op) {
      if (auto erf = dyn_cast<ErfOp>(op)) {
        Value x = scaledBy(erf.getInput(), M_SQRT1_2);
        if (x && erf.getInput().hasOneUse())
          if (Operation *root = geluTail(erf.getResult(), x))
            found.push_back({root, x, 0});
      } else if (auto tanh = dyn_cast<TanhOp>(op)) {
        if (Value x = tanhGeluInput(tanh.getInput()))
          if (Operation *root = geluTail(tanh.getResult(), x))
            found.push_back({root, x, 1});
      } else if (auto sigmoid = dyn_cast<SigmoidOp>(op)) {
        auto product = soleUser<MulOp>(sigmoid.getResult());
        if (product && otherOperand(product, sigmoid.getResult()) == sigmoid.getInput())
          found.push_back({product, sigmoid.getInput(), 2});
      }
    });
    // An activation may read another's result: read the op that replaced it.
    DenseMap<Value, Value> raisedFrom;
    for (auto [root, input, kind] : found) {
      Value x = raisedFrom.lookup_or(input, input);
      Type type = root->getResult(0).getType();
      if (type != x.getType())
        continue; // the chain broadcasts x: not an activation of x alone
      OpBuilder b(root);
      Value raised = kind == 2 ? SiluOp::create(b, root->getLoc(), type, x).getResult()
                               : GeluOp::create(b, root->getLoc(), type, x,
                                                b.getBoolAttr(kind == 1))
                                     .getResult();
      root->getResult(0).replaceAllUsesWith(raised);
      raisedFrom[root->getResult(0)] = raised;
      eraseDeadChain(root, x);
    }
  }

  /// Erases `root` and what it reads, back to `x`, that nothing else reads.
  static void eraseDeadChain(Operation *root, Value x) {
    SmallVector<Operation *> worklist = {root};
    llvm::SmallPtrSet<Operation *, 8> erased; // a diamond reaches an op twice
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      if (erased.contains(op) || !op->use_empty())
        continue;
      llvm::SmallSetVector<Operation *, 4> inputs;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp();
            def && operand != x && isa<MulOp, DivOp, AddOp, PowOp, ErfOp, TanhOp, SigmoidOp>(def))
          inputs.insert(def);
      erased.insert(op);
      op->erase();
      worklist.append(inputs.begin(), inputs.end());
    }
  }
};

} // namespace
