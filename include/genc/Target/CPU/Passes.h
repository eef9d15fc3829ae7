//===- Passes.h - the CPU target's passes -----------------------*- C++ -*-===//

#ifndef GENC_TARGET_CPU_PASSES_H
#define GENC_TARGET_CPU_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Pass/Pass.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::LLVM {
class LLVMFuncOp;
} // namespace mlir::LLVM

namespace mlir::genc {

/// Marks the `!llvm.ptr` argument through which compiled code receives its
/// caller's genc_context (runtime/include/genc/kernels.h: the thread pool
/// kernels run on) and passes it to every kernel it calls.
constexpr StringLiteral kContextAttrName = "genc.context";

/// The kernels genc-call-cpu-kernels calls (runtime/include/genc/kernels.h).
constexpr StringLiteral kMatmulKernel = "genc_matmul_f32";
constexpr StringLiteral kAttentionKernel = "genc_attention_f32";
constexpr StringLiteral kLinearAttentionKernel = "genc_linear_attention_f32";
constexpr StringLiteral kMatmulInt8Kernel = "genc_matmul_f32_i8";
constexpr StringLiteral kMatmulInt8IntegersKernel = "genc_matmul_i8_integers";
constexpr StringLiteral kMatmulBF16Kernel = "genc_matmul_bf16";
constexpr StringLiteral kMatmulInt4Kernel = "genc_matmul_f32_i4";
constexpr StringLiteral kMatmulInt4F16Kernel = "genc_matmul_f32_i4_f16";
constexpr StringLiteral kMatmulInt4SymmetricKernel = "genc_matmul_f32_i4_symmetric";
constexpr StringLiteral kMatmulInt4SymmetricF16Kernel = "genc_matmul_f32_i4_symmetric_f16";
/// Whether `callee` is one of the matmul kernels above, whose last operand
/// is the tile epilogue (`!llvm.ptr`, null for none).
inline bool isMatmulKernel(StringRef callee) {
  return callee == kMatmulKernel || callee == kMatmulInt8Kernel ||
         callee == kMatmulInt8IntegersKernel || callee == kMatmulBF16Kernel ||
         callee == kMatmulInt4Kernel || callee == kMatmulInt4F16Kernel ||
         callee == kMatmulInt4SymmetricKernel || callee == kMatmulInt4SymmetricF16Kernel;
}
/// What compiled code calls instead of reading at an index out of range;
/// thread-safe: the first failure a call meets is kept, atomically.
constexpr StringLiteral kIndexErrorKernel = "genc_index_error";

/// Module attribute: the artifact's signature as the runtime reads it
/// (genc-record-signature, completed by genc-seal-signature).
constexpr StringLiteral kSignatureAttr = "genc.signature";

/// What @main is called once compiled: a C `main` would take over the
/// program an artifact is linked into (`--emit=exe`) or loaded by. Other
/// entry points are `genc_model_<name>`.
constexpr StringLiteral kCompiledModelName = "genc_model";

/// `fn`'s context argument; added as its first argument if it has none.
BlockArgument getOrAddContextArgument(func::FuncOp fn);

/// Marks the functions the runtime calls (genc-finalize-entry-points); their
/// first argument is the context. The conversion to the LLVM dialect keeps
/// the mark, and copies it onto their `_mlir_ciface_` wrappers, whose first
/// argument is the results' pointer when there are results.
constexpr StringLiteral kEntryPointAttrName = "genc.entry_point";

/// Adds `messages` to the artifact's table of checks (`genc_checks`:
/// "<number> <message>" lines, numbered from 1, that the runtime reads when
/// a check fails) and returns their numbers; a message already there keeps
/// its number.
SmallVector<int64_t> addCheckMessages(ModuleOp module, ArrayRef<std::string> messages);

/// The runtime's function `name` (runtime/include/genc/kernels.h) as the
/// LLVM dialect calls it, declared at the end of `module` unless it is
/// there already.
LLVM::LLVMFuncOp getOrDeclareRuntimeFunction(ModuleOp module, StringRef name, Type result,
                                             ArrayRef<Type> arguments);

/// The buffer `view` is a view of (through subviews, casts, reshapes).
inline Value rootBuffer(Value view) {
  while (auto viewLike = view.getDefiningOp<ViewLikeOpInterface>())
    view = viewLike.getViewSource();
  return view;
}

/// The bytes of a non-splat constant as they lie in memory (dense or
/// dense_resource); failure when a resource has no data (or had, and it
/// was released).
FailureOr<ArrayRef<char>> getConstantBytes(ElementsAttr value);

/// The bits of a model's grid's codes (kWeightGridAttrName): its `bits`,
/// 4 where it has none.
int64_t weightGridBits(DictionaryAttr grid);

/// Whether a model's 4-bit grid (kWeightGridAttrName: f32 `scales` and
/// `offsets`) is symmetric, each offset -8 · its scale (MatMulNBits
/// without zero points): genc-quantize-matmul-weights then stores the
/// scales alone.
bool isSymmetricInt4Grid(DictionaryAttr grid);

/// Whether every element of an f32 constant is an integer in [-128, 127]:
/// the weights of a matmul of integers (kExactProductsAttrName) that
/// genc-quantize-matmul-weights stores as int8 codes, exactly. False where
/// the constant has no data.
bool holdsInt8Integers(ElementsAttr weights);

class AttentionOp;

/// The size of one row of what a session keeps for an attention layer
/// between steps, in floats: a fixed part, and a part per position
/// of the row's context.
struct KeptStateSize {
  int64_t fixed, perPosition;
};

/// What a session would keep for `op` (a causal linear attention's sums, a
/// causal LSH attention's key buckets); nothing for other layers, or when
/// a size this needs is dynamic. genc-record-signature gives each such
/// attention of a session artifact's @main a state slot.
std::optional<KeptStateSize> keptStateSize(AttentionOp op);

/// Frees the bytes of `value` if it is a resource (a weight): the context
/// keeps a resource's data as long as it lives, long after the last op
/// that held it is gone. Dense attributes (small, uniqued) stay.
void releaseConstantData(ElementsAttr value);

/// The columns of a panel of packed matmul weights (GENC_MATMUL_B_PANELS_32
/// and the quantised layouts, runtime/include/genc/kernels.h).
constexpr int64_t kPanelColumns = 32;

/// A 2-D f32 constant (not a splat) that a matmul reads as B, possibly
/// through a transpose: B[k][n] = source[n][k] then.
struct ConstantWeight {
  ElementsAttr source;
  bool transposed;
};
/// `b` as such a constant, if it is one.
std::optional<ConstantWeight> matchConstantWeight(Value b);

/// The weights of a module that passes replace (by packed or quantised
/// forms): erasing a weight's last constant frees its data, so that the
/// old and the new forms of all weights are never in memory at once.
class WeightConstants {
public:
  /// Counts the constant ops that hold each resource of `module`.
  explicit WeightConstants(ModuleOp module);

