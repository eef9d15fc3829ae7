// RUN: genc-opt --genc-fuse-matmul-epilogues --split-input-file %s | FileCheck %s

#element = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#column = affine_map<(d0, d1, d2) -> (d2)>

// A bias and GELU after the matmul run inside its call: C and the output,
// batch dims flattened into rows, are sliced to the kernel's block (rows
// and columns from the region's arguments), the bias to the block's
// columns, and the nest's body is unchanged. The output's allocation moves
// before the call; no nest is left after it.
// CHECK-DAG: #[[BLOCK:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[BLOCK_COLUMN:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @bias_gelu
// CHECK-SAME: (%[[CTX:[^:]+]]: !llvm.ptr, %[[A:[^:]+]]: memref<?x?x4xf32>, %[[B:[^:]+]]: memref<4x8xf32>, %[[BIAS:[^:]+]]: memref<8xf32>)
// CHECK: %[[C:.+]] = memref.alloc
// CHECK: %[[OUT:.+]] = memref.alloc
// CHECK-DAG: %[[FLAT_C:.+]] = memref.collapse_shape %[[C]] {{\[}}[0, 1], [2]] : memref<?x?x8xf32> into memref<?x8xf32>
// CHECK-DAG: %[[FLAT_OUT:.+]] = memref.collapse_shape %[[OUT]] {{\[}}[0, 1], [2]]
// CHECK: %[[EPILOGUE:.+]] = genc_cpu.tile_epilogue : !llvm.ptr {
// CHECK: ^bb0(%[[ROW0:.+]]: i64, %[[ROW1:.+]]: i64, %[[COL0:.+]]: i64, %[[COL1:.+]]: i64):
// CHECK-DAG: %[[R0:.+]] = arith.index_cast %[[ROW0]] : i64 to index
// CHECK-DAG: %[[C0:.+]] = arith.index_cast %[[COL0]] : i64 to index
// CHECK: memref.subview %[[FLAT_C]][%[[R0]], %[[C0]]]
// CHECK: memref.subview %[[BIAS]][%[[C0]]]
// CHECK: memref.subview %[[FLAT_OUT]][%[[R0]], %[[C0]]]
// CHECK: linalg.generic {indexing_maps = [#[[BLOCK]], #[[BLOCK_COLUMN]], #[[BLOCK]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: math.erf
// CHECK: genc_cpu.tile_epilogue_end
// CHECK: call @genc_matmul_f32(%[[CTX]], {{.+}}, %[[EPILOGUE]])
// CHECK-NOT: linalg.generic
// CHECK: return %[[OUT]]
func.func @bias_gelu(%context: !llvm.ptr, %a: memref<?x?x4xf32>, %b: memref<4x8xf32>,
                     %bias: memref<8xf32>) -> memref<?x?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = memref.dim %a, %c0 : memref<?x?x4xf32>
  %d1 = memref.dim %a, %c1 : memref<?x?x4xf32>
  %c = memref.alloc(%d0, %d1) : memref<?x?x8xf32>
  %check = arith.constant 1 : i64
  %layout = arith.constant 0 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %cu = memref.cast %c : memref<?x?x8xf32> to memref<*xf32>
  %au = memref.cast %a : memref<?x?x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x8xf32> to memref<*xf32>
  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %layout, %layout, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  %out = memref.alloc(%d0, %d1) : memref<?x?x8xf32>
  linalg.generic {indexing_maps = [#element, #column, #element],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%c, %bias : memref<?x?x8xf32>, memref<8xf32>) outs(%out : memref<?x?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %e = math.erf %s : f32
    linalg.yield %e : f32
  }
  memref.dealloc %c : memref<?x?x8xf32>
  return %out : memref<?x?x8xf32>
}
func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)

// -----

#element = affine_map<(d0, d1) -> (d0, d1)>

// A residual add written in place into the residual's buffer (a fresh
// one), with C in rows already: fused, nothing flattened, and the
// residual's block is one slice, read and written through one pointer.
// CHECK-LABEL: func.func @residual_in_place
// CHECK-NOT: memref.collapse_shape
// CHECK: genc_cpu.tile_epilogue
// CHECK: %[[RESIDUAL:.+]] = memref.subview
// CHECK: %[[C:.+]] = memref.subview
// CHECK-NOT: memref.subview
// CHECK: ins(%[[RESIDUAL]], %[[C]] : {{.*}}) outs(%[[RESIDUAL]] :
// CHECK: call @genc_matmul_f32
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @residual_in_place(%context: !llvm.ptr, %a: memref<5x4xf32>, %b: memref<4x8xf32>)
    -> memref<5x8xf32> {
  %residual = memref.alloc() : memref<5x8xf32>
  %c = memref.alloc() : memref<5x8xf32>
  %check = arith.constant 1 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %cu = memref.cast %c : memref<5x8xf32> to memref<*xf32>
  %au = memref.cast %a : memref<5x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x8xf32> to memref<*xf32>
  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %check, %check, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  linalg.generic {indexing_maps = [#element, #element, #element],
                  iterator_types = ["parallel", "parallel"]}
      ins(%residual, %c : memref<5x8xf32>, memref<5x8xf32>) outs(%residual : memref<5x8xf32>) {
  ^bb0(%r: f32, %x: f32, %o: f32):
    %s = arith.addf %r, %x : f32
    linalg.yield %s : f32
  }
  return %residual : memref<5x8xf32>
}
func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)

