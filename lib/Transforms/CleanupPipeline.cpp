//===- CleanupPipeline.cpp - the post-import cleanup pipeline -------------===//

#include "genc/Transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;

void genc::buildCleanupPipeline(OpPassManager &pm) {
  // Folding a shape can make a reshape static, whose result feeds another
  // shape computation: three rounds reach the fixed point on every export
  // seen so far (GPT-2, LLaMA and T5-style stacks fold in two).
  for (int round = 0; round < 3; ++round) {
    OpPassManager &fn = pm.nest<func::FuncOp>();
    fn.addPass(createFoldShapeArithmetic());
    fn.addPass(createCanonicalizerPass());
    fn.addPass(createCSEPass());
    fn.addPass(createRefineShapes());
  }
  pm.nest<func::FuncOp>().addPass(createSinkExpands());
  pm.nest<func::FuncOp>().addPass(createUnmergeQueryHeads());
  pm.addPass(createCanonicalizerPass());
}

void genc::registerAllGencPasses() {
  registerGencPasses();
  PassPipelineRegistration<>("genc-cleanup",
                             "Post-import cleanup: fold shapes, refine, "
                             "canonicalize, CSE, DCE",
                             buildCleanupPipeline);
}
