//===- CPUPipeline.cpp - genc → LLVM dialect for the host CPU --------------===//
//
// genc-cleanup output → genc-convert-to-linalg → elementwise chains fused →
// matmul weights packed into panels → weights to a buffer → one-shot bufferization with
// ownership-based deallocation → matmuls to kernel calls → loops → LLVM
// dialect. Everything runs in-process.
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/GencOps.h"
#include "genc/Target/CPU.h"
#include "genc/Target/WeightsFile.h"
#include "genc/Transforms/Passes.h"

#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void genc::registerCPUTargetDialects(DialectRegistry &registry) {
  registry.insert<GencDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

void genc::registerCPUTargetPasses() {
  static const bool registered = [] {
    registerAllPasses();
    registerGencConversionPasses();
    return true;
  }();
  (void)registered;
}

/// Applies the command line's pass-manager options (IR printing, ...),
/// where the tool registered them, and the caller's instrumentation.
static LogicalResult applyCommandLineOptions(PassManager &pm, ModuleOp module,
                                             const genc::CPUTargetOptions &options) {
  if (options.instrumentPassManager)
    options.instrumentPassManager(pm);
  if (succeeded(applyPassManagerCLOptions(pm)))
    return success();
  return module.emitError("internal error: the pass manager's command-line options are "
                          "not registered");
}

/// The upstream passes after bufferization, as a textual pipeline: each one
/// is a registered pass with its own options, so the text is the spec.
static constexpr const char *kLowerToLLVM =
    "func.func(convert-linalg-to-loops),"
    "lower-affine,"
    "convert-scf-to-cf,"
    "canonicalize,"
    "expand-strided-metadata,"
    "lower-affine,"
    // Buffers come from the artifact's block cache (runtime/src/kernels/Memory.cpp).
    "finalize-memref-to-llvm{use-generic-functions},"
    "convert-math-to-llvm,"
    "convert-math-to-libm,"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-func-to-llvm,"
    "convert-cf-to-llvm,"
    "reconcile-unrealized-casts";

/// The model's signature as the runtime reads it, one line per value:
///   input <name> <type> <dims, ? when dynamic> <dim names, - when none>
///   output <name> <type> <rank> <dims, ? when dynamic>
///   cache <input name>   (a KV-cache buffer the caller owns and the model
///                         writes in place; see genc-kv-cache-in-place)
/// for @main, then `entry <name>` and the same lines for each other entry
/// point, then
///   session              (compiled for a runtime session, `genc.session`)
/// and, once the weights are laid out, the lines of describeWeights (and
/// `profile op-families` for code that marks its op families).
static std::string describeSignature(ArrayRef<func::FuncOp> entryPoints) {
  std::string text = "genc-signature 4\n";
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
      os << "output " << nameOf(fn.getResultAttrDict(i), i, "output") << " "
         << t.getElementType() << " " << t.getRank() << " ";
      for (auto [d, size] : llvm::enumerate(t.getShape()))
        os << (d ? "," : "")
           << (ShapedType::isDynamic(size) ? std::string("?") : std::to_string(size));
      os << (t.getRank() == 0 ? "-\n" : "\n");
    }
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      if (fn.getArgAttr(i, genc::kKVCacheAttr))
        os << "cache " << nameOf(fn.getArgAttrDict(i), i, "input") << "\n";
  }
  if (entryPoints.front()->getParentOp()->hasAttr(genc::kSessionAttr))
    os << "session\n";
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
    if (!fn.getArgAttr(i, genc::kKVCacheAttr) || isWritten(fn.getArgument(i)))
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
static FailureOr<SmallVector<func::FuncOp>> collectEntryPoints(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("the module has no @main function to compile");
  SmallVector<func::FuncOp> entryPoints = {main};
  for (auto fn : module.getOps<func::FuncOp>())
    if (fn.isPublic() && fn != main)
      entryPoints.push_back(fn);
  for (func::FuncOp fn : entryPoints)
    for (Type t : llvm::concat<const Type>(fn.getArgumentTypes(), fn.getResultTypes()))
      if (!isa<RankedTensorType>(t))
        return fn.emitError() << "@" << fn.getSymName()
                              << " must take and return ranked tensors";
  return entryPoints;
}