// -----

#element = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0, 0)>

// Left alone, the call keeping its null epilogue: a nest that reads C
// elsewhere than where it writes (another block's elements); one that
// writes what the matmul reads (A: other blocks still read it); one with
// a write between the call and it; one whose output may share memory
// with A (both arguments); and a reduction.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: genc_cpu.tile_epilogue
// CHECK-COUNT-5: linalg.generic
// CHECK: return
func.func @left_alone(%context: !llvm.ptr, %b: memref<4x4xf32>, %arg: memref<5x4xf32>,
                      %out: memref<5x4xf32>, %sums: memref<5xf32>) {
  %check = arith.constant 1 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %zero = arith.constant 0.0 : f32
  %i = arith.constant 0 : index
  %a = memref.alloc() : memref<5x4xf32>
  %c = memref.alloc() : memref<5x4xf32>
  %fresh = memref.alloc() : memref<5x4xf32>
  %cu = memref.cast %c : memref<5x4xf32> to memref<*xf32>
  %au = memref.cast %a : memref<5x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x4xf32> to memref<*xf32>
  %argu = memref.cast %arg : memref<5x4xf32> to memref<*xf32>

  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %check, %check, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  linalg.generic {indexing_maps = [#row, #element], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<5x4xf32>) outs(%fresh : memref<5x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }

  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %check, %check, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  linalg.generic {indexing_maps = [#element, #element], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<5x4xf32>) outs(%a : memref<5x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }

  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %check, %check, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  memref.store %zero, %fresh[%i, %i] : memref<5x4xf32>
  linalg.generic {indexing_maps = [#element, #element, #element],
                  iterator_types = ["parallel", "parallel"]}
      ins(%c, %fresh : memref<5x4xf32>, memref<5x4xf32>) outs(%fresh : memref<5x4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }

  call @genc_matmul_f32(%context, %check, %cu, %argu, %bu, %check, %check, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  linalg.generic {indexing_maps = [#element, #element], iterator_types = ["parallel", "parallel"]}
      ins(%c : memref<5x4xf32>) outs(%out : memref<5x4xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  }

  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %check, %check, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  linalg.generic {indexing_maps = [#element, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%c : memref<5x4xf32>) outs(%sums : memref<5xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %x, %o : f32
    linalg.yield %s : f32
  }
  return
}
func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)

// -----

#first = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 0, d3)>
#second = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, 1, d3)>
#element = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A gated unit's nest (genc-interleave-gated-halves) runs over C's panels:
// C [?, ?, 64] read as [.., 2 panels, 2, 16], the output as [.., 2, 16].
// Rows flattened, the block is rows [row0, row1) and panels [col0 / 32,
// col1 / 32) of both, each half read at its place in the panel.
// CHECK-DAG: #[[FIRST:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, 0, d2)>
// CHECK-DAG: #[[SECOND:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, 1, d2)>
// CHECK-DAG: #[[BLOCK:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @gated_halves
// CHECK: %[[PAIRS:.+]] = memref.collapse_shape %{{.+}} {{\[}}[0, 1], [2], [3], [4]] : memref<?x?x2x2x16xf32> into memref<?x2x2x16xf32>
// CHECK: %[[OUT:.+]] = memref.collapse_shape %{{.+}} {{\[}}[0, 1], [2], [3]] : memref<?x?x2x16xf32> into memref<?x2x16xf32>
// CHECK: genc_cpu.tile_epilogue : !llvm.ptr {
// CHECK: ^bb0(%[[ROW0:.+]]: i64, %[[ROW1:.+]]: i64, %[[COL0:.+]]: i64, %[[COL1:.+]]: i64):
// CHECK-DAG: %[[R0:.+]] = arith.index_cast %[[ROW0]] : i64 to index
// CHECK-DAG: %[[C0:.+]] = arith.index_cast %[[COL0]] : i64 to index
// CHECK-DAG: %[[C1:.+]] = arith.index_cast %[[COL1]] : i64 to index
// CHECK-DAG: %[[WIDTH:.+]] = arith.subi %[[C1]], %[[C0]]
// CHECK-DAG: %[[P0:.+]] = arith.divui %[[C0]], %[[C32:.+]] : index
// CHECK-DAG: %[[PANELS:.+]] = arith.divui %[[WIDTH]], %[[C32]] : index
// CHECK: %[[BLOCK_PAIRS:.+]] = memref.subview %[[PAIRS]][%[[R0]], %[[P0]], 0, 0] [%{{.+}}, %[[PANELS]], 2, 16]
// CHECK: %[[BLOCK_OUT:.+]] = memref.subview %[[OUT]][%[[R0]], %[[P0]], 0] [%{{.+}}, %[[PANELS]], 16]
// CHECK: linalg.generic {indexing_maps = [#[[FIRST]], #[[SECOND]], #[[BLOCK]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[BLOCK_PAIRS]], %[[BLOCK_PAIRS]] : {{.*}}) outs(%[[BLOCK_OUT]] :
// CHECK: genc_cpu.tile_epilogue_end
// CHECK: call @genc_matmul_f32
// CHECK-NOT: linalg.generic
func.func @gated_halves(%context: !llvm.ptr, %a: memref<?x?x4xf32>, %b: memref<4x64xf32>)
    -> memref<?x?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = memref.dim %a, %c0 : memref<?x?x4xf32>
  %d1 = memref.dim %a, %c1 : memref<?x?x4xf32>
  %c = memref.alloc(%d0, %d1) : memref<?x?x64xf32>
  %check = arith.constant 1 : i64
  %layout = arith.constant 0 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %cu = memref.cast %c : memref<?x?x64xf32> to memref<*xf32>
  %au = memref.cast %a : memref<?x?x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x64xf32> to memref<*xf32>
  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %layout, %layout, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  %pairs = memref.expand_shape %c [[0], [1], [2, 3, 4]] output_shape [%d0, %d1, 2, 2, 16]
      : memref<?x?x64xf32> into memref<?x?x2x2x16xf32>
  %out = memref.alloc(%d0, %d1) : memref<?x?x32xf32>
  %out_panels = memref.expand_shape %out [[0], [1], [2, 3]] output_shape [%d0, %d1, 2, 16]
      : memref<?x?x32xf32> into memref<?x?x2x16xf32>
  linalg.generic {indexing_maps = [#first, #second, #element],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%pairs, %pairs : memref<?x?x2x2x16xf32>, memref<?x?x2x2x16xf32>)
      outs(%out_panels : memref<?x?x2x16xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  }
  memref.dealloc %c : memref<?x?x64xf32>
  return %out : memref<?x?x32xf32>
}
func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)

// -----

#first = affine_map<(d0, d1, d2) -> (d0, d1, 0, d2)>
#second = affine_map<(d0, d1, d2) -> (d0, d1, 1, d2)>
#element = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not a paired epilogue: the panels read are another buffer's, not C's.
// CHECK-LABEL: func.func @pairs_of_another_buffer
// CHECK-NOT: genc_cpu.tile_epilogue
// CHECK: call @genc_matmul_f32
// CHECK: linalg.generic
func.func @pairs_of_another_buffer(%context: !llvm.ptr, %a: memref<5x4xf32>, %b: memref<4x64xf32>,
                                   %other: memref<5x64xf32>) -> memref<5x32xf32> {
  %c = memref.alloc() : memref<5x64xf32>
  %check = arith.constant 1 : i64
  %layout = arith.constant 0 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %cu = memref.cast %c : memref<5x64xf32> to memref<*xf32>
  %au = memref.cast %a : memref<5x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x64xf32> to memref<*xf32>
  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %layout, %layout, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  %pairs = memref.expand_shape %other [[0], [1, 2, 3]] output_shape [5, 2, 2, 16]
      : memref<5x64xf32> into memref<5x2x2x16xf32>
  %out = memref.alloc() : memref<5x32xf32>
  %out_panels = memref.expand_shape %out [[0], [1, 2]] output_shape [5, 2, 16]
      : memref<5x32xf32> into memref<5x2x16xf32>
  linalg.generic {indexing_maps = [#first, #second, #element],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%pairs, %pairs : memref<5x2x2x16xf32>, memref<5x2x2x16xf32>)
      outs(%out_panels : memref<5x2x16xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  }
  memref.dealloc %c : memref<5x64xf32>
  return %out : memref<5x32xf32>
}
func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)

// -----

#first = affine_map<(d0, d1, d2) -> (d0, d1, 0, d2)>
#second = affine_map<(d0, d1, d2) -> (d0, d1, 1, d2)>
#swapped = affine_map<(d0, d1, d2) -> (d0, d2, 1, d1)>
#element = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#panel_column = affine_map<(d0, d1, d2) -> (d1, d2)>

// Not a paired epilogue: a half read at another panel than the nest's
// (its panel and column swapped).
// CHECK-DAG: #[[PANEL_COLUMN:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @half_of_another_panel
// CHECK-NOT: genc_cpu.tile_epilogue
// CHECK: call @genc_matmul_f32
// CHECK: linalg.generic
// A bias of the output columns, as [N/32, 16], is read at the block's
// panels.
// CHECK-LABEL: func.func @operand_by_column
// CHECK: genc_cpu.tile_epilogue
// CHECK: %[[P0:.+]] = arith.divui
// CHECK: %[[PANELS:.+]] = arith.divui
// CHECK: %[[BIAS:.+]] = memref.subview %arg3[%[[P0]], 0] [%[[PANELS]], 16] [1, 1]
// CHECK: linalg.generic {indexing_maps = [#{{[^,]+}}, #{{[^,]+}}, #[[PANEL_COLUMN]], #{{[^,]+}}]
// CHECK-SAME: ins(%[[PAIRS:[^,]+]], %[[PAIRS]], %[[BIAS]] :
// CHECK: call @genc_matmul_f32
// CHECK-NOT: linalg.generic
func.func @half_of_another_panel(%context: !llvm.ptr, %a: memref<5x4xf32>, %b: memref<4x512xf32>)
    -> memref<5x256xf32> {
  %c = memref.alloc() : memref<5x512xf32>
  %check = arith.constant 1 : i64
  %layout = arith.constant 0 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %cu = memref.cast %c : memref<5x512xf32> to memref<*xf32>
  %au = memref.cast %a : memref<5x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x512xf32> to memref<*xf32>
  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %layout, %layout, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  %pairs = memref.expand_shape %c [[0], [1, 2, 3]] output_shape [5, 16, 2, 16]
      : memref<5x512xf32> into memref<5x16x2x16xf32>
  %out = memref.alloc() : memref<5x256xf32>
  %out_panels = memref.expand_shape %out [[0], [1, 2]] output_shape [5, 16, 16]
      : memref<5x256xf32> into memref<5x16x16xf32>
  linalg.generic {indexing_maps = [#first, #swapped, #element],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%pairs, %pairs : memref<5x16x2x16xf32>, memref<5x16x2x16xf32>)
      outs(%out_panels : memref<5x16x16xf32>) {
  ^bb0(%g: f32, %u: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  }
  memref.dealloc %c : memref<5x512xf32>
  return %out : memref<5x256xf32>
}
func.func @operand_by_column(%context: !llvm.ptr, %a: memref<5x4xf32>, %b: memref<4x512xf32>, %bias: memref<16x16xf32>)
    -> memref<5x256xf32> {
  %c = memref.alloc() : memref<5x512xf32>
  %check = arith.constant 1 : i64
  %layout = arith.constant 0 : i64
  %none = llvm.mlir.zero : !llvm.ptr
  %cu = memref.cast %c : memref<5x512xf32> to memref<*xf32>
  %au = memref.cast %a : memref<5x4xf32> to memref<*xf32>
  %bu = memref.cast %b : memref<4x512xf32> to memref<*xf32>
  call @genc_matmul_f32(%context, %check, %cu, %au, %bu, %layout, %layout, %none)
      : (!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  %pairs = memref.expand_shape %c [[0], [1, 2, 3]] output_shape [5, 16, 2, 16]
      : memref<5x512xf32> into memref<5x16x2x16xf32>
  %out = memref.alloc() : memref<5x256xf32>
  %out_panels = memref.expand_shape %out [[0], [1, 2]] output_shape [5, 16, 16]
      : memref<5x256xf32> into memref<5x16x16xf32>
  linalg.generic {indexing_maps = [#first, #second, #panel_column, #element],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%pairs, %pairs, %bias : memref<5x16x2x16xf32>, memref<5x16x2x16xf32>, memref<16x16xf32>)
      outs(%out_panels : memref<5x16x16xf32>) {
  ^bb0(%g: f32, %u: f32, %x: f32, %o: f32):
    %m = arith.mulf %g, %u : f32
    linalg.yield %m : f32
  }
  memref.dealloc %c : memref<5x512xf32>
  return %out : memref<5x256xf32>
}
func.func private @genc_matmul_f32(!llvm.ptr, i64, memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)
