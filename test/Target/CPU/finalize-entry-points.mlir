// RUN: genc-opt --genc-finalize-entry-points --split-input-file --verify-diagnostics %s | FileCheck %s

// Every entry point gets the context argument first, and argument
// attributes (which LLVM would reject) are gone; a cache written in place
// passes the check.

// CHECK-LABEL: func.func @genc_model(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: memref<4xf32>, %{{.*}}: memref<4xf32>)
// CHECK-NOT: genc.name
// CHECK-LABEL: func.func @genc_model_encoder(
// CHECK-SAME: %{{.*}}: !llvm.ptr, %{{.*}}: memref<4xf32>)
module {
  func.func @genc_model(%x: memref<4xf32> {genc.name = "x"},
                        %cache: memref<4xf32> {genc.name = "past", genc.kv_cache}) {
    memref.copy %x, %cache : memref<4xf32> to memref<4xf32>
    return
  }
  func.func @genc_model_encoder(%x: memref<4xf32> {genc.name = "src"}) {
    return
  }
}

// -----

// A cache that nothing writes (bufferization copied it) fails the compile.
module {
  // expected-error @below {{the KV cache of input 'past' could not be written in place; compile the model with --kv-cache=io}}
  func.func @genc_model(%x: memref<4xf32>, %cache: memref<4xf32> {genc.name = "past", genc.kv_cache}) {
    return
  }
}
