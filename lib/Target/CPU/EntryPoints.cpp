//===- EntryPoints.cpp - the artifact's entry points and signature --------===//
//
// The passes that shape what an artifact exports: the signature the runtime
// checks (recorded from the tensor-typed entry points, sealed with the
// weights' digest), the compiled names and buffer ownership before
// bufferization, and the context argument after it.
//
//===----------------------------------------------------------------------===//

#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Target/CPU/Passes.h"
#include "genc/Target/CPU/WeightsFile.h"
#include "genc/Transforms/Passes.h"
#include "genc/kernels.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::genc {
#define GEN_PASS_DEF_RECORDSIGNATURE
#define GEN_PASS_DEF_SEALSIGNATURE
#define GEN_PASS_DEF_PREPAREENTRYPOINTS
#define GEN_PASS_DEF_FINALIZEENTRYPOINTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using namespace mlir::genc;

std::optional<KeptStateSize> mlir::genc::keptStateSize(AttentionOp op) {
  // A session's new queries come after the keys it kept.
  if (!op.getCausal() || op.getCausalFromStart())
    return std::nullopt;
  std::optional<KeptStateSize> size;
  int64_t kvHeads = cast<RankedTensorType>(op.getKey().getType()).getDimSize(1);
  if (op.isLinear()) {
    if (std::optional<int64_t> floats = keptLinearSumsFloats(op))
      size = KeptStateSize{*floats, 0};
  } else if (op.getLshBuckets() > 0 && !ShapedType::isDynamic(kvHeads))
    size = KeptStateSize{
        GENC_LSH_ATTENTION_STATE_FIXED(kvHeads, op.getLshHashes(), op.getLshBuckets()),
        GENC_LSH_ATTENTION_STATE_PER_POSITION(kvHeads, op.getLshHashes())};
  // A layer past what a runtime allocates computes each call from its
  // inputs alone.
  if (size && (size->fixed > GENC_ATTENTION_STATE_MOST_FLOATS ||
               size->perPosition > GENC_ATTENTION_STATE_MOST_FLOATS))
    return std::nullopt;
  return size;
}

