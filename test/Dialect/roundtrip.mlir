// RUN: genc-opt %s | genc-opt | FileCheck %s

// Every op kind prints in a form that parses back to itself.
// CHECK-LABEL: func.func @roundtrip
func.func @roundtrip(%x: tensor<?x8x?x16xf32>, %k: tensor<?x2x?x16xf32>, %mask: tensor<?x1x?x?xi1>,
                     %cos: tensor<128x8xf32>, %pos: tensor<?x?xi64>, %w: tensor<16xf32>,
                     %c: tensor<1xi1>) -> tensor<?x8x?x16xf32> {
  // CHECK: genc.attention %{{.+}}, %{{.+}}, %{{.+}} mask(%{{.+}}) {causal = true, scale = 2.500000e-01 : f32, softcap = 5.000000e+01 : f32, window = 128 : i64}
  %a = genc.attention %x, %k, %k mask(%mask) {scale = 0.25 : f32, causal = true, window = 128 : i64, softcap = 50.0 : f32} : (tensor<?x8x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x2x?x16xf32>, tensor<?x1x?x?xi1>) -> tensor<?x8x?x16xf32>
  // CHECK: genc.rotary %{{.+}}, %{{.+}}, %{{.+}} positions(%{{.+}}) {interleaved = true}
  %r = genc.rotary %a, %cos, %cos positions(%pos) {interleaved = true} : (tensor<?x8x?x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>, tensor<?x?xi64>) -> tensor<?x8x?x16xf32>
  // CHECK: genc.rms_norm %{{.+}}, %{{.+}} {axis = 3 : i64, epsilon = 9.99999997E-7 : f32}
  %n = genc.rms_norm %r, %w {axis = 3 : i64, epsilon = 1.0e-6 : f32} : (tensor<?x8x?x16xf32>, tensor<16xf32>) -> tensor<?x8x?x16xf32>
  // CHECK: genc.layer_norm %{{.+}}, %{{.+}} bias(%{{.+}})
  %l = genc.layer_norm %n, %w bias(%w) {axis = 3 : i64} : (tensor<?x8x?x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<?x8x?x16xf32>
  // CHECK: genc.if
  %i = genc.if %c : tensor<1xi1> -> tensor<?x8x?x16xf32> {
    genc.yield %l : tensor<?x8x?x16xf32>
  } else {
    genc.yield %x : tensor<?x8x?x16xf32>
  }
  return %i : tensor<?x8x?x16xf32>
}
