// RUN: genc-opt --genc-convert-to-linalg --split-input-file %s | FileCheck %s
// RUN: genc-opt --genc-call-cpu-kernels --split-input-file %s | FileCheck %s --check-prefix=CALL

// Gather reads data[i] only for i in [-n, n): a negative index counts from
// the end, one unsigned comparison bounds the position, and out of range
// the generic reports the node and yields zero instead of reading.
// CHECK-LABEL: func.func @gather
// CHECK: %[[N:.+]] = arith.constant 1024 : index
// CHECK: linalg.generic
// CHECK: %[[I:.+]] = arith.index_cast
// CHECK: %[[POS:.+]] = arith.select %{{.+}}, %{{.+}}, %[[I]] : index
// CHECK: %[[OK:.+]] = arith.cmpi ult, %[[POS]], %[[N]] : index
// CHECK: scf.if %[[OK]] -> (f32)
// CHECK: tensor.extract %arg0[%[[POS]], %{{.+}}]
// CHECK: } else {
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "Gather node '/embed/Gather' of model.onnx: index {index} is out of range for axis 0 of size {bound}"}
// CHECK: scf.yield %{{.+}} : f32
func.func @gather(%table: tensor<1024x16xf32>, %ids: tensor<?x?xi64>) -> tensor<?x?x16xf32> {
  %0 = genc.gather %table[%ids] {axis = 0 : i64} : (tensor<1024x16xf32>, tensor<?x?xi64>) -> tensor<?x?x16xf32> loc(#node)
  return %0 : tensor<?x?x16xf32>
}
#node = loc("/embed/Gather"("model.onnx":0:0))

// -----

// Rotary reads a cos/sin row per position id as Gather does (a negative id
// counts from the end), both rows under one check.
// CHECK-LABEL: func.func @rotary
// CHECK: %[[ROWS:.+]] = arith.constant 128 : index
// CHECK: linalg.generic
// CHECK: %[[P:.+]] = arith.index_cast
// CHECK: %[[POS:.+]] = arith.select %{{.+}}, %{{.+}}, %[[P]] : index
// CHECK: %[[OK:.+]] = arith.cmpi ult, %[[POS]], %[[ROWS]] : index
// CHECK: scf.if %[[OK]] -> (f32, f32)
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "rotary embedding node 'rope' of model.onnx: position id {index} is past the cos/sin tables of {bound} positions"}
func.func @rotary(%x: tensor<?x8x?x16xf32>, %cos: tensor<128x8xf32>, %sin: tensor<128x8xf32>, %pos: tensor<?x?xi64>) -> tensor<?x8x?x16xf32> {
  %r = genc.rotary %x, %cos, %sin positions(%pos) : (tensor<?x8x?x16xf32>, tensor<128x8xf32>, tensor<128x8xf32>, tensor<?x?xi64>) -> tensor<?x8x?x16xf32> loc(#rope)
  return %r : tensor<?x8x?x16xf32>
}
#rope = loc("rope"("model.onnx":0:0))

// -----

// genc-call-cpu-kernels: each report calls genc_index_error with the
// function's context and the report's number (from 1: a zeroed context
// means no failure); the messages go to the artifact's genc_checks text,
// one "<number> <message>" line each (a newline in a message becomes a
// space).
// CALL-LABEL: func.func @reports
// CALL-SAME: (%[[CTX:[^:]+]]: !llvm.ptr {genc.context}, %[[I:[^:]+]]: i64, %[[N:[^:]+]]: i64)
// CALL: %[[C1:.+]] = arith.constant 1 : i64
// CALL: call @genc_index_error(%[[CTX]], %[[C1]], %[[I]], %[[N]])
// CALL: %[[C2:.+]] = arith.constant 2 : i64
// CALL: call @genc_index_error(%[[CTX]], %[[C2]], %[[N]], %[[I]])
// CALL-DAG: func.func private @genc_index_error(!llvm.ptr, i64, i64, i64)
// CALL-DAG: llvm.mlir.global external constant @genc_checks("1 first {index}\0A2 second {bound} on two lines\0A\00")
func.func @reports(%i: i64, %n: i64) {
  genc.index_out_of_bounds %i, %n {message = "first {index}"}
  genc.index_out_of_bounds %n, %i {message = "second {bound}\non two lines"}
  return
}

// -----

// ScatterND writes each tuple's slice into a copy of data, in order. An
// index counts from the end when negative and is checked against its dim;
// out of range the call fails and the write goes to 0, inside the buffer.
// Updates' sizes left to run time must be indices' and data's, or the loop
// runs no tuple (and the call fails).
// CHECK-LABEL: func.func @scatter_nd
// CHECK: %[[TUPLES:.+]] = tensor.dim %arg1
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterND node '/ScatterND' of model.onnx: updates' dim 1 is {index}, not {bound}"}
// CHECK: %[[COUNT:.+]] = arith.select %{{.+}}, %[[TUPLES]], %{{.+}} : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[COUNT]] step %{{.+}} iter_args(%[[OUT:.+]] = %arg0)
// CHECK: %[[I:.+]] = arith.index_cast
// CHECK: %[[FROM_END:.+]] = arith.addi %[[I]], %[[FOUR:.+]] : index
// CHECK: %[[POS:.+]] = arith.select %{{.+}}, %[[FROM_END]], %[[I]] : index
// CHECK: %[[OUTSIDE:.+]] = arith.cmpi uge, %[[POS]], %[[FOUR]] : index
// CHECK: scf.if %[[OUTSIDE]]
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterND node '/ScatterND' of model.onnx: index {index} is out of range for a dim of size {bound}"}
// CHECK: %[[AT:.+]] = arith.select %[[OUTSIDE]], %{{.+}}, %[[POS]] : index
// CHECK: %[[ROW:.+]] = tensor.extract_slice %arg2
// CHECK: tensor.insert_slice %[[ROW]] into %[[OUT]][%[[AT]], 0]
func.func @scatter_nd(%data: tensor<4x?xf32>, %indices: tensor<?x1xi64>, %updates: tensor<?x?xf32>) -> tensor<4x?xf32> {
  %0 = genc.scatter_nd %data[%indices] = %updates : (tensor<4x?xf32>, tensor<?x1xi64>, tensor<?x?xf32>) -> tensor<4x?xf32> loc(#scatter)
  return %0 : tensor<4x?xf32>
}
#scatter = loc("/ScatterND"("model.onnx":0:0))

// -----

// Tuples into a dim of data that is empty at run time name no element: the
// call fails and the loop runs no tuple (a write at 0 would be outside).
// CHECK-LABEL: func.func @scatter_nd_empty_dim
// CHECK: %[[TUPLES:.+]] = tensor.dim %arg1
// CHECK: %[[ROWS:.+]] = tensor.dim %arg0
// CHECK: %[[FILLED:.+]] = arith.cmpi ne, %[[ROWS]], %{{.+}} : index
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterND node '/ScatterND' of model.onnx: {index} index tuples name elements of data's dim 0, of size {bound}"}
// CHECK: %[[AGREE:.+]] = arith.andi %{{.+}}, %[[FILLED]] : i1
// CHECK: %[[COUNT:.+]] = arith.select %[[AGREE]], %[[TUPLES]], %{{.+}} : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[COUNT]]
func.func @scatter_nd_empty_dim(%data: tensor<?x4xf32>, %indices: tensor<?x1xi64>, %updates: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = genc.scatter_nd %data[%indices] = %updates : (tensor<?x4xf32>, tensor<?x1xi64>, tensor<?x4xf32>) -> tensor<?x4xf32> loc(#scatter)
  return %0 : tensor<?x4xf32>
}
#scatter = loc("/ScatterND"("model.onnx":0:0))

// -----

// ScatterElements combines each element of updates, in row-major order,
// into a copy of data at its own position but along the axis, where the
// index (counted from the end when negative, checked) says. Sizes left to
// run time: updates must be indices' shape, indices no wider than data off
// the axis, or the nest runs no element (and the call fails).
// CHECK-LABEL: func.func @scatter_elements
// CHECK: %[[ROWS:.+]] = tensor.dim %arg1, %{{.+}} : tensor<?x?xi64>
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterElements node '/ScatterElements' of model.onnx: updates' dim 0 is {index}, not indices' {bound}"}
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterElements node '/ScatterElements' of model.onnx: indices' dim 0 is {index}, more than data's {bound}"}
// CHECK: %[[COLUMNS:.+]] = tensor.dim %arg1, %{{.+}} : tensor<?x?xi64>
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterElements node '/ScatterElements' of model.onnx: updates' dim 1 is {index}, not indices' {bound}"}
// CHECK-NOT: more than data's
// CHECK: %[[COUNT:.+]] = arith.select %{{.+}}, %[[ROWS]], %{{.+}} : index
// CHECK: scf.for %[[I:.+]] = %{{.+}} to %[[COUNT]] step %{{.+}} iter_args(%[[OUTER:.+]] = %arg0)
// CHECK: scf.for %[[J:.+]] = %{{.+}} to %[[COLUMNS]] step %{{.+}} iter_args(%[[OUT:.+]] = %[[OUTER]])
// CHECK: %[[INDEX:.+]] = tensor.extract %arg1[%[[I]], %[[J]]]
// CHECK: %[[OUTSIDE:.+]] = arith.cmpi uge, %{{.+}}, %c4 : index
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterElements node '/ScatterElements' of model.onnx: index {index} is out of range for axis 1 of size {bound}"}
// CHECK: %[[AT:.+]] = arith.select %[[OUTSIDE]], %{{.+}}, %{{.+}} : index
// CHECK: %[[UPDATE:.+]] = tensor.extract %arg2[%[[I]], %[[J]]]
// CHECK: %[[OLD:.+]] = tensor.extract %[[OUT]][%[[I]], %[[AT]]]
// CHECK: %[[SUM:.+]] = arith.addf %[[OLD]], %[[UPDATE]] : f32
// CHECK: tensor.insert %[[SUM]] into %[[OUT]][%[[I]], %[[AT]]]
func.func @scatter_elements(%data: tensor<?x4xf32>, %indices: tensor<?x?xi64>, %updates: tensor<?x?xf32>) -> tensor<?x4xf32> {
  %0 = genc.scatter_elements %data[%indices] = %updates {axis = 1 : i64, reduction = "add"} : (tensor<?x4xf32>, tensor<?x?xi64>, tensor<?x?xf32>) -> tensor<?x4xf32> loc(#scatter)
  return %0 : tensor<?x4xf32>
}
#scatter = loc("/ScatterElements"("model.onnx":0:0))

// -----

// Indices into an axis that is empty at run time name no element: the call
// fails and the nest runs no element (a write at 0 would be outside).
// CHECK-LABEL: func.func @scatter_elements_empty_axis
// CHECK: genc.index_out_of_bounds %{{.+}}, %{{.+}} {message = "ScatterElements node '/ScatterElements' of model.onnx: {index} indices name elements of data's axis 0, of size {bound}"}
// CHECK: %[[COUNT:.+]] = arith.select %{{.+}}, %{{.+}}, %{{.+}} : index
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[COUNT]]
func.func @scatter_elements_empty_axis(%data: tensor<?x4xf32>, %indices: tensor<2x4xi64>, %updates: tensor<2x4xf32>) -> tensor<?x4xf32> {
  %0 = genc.scatter_elements %data[%indices] = %updates {axis = 0 : i64} : (tensor<?x4xf32>, tensor<2x4xi64>, tensor<2x4xf32>) -> tensor<?x4xf32> loc(#scatter)
  return %0 : tensor<?x4xf32>
}
#scatter = loc("/ScatterElements"("model.onnx":0:0))