  /// Erases `value`'s defining op if nothing uses it, and the transposes
  /// and constants that fed only it; the data of a constant whose
  /// resource no other op holds is freed.
  void eraseIfDead(Value value);

  /// Whether `value` is a resource whose bytes no other constant op holds
  /// (two resources may alias one buffer): one of the conditions for the
  /// pass replacing that holder to consume them (ConsumableBytes); the
  /// other is that nothing but that pass's ops reads the holder.
  bool holdsBytesAlone(ElementsAttr value) const;

private:
  llvm::DenseMap<Attribute, unsigned> holders;
  llvm::DenseMap<const char *, unsigned> holdersOfBytes;
};

/// The bytes of a weight that a pass reads for the last time while it
/// builds their replacement: pages read go back to the system as the pass
/// reports its progress, so that the old and the new form of a large weight
/// are not both whole in memory. Only for bytes no one reads afterwards
/// (WeightConstants::holdsBytesAlone); otherwise `release` is false and
/// this only reads.
class ConsumableBytes {
public:
  ConsumableBytes(ArrayRef<char> bytes, bool release) : bytes(bytes), release(release) {}

  const char *data() const { return bytes.data(); }

  /// Nothing before `offset` is read again.
  void consumedUpTo(size_t offset);

private:
  ArrayRef<char> bytes;
  bool release;
  size_t released = 0;
};

#define GEN_PASS_DECL
#include "genc/Target/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "genc/Target/CPU/Passes.h.inc"

} // namespace mlir::genc

#endif // GENC_TARGET_CPU_PASSES_H
