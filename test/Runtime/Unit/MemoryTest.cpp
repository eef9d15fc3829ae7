//===- MemoryTest.cpp - the block cache compiled code allocates from -------===//

#include "genc/kernels.h"

#include <gtest/gtest.h>

#include <cstdint>

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size);

namespace {

// A decoding loop asks for a little more every step: a freed block serves
// the next, slightly larger request of its size class.
TEST(BlockCache, ServesGrowingRequestsFromOneBlock) {
  void *first = _mlir_memref_to_llvm_alloc(1000000);
  genc_artifact_free(first);
  void *second = _mlir_memref_to_llvm_alloc(1000000 + 4096);
  EXPECT_EQ(second, first);
  genc_artifact_free(second);
}

// Classes are at most 1/8 larger than the request, so a much larger request
// gets a block of its own, and blocks are 64-byte aligned.
TEST(BlockCache, ClassesStayTight) {
  void *small = _mlir_memref_to_llvm_alloc(1000000);
  genc_artifact_free(small);
  void *large = _mlir_memref_to_llvm_alloc(1000000 + (1 << 18));
  EXPECT_NE(large, small);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(large) % 64, 0u);
  void *again = _mlir_memref_to_llvm_alloc(1000000 - 100);
  EXPECT_EQ(again, small);
  genc_artifact_free(large);
  genc_artifact_free(again);
}

} // namespace
