//===- QuantizeMatmulWeights.cpp - packed f32 weights → int8, bf16, int4 --===//
//
// The panels genc-pack-matmul-weights made, in a smaller format: int8 with
// one scale per output column or int4 with one per group of rows (decode
// is bound by reading the weights), or bf16. int8 and bf16 panels hold
// pairs of consecutive k, what the kernels' dot products take (vpdpwssd
// with A in int16, AVX512-BF16's vdpbf16ps with A in bf16). int4 rounds to
// nearest or, calibrated, with GPTQ's error feedback. Matmuls of integers
// (MatMulInteger's) are never rounded: int8 codes without scales where
// int8 holds their weights, whatever the format.
//
//===----------------------------------------------------------------------===//

#include "genc/Conversion/Passes.h"
#include "genc/Dialect/GencAttrs.h"
#include "genc/Target/CPU/CPUTarget.h"
#include "genc/Target/CPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Iterators.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/APFloat.h"

#include <algorithm>
#include <cmath>

namespace mlir::genc {
#define GEN_PASS_DEF_QUANTIZEMATMULWEIGHTS
#include "genc/Target/CPU/Passes.h.inc"
} // namespace mlir::genc

using namespace mlir;

std::string mlir::genc::WeightFormat::str() const {
  switch (kind) {
  case Kind::F32:
    return "f32";
  case Kind::Int8PerChannel:
    return "int8";
  case Kind::BF16:
    return "bf16";
  case Kind::Int4Grouped:
    return "int4:" + std::to_string(group) + (asymmetric ? ":asym" : "") +
           (calibrated ? ":calibrated" : "");
  }
  return "";
}

FailureOr<genc::WeightFormat> mlir::genc::parseWeightFormat(StringRef text,
                                                            std::string &error) {
  using Kind = WeightFormat::Kind;
  WeightFormat format;
  SmallVector<StringRef> parts;
  text.split(parts, ':');
  StringRef name = parts.front();
  if (name == "f32" || name == "int8" || name == "bf16") {
    if (parts.size() > 1) {
      error = (name + " takes no parameters").str();
      return failure();
    }
    format.kind = name == "f32" ? Kind::F32 : name == "int8" ? Kind::Int8PerChannel : Kind::BF16;
    return format;
  }
  if (name != "int4") {
    error = "not a weight format (f32, int8, bf16, int4[:GROUP][:asym][:calibrated])";
    return failure();
  }
  format.kind = Kind::Int4Grouped;
  format.group = 32;
  bool groupGiven = false;
  for (StringRef part : ArrayRef(parts).drop_front()) {
    if (part == "asym" && !format.asymmetric) {
      format.asymmetric = true;
    } else if (part == "calibrated" && !format.calibrated) {
      format.calibrated = true;
    } else if (!groupGiven && !part.getAsInteger(10, format.group) &&
               (format.group == 32 || format.group == 64 || format.group == 128)) {
      groupGiven = true;
    } else {
      error = "int4 takes a group of 32, 64 or 128 weights, asym and calibrated, each at most "
              "once";
      return failure();
    }
  }
  return format;
}

namespace {

constexpr int64_t kPanel = genc::kPanelColumns;
constexpr float kInt8Max = 127.0f;

/// Converted panels and, for int8, the scales [P * 32] of their columns.
struct QuantizedWeight {
  DenseResourceElementsAttr values, scales;
};

/// 4-bit panels [P, K, 16] (byte j of a row: column j in its low nibble,
/// column j + 16 in its high one) with a scale and an offset per group of
/// `group` rows and column, [P, ceil(K / group), 32]: w ≈ q · scale +
/// offset, q in [0, 15]. Symmetric: scale = m / -8 for the group's m of
/// largest magnitude (negative when m is positive), so that m is code -8
/// exactly and all 16 codes serve (a scale of max |w| / 7 would leave -8
/// unused and each step 8/7 as wide); q - 8 = round(w / scale) clamped to
/// [-8, 7], offset = -8 · scale.
/// Asymmetric: over [min(w, 0), max(w, 0)], scale = (max - min) / 15, a
/// zero point z = round(-min / scale) in [0, 15] (0 stays exact in f32),
/// q = round(w / scale) + z clamped to [0, 15], offset = -z · scale.
/// The parameters are f16 (halfParameters below) or f32; with f16 the
/// asymmetric offset is rounded to f16 too (0 then within f16's rounding
/// of it, under 1% of a step) and q = round((w - offset) / scale).
/// Offsets that are all -8 · scale (symmetric rounding, or a model's grid
/// without zero points) are not stored: null `offsets`, and the f16
/// symmetric scales need not leave room for -8 · scale in f16.
struct Int4Weight {
  DenseResourceElementsAttr values, scales, offsets;
};

/// GPTQ's view of a matmul's calibration statistics: the upper Cholesky
/// factor U (K × K, row-major) of (H + λ·I)⁻¹, H the mean of x·xᵀ over the
/// activations x, λ 1% of H's mean diagonal. Quantising row k of a column
/// of weights with error e, the rows after it absorb it as w_r -= e /
/// U[k][k] · U[k][r]: what minimises the error of x·w left by the rows
/// quantised so far (Frantar et al., 2022). Inputs never active on the
/// calibration text (H[k][k] = 0) get H[k][k] = 1.
class ErrorFeedback {
public:
  static std::optional<ErrorFeedback> fromGram(ArrayRef<double> gram, int64_t k) {
    std::vector<double> h(gram.begin(), gram.end());
    double trace = 0;
    for (int64_t i = 0; i < k; ++i) {
      if (h[i * k + i] <= 0)
        h[i * k + i] = 1;
      trace += h[i * k + i];
    }
    // More damping where rounding in the statistics leaves H singular.
    for (double damping = 0.01; damping <= 1; damping *= 10) {
      std::vector<double> damped = h;
      for (int64_t i = 0; i < k; ++i)
        damped[i * k + i] += damping * trace / k;
      if (!choleskyLower(damped, k))
        continue;
      // (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹; its factor Uᵀ U with U = (its lower factor)ᵀ.
      std::vector<double> inverse = invertLower(damped, k), columns(k * k), hInverse(k * k);
      for (int64_t r = 0; r < k; ++r)
        for (int64_t i = 0; i <= r; ++i)
          columns[i * k + r] = inverse[r * k + i]; // (L⁻¹)ᵀ, upper: rows read contiguously
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j <= i; ++j) {
          double sum = 0;
          for (int64_t r = i; r < k; ++r)
            sum += columns[i * k + r] * columns[j * k + r];
          hInverse[i * k + j] = hInverse[j * k + i] = sum;
        }
      if (!choleskyLower(hInverse, k))
        continue;
      ErrorFeedback feedback;
      feedback.size = k;
      feedback.upper.assign(k * k, 0.0);
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j <= i; ++j)
          feedback.upper[j * k + i] = hInverse[i * k + j];
      return feedback;
    }
    return std::nullopt;
  }

  /// Spreads row `row`'s rounding errors `error[32]` over the later rows
  /// of `work` [K, 32].
  void propagate(int64_t row, const double *error, double *work) const {
    const double *u = &upper[row * size];
    double scaled[kPanel];
    for (int64_t j = 0; j < kPanel; ++j)
      scaled[j] = error[j] / u[row];
    for (int64_t r = row + 1; r < size; ++r)
      for (int64_t j = 0; j < kPanel; ++j)
        work[r * kPanel + j] -= scaled[j] * u[r];
  }