/// In a session artifact, each attention of @main with something to keep
/// between steps gets a slot of state that the session holds.
static LogicalResult assignKeptStates(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || !module->hasAttr(kSessionAttr))
    return success();
  int64_t slot = 0;
  WalkResult walk = main.walk([&](AttentionOp op) {
    if (keptStateSize(op))
      op.setStateSlotAttr(IntegerAttr::get(IntegerType::get(module.getContext(), 64), slot++));
    else if (op.isLinear() && slidingCacheOf(op)) {
      // Its cache holds only the positions the sums have not folded.
      op.emitError("internal error: this linear attention reads a sliding cache but keeps no "
                   "sums");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

/// The inputs' and outputs' lines of the signature (genc-record-signature
/// in Passes.td says what they hold).
static std::string describeSignature(ArrayRef<func::FuncOp> entryPoints) {
  std::string text = GENC_SIGNATURE_VERSION_LINE "\n";
  llvm::raw_string_ostream os(text);
  auto nameOf = [](DictionaryAttr attrs, unsigned i, StringRef fallback) -> std::string {
    auto name = attrs ? attrs.getAs<StringAttr>("genc.name") : StringAttr();
    return name ? name.str() : (fallback + std::to_string(i)).str();
  };
  for (func::FuncOp fn : entryPoints) {
    if (fn.getSymName() != "main")
      os << "entry " << fn.getSymName() << "\n";
    for (auto [i, type] : llvm::enumerate(fn.getArgumentTypes())) {
      auto t = cast<RankedTensorType>(type);
      os << "input " << nameOf(fn.getArgAttrDict(i), i, "input") << " " << t.getElementType()
         << " ";
      for (auto [d, size] : llvm::enumerate(t.getShape()))
        os << (d ? "," : "")
           << (ShapedType::isDynamic(size) ? std::string("?") : std::to_string(size));
      if (t.getRank() == 0)
        os << "-";
      os << " ";
      auto names = fn.getArgAttrOfType<ArrayAttr>(i, "genc.dim_names");
      for (int64_t d = 0; d < t.getRank(); ++d) {
        StringRef name = names && d < static_cast<int64_t>(names.size())
                             ? cast<StringAttr>(names[d]).getValue()
                             : StringRef();
        os << (d ? "," : "") << (name.empty() ? StringRef("-") : name);
      }
      if (t.getRank() == 0)
        os << "-";
      os << "\n";
    }
    for (auto [i, type] : llvm::enumerate(fn.getResultTypes())) {
      auto t = cast<RankedTensorType>(type);
      os << "output " << nameOf(fn.getResultAttrDict(i), i, "output") << " " << t.getElementType()
         << " " << t.getRank() << " ";
      for (auto [d, size] : llvm::enumerate(t.getShape()))
        os << (d ? "," : "")
           << (ShapedType::isDynamic(size) ? std::string("?") : std::to_string(size));
      os << (t.getRank() == 0 ? "-\n" : "\n");
    }
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (fn.getArgAttr(i, kKVCacheAttr)) {
        os << "cache " << nameOf(fn.getArgAttrDict(i), i, "input");
        if (auto window = fn.getArgAttrOfType<DictionaryAttr>(i, kWindowCacheAttr))
          os << " " << window.getAs<StringAttr>("shift").getValue() << " "
             << window.getAs<IntegerAttr>("window").getInt() << " "
             << window.getAs<IntegerAttr>("sinks").getInt();
        os << "\n";
      }
  }
  if (entryPoints.front()->getParentOp()->hasAttr(kSessionAttr))
    os << "session\n";
  bool bucketed = false;
  func::FuncOp main = entryPoints.front();
  // LSH buckets a call's keys together; non-causal BigBird draws its random
  // blocks among the call's keys. A mask left with a row per query may
  // count its rows from the call's first query rather than from positions
  // (transformers 4.42-4.44's Gemma 2 band, with a past), as
  // causal_from_start does: a prompt split into calls would see other keys
  // than the prompt at once.
  main.walk([&](AttentionOp op) {
    auto mask = op.getMask() ? dyn_cast<RankedTensorType>(op.getMask().getType()) : nullptr;
    bool rowPerQuery = mask && mask.getRank() >= 2 && mask.getDimSize(mask.getRank() - 2) != 1;
    bucketed |= op.getLshBuckets() > 0 || (op.getBlock() > 0 && !op.getCausal()) || rowPerQuery ||
                op.getCausalFromStart();
  });
  if (bucketed)
    os << "whole-calls\n";
  // Left padding shifts a row's positions; a model without position_ids is
  // padded only if it counts positions from the mask (or reads none).
  auto takes = [&](StringRef name) { return argumentNamed(main, name).has_value(); };
  if (takes("attention_mask") && !takes("position_ids") && !leftPaddingBlocker(main))
    os << "positions-from-mask\n";
  // Sinks, global tokens and BigBird blocks are the row's first keys, which
  // left padding would make padding: a session refuses to pad (the first
  // such layer, with how it picks its keys).
  main.walk([&](AttentionOp op) {
    StringRef rewrite = attendsByKeyIndex(op);
    if (rewrite.empty())
      return WalkResult::advance();
    std::string node = modelLocationOf(op.getLoc()).node;
    std::replace(node.begin(), node.end(), '\n', ' ');
    os << "keys-by-index " << rewrite << " " << (node.empty() ? "-" : node) << "\n";
    return WalkResult::interrupt();
  });
  // The decoder's positions, then an encoder's (its source's).
  for (func::FuncOp fn : entryPoints) {
    if (fn != main && fn.getSymName() != "encoder")
      continue;
    if (auto limit = positionLimit(fn)) {
      std::string node = modelLocationOf(limit->second->getLoc()).node;
      std::replace(node.begin(), node.end(), '\n', ' ');
      os << (fn == main ? "positions " : "source-positions ") << limit->first << " "
         << (node.empty() ? "-" : node) << "\n";
    }
  }
  // A state whose layer reads a sliding cache names its shift: the session
  // drops that cache's rows as the kernel folds them (kernels.h).
  for (func::FuncOp fn : entryPoints)
    fn.walk([&](AttentionOp op) {
      if (std::optional<KeptStateSize> size = keptStateSize(op); size && op.getStateSlot() >= 0) {
        os << "state " << op.getStateSlot() << " " << size->fixed << " " << size->perPosition;
        if (DictionaryAttr window = slidingCacheOf(op))
          os << " " << window.getAs<StringAttr>("shift").getValue();
        os << "\n";
      }
    });
  return text;
}

/// Whether something writes `buffer` or a view of it.
static bool isWritten(Value buffer) {
  SmallVector<Value> views = {buffer};
  while (!views.empty()) {
    Value view = views.pop_back_val();
    for (Operation *user : view.getUsers()) {
      if (auto viewLike = dyn_cast<ViewLikeOpInterface>(user);
          viewLike && viewLike.getViewSource() == view) {
        views.push_back(user->getResult(0));
        continue;
      }
      if (auto cast = dyn_cast<memref::CastOp>(user)) {
        views.push_back(cast.getResult());
        continue;
      }
      if (hasEffect<MemoryEffects::Write>(user, view))
        return true;
    }
  }
  return false;
}

/// The KV cache must be written where the caller gave it: if bufferization
/// had copied it instead, the session would never see the new rows.
static LogicalResult verifyCachesWrittenInPlace(func::FuncOp fn) {
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    if (!fn.getArgAttr(i, kKVCacheAttr) || isWritten(fn.getArgument(i)))
      continue;
    auto name = fn.getArgAttrOfType<StringAttr>(i, "genc.name");
    return fn.emitError() << "the KV cache of input '" << (name ? name.getValue() : "?")
                          << "' could not be written in place; compile the model with "
                             "--kv-cache=io";
  }
  return success();
}

/// @main, then the module's other public functions (an encoder-decoder's
/// @encoder): what the artifact exports.
static FailureOr<SmallVector<func::FuncOp>> sourceEntryPoints(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("the module has no @main function to compile");
  SmallVector<func::FuncOp> entryPoints = {main};
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isExternal() && fn != main)
      entryPoints.push_back(fn);
  return entryPoints;
}

/// The compiled entry points: public functions with bodies (kernels are
/// private declarations).
static SmallVector<func::FuncOp> compiledEntryPoints(ModuleOp module) {
  SmallVector<func::FuncOp> entryPoints;
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && !fn.isExternal())
      entryPoints.push_back(fn);
  return entryPoints;
}

