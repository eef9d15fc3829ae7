#!/usr/bin/python3
"""Renders an HTML page in headless Chromium and checks what a reader sees.

Usage: check_report_page.py PAGE.html SCREENSHOT.png [--colour NAME=#rrggbb:MIN_PIXELS ...]

Fails (exit 1, saying why) when Chromium is missing or fails, when the page
logs anything to its console (a script error, or a resource its content
security policy refused), or when the screenshot lacks a colour: each
--colour must cover at least MIN_PIXELS pixels (a plot's series drawn in
that colour). Chromium is $CHROMIUM, else `chromium` on PATH.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import zlib


def decode_png(path):
    """(width, height, rows of (r, g, b) tuples) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, header = 8, b"", None
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d)" % (depth, colour))
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 255
        rows.append([tuple(line[x * channels:x * channels + 3]) for x in range(width)])
        previous = line
    return width, height, rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("page")
    parser.add_argument("screenshot")
    parser.add_argument("--colour", action="append", default=[])
    parser.add_argument("--window", default="1200,2000")
    args = parser.parse_args()

    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not chromium:
        sys.exit("error: Chromium is not installed (scripts/install-deps.sh installs Debian's "
                 "chromium)")
    if os.path.exists(args.screenshot):
        os.remove(args.screenshot)
    # No GPU and no sandbox: headless on a server, as root in CI. (Chromium's
    # --disable-gpu is a rendering flag; no check is skipped.)
    run = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0", "--window-size=" + args.window,
         "--screenshot=" + os.path.abspath(args.screenshot),
         "file://" + os.path.abspath(args.page)],
        capture_output=True, text=True, timeout=120)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    if console:
        sys.exit("error: the page logged to its console:\n" + "\n".join(console))
    if run.returncode != 0 or not os.path.exists(args.screenshot):
        sys.exit("error: Chromium failed (exit %d):\n%s" % (run.returncode, run.stderr[-2000:]))

    width, height, rows = decode_png(args.screenshot)
    counts = {}
    for row in rows:
        for pixel in row:
            counts[pixel] = counts.get(pixel, 0) + 1
    failed = False
    for spec in args.colour:
        name, _, rest = spec.partition("=")
        hex_colour, _, minimum = rest.partition(":")
        rgb = tuple(int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
        seen = counts.get(rgb, 0)
        if seen < int(minimum):
            print("error: %s (%s) covers %d pixels, fewer than %s" % (name, hex_colour, seen, minimum))
            failed = True
        else:
            print("%s: %d pixels" % (name, seen))
    print("screenshot %dx%d, %d colours, no console messages" % (width, height, len(counts)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