private:
  int64_t size = 0;
  std::vector<double> upper;

  /// `a` (symmetric) := its lower Cholesky factor; false if not positive.
  static bool choleskyLower(std::vector<double> &a, int64_t k) {
    for (int64_t j = 0; j < k; ++j) {
      double d = a[j * k + j];
      for (int64_t r = 0; r < j; ++r)
        d -= a[j * k + r] * a[j * k + r];
      if (!(d > 0))
        return false;
      d = std::sqrt(d);
      a[j * k + j] = d;
      for (int64_t i = j + 1; i < k; ++i) {
        double v = a[i * k + j];
        for (int64_t r = 0; r < j; ++r)
          v -= a[i * k + r] * a[j * k + r];
        a[i * k + j] = v / d;
      }
      for (int64_t i = 0; i < j; ++i)
        a[i * k + j] = 0;
    }
    return true;
  }

  /// The inverse of the lower-triangular `l`.
  static std::vector<double> invertLower(const std::vector<double> &l, int64_t k) {
    std::vector<double> inverse(k * k, 0.0);
    for (int64_t j = 0; j < k; ++j) {
      inverse[j * k + j] = 1 / l[j * k + j];
      for (int64_t i = j + 1; i < k; ++i) {
        double sum = 0;
        for (int64_t r = j; r < i; ++r)
          sum += l[i * k + r] * inverse[r * k + j];
        inverse[i * k + j] = -sum / l[i * k + i];
      }
    }
    return inverse;
  }
};

/// How quantizeInt4 rounds a weight.
struct Int4Rounding {
  int64_t group = 32;
  bool asymmetric = false;
  /// GPTQ's error feedback; null: each weight rounded on its own.
  const ErrorFeedback *feedback = nullptr;
  /// The grid the weights come quantised on, [ceil(K / group), columns]
  /// scales and offsets (kWeightGridAttrName): used as it is, each weight
  /// taking its nearest point, instead of a grid fitted to each group.
  const float *gridScales = nullptr, *gridOffsets = nullptr;
  int64_t gridColumns = 0;
  /// Whether scales and offsets are stored in f16 (rounded to nearest
  /// before the weights are rounded on them): the parameters' bytes halve
  /// (at int4:32, a sixth fewer bytes in all with offsets, a ninth without).
  /// quantizeInt4 gives up (and the caller stores f32) when one it stores
  /// would not be finite: f16 ends at 65504.
  bool halfParameters = false;
};

/// Whether every offset is -8 · its scale, the kernels' symmetric form.
/// == on purpose: padding columns of a model's grid hold +0 offsets where
/// -8 · (+0) is -0, and a zero scale's sums are zero either way.
bool areSymmetricOffsets(ArrayRef<float> scales, ArrayRef<float> offsets) {
  return scales.size() == offsets.size() &&
         llvm::all_of(llvm::zip_equal(scales, offsets),
                      [](auto pair) { return std::get<1>(pair) == -8.0f * std::get<0>(pair); });
}

/// `x` rounded to the nearest f16 (ties to even).
_Float16 toHalf(float x) { return static_cast<_Float16>(x); }

