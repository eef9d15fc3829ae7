//===- GencOps.td - genc op definitions, grouped by kind ---*- tablegen -*-===//

#ifndef GENC_OPS_TD
#define GENC_OPS_TD

include "genc/Dialect/GencBase.td"
include "genc/Dialect/ElementwiseOps.td"
include "genc/Dialect/ShapeOps.td"
include "genc/Dialect/ReductionOps.td"
include "genc/Dialect/NNOps.td"
include "genc/Dialect/AttentionOps.td"
include "genc/Dialect/ControlFlowOps.td"

#endif // GENC_OPS_TD
