//===- CallCPUKernels.cpp - marked matmuls on buffers → kernel calls -------===//

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/GencAttrs.h"
#include "genc/Dialect/GencOps.h"
#include "genc/Support/ModelLocation.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

#include <algorithm>

namespace mlir::genc {
#define GEN_PASS_DEF_CALLCPUKERNELS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;
using genc::kAttentionKernel;
using genc::kLinearAttentionKernel;
using genc::kMatmulBF16Kernel;
using genc::kMatmulInt4F16Kernel;
using genc::kMatmulInt4Kernel;
using genc::kMatmulInt4SymmetricF16Kernel;
using genc::kMatmulInt4SymmetricKernel;
using genc::kMatmulInt8IntegersKernel;
using genc::kMatmulInt8Kernel;
using genc::kMatmulKernel;

namespace {

/// The most batch dims the kernel takes (GENC_MATMUL_MAX_BATCH_RANK in
/// runtime/include/genc/kernels.h); matmuls with more keep their loops.
constexpr int64_t kMaxKernelBatchRank = 8;

/// The runtime's matmul kernels (runtime/include/genc/kernels.h), one per
/// weight encoding and type of its quantization operands. Each takes
/// (context, i64 check, C, A, B, the encoding's quantization operands, an
/// i64 `extra`, i64 accumulate, epilogue); C and A are f32, the epilogue
/// an `!llvm.ptr`.
struct MatmulKernel {
  StringLiteral symbol;
  /// B's element type in memory (i4 weights come two a byte in i8).
  Type storedWeight;
  /// The quantization operands' element type: f32, or f16 for the 4-bit
  /// kernel that reads its groups' parameters in half precision.
  Type parameters;
  /// The i64 after the operands: B's layout (f32 weights, which may be
  /// row-major), the group size (grouped weights) or nothing (packed-only
  /// formats).
  enum class Extra { None, Layout, Group } extra;
};

/// The kernel of a matmul marked with `encoding` whose quantization
/// operands (if any) hold `parameters`.
MatmulKernel matmulKernelFor(genc::MatmulEncodingAttr encoding, Type parameters) {
  Type weight = encoding.getWeightType();
  MLIRContext *ctx = weight.getContext();
  Type f32 = Float32Type::get(ctx);
  using Extra = MatmulKernel::Extra;
  if (weight.isF32())
    return {kMatmulKernel, weight, f32, Extra::Layout};
  if (weight.isBF16())
    return {kMatmulBF16Kernel, weight, f32, Extra::None};
  if (weight.isInteger(8) && encoding.getQuantization() == genc::MatmulQuantization::None)
    return {kMatmulInt8IntegersKernel, weight, f32, Extra::None};
  if (weight.isInteger(8))
    return {kMatmulInt8Kernel, weight, f32, Extra::None};
  assert(weight.isInteger(4) && "MatmulEncodingAttr verifies the weight types");
  bool half = parameters && parameters.isF16();
  bool symmetric = encoding.getQuantization() == genc::MatmulQuantization::GroupScale;
  StringLiteral symbol = symmetric
                             ? (half ? kMatmulInt4SymmetricF16Kernel : kMatmulInt4SymmetricKernel)
                             : (half ? kMatmulInt4F16Kernel : kMatmulInt4Kernel);
  return {symbol, IntegerType::get(ctx, 8), half ? parameters : f32, Extra::Group};
}

/// The kernel of a bufferized marked matmul (its quantization operands
/// read for their type).
MatmulKernel matmulKernelFor(linalg::GenericOp op, genc::MatmulEncodingAttr encoding) {
  Type parameters;
  if (encoding.getNumQuantizationOperands() > 0 && op.getNumDpsInputs() > 2)
    if (auto type = dyn_cast<MemRefType>(op.getDpsInputs()[2].getType()))
      parameters = type.getElementType();
  return matmulKernelFor(encoding, parameters);
}

/// A call of the runtime's kernel `name` with `arguments` (and no
/// results), declaring it in `module` from their types on first use; with
/// `cInterface`, through MLIR's C interface (memref descriptors by
/// pointer), which the kernels implement for kernels taking memrefs.
void callKernel(OpBuilder &b, Location loc, StringRef name, ValueRange arguments,
                bool cInterface = true) {
  auto module = b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
  auto fn = module.lookupSymbol<func::FuncOp>(name);
  if (!fn) {
    MLIRContext *ctx = module.getContext();
    OpBuilder atEnd = OpBuilder::atBlockEnd(module.getBody());
    fn = func::FuncOp::create(atEnd, module.getLoc(), name,
                              FunctionType::get(ctx, arguments.getTypes(), {}));
    fn.setPrivate();
    if (cInterface)
      fn->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  }
  func::CallOp::create(b, loc, fn, arguments);
}

/// Each genc.index_out_of_bounds becomes a call of genc_index_error with
/// its caller's context and the number of its message in the artifact's
/// `genc_checks` text, where the runtime finds it.
void callIndexErrorKernel(ModuleOp module) {
  SmallVector<genc::IndexOutOfBoundsOp> reports;
  module.walk([&](genc::IndexOutOfBoundsOp op) { reports.push_back(op); });
  if (reports.empty())
    return;
  std::vector<std::string> messages;
  for (genc::IndexOutOfBoundsOp op : reports)
    messages.push_back(op.getMessage().str());
  SmallVector<int64_t> checks = genc::addCheckMessages(module, messages);
  for (auto [op, check] : llvm::zip_equal(reports, checks)) {
    OpBuilder b(op);
    Value context = genc::getOrAddContextArgument(op->getParentOfType<func::FuncOp>());
    Value number = arith::ConstantIntOp::create(b, op.getLoc(), check, 64);
    // genc_index_error(context, check, index, bound): scalars only, so the
    // plain C ABI.
    callKernel(b, op.getLoc(), genc::kIndexErrorKernel,
               {context, number, op.getIndex(), op.getBound()}, /*cInterface=*/false);
    op.erase();
  }
}

/// A genc.attention_kernel becomes a call of genc_attention_f32(context,
/// check, out, q, k, v, mask, hasMask, scale, causal, window, softcap,
/// causalOffset, sinks, globalTokens, maskAfterSoftcap, block,
/// randomBlocks, seed, lshBuckets, lshHashes, lshChunk, stateSlot), memrefs unranked
/// f32, scale and softcap f32, the rest i64; without a mask, `out` stands
/// in (not read).
void callAttentionKernel(genc::AttentionKernelOp op, int64_t check) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto unranked = [&](Value v) -> Value {
    return memref::CastOp::create(b, loc, UnrankedMemRefType::get(b.getF32Type(), 0), v);
  };
  auto i64 = [&](int64_t v) -> Value { return arith::ConstantIntOp::create(b, loc, v, 64); };
  auto f32 = [&](FloatAttr v) -> Value { return arith::ConstantOp::create(b, loc, v); };
  Value context = genc::getOrAddContextArgument(op->getParentOfType<func::FuncOp>());
  Value offset = arith::IndexCastOp::create(b, loc, b.getI64Type(), op.getCausalOffset());
  Value mask = op.getMask() ? op.getMask() : op.getOut();
  SmallVector<Value> arguments = {context, i64(check)};
  for (Value buffer :
       std::initializer_list<Value>{op.getOut(), op.getQuery(), op.getKey(), op.getValue(), mask})
    arguments.push_back(unranked(buffer));
  arguments.append({i64(op.getMask() != nullptr), f32(op.getScaleAttr()), i64(op.getCausal()),
                    i64(op.getWindow()), f32(op.getSoftcapAttr()), offset, i64(op.getSinks()),
                    i64(op.getGlobalTokens()), i64(op.getMaskAfterSoftcap())});
  arguments.append({i64(op.getBlock()), i64(op.getRandomBlocks()), i64(op.getSeed())});
  arguments.append({i64(op.getLshBuckets()), i64(op.getLshHashes()), i64(op.getLshChunk()),
                    i64(op.getStateSlot())});
  callKernel(b, loc, kAttentionKernel, arguments);
  op.erase();
}

/// A genc.linear_attention_kernel becomes a call of
/// genc_linear_attention_f32(context, check, out, q, k, v, mask, hasMask,
/// features, performer, scale, causal, causalOffset, form, stateSlot),
/// memrefs unranked f32, scale f32, the rest i64 (form 0: the kernel picks);
/// `out` stands in for an absent mask (not read).
void callLinearAttentionKernel(genc::LinearAttentionKernelOp op, int64_t check) {
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto unranked = [&](Value v) -> Value {
    return memref::CastOp::create(b, loc, UnrankedMemRefType::get(b.getF32Type(), 0),
                                  v ? v : op.getOut());
  };
  auto i64 = [&](int64_t v) -> Value { return arith::ConstantIntOp::create(b, loc, v, 64); };
  Value context = genc::getOrAddContextArgument(op->getParentOfType<func::FuncOp>());
  Value offset = arith::IndexCastOp::create(b, loc, b.getI64Type(), op.getCausalOffset());
  callKernel(b, loc, kLinearAttentionKernel,
             {context, i64(check), unranked(op.getOut()), unranked(op.getQuery()),
              unranked(op.getKey()), unranked(op.getValue()), unranked(op.getMask()),
              i64(op.getMask() != nullptr), unranked(op.getFeatures()), i64(op.getPerformer()),
              arith::ConstantOp::create(b, loc, op.getScaleAttr()), i64(op.getCausal()), offset,
              i64(/*GENC_LINEAR_ATTENTION_ANY_FORM=*/0), i64(op.getStateSlot())});
  op.erase();
}

bool isBufferOf(Value v, function_ref<bool(Type)> element) {
  auto type = dyn_cast<MemRefType>(v.getType());
  return type && element(type.getElementType());
}

/// Whether a bufferized marked matmul has the operands of its encoding's
/// kernel: f32 A and C, B as the kernel stores it, quantization operands
/// of the kernel's parameter type.
bool takesMatmulKernel(linalg::GenericOp op, genc::MatmulEncodingAttr encoding) {
  auto f32 = [](Type t) { return t.isF32(); };
  MatmulKernel kernel = matmulKernelFor(op, encoding);
  Type storedWeight = kernel.storedWeight;
  if (op.getNumDpsInits() != 1 ||
      op.getNumDpsInputs() != 2 + int64_t(encoding.getNumQuantizationOperands()) ||
      !isBufferOf(op.getDpsInits()[0], f32) || !isBufferOf(op.getDpsInputs()[0], f32) ||
      !isBufferOf(op.getDpsInputs()[1], [&](Type t) { return t == storedWeight; }))
    return false;
  return llvm::all_of(llvm::drop_begin(op.getDpsInputs(), 2), [&](Value v) {
    return isBufferOf(v, [&](Type t) { return t == kernel.parameters; });
  });
}

/// The linalg.fill of +0.0 that makes `matmul`'s destination a fresh zero
/// buffer, if nothing else touches that buffer between the two: the
/// kernel can then write C instead of adding to it, and the fill goes.
linalg::FillOp removableZeroFill(linalg::GenericOp matmul) {
  Value c = matmul.getDpsInits()[0];
  if (!c.getDefiningOp<memref::AllocOp>())
    return {};
  linalg::FillOp fill;
  Block *block = matmul->getBlock();
  for (Operation *user : c.getUsers()) {
    if (user == matmul)
      continue;
    if (auto f = dyn_cast<linalg::FillOp>(user); f && !fill && f->getBlock() == block &&
                                                  f->isBeforeInBlock(matmul)) {
      fill = f;
      continue;
    }
    // Anything else must come after the matmul.
    Operation *ancestor = block->findAncestorOpInBlock(*user);
    if (!ancestor || !matmul->isBeforeInBlock(ancestor))
      return {};
  }
  FloatAttr value;
  if (!fill || !matchPattern(fill.getInputs()[0], m_Constant(&value)) ||
      !value.getValue().isPosZero())
    return {};
  return fill;
}

/// A marked matmul that takesMatmulKernel accepts becomes a call of its
/// encoding's kernel (context, check, C, A, B, the quantization operands,
/// the i64 extra, accumulate, a null epilogue; e.g.
/// genc_matmul_f32_i4(context, check, C, A, B, scales, offsets, group,
/// accumulate, epilogue)); a zero fill just for it goes, and the kernel
/// writes C instead of adding to it.
void callMatmulKernel(linalg::GenericOp op, int64_t check) {
  auto encoding = op->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
  OpBuilder b(op);
  Location loc = op.getLoc();
  auto unranked = [&](Value v) -> Value {
    Type t = UnrankedMemRefType::get(cast<MemRefType>(v.getType()).getElementType(), 0);
    return memref::CastOp::create(b, loc, t, v);
  };
  auto i64 = [&](int64_t v) -> Value { return arith::ConstantIntOp::create(b, loc, v, 64); };
  bool accumulate = true;
  if (linalg::FillOp fill = removableZeroFill(op)) {
    fill.erase();
    accumulate = false;
  }
  Value context = genc::getOrAddContextArgument(op->getParentOfType<func::FuncOp>());
  SmallVector<Value> arguments = {context, i64(check), unranked(op.getDpsInits()[0])};
  for (Value input : op.getDpsInputs())
    arguments.push_back(unranked(input));
  MatmulKernel kernel = matmulKernelFor(op, encoding);
  switch (kernel.extra) {
  case MatmulKernel::Extra::Layout:
    arguments.push_back(i64(static_cast<int64_t>(encoding.getLayout())));
    break;
  case MatmulKernel::Extra::Group:
    arguments.push_back(i64(encoding.getGroup()));
    break;
  case MatmulKernel::Extra::None:
    break;
  }
  arguments.push_back(i64(accumulate));
  // genc-fuse-matmul-epilogues may give the call one.
  arguments.push_back(LLVM::ZeroOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext())));
  callKernel(b, loc, kernel.symbol, arguments);
  op.erase();
}

} // namespace

