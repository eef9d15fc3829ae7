//===- Pipeline.cpp - genc → LLVM dialect for the host CPU ----------------===//
//
// genc-cleanup output → signature recorded → genc-convert-to-linalg →
// elementwise chains fused → matmul weights packed into panels → weights to
// a buffer, signature sealed → entry points named → one-shot bufferization
// with ownership-based deallocation, frees moved to the buffers' last
// uses → kernel calls, their elementwise
// consumers run inside them → loop nests cut into
// tasks, exp/tanh/erf as polynomials → entry points finalized → loops →
// LLVM dialect → tasks outlined → allocations checked. One pass manager,
// every step a registered pass:
// `genc-opt --genc-cpu-pipeline` runs exactly what `genc compile` does.
//
//===----------------------------------------------------------------------===//

#include "genc/Target/CPU/CPUTarget.h"

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/GencOps.h"
#include "genc/Target/CPU/CPUOps.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void genc::registerCPUTargetDialects(DialectRegistry &registry) {
  registry.insert<GencDialect, genc::cpu::GencCPUDialect>();
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
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

void genc::buildCPUPipeline(OpPassManager &pm, const CPUTargetOptions &options) {
  // genc → linalg on tensors, weights laid out.
  pm.addPass(createRecordSignature());
  pm.addPass(createMergeProjections());
  if (options.profileOpFamilies)
    pm.addNestedPass<func::FuncOp>(createTagOpFamilies());
  ConvertGencToLinalgOptions toLinalg;
  toLinalg.fuseAttention = options.fusedAttention;
  pm.addNestedPass<func::FuncOp>(createConvertGencToLinalg(toLinalg));
  pm.addNestedPass<func::FuncOp>(createFuseElementwise());
  pm.addPass(createInterleaveGatedHalves());
  pm.addPass(createPackMatmulWeights());
  // Also with f32: weights the model has quantised keep their grid.
  QuantizeMatmulWeightsOptions quantize;
  quantize.format = options.weights.str();
  pm.addPass(createQuantizeMatmulWeights(quantize));
  pm.addPass(createExternalizeWeights());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  SealSignatureOptions seal;
  seal.profileOpFamilies = options.profileOpFamilies;
  pm.addPass(createSealSignature(seal));

  // Tensors → buffers; kernel calls.
  pm.addPass(createDecomposeConcat());
  pm.addPass(createPrepareEntryPoints());
  pm.addPass(createFillPerUse());
  bufferization::OneShotBufferizePassOptions oneShot;
  oneShot.bufferizeFunctionBoundaries = true;
  oneShot.functionBoundaryTypeConversion = bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(oneShot));
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  // The pipeline above frees each buffer at the end of its block: a call
  // would hold every intermediate of every layer until it returns. Each
  // unconditional free in its buffer's block moves to just after the
  // buffer's last use instead. Before genc-fuse-matmul-epilogues, which
  // moves an elementwise nest into an epilogue built ahead of the matmul
  // call that runs it: after it, a buffer only the epilogue reads would be
  // freed before the call (free-after-last-use.test).
  pm.addNestedPass<func::FuncOp>(bufferization::createOptimizeAllocationLivenessPass());
  pm.addPass(createCallCPUKernels());
  pm.addNestedPass<func::FuncOp>(createFuseMatmulEpilogues());
  pm.addPass(createConvertBufferizationToMemRefPass()); // clone → alloc + copy
  if (options.profileOpFamilies)
    pm.addPass(createMarkOpFamilies());
  pm.addPass(createCopiesToLoops());
  pm.addNestedPass<func::FuncOp>(createThreadLoopNests());
  pm.addNestedPass<func::FuncOp>(createPolynomialMath());
  pm.addPass(createFinalizeEntryPoints());

  // Loops → LLVM dialect.
  if (failed(parsePassPipeline(kLowerToLLVM, pm)))
    llvm::report_fatal_error("internal error: the LLVM lowering pipeline does not parse");
  pm.addPass(createOutlineParallelFor());
  pm.addPass(createCheckAllocations());
}

namespace {
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  Option<bool> fuseAttention{*this, "fuse-attention",
                             llvm::cl::desc("Lower f32 attention to the fused kernel"),
                             llvm::cl::init(true)};
  Option<bool> profileOpFamilies{*this, "profile-op-families",
                                 llvm::cl::desc("Mark op families for profiling"),
                                 llvm::cl::init(false)};
  Option<std::string> weights{
      *this, "weights",
      llvm::cl::desc("How matmul weights are stored: f32, int8, bf16, int4[:GROUP][:asym]"),
      llvm::cl::init("f32")};
};
} // namespace

void genc::registerCPUTargetPasses() {
  static const bool registered = [] {
    registerAllPasses();
    registerGencConversionPasses();
    registerGencCPUTargetPasses();
    // Registered by hand, not with PassPipelineRegistration, so that a bad
    // option is an error of the pipeline's text, before any module is read.
    registerPassPipeline(
        "genc-cpu-pipeline",
        "What genc compile runs: genc (after cleanup) → LLVM dialect for the CPU",
        [](OpPassManager &pm, StringRef optionsText,
           function_ref<LogicalResult(const Twine &)> errorHandler) {
          CPUPipelineOptions pipelineOptions;
          if (failed(pipelineOptions.parseFromString(optionsText)))
            return failure();
          std::string error;
          FailureOr<WeightFormat> weights = parseWeightFormat(pipelineOptions.weights, error);
          if (failed(weights))
            return errorHandler("genc-cpu-pipeline: weights '" + pipelineOptions.weights +
                                "': " + error);
          CPUTargetOptions options;
          options.fusedAttention = pipelineOptions.fuseAttention;
          options.profileOpFamilies = pipelineOptions.profileOpFamilies;
          options.weights = *weights;
          buildCPUPipeline(pm, options);
          return success();
        },
        [](function_ref<void(const mlir::detail::PassOptions &)> optionsHandler) {
          optionsHandler(CPUPipelineOptions());
        });
    return true;
  }();
  (void)registered;
}
