//===- Memory.cpp - the buffers compiled code allocates --------------------===//
//
// Compiled code allocates its intermediate buffers per call (MLIR's
// `use-generic-functions` allocation hooks). Handing them back to malloc
// returns large blocks to the kernel, and the next call pays a page fault
// per 4 KiB again: a fifth of a GPT-2 prefill. Freed blocks are kept
// instead. A decoding loop asks for sizes that grow by one position per
// step, so blocks come in size classes (eight per power of two, at most
// 1/8 more than asked for) and a request takes a kept block of its class.
// The cache holds at most kSlots blocks; when it is full, the oldest goes
// back to malloc.
//
// Entry points allocate through genc_alloc, which counts each call's blocks
// in its context: a request that cannot be met fails the call, and the
// caller frees what the call had allocated.
//
//===----------------------------------------------------------------------===//

#include "genc/kernels.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr size_t kAlignment = 64; // a cache line, and what AVX-512 loads like
constexpr int kSlots = 512;

struct Slot {
  void *block;
  size_t size;
};

/// Blocks carry their size in the kAlignment bytes before the pointer.
size_t &sizeOf(void *ptr) { return *reinterpret_cast<size_t *>(static_cast<char *>(ptr) - kAlignment); }

/// The size of the block that serves a request of `size` bytes.
size_t sizeClass(size_t size) {
  if (size <= 4096)
    return (size + kAlignment - 1) / kAlignment * kAlignment;
  size_t step = (size_t(1) << (63 - __builtin_clzll(size))) / 8;
  return (size + step - 1) / step * step;
}

class BlockCache {
public:
  /// A kept block of exactly `size` bytes (a size class), the most recently
  /// kept first.
  void *take(size_t size) {
    Lock lock(busy);
    for (int i = count; i-- > 0;)
      if (slots[i].size == size) {
        void *block = slots[i].block;
        remove(i);
        return block;
      }
    return nullptr;
  }
  /// Gives every kept block back to malloc.
  void drain() {
    Lock lock(busy);
    for (int i = 0; i < count; ++i)
      std::free(static_cast<char *>(slots[i].block) - kAlignment);
    count = 0;
  }
  /// Keeps `ptr`; returns the oldest block when there is no room for it.
  void *keep(void *ptr) {
    Lock lock(busy);
    void *evicted = nullptr;
    if (count == kSlots) {
      evicted = slots[0].block;
      remove(0);
    }
    slots[count++] = Slot{ptr, sizeOf(ptr)};
    return evicted;
  }

private:
  struct Lock {
    explicit Lock(std::atomic_flag &f) : flag(f) {
      while (flag.test_and_set(std::memory_order_acquire)) {
      }
    }
    ~Lock() { flag.clear(std::memory_order_release); }
    std::atomic_flag &flag;
  };
  /// Slots stay in the order blocks were kept.
  void remove(int i) {
    for (; i + 1 < count; ++i)
      slots[i] = slots[i + 1];
    --count;
  }
  std::atomic_flag busy = ATOMIC_FLAG_INIT;
  Slot slots[kSlots];
  int count = 0;
};

BlockCache cache;

/// The cache lives in the artifact, which is unloaded when its last model
/// and result are freed: its blocks go back to malloc first, or every
/// load and unload of a model would leak up to kSlots of them. (A
/// destructor function, not a C++ one: the kernels need no C++ runtime.)
__attribute__((destructor)) void drainCache() { cache.drain(); }

void release(void *ptr) {
  if (ptr)
    std::free(static_cast<char *>(ptr) - kAlignment);
}

/// MLIR's allocation hooks return no error: compiled code that calls them
/// writes to what they return, and stopping with the size beats a write
/// through a null pointer. (Entry points allocate with genc_alloc.)
[[noreturn]] void outOfMemory(size_t size) {
  std::fprintf(stderr, "genc: compiled code could not allocate %zu bytes\n", size);
  std::abort();
}

/// A block of `size` bytes or more, from the cache or from malloc; null
/// when neither has one.
void *allocate(size_t size) {
  // Rounding a size this large up to its class would wrap around.
  if (size > (SIZE_MAX >> 2))
    return nullptr;
  size = sizeClass(size);
  if (void *block = cache.take(size))
    return block;
  void *raw = nullptr;
  if (posix_memalign(&raw, kAlignment, size + kAlignment) != 0)
    return nullptr;
  void *ptr = static_cast<char *>(raw) + kAlignment;
  sizeOf(ptr) = size;
  return ptr;
}

/// Counts `block` as the call's; false when the count cannot grow. The
/// array is a block too: the caller frees it with genc_artifact_free, as
/// it frees the blocks.
bool track(genc_context &context, void *block) {
  if (context.block_count == context.block_capacity) {
    int64_t capacity = context.block_capacity ? 2 * context.block_capacity : 64;
    auto *grown = static_cast<void **>(allocate(capacity * sizeof(void *)));
    if (!grown)
      return false;
    if (context.block_count > 0)
      std::memcpy(grown, context.blocks, context.block_count * sizeof(void *));
    genc_artifact_free(context.blocks);
    context.blocks = grown;
    context.block_capacity = capacity;
  }
  context.blocks[context.block_count++] = block;
  return true;
}

} // namespace

extern "C" void *_mlir_memref_to_llvm_alloc(size_t size) {
  void *block = allocate(size);
  if (!block)
    outOfMemory(size);
  return block;
}

extern "C" void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  // Every block is kAlignment-aligned; larger alignments are not asked for.
  if (alignment > kAlignment)
    outOfMemory(size);
  return _mlir_memref_to_llvm_alloc(size);
}

extern "C" void _mlir_memref_to_llvm_free(void *ptr) {
  if (ptr)
    release(cache.keep(ptr));
}

extern "C" void *genc_alloc(genc_context *context, int64_t check, int64_t bytes) {
  size_t size = static_cast<size_t>(bytes);
  if (!context)
    return _mlir_memref_to_llvm_alloc(size);
  // After a failed check the call's results are nobody's, and the sizes
  // the check left may be garbage: the call stops here.
  if (context->failed_check != 0)
    return nullptr;
  void *block = allocate(size);
  if (block && track(*context, block))
    return block;
  _mlir_memref_to_llvm_free(block);
  // Entry points allocate on the calling thread, between threaded loop
  // nests: no task can be recording a failed check now.
  context->failed_check = check;
  context->failed_index = bytes;
  context->failed_bound = 0;
  context->out_of_memory = check;
  return nullptr;
}

extern "C" void genc_release(genc_context *context, void *block) {
  if (!block)
    return;
  if (context) {
    // A call holds few blocks at a time.
    for (int64_t i = context->block_count; i-- > 0;)
      if (context->blocks[i] == block) {
        context->blocks[i] = context->blocks[--context->block_count];
        break;
      }
  }
  _mlir_memref_to_llvm_free(block);
}

extern "C" void genc_artifact_free(void *ptr) { _mlir_memref_to_llvm_free(ptr); }
