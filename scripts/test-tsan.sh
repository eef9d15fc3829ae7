#!/usr/bin/env bash
# ThreadSanitizer over the code that runs threads: the runtime's unit tests
# (the thread pool and the kernels' parallel loops among them), one model
# run from 4 threads at once (genc-concurrent-check) and two sessions side
# by side on two threads (genc-session-check --batch). The runtime, the
# kernels and these programs are built with -fsanitize=thread
# (scripts/build.sh --sanitize=thread, build dir $GENC_TSAN_BUILD_DIR or
# build-thread/); the models are compiled by the uninstrumented genc of
# $GENC_BUILD_DIR (or build/, built by scripts/test.sh) and linked against
# the instrumented kernels. Any report fails the script.
# Usage: scripts/test-tsan.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tsan=${GENC_TSAN_BUILD_DIR:-$root/build-thread}
plain=${GENC_BUILD_DIR:-$root/build}
GENC_BUILD_DIR=$tsan nice -n 10 bash "$root/scripts/build.sh" --sanitize=thread \
  genc-runtime-tests genc-concurrent-check genc-session-check genc_kernels
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
genc() { GENC_LIB_DIR="$tsan/lib" "$plain/tools/genc/genc" "$@"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== runtime unit tests"
"$tsan/test/genc-runtime-tests" > "$work/unit.log" 2>&1 || { cat "$work/unit.log"; exit 1; }
tail -n 3 "$work/unit.log"

echo "== one model, 4 threads at once"
/usr/bin/python3 "$root/test/Runtime/Inputs/make_weight_models.py" "$work" > /dev/null
genc compile "$work/big.onnx" -o "$work/big.so" --quiet
timeout 900 "$tsan/test/genc-concurrent-check" "$work/big.so" 1024 4 40

echo "== sessions, two side by side"
/usr/bin/python3 "$root/models/zoo.py" "$work/zoo" > "$work/zoo.log" 2>&1
genc compile "$work/zoo/llama-with-past-opset17.onnx" --kv-cache=session -o "$work/cached.so" --quiet
genc compile "$work/zoo/llama-no-past-opset17.onnx" -o "$work/full.so" --quiet
timeout 900 "$tsan/test/genc-session-check" "$work/cached.so" "$work/full.so" 16 --batch
echo "ThreadSanitizer: no report"
