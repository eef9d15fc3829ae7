//===- Lowering.h - what genc → linalg's pattern files share ----*- C++ -*-===//
//
// Builders every op family's lowering uses (sizes, broadcasting, the one
// elementwise generic, scalar conversions, bounds-checked reads) and the
// populate function of each family's patterns. Private to
// lib/Conversion/GencToLinalg.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_LIB_CONVERSION_GENCTOLINALG_LOWERING_H
#define GENC_LIB_CONVERSION_GENCTOLINALG_LOWERING_H

#include "genc/Dialect/GencOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::genc::lowering {

//===----------------------------------------------------------------------===//
// Patterns
//===----------------------------------------------------------------------===//

/// A conversion pattern whose rewrite is a function building `op`'s
/// replacement from its converted operands; the result is cast to the op's
/// type where the lowering produced a less static one. A lowering that
/// cannot handle `op` emits an error saying why and returns failure.
template <typename OpTy> class LoweringPattern : public OpConversionPattern<OpTy> {
public:
  using Adaptor = typename OpTy::Adaptor;
  using Lowering = FailureOr<Value> (*)(OpTy, Adaptor, OpBuilder &);

  LoweringPattern(MLIRContext *context, Lowering lower)
      : OpConversionPattern<OpTy>(context), lower(lower) {}

  LogicalResult matchAndRewrite(OpTy op, Adaptor operands,
                                ConversionPatternRewriter &rewriter) const override {
    FailureOr<Value> result = lower(op, operands, rewriter);
    if (failed(result))
      return failure();
    Type type = op->getResult(0).getType();
    if (result->getType() != type)
      result = tensor::CastOp::create(rewriter, op.getLoc(), type, *result).getResult();
    rewriter.replaceOp(op, *result);
    return success();
  }

private:
  Lowering lower;
};

template <typename OpTy>
void addLowering(RewritePatternSet &patterns, typename LoweringPattern<OpTy>::Lowering lower) {
  patterns.add<LoweringPattern<OpTy>>(patterns.getContext(), lower);
}

/// Each family's patterns (one file each).
void populateElementwiseLoweringPatterns(RewritePatternSet &patterns);
void populateReductionLoweringPatterns(RewritePatternSet &patterns);
void populateContractionLoweringPatterns(RewritePatternSet &patterns);
void populateAttentionLoweringPatterns(RewritePatternSet &patterns, bool fuseAttention);
void populateDataMovementLoweringPatterns(RewritePatternSet &patterns);
void populateControlFlowLoweringPatterns(RewritePatternSet &patterns);

//===----------------------------------------------------------------------===//
// Sizes, constants and types
//===----------------------------------------------------------------------===//

using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

inline RankedTensorType tensorType(Value v) { return cast<RankedTensorType>(v.getType()); }

Value indexConst(OpBuilder &b, Location loc, int64_t v);
/// A float or signless integer constant.
Value scalarConst(OpBuilder &b, Location loc, Type t, double v);
/// An integer constant with exactly the bits of `v` (a double cannot hold
/// every 64-bit value).
Value intConst(OpBuilder &b, Location loc, Type t, const APInt &v);
Value negInf(OpBuilder &b, Location loc, Type t);

/// Dim `d` of tensor `v`: an attribute when static, a tensor.dim if not.
OpFoldResult dimOf(OpBuilder &b, Location loc, Value v, int64_t d);
Value dimValue(OpBuilder &b, Location loc, Value v, int64_t d);

/// `v` as `type`: a tensor.cast when lowering produced a less static type.
Value castTo(OpBuilder &b, Location loc, Value v, Type type);
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element);
/// A tensor of `sizes` filled with `value`.
Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type element, Value value);

/// Whether `t` (a tensor or its element type) holds unsigned integers.
/// arith works on signless integers only: lowerings bitcast unsigned
/// tensors' scalars to signless ones and pick the unsigned arith op.
bool isUnsignedInt(Type t);
/// The signless element type arith computes `t` in.
Type signless(Type t);
/// `v` read as `to`, a type that differs from v's in signedness only.
Value reinterpret(OpBuilder &b, Location loc, Value v, Type to);
/// A constant of element type `t` (unsigned included) from its signless form.
Value elementConst(OpBuilder &b, Location loc, Type t, double v);
/// Converts a scalar between element types with ONNX Cast semantics; `to`
/// is signless and the flags say how the integers are to be read.
Value convertScalar(OpBuilder &b, Location loc, Value v, Type to, bool fromUnsigned = false,
                    bool toUnsigned = false);

/// The float, signed-integer or unsigned-integer form of a binary arith op.
template <typename FloatOp, typename SignedOp, typename UnsignedOp = SignedOp>
Value binaryOp(OpBuilder &b, Location loc, ValueRange a, bool isFloat, bool isUnsigned) {
  if (isFloat)
    return FloatOp::create(b, loc, a[0], a[1]);
  if (isUnsigned)
    return UnsignedOp::create(b, loc, a[0], a[1]);
  return SignedOp::create(b, loc, a[0], a[1]);
}

//===----------------------------------------------------------------------===//
// Shared lowerings
//===----------------------------------------------------------------------===//

/// The indexing map reading `operand` inside a loop nest over `shape`:
/// right-aligned, static unit dims broadcast.
AffineMap broadcastMap(MLIRContext *ctx, RankedTensorType operand, ArrayRef<int64_t> shape);

