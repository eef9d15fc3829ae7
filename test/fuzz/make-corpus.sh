#!/usr/bin/env bash
# Makes the fuzzers' seed corpora under OUT (default: build-fuzz/corpus):
#   onnx/      the repository's small .onnx models (those without external
#              data) and every 6th model of ONNX's node tests
#   onnxtext/  the repository's .onnxtext files
#   pb/        the inputs of the same sample of node tests
#   npy/       a few .npy files of several dtypes and ranks
#   signature/ test/fuzz/seeds/signature (a signature, a NUL, a weights file)
# Usage: test/fuzz/make-corpus.sh [OUT]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build-fuzz/corpus}
node=${GENC_ONNX_NODE_TESTS:-/usr/share/libonnx-testdata/data/node}
mkdir -p "$out"/{onnx,onnxtext,pb,npy,signature}

# Seeds over 256 KiB slow every mutation down; models whose external data
# would be missing only exercise one error.
small() { [ "$(stat -c %s "$1")" -le 262144 ] && ! grep -qa 'location' "$1"; }
copy() { cp "$1" "$2/$(echo "$1" | sed "s|^$root/||; s|^$node/||; s|/|_|g")"; }

for f in "$root"/test/*/Inputs/*.onnx "$root"/test/*/*/Inputs/*.onnx "$root"/models/fixtures/*.onnx; do
  [ -f "$f" ] && small "$f" && copy "$f" "$out/onnx"
done
if [ -d "$node" ]; then
  i=0
  for d in "$node"/*/; do
    i=$((i + 1))
    [ $((i % 6)) -eq 0 ] || continue
    [ -f "$d/model.onnx" ] && small "$d/model.onnx" && copy "$d/model.onnx" "$out/onnx"
    for pb in "$d"/test_data_set_0/*.pb; do
      [ -f "$pb" ] && [ "$(stat -c %s "$pb")" -le 65536 ] && copy "$pb" "$out/pb"
    done
  done
fi
find "$root/test" -name '*.onnxtext' -size -64k -not -path '*/fuzz/*' |
  while read -r f; do copy "$f" "$out/onnxtext"; done
cp "$root"/test/fuzz/seeds/signature/* "$out/signature/"

python3 - "$out/npy" <<'PY'
import struct, sys
def npy(name, descr, shape, data, version=1):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
    pad = 10 if version == 1 else 12
    header += " " * (63 - (pad + len(header)) % 64) + "\n"
    size = struct.pack("<H" if version == 1 else "<I", len(header))
    with open(sys.argv[1] + "/" + name, "wb") as f:
        f.write(b"\x93NUMPY" + bytes([version, 0]) + size + header.encode() + data)
npy("f32-2x3.npy", "<f4", "(2, 3)", struct.pack("<6f", *range(6)))
npy("i64-2.npy", "<i8", "(2,)", struct.pack("<2q", 1, 2))
npy("bool-scalar.npy", "|b1", "()", b"\x01")
npy("f16-empty.npy", "<f2", "(0, 4)", b"")
npy("u8-v2.npy", "|u1", "(3,)", b"abc", version=2)
PY
for d in onnx onnxtext pb npy signature; do
  echo "$d: $(ls "$out/$d" | wc -l) files"
done