LogicalResult genc::lowerToLLVMDialect(ModuleOp module, const CPUTargetOptions &options) {
  MLIRContext *ctx = module.getContext();
  FailureOr<SmallVector<func::FuncOp>> entryPoints = collectEntryPoints(module);
  if (failed(entryPoints))
    return failure();
  func::FuncOp main = entryPoints->front();
  std::string signature = describeSignature(*entryPoints);
  registerCPUTargetPasses();

  PassManager toLinalg(ctx);
  if (failed(applyCommandLineOptions(toLinalg, module, options)))
    return failure();
  ConvertGencToLinalgOptions toLinalgOptions;
  toLinalgOptions.fuseAttention = options.fusedAttention;
  if (options.profileOpFamilies)
    toLinalg.addNestedPass<func::FuncOp>(createTagOpFamilies());
  toLinalg.addNestedPass<func::FuncOp>(createConvertGencToLinalg(toLinalgOptions));
  toLinalg.addNestedPass<func::FuncOp>(createFuseElementwise());
  toLinalg.addPass(createPackMatmulWeights());
  toLinalg.addPass(createExternalizeWeights());
  toLinalg.addPass(createCanonicalizerPass());
  toLinalg.addPass(createCSEPass());
  if (failed(toLinalg.run(module)))
    return failure();

  // The weights file's facts bind it to this artifact: another model's
  // weights of the same size differ in their hashes.
  std::string error;
  FailureOr<WeightsDigest> weights = digestWeights(module, error);
  if (failed(weights))
    return module.emitError() << error;
  signature += describeWeights(*weights);
  // Profiled code reads genc_context's `profile`: a runtime that does not
  // know the line (and so the field) must refuse the artifact.
  if (options.profileOpFamilies)
    signature += "profile op-families\n";
  module->setAttr("genc.signature", StringAttr::get(ctx, signature));

  // tensor.concat has no bufferization: decompose it into insert_slices.
  RewritePatternSet concat(ctx);
  tensor::populateDecomposeTensorConcatPatterns(concat);
  if (failed(applyPatternsGreedily(module, std::move(concat))))
    return failure();

  for (func::FuncOp fn : *entryPoints)
    fn.setSymName(fn == main ? kCompiledModelName.str()
                             : (kCompiledModelName + "_" + fn.getSymName()).str());

  // The C interface gives every function a stable, descriptor-based ABI.
  // Arguments are the caller's buffers (inputs, mapped weights): never
  // written in place, except the KV-cache buffers that exist to be.
  module.walk([&](func::FuncOp fn) {
    fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
    for (unsigned i = 0; i < fn.getNumArguments(); ++i)
      fn.setArgAttr(i, "bufferization.writable",
                    BoolAttr::get(ctx, fn.getArgAttr(i, genc::kKVCacheAttr) != nullptr));
  });

  PassManager bufferize(ctx);
  if (failed(applyCommandLineOptions(bufferize, module, options)))
    return failure();
  bufferization::OneShotBufferizePassOptions oneShot;
  oneShot.bufferizeFunctionBoundaries = true;
  oneShot.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferize.addPass(createFillPerUse());
  bufferize.addPass(bufferization::createOneShotBufferizePass(oneShot));
  bufferize.addPass(createCSEPass());
  bufferize.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(bufferize, dealloc);
  bufferize.addPass(createCallCPUKernels());
  bufferize.addPass(createConvertBufferizationToMemRefPass()); // clone → alloc + copy
  if (options.profileOpFamilies)
    bufferize.addPass(createMarkOpFamilies());
  if (failed(bufferize.run(module)))
    return failure();
  if (failed(verifyCachesWrittenInPlace(main)))
    return failure();
  // Every entry point takes its caller's context, whether it calls kernels
  // or not.
  for (func::FuncOp fn : *entryPoints)
    getOrAddContextArgument(fn);

  // memref.copy (from bufferization or a lowered clone) would call
  // memrefCopy from MLIR's runner library, which a shipped artifact does
  // not have: copy with loops instead.
  module.walk([](memref::CopyOp copy) {
    OpBuilder b(copy);
    linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(), copy.getTarget());
    copy.erase();
  });

  // Names and dim names live in the signature string now; LLVM would
  // reject them as parameter attributes.
  module.walk([](func::FuncOp fn) {
    fn.removeArgAttrsAttr();
    fn.removeResAttrsAttr();
  });

  PassManager lower(ctx);
  if (failed(applyCommandLineOptions(lower, module, options)))
    return failure();
  if (failed(parsePassPipeline(kLowerToLLVM, lower)))
    return module.emitError("internal error: the LLVM lowering pipeline does not parse");
  return lower.run(module);
}
