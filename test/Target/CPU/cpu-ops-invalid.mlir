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

// -----

func.func @no_task_body(%context: !llvm.ptr, %tasks: i64) {
  // expected-error @+1 {{needs a body}}
  "genc_cpu.parallel_for"(%context, %tasks) ({}) : (!llvm.ptr, i64) -> ()
  return
}

// -----

// The context is the runtime's genc_context, a pointer.
func.func @context_pointer(%context: i64, %tasks: i64) {
  // expected-error @+1 {{operand #0 must be LLVM pointer type}}
  "genc_cpu.parallel_for"(%context, %tasks) ({
  ^bb0(%task: i64):
    genc_cpu.parallel_for_end
  }) : (i64, i64) -> ()
  return
}

// -----

func.func @column_bound() {
  // expected-error @+1 {{body must take four i64 arguments}}
  %epilogue = genc_cpu.tile_epilogue : !llvm.ptr {
  ^bb0(%row_begin: i64, %row_end: i64, %col_begin: i64, %col_end: i32):
    genc_cpu.tile_epilogue_end
  }
  return
}

// -----

// A terminator only ends its own op's region.
func.func @stray_end() {
  // expected-error @+1 {{expects parent op 'genc_cpu.tile_epilogue'}}
  genc_cpu.tile_epilogue_end
}
