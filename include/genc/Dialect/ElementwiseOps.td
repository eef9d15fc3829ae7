//===- ElementwiseOps.td - unary, binary, comparison, cast, where -*- tablegen -*-===//

#ifndef GENC_ELEMENTWISE_OPS_TD
#define GENC_ELEMENTWISE_OPS_TD

include "genc/Dialect/GencBase.td"

// Binary ops broadcast their operands the ONNX (numpy) way. Arithmetic ops
// return the operand element type; comparisons return i1.
class Genc_BinaryOp<string mnemonic, list<Trait> traits = []>
    : Genc_InferOp<mnemonic, traits # [Genc_ElementwiseBroadcast]> {
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

// And, or, xor: of booleans only, as in ONNX (its bitwise ops are others).
class Genc_LogicalBinaryOp<string mnemonic, list<Trait> traits = []>
    : Genc_BinaryOp<mnemonic, traits> {
  let arguments = (ins RankedTensorOf<[I1]>:$lhs, RankedTensorOf<[I1]>:$rhs);
  let results = (outs RankedTensorOf<[I1]>:$result);
}

def Genc_AddOp : Genc_BinaryOp<"add", [Commutative]> { let summary = "lhs + rhs"; }
def Genc_SubOp : Genc_BinaryOp<"sub"> { let summary = "lhs - rhs"; }
def Genc_MulOp : Genc_BinaryOp<"mul", [Commutative]> { let summary = "lhs * rhs"; }
def Genc_DivOp : Genc_BinaryOp<"div"> {
  let summary = "lhs / rhs (integer division truncates toward zero)";
}
def Genc_PowOp : Genc_BinaryOp<"pow"> { let summary = "lhs ^ rhs"; }
def Genc_ModOp : Genc_BinaryOp<"mod"> {
  let summary = "remainder; sign of the divisor unless `fmod` is set";
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                       DefaultValuedAttr<BoolAttr, "false">:$fmod);
}
def Genc_MaxOp : Genc_BinaryOp<"max", [Commutative]> { let summary = "elementwise maximum"; }
def Genc_MinOp : Genc_BinaryOp<"min", [Commutative]> { let summary = "elementwise minimum"; }
def Genc_AndOp : Genc_LogicalBinaryOp<"and", [Commutative]> { let summary = "logical and"; }
def Genc_OrOp : Genc_LogicalBinaryOp<"or", [Commutative]> { let summary = "logical or"; }
def Genc_XorOp : Genc_LogicalBinaryOp<"xor", [Commutative]> { let summary = "logical xor"; }
def Genc_EqualOp : Genc_BinaryOp<"equal", [Commutative]> { let summary = "lhs == rhs, as i1"; }
def Genc_LessOp : Genc_BinaryOp<"less"> { let summary = "lhs < rhs, as i1"; }
def Genc_LessEqualOp : Genc_BinaryOp<"less_equal"> { let summary = "lhs <= rhs, as i1"; }
def Genc_GreaterOp : Genc_BinaryOp<"greater"> { let summary = "lhs > rhs, as i1"; }
def Genc_GreaterEqualOp : Genc_BinaryOp<"greater_equal"> { let summary = "lhs >= rhs, as i1"; }

// Unary ops keep the operand type.
class Genc_UnaryOp<string mnemonic, list<Trait> traits = []>
    : Genc_InferOp<mnemonic, traits # [Genc_ElementwiseBroadcast]> {
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
}

// Unary ops of floats only (as ONNX defines them, but for Erf of opsets
// 9-12; silu and gelu are raised from float graphs): an integer operand is
// refused where the op is built (at import, naming the node), not in the
// lowering.
class Genc_FloatUnaryOp<string mnemonic, list<Trait> traits = []>
    : Genc_UnaryOp<mnemonic, traits> {
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
}

def Genc_NegOp : Genc_UnaryOp<"neg"> { let hasFolder = 1; }
def Genc_AbsOp : Genc_UnaryOp<"abs">;
def Genc_SqrtOp : Genc_FloatUnaryOp<"sqrt">;
def Genc_ReciprocalOp : Genc_FloatUnaryOp<"reciprocal">;
def Genc_ExpOp : Genc_FloatUnaryOp<"exp">;
def Genc_LogOp : Genc_FloatUnaryOp<"log">;
def Genc_TanhOp : Genc_FloatUnaryOp<"tanh">;
def Genc_SigmoidOp : Genc_FloatUnaryOp<"sigmoid">;
def Genc_SiluOp : Genc_FloatUnaryOp<"silu"> {
  let summary = "SiLU (swish): x · sigmoid(x)";
}
def Genc_ReluOp : Genc_UnaryOp<"relu">;
def Genc_ErfOp : Genc_FloatUnaryOp<"erf">;
def Genc_SinOp : Genc_FloatUnaryOp<"sin">;
def Genc_CosOp : Genc_FloatUnaryOp<"cos">;
def Genc_FloorOp : Genc_FloatUnaryOp<"floor">;
def Genc_CeilOp : Genc_FloatUnaryOp<"ceil">;
def Genc_RoundOp : Genc_FloatUnaryOp<"round"> {
  let summary = "to the nearest integer, halves to even (ONNX Round)";
}
def Genc_NotOp : Genc_UnaryOp<"not"> {
  let summary = "logical not, of booleans only (as in ONNX)";
  let arguments = (ins RankedTensorOf<[I1]>:$input);
  let results = (outs RankedTensorOf<[I1]>:$result);
}
def Genc_GeluOp : Genc_FloatUnaryOp<"gelu"> {
  let summary = "GELU, exact (erf) or tanh-approximated";
  let arguments = (ins RankedTensorOf<[AnyFloat]>:$input,
                       DefaultValuedAttr<BoolAttr, "false">:$tanh_approximation);
}

def Genc_CastOp : Genc_InferOp<"cast", [Genc_ElementwiseBroadcast]> {
  let summary = "converts elements to `to` (ONNX Cast; float→int truncates)";
  let arguments = (ins AnyRankedTensor:$input, TypeAttr:$to);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasFolder = 1;
}

def Genc_WhereOp : Genc_InferOp<"where", [Genc_ElementwiseBroadcast]> {
  let summary = "condition ? x : y, broadcast over all three";
  let arguments = (ins AnyRankedTensor:$condition, AnyRankedTensor:$x,
                       AnyRankedTensor:$y);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat =
      "$condition `,` $x `,` $y attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

#endif // GENC_ELEMENTWISE_OPS_TD
