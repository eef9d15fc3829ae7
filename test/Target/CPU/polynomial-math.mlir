// RUN: genc-opt --genc-polynomial-math %s | FileCheck %s

// f32 exp, tanh and erf become arithmetic (no math op left to become a
// libm call), their multiply-adds contractible (an FMA where the target
// has one, not a call of fmaf); f64 and other functions stay.
// CHECK-LABEL: func.func @f32_functions(
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: arith.mulf %{{.+}}, %{{.+}} fastmath<contract> : f32
// CHECK-NOT: math.fma
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK: return
func.func @f32_functions(%x: f32, %v: vector<16xf32>) -> (f32, f32, vector<16xf32>) {
  %e = math.exp %x : f32
  %t = math.tanh %x : f32
  %r = math.erf %v : vector<16xf32>
  return %e, %t, %r : f32, f32, vector<16xf32>
}

// CHECK-LABEL: func.func @left_to_libm(
// CHECK: math.exp %{{.+}} : f64
// CHECK: math.log %{{.+}} : f32
// CHECK: math.cos %{{.+}} : f32
func.func @left_to_libm(%x: f64, %y: f32) -> (f64, f32, f32) {
  %e = math.exp %x : f64
  %l = math.log %y : f32
  %c = math.cos %y : f32
  return %e, %l, %c : f64, f32, f32
}
