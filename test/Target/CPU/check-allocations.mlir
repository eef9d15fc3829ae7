// RUN: genc-opt --split-input-file --genc-check-allocations %s | FileCheck %s

// In an entry point, an allocation goes through the context and a null
// block returns zeros at once; frees go through the context too. Each
// allocation's message names its node, once per node.
// CHECK-LABEL: llvm.func @entry(
// CHECK-SAME: %[[CTX:[^:]+]]: !llvm.ptr, %[[BYTES:[^:]+]]: i64)
// CHECK: %[[CHECK:.+]] = llvm.mlir.constant(2 : i64) : i64
// CHECK: %[[A:.+]] = llvm.call @genc_alloc(%[[CTX]], %[[CHECK]], %[[BYTES]])
// CHECK: %[[NULL:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK: %[[FAILED:.+]] = llvm.icmp "eq" %[[A]], %[[NULL]] : !llvm.ptr
// CHECK: llvm.cond_br %[[FAILED]], ^[[EXIT:[^ ,]+]], ^[[REST:[^ ,]+]]
// CHECK: ^[[REST]]:
// An alignment of 64 or less is genc_alloc's.
// CHECK: %[[CHECK_B:.+]] = llvm.mlir.constant(3 : i64) : i64
// CHECK: %[[B:.+]] = llvm.call @genc_alloc(%[[CTX]], %[[CHECK_B]], %[[BYTES]])
// CHECK: llvm.cond_br %{{.+}}, ^[[EXIT]], ^{{.+}}
// The same node: the same message.
// CHECK: %[[CHECK_A:.+]] = llvm.mlir.constant(2 : i64) : i64
// CHECK: llvm.call @genc_alloc(%[[CTX]], %[[CHECK_A]], %[[BYTES]])
// CHECK: llvm.cond_br %{{.+}}, ^[[EXIT]], ^{{.+}}
// A larger alignment keeps MLIR's hook.
// CHECK: llvm.call @_mlir_memref_to_llvm_aligned_alloc
// CHECK: llvm.call @genc_release(%[[CTX]], %[[A]])
// CHECK: llvm.return %{{.+}} : !llvm.struct<(ptr, ptr, i64)>
// CHECK: ^[[EXIT]]:
// CHECK: %[[ZEROS:.+]] = llvm.mlir.zero : !llvm.struct<(ptr, ptr, i64)>
// CHECK: llvm.return %[[ZEROS]]

// Not an entry point: left alone.
// CHECK-LABEL: llvm.func @helper(
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc

// CHECK: llvm.func @genc_alloc(!llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK: llvm.func @genc_release(!llvm.ptr, !llvm.ptr)
// CHECK: llvm.mlir.global external constant @genc_checks("1 an earlier check\0A2 node 'a' of m.onnx: a buffer of {index} bytes could not be allocated; run the model on smaller inputs or with more memory\0A3 node 'b' of m.onnx: a buffer{{.*}}\0A\00")

llvm.mlir.global external constant @genc_checks("1 an earlier check\0A\00") {addr_space = 0 : i32}
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_aligned_alloc(i64, i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
llvm.func @entry(%context: !llvm.ptr, %bytes: i64) -> !llvm.struct<(ptr, ptr, i64)> attributes {genc.entry_point} {
  %a = llvm.call @_mlir_memref_to_llvm_alloc(%bytes) : (i64) -> !llvm.ptr loc(#a)
  %c64 = llvm.mlir.constant(64 : i64) : i64
  %b = llvm.call @_mlir_memref_to_llvm_aligned_alloc(%c64, %bytes) : (i64, i64) -> !llvm.ptr loc(#b)
  %c = llvm.call @_mlir_memref_to_llvm_alloc(%bytes) : (i64) -> !llvm.ptr loc(#a)
  %c128 = llvm.mlir.constant(128 : i64) : i64
  %d = llvm.call @_mlir_memref_to_llvm_aligned_alloc(%c128, %bytes) : (i64, i64) -> !llvm.ptr
  llvm.call @_mlir_memref_to_llvm_free(%a) : (!llvm.ptr) -> ()
  %u = llvm.mlir.undef : !llvm.struct<(ptr, ptr, i64)>
  %r = llvm.insertvalue %b, %u[0] : !llvm.struct<(ptr, ptr, i64)>
  llvm.return %r : !llvm.struct<(ptr, ptr, i64)>
}
llvm.func @helper(%bytes: i64) -> !llvm.ptr {
  %a = llvm.call @_mlir_memref_to_llvm_alloc(%bytes) : (i64) -> !llvm.ptr
  llvm.return %a : !llvm.ptr
}
#a = loc("a"("m.onnx":1:1))
#b = loc("b"("m.onnx":2:1))

// -----

// A block freed outside the entry points could not be counted: nothing
// changes.
// CHECK-LABEL: llvm.func @counted_elsewhere(
// CHECK: llvm.call @_mlir_memref_to_llvm_alloc
// CHECK-NOT: genc_alloc
// CHECK-LABEL: llvm.func @frees(
// CHECK: llvm.call @_mlir_memref_to_llvm_free
llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
llvm.func @_mlir_memref_to_llvm_free(!llvm.ptr)
llvm.func @counted_elsewhere(%context: !llvm.ptr, %bytes: i64) attributes {genc.entry_point} {
  %a = llvm.call @_mlir_memref_to_llvm_alloc(%bytes) : (i64) -> !llvm.ptr
  llvm.call @frees(%a) : (!llvm.ptr) -> ()
  llvm.return
}
llvm.func @frees(%p: !llvm.ptr) {
  llvm.call @_mlir_memref_to_llvm_free(%p) : (!llvm.ptr) -> ()
  llvm.return
}
