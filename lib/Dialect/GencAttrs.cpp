//===- GencAttrs.cpp - genc attributes ------------------------------------===//

#include "genc/Dialect/GencAttrs.h"
#include "genc/Dialect/GencOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::genc;

#include "genc/Dialect/GencEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "genc/Dialect/GencAttrs.cpp.inc"

void GencDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "genc/Dialect/GencAttrs.cpp.inc"
      >();
}

LogicalResult MatmulEncodingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                         MatmulLayout layout, Type weightType,
                                         MatmulQuantization quantization, int64_t group) {
  // Each weight type has its quantizations (i4: with offsets, or symmetric);
  // only f32 weights may be row-major.
  bool grouped = quantization == MatmulQuantization::GroupScaleOffset ||
                 quantization == MatmulQuantization::GroupScale;
  // i8 without scales: a matmul of integers.
  MatmulQuantization expected =
      weightType.isInteger(8)
          ? (quantization == MatmulQuantization::None ? quantization
                                                      : MatmulQuantization::ColumnScale)
      : weightType.isInteger(4) ? (grouped ? quantization : MatmulQuantization::GroupScaleOffset)
                                : MatmulQuantization::None;
  if (!weightType.isF32() && !weightType.isBF16() && !weightType.isSignlessInteger(8) &&
      !weightType.isSignlessInteger(4))
    return emitError() << "matmul weights must be f32, bf16, i8 or i4, not " << weightType;
  if (quantization != expected)
    return emitError() << weightType << " weights take quantization '"
                       << stringifyMatmulQuantization(expected) << "'"
                       << (weightType.isInteger(4)   ? " or 'group_scale'"
                           : weightType.isInteger(8) ? " or 'none'"
                                                     : "");
  if (grouped ? group <= 0 : group != 0)
    return emitError() << "a group size goes with 'group_scale_offset' and 'group_scale' only, "
                          "and it needs a positive one";
  if (layout == MatmulLayout::RowMajor && !weightType.isF32())
    return emitError() << "only f32 weights are stored row-major; " << weightType
                       << " ones are packed in panels";
  return success();
}

unsigned MatmulEncodingAttr::getNumQuantizationOperands() const {
  switch (getQuantization()) {
  case MatmulQuantization::None:
    return 0;
  case MatmulQuantization::ColumnScale:
  case MatmulQuantization::GroupScale:
    return 1;
  case MatmulQuantization::GroupScaleOffset:
    return 2;
  }
  llvm_unreachable("unknown quantization");
}

MatmulEncodingAttr MatmulEncodingAttr::withLayout(MatmulLayout layout) const {
  return get(getContext(), layout, getWeightType(), getQuantization(), getGroup());
}
