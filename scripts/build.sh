#!/usr/bin/env bash
# Configures and builds genc with clang-22, ninja and ccache (when present).
# Usage: scripts/build.sh [ninja targets...]   (build dir: $GENC_BUILD_DIR or build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${GENC_BUILD_DIR:-$root/build}
# Paths relative to the checkout, so CI's fresh clone in another folder
# still hits the cache a developer's build left.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir
fi
cmake --build "$build" -- "$@"
