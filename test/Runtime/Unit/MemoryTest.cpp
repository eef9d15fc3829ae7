//===- MemoryTest.cpp - the block cache compiled code allocates from -------===//

#include "CheckMessage.h"
#include "genc/kernels.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>

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

// Entry points count the blocks a call holds in its context; a request
// that cannot be met records its check and bytes, and the blocks the call
// still holds are there for the caller to free.
TEST(CallBlocks, CountsWhatTheCallHoldsAndRecordsAFailedRequest) {
  genc_context context = {};
  void *kept = genc_alloc(&context, 1, 256);
  void *released = genc_alloc(&context, 2, 512);
  ASSERT_NE(kept, nullptr);
  ASSERT_NE(released, nullptr);
  EXPECT_EQ(context.block_count, 2);
  genc_release(&context, released);
  ASSERT_EQ(context.block_count, 1);
  EXPECT_EQ(context.blocks[0], kept);

  EXPECT_EQ(genc_alloc(&context, 3, INT64_MAX), nullptr);
  EXPECT_EQ(context.out_of_memory, 3);
  EXPECT_EQ(context.failed_check, 3);
  EXPECT_EQ(context.failed_index, INT64_MAX);
  EXPECT_EQ(context.block_count, 1);

  genc_release(&context, kept);
  EXPECT_EQ(context.block_count, 0);
  genc_artifact_free(context.blocks);
}

// After a failed check the call's results are nobody's and its sizes may
// be garbage: the next allocation stops the call, the check kept.
TEST(CallBlocks, AFailedCheckStopsTheCallAtItsNextAllocation) {
  genc_context context = {};
  context.failed_check = 7;
  context.failed_index = -5;
  EXPECT_EQ(genc_alloc(&context, 2, 64), nullptr);
  EXPECT_EQ(context.failed_check, 7);
  EXPECT_EQ(context.failed_index, -5);
  EXPECT_EQ(context.out_of_memory, 0);
  EXPECT_EQ(context.block_count, 0);
  genc_artifact_free(context.blocks);
}

// The count grows past its first capacity.
TEST(CallBlocks, CountsManyBlocks) {
  genc_context context = {};
  void *blocks[300];
  for (void *&block : blocks)
    ASSERT_NE(block = genc_alloc(&context, 1, 64), nullptr);
  EXPECT_EQ(context.block_count, 300);
  for (int i = 0; i < 300; i += 2)
    genc_release(&context, blocks[i]);
  EXPECT_EQ(context.block_count, 150);
  for (int i = 1; i < 300; i += 2)
    genc_release(&context, blocks[i]);
  EXPECT_EQ(context.block_count, 0);
  EXPECT_EQ(context.out_of_memory, 0);
  genc_artifact_free(context.blocks);
}

// The runtime's message for a failed call: the check's line of the
// artifact's table, with a kernel's reason, then the index and bound,
// filled in; without a line, what the context says.
TEST(CheckMessage, FillsTheCheckLineWithTheKernelsReason) {
  const char *table = "1 node 'a' of m.onnx: a buffer of {index} bytes could not be allocated\n"
                      "2 node 'mm' of m.onnx: {reason}\n";
  genc_context context = {};
  context.failed_check = 2;
  context.failed_index = 6;
  context.failed_bound = 4;
  context.failed_reason = "{index} query heads over {bound}";
  EXPECT_EQ(genc::runtime::failedCheckMessage(table, context),
            "node 'mm' of m.onnx: 6 query heads over 4");
  context.failed_check = context.out_of_memory = 1;
  context.failed_reason = nullptr;
  EXPECT_EQ(genc::runtime::failedCheckMessage(table, context),
            "node 'a' of m.onnx: a buffer of 6 bytes could not be allocated");
  context.failed_check = 3;
  EXPECT_EQ(genc::runtime::failedCheckMessage(nullptr, context),
            "an index (6) is out of range for a dimension of size 4 (check 3)");
}

} // namespace