/// Quantises panel `panel`, `work` [K, 32] (consumed), into `values`
/// [K, 16] and `scales`/`offsets` [ceil(K / group), 32]: each group's
/// range from the weights as they are when it is reached (or the given
/// grid), each row rounded to nearest, its errors fed forward when asked.
void quantizeInt4Panel(double *work, int64_t k, int64_t panel, const Int4Rounding &how,
                       uint8_t *values, float *scales, float *offsets) {
  int64_t group = how.group;
  float scale[kPanel], zero[kPanel], offset[kPanel];
  for (int64_t kk = 0; kk < k; ++kk) {
    const double *row = &work[kk * kPanel];
    if (kk % group == 0) {
      int64_t last = std::min(k, kk + group), g = kk / group;
      for (int64_t j = 0; j < kPanel; ++j) {
        if (how.gridScales) {
          int64_t column = panel * kPanel + j;
          bool real = column < how.gridColumns;
          scale[j] = real ? how.gridScales[g * how.gridColumns + column] : 0.0f;
          offset[j] = real ? how.gridOffsets[g * how.gridColumns + column] : 0.0f;
          zero[j] = 0; // q = round((w - offset) / scale) below
        } else {
          float lo = 0, hi = 0, extreme = 0;
          for (int64_t r = kk; r < last; ++r) {
            float w = static_cast<float>(work[r * kPanel + j]);
            lo = std::min(lo, w);
            hi = std::max(hi, w);
            if (std::fabs(w) > std::fabs(extreme))
              extreme = w;
          }
          // In double: hi - lo may overflow f32 where both are finite.
          scale[j] = static_cast<float>(how.asymmetric ? (double(hi) - double(lo)) / 15.0
                                                       : double(extreme) / -8.0);
          if (how.halfParameters)
            scale[j] = toHalf(scale[j]);
          zero[j] = how.asymmetric ? (scale[j] == 0 ? 0
                                                    : std::clamp(std::round(-lo / scale[j]),
                                                                 0.0f, 15.0f))
                                   : 8.0f;
          // Symmetric: -8 · scale, in f32 as the kernel computes it (not
          // stored, so it may pass f16's range).
          offset[j] = -zero[j] * scale[j];
          if (how.halfParameters && how.asymmetric)
            offset[j] = toHalf(offset[j]);
        }
        scales[g * kPanel + j] = scale[j];
        offsets[g * kPanel + j] = offset[j];
      }
    }
    double error[kPanel];
    // On the stored offset where it is not -z · scale exactly.
    const bool fromOffset = how.gridScales || (how.halfParameters && how.asymmetric);
    for (int64_t j = 0; j < kPanel; ++j) {
      float w = static_cast<float>(row[j]);
      float q = scale[j] == 0 ? zero[j]
                : fromOffset  ? std::clamp(std::round((w - offset[j]) / scale[j]), 0.0f, 15.0f)
                              : std::clamp(std::round(w / scale[j]) + zero[j], 0.0f, 15.0f);
      values[kk * (kPanel / 2) + j % (kPanel / 2)] |= static_cast<uint8_t>(q)
                                                      << (j < kPanel / 2 ? 0 : 4);
      error[j] = row[j] - double(q * scale[j] + offset[j]); // as the kernel dequantises
    }
    if (how.feedback)
      how.feedback->propagate(kk, error, work);
  }
}

/// The blob of `values` as f32, or as f16 (each an f16 value already).
AsmResourceBlob parameterBlob(ArrayRef<float> values, bool half) {
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(values.size() * (half ? sizeof(_Float16) : sizeof(float)), 64);
  MutableArrayRef<char> data = blob.getMutableData();
  if (half)
    std::transform(values.begin(), values.end(), reinterpret_cast<_Float16 *>(data.data()), toHalf);
  else
    std::copy(values.begin(), values.end(), reinterpret_cast<float *>(data.data()));
  return blob;
}

/// The int4 form of f32 panels `bytes` of `type`; none when f16
/// parameters were asked for and one would overflow (error feedback can
/// move a group's weights past where they started).
std::optional<Int4Weight> quantizeInt4(RankedTensorType type, ArrayRef<char> bytes,
                                       const Int4Rounding &how) {
  int64_t panels = type.getDimSize(0), k = type.getDimSize(1);
  int64_t groups = llvm::divideCeil(k, how.group);
  auto *in = reinterpret_cast<const float *>(bytes.data());
  AsmResourceBlob valueBlob =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(panels * k * kPanel / 2), 64);
  size_t parameters = static_cast<size_t>(panels * groups * kPanel);
  std::vector<float> scales(parameters), offsets(parameters);
  auto *values = reinterpret_cast<uint8_t *>(valueBlob.getMutableData().data());
  std::fill(values, values + panels * k * kPanel / 2, 0);
  std::vector<double> work(k * kPanel);
  for (int64_t p = 0; p < panels; ++p) {
    std::copy(in + p * k * kPanel, in + (p + 1) * k * kPanel, work.begin());
    quantizeInt4Panel(work.data(), k, p, how, values + p * k * kPanel / 2,
                      scales.data() + p * groups * kPanel, offsets.data() + p * groups * kPanel);
  }
  // Symmetric offsets are not stored.
  bool symmetric = areSymmetricOffsets(scales, offsets);
  auto finite = [](float x) { return std::isfinite(x); };
  if (how.halfParameters &&
      !(llvm::all_of(scales, finite) && (symmetric || llvm::all_of(offsets, finite))))
    return std::nullopt;
  MLIRContext *ctx = type.getContext();
  auto valueType = RankedTensorType::get({panels, k, kPanel / 2}, IntegerType::get(ctx, 8));
  Type parameter = how.halfParameters ? Type(Float16Type::get(ctx)) : Float32Type::get(ctx);
  auto parameterType = RankedTensorType::get({panels, groups, kPanel}, parameter);
  Int4Weight weight{DenseResourceElementsAttr::get(valueType, "int4_weight", std::move(valueBlob)),
                    DenseResourceElementsAttr::get(parameterType, "int4_scales",
                                                   parameterBlob(scales, how.halfParameters)),
                    nullptr};
  // The kernel computes -8 · scale exactly: storing it would cost a decode
  // step a ninth more bytes at int4:32 with f16 parameters.
  if (!symmetric)
    weight.offsets = DenseResourceElementsAttr::get(parameterType, "int4_offsets",
                                                    parameterBlob(offsets, how.halfParameters));
  return weight;
}

