#!/usr/bin/env bash
# Builds genc with ASan+UBSan (scripts/build.sh --sanitize: genc, genc-opt,
# the runtime, the kernels artifacts link, the test programs) and runs lit
# on a part of the suite, any sanitizer report failing its test.
# Usage: scripts/test-sanitized.sh [LIT PATHS...]   (default: test/Runtime
#   test/Import test/fuzz; paths relative to test/)
# Build dir: $GENC_BUILD_DIR or build-asan/. .ci/run runs it on the default
# subset after the full suite (the whole suite sanitized runs 2-3x slower
# than it, and the sanitized build is a second full build).
# Needs clang's sanitizer runtimes (Debian: libclang-rt-22-dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export GENC_BUILD_DIR=${GENC_BUILD_DIR:-$root/build-asan}
nice -n 10 bash "$root/scripts/build.sh" --sanitize genc genc-opt genc_run_model_example \
  genc-runtime-tests genc-session-check genc-tokenize genc-lifetime-check genc-concurrent-check genc-session-replay
# Leaks count; a finding stops the program with a stack (lit shows it).
# LLVM's BumpPtrAllocator poisons a new slab where sanitized code (genc's,
# inlined from LLVM's headers) allocates it, and only sanitized code
# unpoisons what it hands out: an attribute that the system's unsanitized
# MLIR later puts in that slab reads as poisoned. allow_user_poisoning=0
# ignores such poisoning, which is the allocators' own bookkeeping.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:detect_stack_use_after_return=1:allow_user_poisoning=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# resource-limits.test and embed.test run programs under `ulimit -v`,
# which leaves no room for ASan's shadow memory.
if [ -z "${LIT_FILTER_OUT:-}" ]; then
  export LIT_FILTER_OUT='resource-limits|embed'
fi
paths=()
for p in "${@:-Runtime Import fuzz}"; do
  for q in $p; do paths+=("$GENC_BUILD_DIR/test/$q"); done
done
/usr/lib/llvm-22/bin/lit -sv "${paths[@]}"