/// One elementwise lowering for every op: a generic over the broadcast of
/// the operands, computing `fn(scalars)`.
Value elementwise(OpBuilder &b, Location loc, ValueRange operands, Type resultElement, ScalarFn fn);

enum class Combine { Sum, Max, Min, Prod };

/// `a` combined with `x` (scalars of one element type, unsigned included):
/// float max and min propagate NaN; booleans sum and take the largest as
/// Or, multiply and take the smallest as And.
Value combine(OpBuilder &b, Location loc, Combine kind, Value a, Value x);

/// Reduces `input` over `reduced` dims, keeping them as unit dims when
/// `keepdims`.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<bool> reduced, bool keepdims,
             Combine kind);

/// softmax(x) (or log-softmax) along `axis`.
Value softmax(OpBuilder &b, Location loc, Value x, int64_t axis, bool log);

/// The body of every contraction, `acc + x·y` (a linalg.generic body
/// builder over (x, y, acc)).
void yieldMultiplyAdd(OpBuilder &b, Location loc, ValueRange a);

/// "Gather node 'NAME' of model.onnx", from the importer's locations.
std::string describeNode(Operation *op, StringRef kind);

/// `read(i)`: the elements an op reads at an index it takes from data, which
/// must lie in [0, bound) (in [-bound, bound) counting from the end when
/// `fromEnd`). Out of range, compiled code reports `message` to its caller
/// (genc.index_out_of_bounds) and yields zeros instead of reading outside
/// the buffer.
SmallVector<Value> checkedRead(OpBuilder &b, Location loc, Value index, Value bound, bool fromEnd,
                               TypeRange elements, StringRef message,
                               function_ref<SmallVector<Value>(OpBuilder &, Location, Value)> read);

/// The ONNX name of a genc op: genc.greater_equal is GreaterEqual.
std::string onnxOpName(Operation *op);

/// Operands whose dims run shared loops. A size the model leaves to run
/// time must equal its loop's: compiled code checks it, reports the first
/// that differs to the caller (genc.index_out_of_bounds) and reads that
/// operand as zeros of the loop's sizes, so that no loop runs past the end
/// of a buffer. Sizes the shape tracing proves equal are not checked.
class SharedLoops {
public:
  /// `originals`: the genc values `operands` lower, which the shape
  /// tracing (provablyEqualDims) reads. Reports read "<node>: <name>'s dim
  /// D is N, but M is expected there", `names` naming the operands.
  SharedLoops(OpBuilder &b, Location loc, ValueRange operands, ValueRange originals,
              std::string node, ArrayRef<std::string> names);

  using Use = std::pair<unsigned, int64_t>; ///< {operand, dim}

  /// One loop over dims `uses` of `size`, or (null) of the size of a use
  /// whose dim is static, else of the first use. `why`, if any, follows a
  /// report in parentheses.
  void share(ArrayRef<Use> uses, OpFoldResult size, StringRef why = {});

  /// The operands, each of which a check failed for replaced by zeros.
  SmallVector<Value> operands();

private:
  OpBuilder &b;
  Location loc;
  SmallVector<Value> values, originals;
  std::string node;
  SmallVector<std::string> names;
  /// Per operand: whether a check failed (null: none can), and the sizes
  /// of the loops over its checked dims (null: unchecked).
  SmallVector<Value> failed;
  SmallVector<SmallVector<OpFoldResult>> loopSizes;
};

/// `operands` (lowering `originals`) of `op`, an ONNX op that broadcasts
/// them, as `elementwise` may read them: sizes the model leaves dynamic are
/// checked to agree at run time (see SharedLoops).
SmallVector<Value> checkedBroadcastOperands(OpBuilder &b, Operation *op, ValueRange operands,
                                            ValueRange originals);

/// The largest buffer compiled code may ask for: the allocator adds its
/// alignment to the byte count, which must not wrap around.
constexpr uint64_t kMaxBufferBytes = uint64_t(1) << 62;

/// x · y, setting `overflow` where the unsigned product does not fit.
Value multiplyChecked(OpBuilder &b, Location loc, Value x, Value y, Value &overflow);

/// Whether `bytes` (with `overflow` of its product) is more than a buffer
/// may hold; ORs that into `overflow`.
void checkBufferBytes(OpBuilder &b, Location loc, Value bytes, Value &overflow);

/// Guards a result of `sizes` (of `element`) an op is about to allocate,
/// for ops whose operands may be empty along a dim the result lacks (a
/// matmul's K, a reduced axis), so that operands that exist do not bound
/// the result: where its byte count does not fit a buffer, compiled code
/// reports it ("<node>: the result would need more bytes than a buffer can
/// hold") and every dynamic size becomes 0. Returns that condition.
Value guardResultBytes(OpBuilder &b, Location loc, SmallVectorImpl<OpFoldResult> &sizes,
                       Type element, StringRef node);

/// `tensor`, or where `condition` holds an empty slice of it (its dynamic
/// dims 0): loops over it then run no iteration.
Value emptiedIf(OpBuilder &b, Location loc, Value tensor, Value condition);

} // namespace mlir::genc::lowering

#endif // GENC_LIB_CONVERSION_GENCTOLINALG_LOWERING_H
