//===- GencBase.td - the genc dialect and its op base classes ---*- tablegen -*-===//
//
// genc's tensor-level dialect: ONNX semantics, one canonical op per concept.
// Every ONNX version of an op is normalised to these ops by the importer.
//
//===----------------------------------------------------------------------===//

#ifndef GENC_BASE_TD
#define GENC_BASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Genc_Dialect : Dialect {
  let name = "genc";
  let cppNamespace = "::mlir::genc";
  let summary = "Tensor-level ops with ONNX semantics for generative models";
  let description = [{
    Ops operate on ranked tensors whose dims may be dynamic. Broadcasting
    follows ONNX (numpy) rules. Small constants and shape computations are
    folded by `--genc-fold-shape-arithmetic`; weights are dense resources.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
  let hasConstantMaterializer = 1;
  // Attributes live in the attribute dictionary so that the importer can
  // infer result types from (operands, attributes) before creating an op.
  let usePropertiesForAttributes = 0;
  let useDefaultAttributePrinterParser = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

// An op that maps elements one to one, broadcasting its operands the ONNX
// way: its value at an index reads only its operands' values there.
def Genc_ElementwiseBroadcast : NativeOpTrait<"ElementwiseBroadcast"> {
  let cppNamespace = "::mlir::genc";
}

// Base of all genc ops.
class Genc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Genc_Dialect, mnemonic, traits>;

// An op whose result types are inferred from operands and attributes. A
// result may be more or less static than inference says (refinement runs
// after folding), but never contradicts it.
class Genc_InferOp<string mnemonic, list<Trait> traits = []>
    : Genc_Op<mnemonic, traits # [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let extraClassDefinition = [{
    bool $cppClass::isCompatibleReturnTypes(::mlir::TypeRange l,
                                            ::mlir::TypeRange r) {
      return ::mlir::genc::areCompatibleTensorTypes(l, r);
    }
  }];
}

// An i64 attribute read as a signed value (upstream's I64Attr reads
// uint64_t): offsets and sentinels (-1: none) may be negative. Axes are
// not: ops take them in [0, rank), the importer resolving ONNX's negative
// ones.
def Genc_I64Attr : TypedSignlessIntegerAttrBase<I64, "int64_t",
                                                "64-bit signless integer attribute"> {
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

// 1-D i64 tensors carry shapes, axes and indices the ONNX way.
def Genc_ShapeTensor : RankedTensorOf<[I64], [HasAnyRankOfPred<[1]>]>;
def Genc_IntTensor : RankedTensorOf<[I32, I64]>;

#endif // GENC_BASE_TD