/// `x` rounded to the nearest bf16 (ties to even), as its bits.
uint16_t toBF16(float x) {
  APFloat value(x);
  bool lost;
  (void)value.convert(APFloat::BFloat(), APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(value.bitcastToAPInt().getZExtValue());
}

/// [P, K, 32] f32 → [P, ceil(K/2), 32, 2] bf16: pairs of consecutive k per
/// column, zero-padded.
QuantizedWeight packBF16(RankedTensorType type, ArrayRef<char> bytes) {
  int64_t panels = type.getDimSize(0), k = type.getDimSize(1), pairs = (k + 1) / 2;
  auto *in = reinterpret_cast<const float *>(bytes.data());
  AsmResourceBlob blob = HeapAsmResourceBlob::allocate(
      static_cast<size_t>(panels * pairs * kPanel * 2) * sizeof(uint16_t), 64);
  auto *out = reinterpret_cast<uint16_t *>(blob.getMutableData().data());
  for (int64_t p = 0; p < panels; ++p)
    for (int64_t kp = 0; kp < pairs; ++kp)
      for (int64_t j = 0; j < kPanel; ++j)
        for (int64_t h = 0; h < 2; ++h) {
          int64_t kk = 2 * kp + h;
          *out++ = kk < k ? toBF16(in[(p * k + kk) * kPanel + j]) : 0;
        }
  auto bf16Type =
      RankedTensorType::get({panels, pairs, kPanel, 2}, BFloat16Type::get(type.getContext()));
  return {DenseResourceElementsAttr::get(bf16Type, "bf16_weight", std::move(blob)), nullptr};
}

/// [P, K, 32] f32 → [P, ceil(K/2), 32, 2] int8, pairs of consecutive k as
/// bf16's, with the scale of each column: its largest magnitude / 127, q =
/// round(w / scale); or, on a model's 8-bit grid (`gridScales`, one per
/// column; the padding columns after them get 0), its scale and q =
/// round(w / scale) in [-128, 127], the model's own code (scales of 1:
/// integer weights as they are).
QuantizedWeight quantizeInt8(RankedTensorType type, ArrayRef<char> bytes,
                             ArrayRef<float> gridScales = {}) {
  int64_t panels = type.getDimSize(0), k = type.getDimSize(1), pairs = (k + 1) / 2;
  auto *in = reinterpret_cast<const float *>(bytes.data());
  AsmResourceBlob scaleBlob =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(panels * kPanel) * sizeof(float), 64);
  AsmResourceBlob valueBlob =
      HeapAsmResourceBlob::allocate(static_cast<size_t>(panels * pairs * kPanel * 2), 64);
  auto *scales = reinterpret_cast<float *>(scaleBlob.getMutableData().data());
  auto *values = reinterpret_cast<int8_t *>(valueBlob.getMutableData().data());
  std::fill_n(values, panels * pairs * kPanel * 2, 0);
  for (int64_t p = 0; p < panels; ++p) {
    const float *panel = in + p * k * kPanel;
    int8_t *out = values + p * pairs * kPanel * 2;
    for (int64_t j = 0; j < kPanel; ++j) {
      float scale = 0, lowest = -kInt8Max;
      if (!gridScales.empty()) {
        size_t column = p * kPanel + j;
        scale = column < gridScales.size() ? gridScales[column] : 0.0f;
        lowest = -kInt8Max - 1;
      } else {
        for (int64_t kk = 0; kk < k; ++kk)
          scale = std::max(scale, std::fabs(panel[kk * kPanel + j]));
        scale /= kInt8Max;
      }
      scales[p * kPanel + j] = scale;
      for (int64_t kk = 0; kk < k; ++kk) {
        float q = scale == 0 ? 0 : std::round(panel[kk * kPanel + j] / scale);
        out[(kk / 2 * kPanel + j) * 2 + kk % 2] =
            static_cast<int8_t>(std::clamp(q, lowest, kInt8Max));
      }
    }
  }
  MLIRContext *ctx = type.getContext();
  auto valueType = RankedTensorType::get({panels, pairs, kPanel, 2}, IntegerType::get(ctx, 8));
  auto scaleType = RankedTensorType::get({panels, kPanel}, Float32Type::get(ctx));
  return {DenseResourceElementsAttr::get(valueType, "int8_weight", std::move(valueBlob)),
          DenseResourceElementsAttr::get(scaleType, "int8_scales", std::move(scaleBlob))};
}

/// The constant f32 panels a matmul reads as B, if it reads such.
std::optional<ElementsAttr> constantPanels(linalg::GenericOp op) {
  auto constant = op.getDpsInputs()[1].getDefiningOp<arith::ConstantOp>();
  auto type = constant ? dyn_cast<RankedTensorType>(constant.getType()) : nullptr;
  if (!type || type.getRank() != 3 || !type.hasStaticShape() ||
      type.getDimSize(2) != kPanel || !type.getElementType().isF32())
    return std::nullopt;
  auto value = dyn_cast<ElementsAttr>(constant.getValue());
  if (!value || value.isSplat())
    return std::nullopt;
  return value;
}

/// `op` rebuilt with other inputs, maps and body, keeping its attributes,
/// its weights in panels of `weightType` scaled by `quantization`.
linalg::GenericOp rebuild(linalg::GenericOp op, ValueRange inputs, ArrayRef<AffineMap> maps,
                          Type weightType, genc::MatmulQuantization quantization, int64_t group,
                          function_ref<void(OpBuilder &, Location, ValueRange)> body) {
  OpBuilder b(op);
  auto generic = linalg::GenericOp::create(b, op.getLoc(), op.getResultTypes(), inputs,
                                           op.getDpsInits(), maps, op.getIteratorTypesArray(),
                                           body);
  generic->setDiscardableAttrs(op->getDiscardableAttrDictionary());
  generic->setAttr(genc::kMatmulAttrName,
                   genc::MatmulEncodingAttr::get(op.getContext(), genc::MatmulLayout::Panels32,
                                                 weightType, quantization, group));
  op->replaceAllUsesWith(generic);
  op.erase();
  return generic;
}

/// The map of panels of k pairs from that of panels `(n floordiv 32, k,
/// n mod 32)`: (n floordiv 32, k floordiv 2, n mod 32, k mod 2).
AffineMap pairsMap(AffineMap panels) {
  AffineExpr n = panels.getResult(0), k = panels.getResult(1), column = panels.getResult(2);
  return AffineMap::get(panels.getNumDims(), 0, {n, k.floorDiv(2), column, k % 2},
                        panels.getContext());
}

