//===- GencToLinalg.h - genc → linalg conversion patterns -------*- C++ -*-===//

#ifndef GENC_CONVERSION_GENCTOLINALG_H
#define GENC_CONVERSION_GENCTOLINALG_H

namespace mlir {
class ConversionTarget;
class RewritePatternSet;
} // namespace mlir

namespace mlir::genc {

/// The patterns lowering every genc op to linalg, tensor, arith, math and
/// scf (genc-convert-to-linalg). With `fuseAttention`, f32 attention that
/// fits the fused kernel becomes genc.attention_kernel instead of loops.
void populateGencToLinalgPatterns(RewritePatternSet &patterns, bool fuseAttention);

/// Marks what the patterns produce legal and genc's ops illegal, except the
/// two the CPU target lowers later (genc.attention_kernel,
/// genc.index_out_of_bounds).
void configureGencToLinalgTarget(ConversionTarget &target);

} // namespace mlir::genc

#endif // GENC_CONVERSION_GENCTOLINALG_H
