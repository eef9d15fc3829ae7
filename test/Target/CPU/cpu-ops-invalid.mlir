// RUN: genc-opt --split-input-file --verify-diagnostics %s

// A task's body takes its task number, an i64.
func.func @task_number(%context: !llvm.ptr, %tasks: i64) {
  // expected-error @+1 {{body must take one i64 argument, the task number}}
  genc_cpu.parallel_for %tasks on %context : !llvm.ptr {
  ^bb0(%task: index):
    genc_cpu.parallel_for_end
  }
  return
}

// -----

// An epilogue's body takes the block of C: rows and columns, four i64.
func.func @block_bounds() {
  // expected-error @+1 {{body must take four i64 arguments}}
  %epilogue = genc_cpu.tile_epilogue : !llvm.ptr {
  ^bb0(%row_begin: i64, %row_end: i64):
    genc_cpu.tile_epilogue_end
  }
  return
}
