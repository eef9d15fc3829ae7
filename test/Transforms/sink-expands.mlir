// RUN: genc-opt --genc-sink-expands --split-input-file %s | FileCheck %s

// _expand_mask's (1 - expanded) then masked_fill, on the padding expanded
// over the rows: computed on the one row, expanded once at the end.
// CHECK-LABEL: func.func @padding_rows(
// CHECK: %[[F:.+]] = genc.cast %arg0 {to = f32} : tensor<?x1x1x?xi64> -> tensor<?x1x1x?xf32>
// CHECK: %[[I:.+]] = genc.sub %{{.+}}, %[[F]] : (tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
// CHECK: %[[C:.+]] = genc.cast %[[I]] {to = i1} : tensor<?x1x1x?xf32> -> tensor<?x1x1x?xi1>
// CHECK: %[[W:.+]] = genc.where %[[C]], %{{.+}}, %[[I]] : (tensor<?x1x1x?xi1>, tensor<f32>, tensor<?x1x1x?xf32>) -> tensor<?x1x1x?xf32>
// CHECK: %[[E:.+]] = genc.expand %[[W]], %arg1 : (tensor<?x1x1x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
// CHECK-NEXT: return %[[E]]
func.func @padding_rows(%mask: tensor<?x1x1x?xi64>, %shape: tensor<4xi64>) -> tensor<?x1x?x?xf32> {
  %one = arith.constant dense<1.0> : tensor<f32>
  %min = arith.constant dense<-3.40282347E+38> : tensor<f32>
  %rows = genc.expand %mask, %shape : (tensor<?x1x1x?xi64>, tensor<4xi64>) -> tensor<?x1x?x?xi64>
  %float = genc.cast %rows {to = f32} : tensor<?x1x?x?xi64> -> tensor<?x1x?x?xf32>
  %inverted = genc.sub %one, %float : (tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %hidden = genc.cast %inverted {to = i1} : tensor<?x1x?x?xf32> -> tensor<?x1x?x?xi1>
  %filled = genc.where %hidden, %min, %inverted : (tensor<?x1x?x?xi1>, tensor<f32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  return %filled : tensor<?x1x?x?xf32>
}

// -----

// Two Expands to one shape: added before, expanded after.
// CHECK-LABEL: func.func @same_shape(
// CHECK: %[[S:.+]] = genc.add %arg0, %arg1 : (tensor<?x1x1x?xf32>, tensor<1x1x?x?xf32>) -> tensor<?x1x?x?xf32>
// CHECK: genc.expand %[[S]], %arg2
func.func @same_shape(%a: tensor<?x1x1x?xf32>, %b: tensor<1x1x?x?xf32>, %shape: tensor<4xi64>) -> tensor<?x1x?x?xf32> {
  %ea = genc.expand %a, %shape : (tensor<?x1x1x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %eb = genc.expand %b, %shape : (tensor<1x1x?x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %sum = genc.add %ea, %eb : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  return %sum : tensor<?x1x?x?xf32>
}

// -----

// Left alone: Expands to two shapes, and a tensor that is not expanded.
// CHECK-LABEL: func.func @kept(
// CHECK: %[[EA:.+]] = genc.expand %arg0, %arg2
// CHECK: %[[EB:.+]] = genc.expand %arg1, %arg3
// CHECK: genc.add %[[EA]], %[[EB]]
// CHECK: genc.mul %[[EA]], %arg4
func.func @kept(%a: tensor<?x1x1x?xf32>, %b: tensor<?x1x1x?xf32>, %s1: tensor<4xi64>, %s2: tensor<4xi64>,
                %full: tensor<?x1x?x?xf32>) -> (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) {
  %ea = genc.expand %a, %s1 : (tensor<?x1x1x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %eb = genc.expand %b, %s2 : (tensor<?x1x1x?xf32>, tensor<4xi64>) -> tensor<?x1x?x?xf32>
  %sum = genc.add %ea, %eb : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  %product = genc.mul %ea, %full : (tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x1x?x?xf32>
  return %sum, %product : tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>
}

// -----

// A one-element constant of a higher rank, a comparison (i1 result).
// CHECK-LABEL: func.func @constant_and_comparison(
// CHECK: %[[C:.+]] = genc.less %arg0, %{{.+}} : (tensor<?x1x1x?xi64>, tensor<1x1x1x1x1xi64>) -> tensor<1x?x1x1x?xi1>
// CHECK: genc.expand %[[C]], %arg1 : (tensor<1x?x1x1x?xi1>, tensor<4xi64>) -> tensor<1x?x1x?x?xi1>
func.func @constant_and_comparison(%a: tensor<?x1x1x?xi64>, %shape: tensor<4xi64>) -> tensor<1x?x1x?x?xi1> {
  %two = arith.constant dense<2> : tensor<1x1x1x1x1xi64>
  %ea = genc.expand %a, %shape : (tensor<?x1x1x?xi64>, tensor<4xi64>) -> tensor<?x1x?x?xi64>
  %less = genc.less %ea, %two : (tensor<?x1x?x?xi64>, tensor<1x1x1x1x1xi64>) -> tensor<1x?x1x?x?xi1>
  return %less : tensor<1x?x1x?x?xi1>
}
