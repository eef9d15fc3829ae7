//===- ProfileOpFamilies.cpp - time per op family in compiled code ---------===//
//
// Op-family profiling in two passes: genc-tag-op-families records, on genc
// ops, the family each belongs to (in its location, which lowering and
// bufferization carry along); genc-mark-op-families, on bufferized code,
// calls genc_profile_mark wherever the family of the entry point's
// top-level work changes. The runtime adds up the time between marks
// (runtime/src/kernels/Profile.cpp).
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Target/CPU/CPUOps.h"
#include "genc/Target/CPU/Passes.h"
#include "genc/kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::genc {
#define GEN_PASS_DEF_TAGOPFAMILIES
#define GEN_PASS_DEF_MARKOPFAMILIES
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

namespace {

constexpr StringLiteral kMarkFunction = "genc_profile_mark";
constexpr StringLiteral kTagPrefix = "genc.family:";

/// Location tags as kernels.h numbers and names the families.
constexpr StringLiteral kFamilyTags[GENC_OP_FAMILIES] = {GENC_OP_FAMILY_NAMES};

/// The family of a genc op, or nullopt for control flow and checks (their
/// regions hold ops of their own families).
std::optional<int64_t> familyOfGencOp(Operation *op) {
  if (isa<genc::MatMulOp, genc::GemmOp>(op))
    return GENC_FAMILY_MATMUL;
  if (isa<genc::AttentionOp, genc::AttentionKernelOp, genc::LinearAttentionKernelOp>(op))
    return GENC_FAMILY_ATTENTION;
  if (isa<genc::SoftmaxOp>(op))
    return GENC_FAMILY_SOFTMAX;
  if (isa<genc::LayerNormOp, genc::RmsNormOp, genc::ReduceSumOp, genc::ReduceMeanOp,
          genc::ReduceMaxOp, genc::ReduceMinOp, genc::ReduceProdOp, genc::CumSumOp>(op))
    return GENC_FAMILY_NORMS_REDUCTIONS;
  if (isa<genc::ShapeOp, genc::ReshapeOp, genc::TransposeOp, genc::SqueezeOp, genc::UnsqueezeOp,
          genc::ConcatOp, genc::SliceOp, genc::GatherOp, genc::ExpandOp, genc::SplitOp,
          genc::ConstantOfShapeOp, genc::RangeOp, genc::TriluOp>(op))
    return GENC_FAMILY_DATA_MOVEMENT;
  if (isa<genc::IfOp, genc::YieldOp, genc::IndexOutOfBoundsOp>(op))
    return std::nullopt;
  return GENC_FAMILY_ELEMENTWISE;
}

/// The family genc-tag-op-families recorded in `loc`, wherever it sits in
/// the fused and call-site locations that lowering made of it.
std::optional<int64_t> familyOfLocation(Location loc) {
  std::optional<int64_t> family;
  loc->walk([&](Location nested) {
    auto fused = dyn_cast<FusedLoc>(nested);
    auto tag = fused ? dyn_cast_or_null<StringAttr>(fused.getMetadata()) : StringAttr();
    if (!tag || !tag.getValue().starts_with(kTagPrefix))
      return WalkResult::advance();
    StringRef name = tag.getValue().drop_front(kTagPrefix.size());
    for (int64_t f = 0; f < GENC_OP_FAMILIES; ++f)
      if (name == kFamilyTags[f])
        family = f;
    return WalkResult::interrupt();
  });
  return family;
}

struct TagOpFamiliesPass : genc::impl::TagOpFamiliesBase<TagOpFamiliesPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    getOperation().walk([&](Operation *op) {
      if (!isa<genc::GencDialect>(op->getDialect()) || familyOfLocation(op->getLoc()))
        return;
      if (std::optional<int64_t> family = familyOfGencOp(op)) {
        auto tag = StringAttr::get(ctx, kTagPrefix + kFamilyTags[*family]);
        op->setLoc(FusedLoc::get(ctx, {op->getLoc()}, tag));
      }
    });
  }
};

/// Whether `op` (and all it holds) only computes values, addresses or
/// views, allocates or frees: no work worth a family of its own.
bool isBookkeeping(Operation *op) {
  WalkResult result = op->walk<WalkOrder::PreOrder>([](Operation *nested) {
    // A matmul's epilogue runs inside the kernel call, in its time.
    if (isa<genc::cpu::TileEpilogueOp>(nested))
      return WalkResult::skip();
    if (nested->hasTrait<OpTrait::IsTerminator>() || isMemoryEffectFree(nested))
      return WalkResult::advance();
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects)
      return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>() ? WalkResult::advance()
                                                                    : WalkResult::interrupt();
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &instance : instances)
      if (!isa<MemoryEffects::Allocate, MemoryEffects::Free>(instance.getEffect()))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

/// The family of a top-level op of bufferized code.
int64_t familyOfLoweredOp(Operation *op) {
  if (std::optional<int64_t> family = familyOfLocation(op->getLoc()))
    return *family;
  if (auto call = dyn_cast<func::CallOp>(op)) {
    if (genc::isMatmulKernel(call.getCallee()))
      return GENC_FAMILY_MATMUL;
    if (call.getCallee() == genc::kAttentionKernel ||
        call.getCallee() == genc::kLinearAttentionKernel)
      return GENC_FAMILY_ATTENTION;
  }
  if (isa<memref::CopyOp, linalg::CopyOp, linalg::TransposeOp>(op))
    return GENC_FAMILY_DATA_MOVEMENT;
  return GENC_FAMILY_OTHER;
}

/// `func.func private @genc_profile_mark(!llvm.ptr context, i64 family)`.
func::FuncOp declareMarkFunction(ModuleOp module) {
  if (auto fn = module.lookupSymbol<func::FuncOp>(kMarkFunction))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto type =
      FunctionType::get(ctx, {LLVM::LLVMPointerType::get(ctx), IntegerType::get(ctx, 64)}, {});
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto fn = func::FuncOp::create(b, module.getLoc(), kMarkFunction, type);
  fn.setPrivate();
  return fn;
}

struct MarkOpFamiliesPass : genc::impl::MarkOpFamiliesBase<MarkOpFamiliesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entryPoints;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        entryPoints.push_back(fn);
    if (entryPoints.empty())
      return;
    func::FuncOp mark = declareMarkFunction(module);
    for (func::FuncOp fn : entryPoints) {
      Value context = genc::getOrAddContextArgument(fn);
      auto markBefore = [&](Operation *op, int64_t family) {
        OpBuilder b(op);
        Value number = arith::ConstantIntOp::create(b, op->getLoc(), family, 64);
        func::CallOp::create(b, op->getLoc(), mark, ValueRange{context, number});
      };
      for (Block &block : fn.getBody()) {
        int64_t timed = -1;
        for (Operation &op : llvm::make_early_inc_range(block)) {
          if (op.hasTrait<OpTrait::ReturnLike>()) {
            markBefore(&op, -1);
            timed = -1;
            continue;
          }
          if (isBookkeeping(&op))
            continue;
          int64_t family = familyOfLoweredOp(&op);
          if (family != timed)
            markBefore(&op, family);
          timed = family;
        }
      }
    }
  }
};

} // namespace
