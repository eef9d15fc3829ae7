// RUN: genc-opt --genc-outline-parallel-for %s | FileCheck %s

// The region moves into an internal task function: the pointer and the
// float it uses are stored into a struct in the caller's frame and loaded
// back by the task; the constant is cloned, not passed.
// CHECK-LABEL: llvm.func internal @scale_task(
// CHECK-SAME: %[[CAPTURES:.+]]: !llvm.ptr, %[[TASK:.+]]: i64)
// CHECK: %[[P:.+]] = llvm.getelementptr %[[CAPTURES]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, f32)>
// CHECK: %[[DATA:.+]] = llvm.load %[[P]] : !llvm.ptr -> !llvm.ptr
// CHECK: %[[Q:.+]] = llvm.getelementptr %[[CAPTURES]][0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, f32)>
// CHECK: %[[FACTOR:.+]] = llvm.load %[[Q]] : !llvm.ptr -> f32
// CHECK: llvm.br ^[[BODY:.+]](%[[TASK]] : i64)
// CHECK: ^[[BODY]](%{{.+}}: i64):
// CHECK: llvm.mlir.constant(8 : i64)
// CHECK: llvm.getelementptr %[[DATA]][%{{.+}}]
// CHECK: llvm.fmul %{{.+}}, %[[FACTOR]]
// CHECK: llvm.return

// CHECK-LABEL: llvm.func @scale(
// CHECK-SAME: %[[CTX:.+]]: !llvm.ptr, %[[DATA_ARG:.+]]: !llvm.ptr, %[[FACTOR_ARG:.+]]: f32)
// CHECK: %[[FRAME:.+]] = llvm.alloca %{{.+}} x !llvm.struct<(ptr, f32)>
// CHECK: llvm.store %[[DATA_ARG]], %{{.+}} : !llvm.ptr, !llvm.ptr
// CHECK: llvm.store %[[FACTOR_ARG]], %{{.+}} : f32, !llvm.ptr
// One task is called directly; more go to the runtime's pool.
// CHECK: %[[SINGLE:.+]] = llvm.icmp "eq" %[[TASKS:.+]], %{{.+}} : i64
// CHECK: llvm.cond_br %[[SINGLE]], ^[[DIRECT:.+]], ^[[POOLED:[^ ]+]]
// CHECK: ^[[DIRECT]]:
// CHECK: %[[ZERO:.+]] = llvm.mlir.constant(0 : i64) : i64
// CHECK: llvm.call @scale_task(%[[FRAME]], %[[ZERO]])
// CHECK: llvm.br ^[[AFTER:.+]]
// CHECK: ^[[POOLED]]:
// CHECK: %[[FN:.+]] = llvm.mlir.addressof @scale_task : !llvm.ptr
// CHECK: llvm.call @genc_parallel_for(%[[CTX]], %[[TASKS]], %[[FN]], %[[FRAME]])
// CHECK: llvm.br ^[[AFTER]]
// CHECK: ^[[AFTER]]:
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: llvm.return

llvm.func @scale(%context: !llvm.ptr, %data: !llvm.ptr, %factor: f32) {
  %tasks = llvm.mlir.constant(4 : i64) : i64
  %eight = llvm.mlir.constant(8 : i64) : i64
  genc_cpu.parallel_for %tasks on %context : !llvm.ptr {
  ^bb0(%task: i64):
    llvm.br ^body(%task : i64)
  ^body(%i: i64):
    %row = llvm.mul %i, %eight : i64
    %p = llvm.getelementptr %data[%row] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %x = llvm.load %p : !llvm.ptr -> f32
    %y = llvm.fmul %x, %factor : f32
    llvm.store %y, %p : f32, !llvm.ptr
    genc_cpu.parallel_for_end
  }
  llvm.return
}

// A tile epilogue becomes an internal function of the block's bounds and
// the address of its closure, a struct in the caller's frame holding the
// function's address, then what it captures; the kernel call takes that
// address.
// CHECK-LABEL: llvm.func internal @biased_epilogue(
// CHECK-SAME: %[[CLOSURE:[^:]+]]: !llvm.ptr, %[[ROW0:[^:]+]]: i64, %[[ROW1:[^:]+]]: i64, %[[COL0:[^:]+]]: i64, %[[COL1:[^:]+]]: i64)
// CHECK: %[[FIELD:.+]] = llvm.getelementptr %[[CLOSURE]][0, 1] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(ptr, ptr)>
// CHECK: %[[BIAS:.+]] = llvm.load %[[FIELD]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.br ^[[BODY:.+]](%[[ROW0]], %[[ROW1]], %[[COL0]], %[[COL1]] : i64, i64, i64, i64)
// CHECK: ^[[BODY]]({{.+}}):
// CHECK: llvm.getelementptr %[[BIAS]]
// CHECK: llvm.return

// CHECK-LABEL: llvm.func @biased(
// CHECK-SAME: %[[CTX:[^:]+]]: !llvm.ptr, %[[BIAS_ARG:[^:]+]]: !llvm.ptr)
// CHECK: %[[FRAME:.+]] = llvm.alloca %{{.+}} x !llvm.struct<(ptr, ptr)>
// CHECK: %[[FN:.+]] = llvm.mlir.addressof @biased_epilogue : !llvm.ptr
// CHECK: %[[FIRST:.+]] = llvm.getelementptr %[[FRAME]][0, 0]
// CHECK: llvm.store %[[FN]], %[[FIRST]] : !llvm.ptr, !llvm.ptr
// CHECK: %[[SECOND:.+]] = llvm.getelementptr %[[FRAME]][0, 1]
// CHECK: llvm.store %[[BIAS_ARG]], %[[SECOND]] : !llvm.ptr, !llvm.ptr
// CHECK-NOT: genc_cpu.tile_epilogue
// CHECK: llvm.call @kernel(%[[CTX]], %[[FRAME]])
llvm.func @kernel(!llvm.ptr, !llvm.ptr)
llvm.func @biased(%context: !llvm.ptr, %bias: !llvm.ptr) {
  %epilogue = genc_cpu.tile_epilogue : !llvm.ptr {
  ^bb0(%row0: i64, %row1: i64, %col0: i64, %col1: i64):
    %p = llvm.getelementptr %bias[%col0] : (!llvm.ptr, i64) -> !llvm.ptr, f32
    %x = llvm.load %p : !llvm.ptr -> f32
    llvm.store %x, %p : f32, !llvm.ptr
    genc_cpu.tile_epilogue_end
  }
  llvm.call @kernel(%context, %epilogue) : (!llvm.ptr, !llvm.ptr) -> ()
  llvm.return
}

// The runtime function is declared once, at the end.
// CHECK: llvm.func @genc_parallel_for(!llvm.ptr, i64, !llvm.ptr, !llvm.ptr)
