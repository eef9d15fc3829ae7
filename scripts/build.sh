#!/usr/bin/env bash
# Configures and builds genc with clang-22, ninja and ccache (when present).
# Usage: scripts/build.sh [--sanitize[=LIST]] [--fuzz] [ninja targets...]
#   (build dir: $GENC_BUILD_DIR, else build/, build-asan/ or build-fuzz/)
# --sanitize builds everything, kernels included, with ASan+UBSan (or LIST,
# e.g. thread); --fuzz adds the libFuzzer targets (test/fuzz). Both need
# clang's sanitizer runtimes (Debian's libclang-rt-22-dev, installed here
# when missing). The options are read when a build dir is first configured.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sanitize="" fuzz=OFF default=build
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize=address,undefined default=build-asan ;;
    --sanitize=*) sanitize=${1#--sanitize=} default=build-${sanitize//,/-} ;;
    --fuzz) fuzz=ON default=build-fuzz ;;
    *) break ;;
  esac
  shift
done
build=${GENC_BUILD_DIR:-$root/$default}
# Sanitized and fuzzing builds link clang's sanitizer runtimes.
if [ -n "$sanitize" ] || [ "$fuzz" = ON ]; then
  if ! dpkg-query -W -f='${Status}' libclang-rt-22-dev 2>/dev/null | grep -q 'install ok installed'; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libclang-rt-22-dev
  fi
fi
# Paths relative to the checkout, so CI's fresh clone in another folder
# still hits the cache a developer's build left.
export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=true
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DGENC_SANITIZE="$sanitize" -DGENC_FUZZ="$fuzz"
fi
cmake --build "$build" -- "$@"
