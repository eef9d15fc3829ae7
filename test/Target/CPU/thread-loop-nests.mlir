// RUN: genc-opt --pass-pipeline='builtin.module(func.func(genc-thread-loop-nests,canonicalize))' %s | FileCheck %s

#map = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#bias = affine_map<(d0, d1, d2) -> (d2)>
#rows = affine_map<(d0, d1, d2) -> (d0, d1)>

// A residual add over [batch, tokens, 768]: batch one index per task,
// tokens in runs of ceil(8192 / 768) = 11 (all of them when the nest has
// fewer than 16384 iterations). Each task adds its own slice; the bias is
// read whole. The function gets its context argument.
// CHECK-LABEL: func.func @residual(
// CHECK-SAME: %[[CTX:[^:]+]]: !llvm.ptr {genc.context}, %[[X:[^:]+]]: memref<?x?x768xf32>, %[[B:[^:]+]]: memref<768xf32>, %[[OUT:[^:]+]]: memref<?x?x768xf32>
// CHECK-DAG: %[[C11:.+]] = arith.constant 11 : index
// Task t runs tokens tile t % NT and batch tile (t / NT) % NB, where NT
// and NB count the tiles of each loop, and there are NB * NT tasks.
// CHECK: %[[SMALL:.+]] = arith.cmpi ult, %{{.+}}, %c16384
// CHECK: %[[BATCH_TILE:.+]] = arith.select %[[SMALL]], %{{.+}}, %c1
// CHECK: %[[ROWS:.+]] = arith.select %[[SMALL]], %{{.+}}, %[[C11]]
// CHECK: %[[NB:.+]] = arith.divui %{{.+}}, %[[BATCH_TILE]]
// CHECK: %[[NT:.+]] = arith.divui %{{.+}}, %[[ROWS]]
// CHECK: %[[TASKS:.+]] = arith.muli %[[NB]], %[[NT]]
// CHECK: %[[COUNT:.+]] = arith.index_cast %[[TASKS]] : index to i64
// CHECK: genc_cpu.parallel_for %[[COUNT]] on %[[CTX]] : !llvm.ptr {
// CHECK: ^bb0(%[[TASK:.+]]: i64):
// CHECK: %[[I:.+]] = arith.index_cast %[[TASK]] : i64 to index
// CHECK: %[[TOKEN_TILE:.+]] = arith.remui %[[I]], %[[NT]]
// CHECK: %[[REST:.+]] = arith.divui %[[I]], %[[NT]]
// CHECK: %[[TOKEN:.+]] = arith.muli %[[TOKEN_TILE]], %[[ROWS]]
// CHECK: %[[BATCH_INDEX:.+]] = arith.remui %[[REST]], %[[NB]]
// CHECK: %[[BATCH:.+]] = arith.muli %[[BATCH_INDEX]], %[[BATCH_TILE]]
// CHECK: %[[XS:.+]] = memref.subview %[[X]][%[[BATCH]], %[[TOKEN]], 0] [%{{.+}}, %{{.+}}, 768] [1, 1, 1]
// CHECK: %[[OUTS:.+]] = memref.subview %[[OUT]][%[[BATCH]], %[[TOKEN]], 0] [%{{.+}}, %{{.+}}, 768] [1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[XS]], %[[B]] : {{.*}}) outs(%[[OUTS]] : {{.*}})
// CHECK: genc_cpu.parallel_for_end
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @residual(%x: memref<?x?x768xf32>, %b: memref<768xf32>, %out: memref<?x?x768xf32>) {
  linalg.generic {indexing_maps = [#map, #bias, #map], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %b : memref<?x?x768xf32>, memref<768xf32>) outs(%out : memref<?x?x768xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// A row reduction: cut along the rows only (the reduced loop stays whole,
// and so does the loop of static size 1).
// CHECK-LABEL: func.func @row_sums(
// CHECK: genc_cpu.parallel_for
// CHECK: memref.subview %{{.+}}[0, %{{.+}}, 0] [1, %{{.+}}, 768] [1, 1, 1]
// CHECK: memref.subview %{{.+}}[0, %{{.+}}] [1, %{{.+}}] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
func.func @row_sums(%x: memref<1x?x768xf32>, %out: memref<1x?xf32>) {
  linalg.generic {indexing_maps = [#map, #rows], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x : memref<1x?x768xf32>) outs(%out : memref<1x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// A nest that reads its indices: each task's linalg.index is offset by
// where its slice starts.
// CHECK-LABEL: func.func @positions(
// CHECK: ^bb0(%{{.+}}: i64):
// CHECK: %[[START:.+]] = arith.muli
// CHECK: linalg.generic
// CHECK: %[[I:.+]] = linalg.index 0 : index
// CHECK: affine.apply #{{.+}}(%[[START]])[%[[I]]]
func.func @positions(%out: memref<?xi64>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} outs(%out : memref<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %v = arith.index_cast %i : index to i64
    linalg.yield %v : i64
  }
  return
}

// Left as they are: a nest smaller than two tasks whatever happens, one
// whose body writes memory, one whose output does not hold the cut loop
// (every task would write the same sums), and a private function (no
// caller passes it a context).
// CHECK-LABEL: func.func @small(
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.copy
func.func @small(%x: memref<4x768xf32>, %out: memref<4x768xf32>) {
  linalg.copy ins(%x : memref<4x768xf32>) outs(%out : memref<4x768xf32>)
  return
}

// CHECK-LABEL: func.func @writes_in_body(
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.generic
func.func @writes_in_body(%x: memref<?x?xi64>, %out: memref<?x?xi64>, %log: memref<1xi64>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xi64>) outs(%out : memref<?x?xi64>) {
  ^bb0(%a: i64, %o: i64):
    %c0 = arith.constant 0 : index
    memref.store %a, %log[%c0] : memref<1xi64>
    linalg.yield %a : i64
  }
  return
}

// CHECK-LABEL: func.func @broadcast_output(
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.generic
func.func @broadcast_output(%x: memref<?x768xf32>, %out: memref<768xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x768xf32>) outs(%out : memref<768xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// CHECK-LABEL: func.func private @helper(
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.copy
func.func private @helper(%x: memref<?x768xf32>, %out: memref<?x768xf32>) {
  linalg.copy ins(%x : memref<?x768xf32>) outs(%out : memref<?x768xf32>)
  return
}

// Leading loops of static size 1 are not cut; when only the innermost is
// left, it is cut itself, in runs of 8192.
// CHECK-LABEL: func.func @one_row(
// CHECK: %[[C8192:.+]] = arith.constant 8192 : index
// CHECK: arith.select %{{.+}}, %{{.+}}, %[[C8192]]
// CHECK: genc_cpu.parallel_for
// CHECK: memref.subview %{{.+}}[0, %{{.+}}] [1, %{{.+}}] [1, 1]
func.func @one_row(%x: memref<1x?xf32>, %out: memref<1x?xf32>) {
  linalg.copy ins(%x : memref<1x?xf32>) outs(%out : memref<1x?xf32>)
  return
}

// A gather whose body checks its index and reports a failure to the
// runtime (which records it atomically): threaded. The same nest calling
// any other function stays serial.
// CHECK-LABEL: func.func @checked_gather(
// CHECK: genc_cpu.parallel_for
// CHECK: scf.if
// CHECK: func.call @genc_index_error
func.func private @genc_index_error(!llvm.ptr, i64, i64, i64)
func.func @checked_gather(%context: !llvm.ptr {genc.context}, %ids: memref<?xi64>, %table: memref<1024x256xf32>, %out: memref<?x256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%ids : memref<?xi64>) outs(%out : memref<?x256xf32>) {
  ^bb0(%id: i64, %o: f32):
    %c1024 = arith.constant 1024 : i64
    %check = arith.constant 1 : i64
    %bad = arith.cmpi uge, %id, %c1024 : i64
    scf.if %bad {
      func.call @genc_index_error(%context, %check, %id, %c1024) : (!llvm.ptr, i64, i64, i64) -> ()
    }
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 1 : index
    %v = memref.load %table[%row, %col] : memref<1024x256xf32>
    linalg.yield %v : f32
  }
  return
}

// CHECK-LABEL: func.func @calls_another_function(
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.generic
func.func private @report(i64)
func.func @calls_another_function(%ids: memref<?xi64>, %out: memref<?x256xi64>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%ids : memref<?xi64>) outs(%out : memref<?x256xi64>) {
  ^bb0(%id: i64, %o: i64):
    func.call @report(%id) : (i64) -> ()
    linalg.yield %id : i64
  }
  return
}

// An input on the output's buffer read through another map (row 0 of the
// buffer it writes): a task could read what another writes. Serial.
// CHECK-LABEL: func.func @reads_own_output(
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.generic
func.func @reads_own_output(%buf: memref<?x768xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%buf : memref<?x768xf32>) outs(%buf : memref<?x768xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// A matmul's epilogue runs on the kernel's tasks already: its nest is left
// as it is.
// CHECK-LABEL: func.func @in_tile_epilogue(
// CHECK: genc_cpu.tile_epilogue : !llvm.ptr {
// CHECK-NOT: genc_cpu.parallel_for
// CHECK: linalg.generic
// CHECK: genc_cpu.tile_epilogue_end
func.func @in_tile_epilogue(%x: memref<?x?x768xf32>, %out: memref<?x?x768xf32>) -> !llvm.ptr {
  %epilogue = genc_cpu.tile_epilogue : !llvm.ptr {
  ^bb0(%row0: i64, %row1: i64, %col0: i64, %col1: i64):
    linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%x : memref<?x?x768xf32>) outs(%out : memref<?x?x768xf32>) {
    ^bb0(%a: f32, %o: f32):
      %s = arith.addf %a, %a : f32
      linalg.yield %s : f32
    }
    genc_cpu.tile_epilogue_end
  }
  return %epilogue : !llvm.ptr
}