/// C += A · (q · scale[n]): B replaced by int8 `values` in pairs of k, the
/// column scales, padded to whole panels ([P, 32], as B's columns are), a
/// third input.
void rewriteInt8(linalg::GenericOp op, Value values, Value scales) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap panels = maps[1]; // (n floordiv 32, k, n mod 32)
  maps[1] = pairsMap(panels);
  AffineMap out = maps[2];
  AffineMap scaleMap = AffineMap::get(out.getNumDims(), 0,
                                      {panels.getResult(0), panels.getResult(2)}, op.getContext());
  rebuild(op, {op.getDpsInputs()[0], values, scales}, {maps[0], maps[1], scaleMap, out},
          IntegerType::get(op.getContext(), 8), genc::MatmulQuantization::ColumnScale, 0,
          [](OpBuilder &b, Location loc, ValueRange a) {
            Value w = arith::SIToFPOp::create(b, loc, b.getF32Type(), a[1]);
            Value dequantized = arith::MulFOp::create(b, loc, w, a[2]);
            Value product = arith::MulFOp::create(b, loc, a[0], dequantized);
            linalg::YieldOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, a[3], product).getResult());
          });
}

/// C += A · q: B replaced by int8 `values` in pairs of k that are the
/// weights themselves (a matmul of integers, whose A holds integers too).
void rewriteInt8Integers(linalg::GenericOp op, Value values) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[1] = pairsMap(maps[1]);
  rebuild(op, {op.getDpsInputs()[0], values}, maps, IntegerType::get(op.getContext(), 8),
          genc::MatmulQuantization::None, 0, [](OpBuilder &b, Location loc, ValueRange a) {
            Value w = arith::SIToFPOp::create(b, loc, b.getF32Type(), a[1]);
            Value product = arith::MulFOp::create(b, loc, a[0], w);
            linalg::YieldOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, a[2], product).getResult());
          });
}

/// Each matmul of integers (kExactProductsAttrName) whose f32 panels hold
/// integers int8 holds reads them as int8, exactly, whatever the format: a
/// quarter of the bytes, and the integer kernel. A weight a function's
/// matmuls share is converted once.
void storeInt8Integers(ModuleOp module, genc::WeightConstants &weights) {
  SmallVector<linalg::GenericOp> matmuls;
  module.walk([&](linalg::GenericOp op) {
    auto encoding = op->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
    if (encoding && encoding.getLayout() == genc::MatmulLayout::Panels32 &&
        encoding.getWeightType().isF32() && op.getNumDpsInputs() == 2 && constantPanels(op) &&
        op->hasAttr(genc::kExactProductsAttrName) && genc::holdsInt8Integers(*constantPanels(op)))
      matmuls.push_back(op);
  });
  llvm::DenseMap<std::pair<Operation *, Attribute>, Value> converted;
  for (linalg::GenericOp op : matmuls) {
    ElementsAttr panels = *constantPanels(op);
    auto fn = op->getParentOfType<FunctionOpInterface>();
    Value &values = converted[{fn, panels}];
    if (!values) {
      auto type = cast<RankedTensorType>(panels.getType());
      // Scales of 1: each code is its weight.
      std::vector<float> ones(type.getDimSize(0) * kPanel, 1.0f);
      QuantizedWeight q = quantizeInt8(type, *genc::getConstantBytes(panels), ones);
      OpBuilder builder = OpBuilder::atBlockBegin(&fn.getFunctionBody().front());
      values = arith::ConstantOp::create(builder, op.getLoc(), q.values);
    }
    Value f32Panels = op.getDpsInputs()[1];
    rewriteInt8Integers(op, values);
    weights.eraseIfDead(f32Panels);
  }
}

/// C += bf16(A) · B: B replaced by bf16 pairs of k.
void rewriteBF16(linalg::GenericOp op, Value values) {
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[1] = pairsMap(maps[1]);
  rebuild(op, {op.getDpsInputs()[0], values}, maps, BFloat16Type::get(op.getContext()),
          genc::MatmulQuantization::None, 0, [](OpBuilder &b, Location loc, ValueRange a) {
            Type f32 = b.getF32Type();
            Value rounded = arith::TruncFOp::create(b, loc, b.getBF16Type(), a[0]);
            Value x = arith::ExtFOp::create(b, loc, f32, rounded);
            Value w = arith::ExtFOp::create(b, loc, f32, a[1]);
            Value product = arith::MulFOp::create(b, loc, x, w);
            linalg::YieldOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, a[2], product).getResult());
          });
}

