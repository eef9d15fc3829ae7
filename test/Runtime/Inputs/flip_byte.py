"""Flips every bit of the byte at OFFSET in FILE (in place).

Usage: flip_byte.py FILE OFFSET
"""
import sys

path, offset = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(offset)
    byte = f.read(1)
    f.seek(offset)
    f.write(bytes([byte[0] ^ 0xFF]))