BlockArgument genc::getOrAddContextArgument(func::FuncOp fn) {
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (fn.getArgAttr(i, kContextAttrName))
      return fn.getArgument(i);
  MLIRContext *ctx = fn.getContext();
  NamedAttribute marker(StringAttr::get(ctx, kContextAttrName), UnitAttr::get(ctx));
  (void)fn.insertArgument(0, LLVM::LLVMPointerType::get(ctx), DictionaryAttr::get(ctx, {marker}),
                          fn.getLoc());
  return fn.getArgument(0);
}

namespace {

struct CallCPUKernelsPass : genc::impl::CallCPUKernelsBase<CallCPUKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    callIndexErrorKernel(module);
    // What becomes a kernel call: fused attention, and marked matmuls that
    // are bufferized, of types a kernel takes and with few enough batch dims
    // (the others keep their loops).
    SmallVector<Operation *> kernelOps;
    WalkResult walk = module.walk([&](Operation *op) {
      if (isa<genc::AttentionKernelOp, genc::LinearAttentionKernelOp>(op)) {
        kernelOps.push_back(op);
        return WalkResult::advance();
      }
      auto generic = dyn_cast<linalg::GenericOp>(op);
      if (!generic || !generic->hasAttr(genc::kMatmulAttrName))
        return WalkResult::advance();
      auto encoding = generic->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
      if (!encoding) {
        generic.emitError() << genc::kMatmulAttrName << " must be a #genc.matmul encoding";
        return WalkResult::interrupt();
      }
      if (takesMatmulKernel(generic, encoding) &&
          cast<MemRefType>(generic.getDpsInits()[0].getType()).getRank() - 2 <= kMaxKernelBatchRank)
        kernelOps.push_back(op);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    if (kernelOps.empty())
      return;
    // A kernel that cannot compute its call fails it with the check of its
    // node: the line names the node, the kernel says what went wrong.
    std::vector<std::string> messages;
    for (Operation *op : kernelOps)
      messages.push_back(genc::describeNode(op->getLoc()) + ": {reason}");
    SmallVector<int64_t> checks = genc::addCheckMessages(module, messages);
    for (auto [op, check] : llvm::zip_equal(kernelOps, checks)) {
      if (auto attention = dyn_cast<genc::AttentionKernelOp>(op))
        callAttentionKernel(attention, check);
      else if (auto linear = dyn_cast<genc::LinearAttentionKernelOp>(op))
        callLinearAttentionKernel(linear, check);
      else
        callMatmulKernel(cast<linalg::GenericOp>(op), check);
    }
  }
};

} // namespace
