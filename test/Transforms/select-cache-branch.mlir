// RUN: genc-opt --genc-select-cache-branch --canonicalize --split-input-file %s | FileCheck %s

// use_cache_branch is gone and the cached branch is what remains.
// CHECK-LABEL: func.func @merged
// CHECK-SAME: (%[[PAST:[^:]+]]: tensor<1x2x?x8xf32> {genc.name = "past"}, %[[NEW:[^:]+]]: tensor<1x2x?x8xf32> {genc.name = "new"})
// CHECK-NOT: genc.if
// CHECK: %[[K:.+]] = genc.concat %[[PAST]], %[[NEW]]
// CHECK: return %[[K]]
func.func @merged(%past: tensor<1x2x?x8xf32> {genc.name = "past"}, %new: tensor<1x2x?x8xf32> {genc.name = "new"},
                  %use: tensor<1xi1> {genc.name = "use_cache_branch"}) -> tensor<1x2x?x8xf32> {
  %r = genc.if %use : tensor<1xi1> -> tensor<1x2x?x8xf32> {
    %k = genc.concat %past, %new {axis = 2 : i64} : (tensor<1x2x?x8xf32>, tensor<1x2x?x8xf32>) -> tensor<1x2x?x8xf32>
    genc.yield %k : tensor<1x2x?x8xf32>
  } else {
    genc.yield %new : tensor<1x2x?x8xf32>
  }
  return %r : tensor<1x2x?x8xf32>
}

// -----

// Another boolean argument is not a branch choice.
// CHECK-LABEL: func.func @other
// CHECK: genc.if %arg0
func.func @other(%c: tensor<1xi1> {genc.name = "use_cache"}, %x: tensor<4xf32>) -> tensor<4xf32> {
  %r = genc.if %c : tensor<1xi1> -> tensor<4xf32> {
    genc.yield %x : tensor<4xf32>
  } else {
    %n = genc.neg %x : tensor<4xf32> -> tensor<4xf32>
    genc.yield %n : tensor<4xf32>
  }
  return %r : tensor<4xf32>
}
