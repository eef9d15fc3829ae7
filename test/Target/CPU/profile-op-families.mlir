// RUN: genc-opt --genc-tag-op-families --mlir-print-debuginfo --split-input-file %s | FileCheck %s --check-prefix=TAG
// RUN: genc-opt --genc-mark-op-families --split-input-file %s | FileCheck %s --check-prefix=MARK
// RUN: genc-opt --genc-tag-op-families --genc-convert-to-linalg --mlir-print-debuginfo --split-input-file %s | FileCheck %s --check-prefix=LOWERED

// Each genc op's location names its family; locations lowering builds
// from them keep the tag.
// TAG-LABEL: func.func @families
// TAG: genc.matmul {{.*}} loc(#[[MATMUL:.+]])
// TAG: genc.transpose {{.*}} loc(#[[MOVE:.+]])
// TAG: genc.add {{.*}} loc(#[[ELEMENTWISE:.+]])
// TAG: genc.layer_norm {{.*}} loc(#[[NORM:.+]])
// TAG-DAG: #[[MATMUL]] = loc(fused<"genc.family:matmul">[#{{.+}}])
// TAG-DAG: #[[MOVE]] = loc(fused<"genc.family:data movement">[#{{.+}}])
// TAG-DAG: #[[ELEMENTWISE]] = loc(fused<"genc.family:elementwise">[#{{.+}}])
// TAG-DAG: #[[NORM]] = loc(fused<"genc.family:norms and reductions">[#{{.+}}])
// The loops lowered from them carry the tags.
// LOWERED-DAG: #[[LMATMUL:loc[0-9]+]] = loc(fused<"genc.family:matmul">[#{{.+}}])
// LOWERED-DAG: #[[LMOVE:loc[0-9]+]] = loc(fused<"genc.family:data movement">[#{{.+}}])
// LOWERED-LABEL: func.func @families
// LOWERED: linalg.generic {{.*}} {genc.matmul = #genc.matmul<row_major, f32>}
// LOWERED: } -> tensor<2x8xf32> loc(#[[LMATMUL]])
// LOWERED: linalg.transpose {{.*}} loc(#[[LMOVE]])
func.func @families(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>, %s: tensor<2xf32>) -> tensor<8x2xf32> {
  %m = genc.matmul %x, %w : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32> loc("mm")
  %t = genc.transpose %m {perm = array<i64: 1, 0>} : tensor<2x8xf32> -> tensor<8x2xf32> loc("t")
  %a = genc.add %t, %t : (tensor<8x2xf32>, tensor<8x2xf32>) -> tensor<8x2xf32> loc("a")
  %n = genc.layer_norm %a, %s {axis = 1 : i64} : (tensor<8x2xf32>, tensor<2xf32>) -> tensor<8x2xf32> loc("n")
  return %n : tensor<8x2xf32>
}

// -----

#map = affine_map<(i) -> (i)>

// On bufferized code: a mark (the family's number, genc/kernels.h) before
// each run of one family, none for allocation and views, one for the
// kernel call read off its callee, -1 before the return.
// MARK-LABEL: func.func @marks
// MARK-SAME: (%[[CTX:[^:]+]]: !llvm.ptr {genc.context}
// MARK: %[[ELEMENTWISE:.+]] = arith.constant 4 : i64
// MARK-NEXT: call @genc_profile_mark(%[[CTX]], %[[ELEMENTWISE]])
// MARK-NEXT: linalg.generic
// MARK-NOT: genc_profile_mark
// MARK: memref.alloc
// MARK-NEXT: linalg.generic
// A matmul's epilogue is timed with its kernel call.
// MARK: genc_cpu.tile_epilogue
// MARK-NOT: genc_profile_mark
// MARK: genc_cpu.tile_epilogue_end
// MARK: %[[MATMUL:.+]] = arith.constant 0 : i64
// MARK-NEXT: call @genc_profile_mark(%[[CTX]], %[[MATMUL]])
// MARK-NEXT: call @genc_matmul_f32
// MARK: %[[MOVE:.+]] = arith.constant 5 : i64
// MARK-NEXT: call @genc_profile_mark(%[[CTX]], %[[MOVE]])
// MARK-NEXT: memref.copy
// MARK: %[[OTHER:.+]] = arith.constant 6 : i64
// MARK-NEXT: call @genc_profile_mark(%[[CTX]], %[[OTHER]])
// MARK-NEXT: linalg.generic
// MARK: %[[NONE:.+]] = arith.constant -1 : i64
// MARK-NEXT: call @genc_profile_mark(%[[CTX]], %[[NONE]])
// MARK-NEXT: return
// MARK: func.func private @genc_profile_mark(!llvm.ptr, i64)
func.func @marks(%x: memref<8xf32>, %y: memref<8xf32>, %u: memref<*xf32>) {
  %zero = arith.constant 0 : i64
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } loc(fused<"genc.family:elementwise">["add"])
  %buffer = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%y : memref<8xf32>) outs(%buffer : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } loc(fused<"genc.family:elementwise">["mul"])
  %epilogue = genc_cpu.tile_epilogue : !llvm.ptr {
  ^bb0(%row0: i64, %row1: i64, %col0: i64, %col1: i64):
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
        ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
    ^bb0(%a: f32, %b: f32):
      linalg.yield %a : f32
    } loc(fused<"genc.family:elementwise">["bias"])
    genc_cpu.tile_epilogue_end
  }
  call @genc_matmul_f32(%u, %u, %u, %zero, %zero, %epilogue) : (memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr) -> ()
  memref.copy %buffer, %y : memref<8xf32> to memref<8xf32>
  linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]}
      ins(%x : memref<8xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  }
  memref.dealloc %buffer : memref<8xf32>
  return
}
func.func private @genc_matmul_f32(memref<*xf32>, memref<*xf32>, memref<*xf32>, i64, i64, !llvm.ptr)