/// C += A · (q · scale + offset) with q the nibble of column n: B replaced
/// by 4-bit `values`, the groups' scales and offsets two more inputs;
/// without `offsets` (symmetric weights), each offset is -8 · scale.
void rewriteInt4(linalg::GenericOp op, Value values, Value scales, Value offsets,
                 int64_t group) {
  MLIRContext *ctx = op.getContext();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  AffineMap panels = maps[1]; // (n floordiv 32, k, n mod 32)
  AffineExpr k = panels.getResult(1);
  AffineExpr n = maps[2].getResults().back();
  unsigned nLoop = cast<AffineDimExpr>(n).getPosition();
  int64_t half = kPanel / 2;
  AffineMap valueMap =
      AffineMap::get(panels.getNumDims(), 0, {n.floorDiv(kPanel), k, n % half}, ctx);
  AffineMap groupMap = AffineMap::get(panels.getNumDims(), 0,
                                      {n.floorDiv(kPanel), k.floorDiv(group), n % kPanel}, ctx);
  SmallVector<Value> inputs = {op.getDpsInputs()[0], values, scales};
  SmallVector<AffineMap> inputMaps = {maps[0], valueMap, groupMap};
  if (offsets) {
    inputs.push_back(offsets);
    inputMaps.push_back(groupMap);
  }
  inputMaps.push_back(maps[2]);
  rebuild(op, inputs, inputMaps, IntegerType::get(ctx, 4),
          offsets ? genc::MatmulQuantization::GroupScaleOffset
                  : genc::MatmulQuantization::GroupScale,
          group, [&](OpBuilder &b, Location loc, ValueRange a) {
            Type i8 = b.getI8Type();
            auto constant = [&](Type t, int64_t v) -> Value {
              return arith::ConstantOp::create(b, loc, b.getIntegerAttr(t, v));
            };
            // Columns 16..31 of a panel sit in the high nibbles.
            Value column = arith::RemUIOp::create(b, loc, linalg::IndexOp::create(b, loc, nLoop),
                                                  arith::ConstantIndexOp::create(b, loc, kPanel));
            Value high = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, column,
                                               arith::ConstantIndexOp::create(b, loc, half));
            Value shifted = arith::ShRUIOp::create(b, loc, a[1], constant(i8, 4));
            Value nibble = arith::AndIOp::create(
                b, loc, arith::SelectOp::create(b, loc, high, shifted, a[1]), constant(i8, 15));
            Value q = arith::UIToFPOp::create(b, loc, b.getF32Type(), nibble);
            // f16 parameters widen exactly, as the kernel's do.
            auto inF32 = [&](Value v) -> Value {
              return v.getType().isF32() ? v : arith::ExtFOp::create(b, loc, b.getF32Type(), v);
            };
            Value scale = inF32(a[2]);
            Value offset = offsets ? inF32(a[3])
                                   : arith::MulFOp::create(
                                         b, loc, scale,
                                         arith::ConstantOp::create(b, loc, b.getF32FloatAttr(-8)));
            Value w =
                arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, q, scale), offset);
            Value product = arith::MulFOp::create(b, loc, a[0], w);
            linalg::YieldOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, a.back(), product).getResult());
          });
}

/// Whether a grid's `gridColumns` are the columns of `op`'s weights
/// [P, K, 32]: its result's N where static, else as many as fill the last
/// panel in part.
bool coversColumns(linalg::GenericOp op, RankedTensorType panels, int64_t gridColumns) {
  int64_t n = cast<ShapedType>(op.getDpsInits()[0].getType()).getShape().back();
  if (!ShapedType::isDynamic(n))
    return gridColumns == n;
  int64_t columns = panels.getDimSize(0) * kPanel;
  return gridColumns <= columns && gridColumns > columns - kPanel;
}

/// The column scales of the 8-bit grid `grid` (kWeightGridAttrName) of
/// the weights [P, K, 32] of `op`, or an error at `op` saying what is
/// wrong with it.
FailureOr<ArrayRef<float>> int8GridScales(linalg::GenericOp op, DictionaryAttr grid,
                                          RankedTensorType panels) {
  auto scales = grid.getAs<ElementsAttr>("scales");
  bool valid = scales && scales.getElementType().isF32() && scales.getShapedType().getRank() == 2 &&
               scales.getShapedType().getDimSize(0) == 1 &&
               coversColumns(op, panels, scales.getShapedType().getDimSize(1));
  FailureOr<ArrayRef<char>> bytes = failure();
  if (valid)
    bytes = genc::getConstantBytes(scales);
  if (failed(bytes) || static_cast<int64_t>(bytes->size()) != scales.getNumElements() * 4) {
    op.emitError() << "the weights' 8-bit grid (" << genc::kWeightGridAttrName
                   << ") is not {bits = 8, scales: f32 [1, N]}";
    return failure();
  }
  return ArrayRef(reinterpret_cast<const float *>(bytes->data()), bytes->size() / sizeof(float));
}

/// The rounding on the 4-bit grid `grid` (kWeightGridAttrName) of the
/// weights [P, K, 32] of `op`, or an error at `op` saying what is wrong
/// with it.
FailureOr<Int4Rounding> gridRounding(linalg::GenericOp op, DictionaryAttr grid,
                                     RankedTensorType panels) {
  auto group = grid.getAs<IntegerAttr>("group");
  auto scales = grid.getAs<ElementsAttr>("scales");
  auto offsets = grid.getAs<ElementsAttr>("offsets");
  int64_t k = panels.getDimSize(1);
  Int4Rounding rounding;
  if (group)
    rounding.group = group.getInt();
  bool valid = group && scales && offsets &&
               (rounding.group == 32 || rounding.group == 64 || rounding.group == 128) &&
               scales.getShapedType() == offsets.getShapedType() &&
               scales.getElementType().isF32() && scales.getShapedType().getRank() == 2 &&
               scales.getShapedType().getDimSize(0) == llvm::divideCeil(k, rounding.group) &&
               coversColumns(op, panels, scales.getShapedType().getDimSize(1));
  FailureOr<ArrayRef<char>> scaleBytes = failure(), offsetBytes = failure();
  if (valid) {
    scaleBytes = genc::getConstantBytes(scales);
    offsetBytes = genc::getConstantBytes(offsets);
  }
  if (!valid || failed(scaleBytes) || failed(offsetBytes) ||
      scaleBytes->size() != offsetBytes->size() ||
      static_cast<int64_t>(scaleBytes->size()) != scales.getNumElements() * 4) {
    op.emitError() << "the weights' 4-bit grid (" << genc::kWeightGridAttrName
                   << ") is not {group = 32, 64 or 128, scales and offsets: f32 [ceil(K / "
                      "group), N]} for K = "
                   << k;
    return failure();
  }
  rounding.gridScales = reinterpret_cast<const float *>(scaleBytes->data());
  rounding.gridOffsets = reinterpret_cast<const float *>(offsetBytes->data());
  rounding.gridColumns = scales.getShapedType().getDimSize(1);
  return rounding;
}

