"""Exits 1 unless two outputs of genc generate hold the same sequences: equal
text lines, or (JSON) equal sequences, the statistics' timings aside."""
import json
import sys

a, b = (open(p).read() for p in sys.argv[1:3])
if a.startswith("{"):
    a, b = json.loads(a)["sequences"], json.loads(b)["sequences"]
if a != b:
    sys.exit(f"different sequences:\n{a}\n{b}")