namespace {

struct RecordSignaturePass : genc::impl::RecordSignatureBase<RecordSignaturePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<SmallVector<func::FuncOp>> entryPoints = sourceEntryPoints(module);
    if (failed(entryPoints))
      return signalPassFailure();
    for (func::FuncOp fn : *entryPoints)
      for (Type t : llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes()))
        if (!isa<RankedTensorType>(t)) {
          fn.emitError() << "@" << fn.getSymName() << " must take and return ranked tensors";
          return signalPassFailure();
        }
    if (failed(assignKeptStates(module)))
      return signalPassFailure();
    module->setAttr(kSignatureAttr,
                    StringAttr::get(&getContext(), describeSignature(*entryPoints)));
  }
};

struct SealSignaturePass : genc::impl::SealSignatureBase<SealSignaturePass> {
  using SealSignatureBase::SealSignatureBase;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto recorded = module->getAttrOfType<StringAttr>(kSignatureAttr);
    if (!recorded) {
      module.emitError("the module has no signature to seal; run genc-record-signature first");
      return signalPassFailure();
    }
    std::string error;
    FailureOr<WeightsDigest> weights = digestWeights(module, error);
    if (failed(weights)) {
      module.emitError() << error;
      return signalPassFailure();
    }
    std::string signature = recorded.str() + describeWeights(*weights);
    if (profileOpFamilies)
      signature += "profile op-families\n";
    module->setAttr(kSignatureAttr, StringAttr::get(&getContext(), signature));
  }
};

struct PrepareEntryPointsPass : genc::impl::PrepareEntryPointsBase<PrepareEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    FailureOr<SmallVector<func::FuncOp>> entryPoints = sourceEntryPoints(module);
    if (failed(entryPoints))
      return signalPassFailure();
    for (func::FuncOp fn : *entryPoints) {
      std::string name = fn.getSymName() == "main"
                             ? kCompiledModelName.str()
                             : (kCompiledModelName + "_" + fn.getSymName()).str();
      if (failed(SymbolTable::replaceAllSymbolUses(fn, StringAttr::get(ctx, name), module))) {
        fn.emitError("internal error: the entry point's uses could not be renamed");
        return signalPassFailure();
      }
      fn.setSymName(name);
    }
    module.walk([&](func::FuncOp fn) {
      fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
      for (unsigned i = 0; i < fn.getNumArguments(); ++i)
        fn.setArgAttr(i, "bufferization.writable",
                      BoolAttr::get(ctx, fn.getArgAttr(i, kKVCacheAttr) != nullptr));
    });
  }
};

struct FinalizeEntryPointsPass : genc::impl::FinalizeEntryPointsBase<FinalizeEntryPointsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> entryPoints = compiledEntryPoints(module);
    for (func::FuncOp fn : entryPoints)
      if (failed(verifyCachesWrittenInPlace(fn)))
        return signalPassFailure();
    for (func::FuncOp fn : entryPoints) {
      getOrAddContextArgument(fn);
      fn->setAttr(kEntryPointAttrName, UnitAttr::get(module.getContext()));
    }
    module.walk([](func::FuncOp fn) {
      fn.removeArgAttrsAttr();
      fn.removeResAttrsAttr();
    });
  }
};

} // namespace