struct QuantizeMatmulWeightsPass
    : genc::impl::QuantizeMatmulWeightsBase<QuantizeMatmulWeightsPass> {
  using QuantizeMatmulWeightsBase::QuantizeMatmulWeightsBase;
  /// A format given in a pipeline's text is checked as the text is parsed,
  /// so the error comes before any module is read (and is not followed by
  /// the module); one given in C++ is checked when the pass runs.
  LogicalResult
  initializeOptions(StringRef options,
                    function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(QuantizeMatmulWeightsBase::initializeOptions(options, errorHandler)))
      return failure();
    std::string error;
    if (failed(parsedFormat(error)))
      return errorHandler(error);
    return success();
  }
  /// The option's format, or the message saying what is wrong with it.
  FailureOr<genc::WeightFormat> parsedFormat(std::string &message) {
    std::string error;
    FailureOr<genc::WeightFormat> parsed = genc::parseWeightFormat(format, error);
    if (failed(parsed))
      message = "genc-quantize-matmul-weights: format '" + format + "': " + error;
    return parsed;
  }
  void runOnOperation() override {
    std::string error;
    FailureOr<genc::WeightFormat> parsed = parsedFormat(error);
    if (failed(parsed)) {
      getOperation().emitError() << error;
      return signalPassFailure();
    }
    // The f32 panels are freed as soon as nothing reads them.
    genc::WeightConstants weights(getOperation());
    storeInt8Integers(getOperation(), weights);
    SmallVector<linalg::GenericOp> matmuls;
    getOperation().walk([&](linalg::GenericOp op) {
      auto encoding = op->getAttrOfType<genc::MatmulEncodingAttr>(genc::kMatmulAttrName);
      // Matmuls of integers that int8 cannot hold keep f32 weights.
      if (encoding && encoding.getLayout() == genc::MatmulLayout::Panels32 &&
          encoding.getWeightType().isF32() && op.getNumDpsInputs() == 2 && constantPanels(op) &&
          !op->hasAttr(genc::kExactProductsAttrName))
        matmuls.push_back(op);
    });
    using Kind = genc::WeightFormat::Kind;
    // Weights quantised in the model keep their grid whatever the format.
    auto gridOf = [](linalg::GenericOp op) {
      return op->getAttrOfType<DictionaryAttr>(genc::kWeightGridAttrName);
    };
    if (parsed->kind == Kind::F32 && llvm::none_of(matmuls, gridOf))
      return;
    // Calibration statistics of each (function, weight): those of the
    // matmuls that share it, summed when the weight is converted.
    llvm::DenseMap<std::pair<Operation *, Attribute>, SmallVector<ElementsAttr, 1>> grams;
    if (parsed->calibrated) {
      int64_t without = 0;
      for (linalg::GenericOp op : matmuls) {
        auto gram = op->getAttrOfType<ElementsAttr>(genc::kInputGramAttrName);
        if (gridOf(op))
          continue;
        if (!gram) {
          ++without;
          continue;
        }
        int64_t k = cast<RankedTensorType>(constantPanels(op)->getType()).getDimSize(1);
        if (gram.getShapedType().getShape() != ArrayRef<int64_t>{k, k} ||
            !gram.getElementType().isF32() || failed(genc::getConstantBytes(gram))) {
          op.emitError() << "the calibration statistics of a matmul (" << genc::kInputGramAttrName
                         << ") are not a " << k << "x" << k << " f32 constant";
          return signalPassFailure();
        }
        grams[{op->getParentOfType<FunctionOpInterface>(), *constantPanels(op)}].push_back(gram);
      }
      if (grams.empty() && without) {
        getOperation().emitError()
            << "--weights=" << parsed->str()
            << " needs calibration statistics on the matmuls (" << genc::kInputGramAttrName
            << "), and none has them: genc compile finds them with --calibration-ids";
        return signalPassFailure();
      }
      if (without)
        getOperation().emitWarning()
            << without << " of " << without + grams.size()
            << " weight matmuls have no calibration statistics (calibration did not see "
               "them) and are rounded to nearest";
    }
    // The error feedback of the last statistics used: Q, K and V
    // projections read one input and share it.
    ElementsAttr lastGram;
    std::optional<ErrorFeedback> lastFeedback;
    // Converted once per (function, weight, grid), shared by the
    // function's matmuls (a constant is not visible across functions): a
    // weight that one matmul reads on the model's grid and another in the
    // format is converted twice.
    llvm::DenseMap<std::tuple<Operation *, Attribute, Attribute>, SmallVector<Value, 3>> converted;
    for (linalg::GenericOp op : matmuls) {
      ElementsAttr panels = *constantPanels(op);
      Value f32Panels = op.getDpsInputs()[1];
      auto fn = op->getParentOfType<FunctionOpInterface>();
      auto type = cast<RankedTensorType>(panels.getType());
      DictionaryAttr grid = gridOf(op);
      int64_t gridBits = grid ? genc::weightGridBits(grid) : 0;
      Kind kind = gridBits == 8 ? Kind::Int8PerChannel : grid ? Kind::Int4Grouped : parsed->kind;
      if (kind == Kind::F32)
        continue;
      Int4Rounding rounding;
      rounding.group = parsed->group;
      rounding.asymmetric = parsed->asymmetric;
      ArrayRef<float> int8Scales;
      if (grid && gridBits != 4 && gridBits != 8) {
        op.emitError() << "the weights' grid (" << genc::kWeightGridAttrName << ") has " << gridBits
                       << "-bit codes; genc keeps 4-bit and 8-bit ones";
        return signalPassFailure();
      }
      if (gridBits == 8) {
        FailureOr<ArrayRef<float>> given = int8GridScales(op, grid, type);
        if (failed(given))
          return signalPassFailure();
        int8Scales = *given;
      } else if (grid) {
        FailureOr<Int4Rounding> given = gridRounding(op, grid, type);
        if (failed(given))
          return signalPassFailure();
        rounding = *given;
      }
      SmallVector<Value, 3> &inputs = converted[{fn, panels, grid}];
      if (inputs.empty()) {
        FailureOr<ArrayRef<char>> bytes = genc::getConstantBytes(panels);
        if (failed(bytes)) {
          op.emitError("a matmul weight has no data to convert");
          return signalPassFailure();
        }
        // A scale cannot cover them: refuse rather than produce NaN or 0.
        ArrayRef<float> weights(reinterpret_cast<const float *>(bytes->data()),
                                bytes->size() / sizeof(float));
        if (kind != Kind::BF16 && !llvm::all_of(weights, [](float w) { return std::isfinite(w); })) {
          if (grid)
            op.emitError() << "the model's " << gridBits
                           << "-bit weights hold NaN or infinity (a scale or zero point that is "
                              "not finite), which their grid cannot represent";
          else
            op.emitError() << "a matmul weight holds NaN or infinity, which " << parsed->str()
                           << " cannot represent; compile with --weights=f32 or bf16";
          return signalPassFailure();
        }
        SmallVector<DenseResourceElementsAttr, 3> constants;
        if (kind == Kind::BF16) {
          constants = {packBF16(type, *bytes).values};
        } else if (kind == Kind::Int8PerChannel) {
          QuantizedWeight q = quantizeInt8(type, *bytes, int8Scales);
          constants = {q.values, q.scales};
        } else {
          // Weights without statistics (a matmul calibration did not see)
          // are rounded to nearest.
          if (auto gram = grams.find({fn, panels}); gram != grams.end() && !grid) {
            ElementsAttr shared = gram->second.size() == 1 ? gram->second[0] : nullptr;
            if (!shared || shared != lastGram) {
              int64_t k = type.getDimSize(1);
              std::vector<double> sum(k * k, 0.0);
              for (ElementsAttr each : gram->second) {
                auto *values =
                    reinterpret_cast<const float *>(genc::getConstantBytes(each)->data());
                for (int64_t e = 0; e < k * k; ++e)
                  sum[e] += values[e];
              }
              lastFeedback = ErrorFeedback::fromGram(sum, k);
              lastGram = shared;
            }
            if (!lastFeedback) {
              op.emitError("the calibration statistics of this matmul are not positive "
                           "definite, even damped; calibrate on more text");
              return signalPassFailure();
            }
            rounding.feedback = &*lastFeedback;
          }
          // A model's grid keeps its f32 parameters; genc's own are f16
          // unless one would overflow (f16 ends at 65504: a scale is an
          // eighth or a fifteenth of its group's extreme or range).
          rounding.halfParameters = !grid;
          std::optional<Int4Weight> q = quantizeInt4(type, *bytes, rounding);
          if (!q) {
            rounding.halfParameters = false;
            q = quantizeInt4(type, *bytes, rounding);
          }
          constants = {q->values, q->scales};
          if (q->offsets)
            constants.push_back(q->offsets);
        }
        OpBuilder builder = OpBuilder::atBlockBegin(&fn.getFunctionBody().front());
        for (DenseResourceElementsAttr constant : constants)
          inputs.push_back(arith::ConstantOp::create(builder, op.getLoc(), constant));
      }
      if (kind == Kind::BF16)
        rewriteBF16(op, inputs[0]);
      else if (kind == Kind::Int8PerChannel)
        rewriteInt8(op, inputs[0], inputs[1]);
      else
        rewriteInt4(op, inputs[0], inputs[1], inputs.size() > 2 ? inputs[2] : Value(),
                    rounding.group);
      weights.eraseIfDead(f32Panels);
    }
    // What the weights' attributes said is in their format now; their
    // data (statistics, grids) goes with them.
    SetVector<Attribute> said;
    getOperation().walk([&](Operation *op) {
      for (StringRef name : genc::kWeightMatmulAttrNames)
        if (Attribute value = op->removeAttr(name))
          said.insert(value);
    });
    for (Attribute value : said)
      value.walk([](ElementsAttr data) { genc::releaseConstantData(data); });
    // The f32 panels are dead now.
    getOperation().walk<WalkOrder::PostOrder, ReverseIterator>([](arith::ConstantOp op) {
      if (isOpTriviallyDead(op))
        op->erase();
    });
  }
};

} // namespace

