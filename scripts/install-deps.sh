#!/usr/bin/env bash
# Installs every system dependency genc needs: Debian packages for the
# toolchain, the model zoo and the conformance data. Idempotent: a package
# already present is skipped, so a warm machine pays only for dpkg queries.
set -euo pipefail

debian_packages=(
  # Toolchain: LLVM/MLIR 22, clang-22, lit/FileCheck, ninja, ccache.
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  cmake ninja-build ccache
  # ONNX: protobuf, onnx.proto, libonnx_proto, the text parser, node tests.
  libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  # Runtime tests.
  googletest libgtest-dev libbenchmark-dev
  # Programs built against an installed genc (test/Target/embed.test).
  g++ make pkg-config
  # Model zoo: torch exporter and onnx helper under /usr/bin/python3.
  python3-torch python3-onnx python3-numpy libopenblas0-pthread python3-sentencepiece
  # The compile report's page rendered in a real browser (test/E2E/compile-report.test).
  chromium fonts-liberation
)

missing=()
for pkg in "${debian_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi

# ONNX Runtime, Hugging Face's tokenizers.js and GPT-2's BPE ranks
# (gpt-tokenizer) for reference outputs (tests only), pinned by the lockfile.
# --ignore-scripts: its install script downloads GPU libraries and fails;
# the CPU library ships inside the package.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
reference="$(cd "$(dirname "$0")/.." && pwd)/tools/reference"
for package in onnxruntime-node @huggingface/tokenizers gpt-tokenizer; do
  if [ ! -f "$reference/node_modules/$package/package.json" ]; then
    (cd "$reference" && npm ci --ignore-scripts --no-audit --no-fund)
    break
  fi
done