int64_t genc::weightGridBits(DictionaryAttr grid) {
  auto bits = grid.getAs<IntegerAttr>("bits");
  return bits ? bits.getInt() : 4;
}

bool genc::isSymmetricInt4Grid(DictionaryAttr grid) {
  auto scales = grid.getAs<ElementsAttr>("scales");
  auto offsets = grid.getAs<ElementsAttr>("offsets");
  if (!scales || !offsets || !scales.getElementType().isF32() || !offsets.getElementType().isF32())
    return false;
  FailureOr<ArrayRef<char>> scaleBytes = getConstantBytes(scales),
                            offsetBytes = getConstantBytes(offsets);
  auto floats = [](ArrayRef<char> bytes) {
    return ArrayRef(reinterpret_cast<const float *>(bytes.data()), bytes.size() / sizeof(float));
  };
  return succeeded(scaleBytes) && succeeded(offsetBytes) &&
         areSymmetricOffsets(floats(*scaleBytes), floats(*offsetBytes));
}

bool genc::holdsInt8Integers(ElementsAttr weights) {
  FailureOr<ArrayRef<char>> bytes = getConstantBytes(weights);
  if (!weights.getElementType().isF32() || failed(bytes))
    return false;
  ArrayRef<float> values(reinterpret_cast<const float *>(bytes->data()),
                         bytes->size() / sizeof(float));
  return llvm::all_of(values, [](float w) { return w >= -128 && w <= 127 && w == std::trunc(w); });
}
