#!/usr/bin/python3
"""Draws one roofline for several compile reports (genc compile --report
FILE.json --profile-input ...): what each profiled run's matmuls achieved,
GFLOP/s against FLOPs per byte of weights and activations moved, under the
machine's measured peaks (FMA throughput and read bandwidth, from the
first report). bf16, int8 and int4 points sit under a second, derived
roof: AVX512-BF16's and AVX512-VNNI's (int16) dot products do two
multiply-adds per 32-bit lane where an FMA does one. Where the report
measured AMX's bf16 tiles (tdpbf16ps), bf16 runs of 16 rows or more sit
under that third roof instead (the kernels use the tiles from 16 rows).

Usage: roofline.py OUT.svg LABEL=REPORT.json [LABEL=REPORT.json ...]

A label's first word names the model, its second the weight format (the
point's colour); a profiled run of one token is a decode step, of more a
prefill (the point's shape). Prints the table it plots.
"""
import json
import math
import sys

COLOURS = {"f32": "#1f77b4", "int8": "#2ca02c", "bf16": "#d62728", "int4": "#9467bd"}
WIDTH, HEIGHT = 960, 560
LEFT, RIGHT, TOP, BOTTOM = 80, 290, 40, 60


def points(label, report):
    """(label, run name, FLOP/byte, GFLOP/s, GB/s, rows of A) for each
    profiled run."""
    for run in report["profile"]:
        seconds = run["seconds"].get("matmul", 0)
        if seconds <= 0 or run["matmul_bytes"] <= 0:
            continue
        flops, moved = run["matmul_flops"], run["matmul_bytes"]
        name = "decode" if run["tokens"] == 1 else "prefill %d" % run["tokens"]
        rows = run["tokens"] * run.get("batch", 1)
        yield label, name, flops / moved, flops / seconds / 1e9, moved / seconds / 1e9, rows


def decades(low, high):
    return math.floor(math.log10(low)), math.ceil(math.log10(high))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    reports = [arg.split("=", 1) for arg in sys.argv[2:]]
    loaded = [(label, json.load(open(path))) for label, path in reports]
    machine = loaded[0][1]["machine"]
    peak_flops = machine["peak_flops_per_second"] / 1e9
    peak_bytes = machine["bytes_per_second"] / 1e9
    amx_flops = machine.get("amx_bf16_flops_per_second", 0) / 1e9
    rows = [p for label, report in loaded for p in points(label, report)]

    def compute_roof(label, rows_of_a):
        # The bf16 kernels use the AMX tiles for 16 rows or more.
        if label.endswith("bf16") and rows_of_a >= 16 and amx_flops > 0:
            return amx_flops
        return peak_flops * (2 if label.endswith(("bf16", "int8", "int4")) else 1)

    if not rows:
        sys.exit("error: no report has a profiled run with matmul time (--profile-input)")

    print("machine: %.1f GFLOP/s, %.1f GB/s (%d threads, %s%s)" %
          (peak_flops, peak_bytes, machine["threads"], machine["vector_isa"],
           ", AMX bf16 %.0f GFLOP/s" % amx_flops if amx_flops > 0 else ""))
    print("| model, weights | run | FLOP/byte | GFLOP/s | GB/s | of the roof |")
    print("|---|---|---|---|---|---|")
    for label, run, intensity, gflops, gbytes, rows_of_a in rows:
        roof = min(compute_roof(label, rows_of_a), peak_bytes * intensity)
        print("| %s | %s | %.2f | %.1f | %.1f | %.0f%% |" %
              (label, run, intensity, gflops, gbytes, 100 * gflops / roof))

    x0, x1 = decades(min(r[2] for r in rows) / 2, max(r[2] for r in rows) * 2)
    y0, y1 = decades(min(r[3] for r in rows) / 2, max(peak_flops * 4, amx_flops * 2))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x):
        return LEFT + (math.log10(x) - x0) / (x1 - x0) * plot_w

    def py(y):
        return TOP + plot_h - (math.log10(y) - y0) / (y1 - y0) * plot_h

    svg = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (WIDTH, HEIGHT),
           '<rect width="100%" height="100%" fill="white"/>']
    for d in range(x0, x1 + 1):
        x = px(10 ** d)
        svg.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' %
                   (x, TOP, x, TOP + plot_h))
        svg.append('<text x="%.1f" y="%d" text-anchor="middle">%g</text>' %
                   (x, TOP + plot_h + 18, 10 ** d))
    for d in range(y0, y1 + 1):
        y = py(10 ** d)
        svg.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' %
                   (LEFT, y, LEFT + plot_w, y))
        svg.append('<text x="%d" y="%.1f" text-anchor="end">%g</text>' % (LEFT - 6, y + 4, 10 ** d))
    svg.append('<text x="%.1f" y="%d" text-anchor="middle">FLOPs per byte (matmuls; weights and '
               'activations counted once)</text>' % (LEFT + plot_w / 2, HEIGHT - 15))
    svg.append('<text x="20" y="%.1f" text-anchor="middle" transform="rotate(-90 20 %.1f)">'
               'GFLOP/s</text>' % (TOP + plot_h / 2, TOP + plot_h / 2))
    # The roof: bandwidth times intensity up to the FMA peak.
    knee = peak_flops / peak_bytes
    lo, hi = 10 ** x0, 10 ** x1
    # The slope starts where it enters the plot, at the left edge or the bottom.
    start = max(lo, 10 ** y0 / peak_bytes)
    svg.append('<polyline fill="none" stroke="black" stroke-width="2" points="%.1f,%.1f '
               '%.1f,%.1f %.1f,%.1f"/>' % (px(start), py(peak_bytes * start), px(knee),
                                           py(peak_flops), px(hi), py(peak_flops)))
    svg.append('<text x="%.1f" y="%.1f">%.0f GFLOP/s (FMA peak)</text>' %
               (px(knee) + 8, py(peak_flops) - 6, peak_flops))
    svg.append('<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="6 4" '
               'points="%.1f,%.1f %.1f,%.1f"/>' % (COLOURS["bf16"], px(2 * knee),
                                                   py(2 * peak_flops), px(hi), py(2 * peak_flops)))
    svg.append('<text x="%.1f" y="%.1f" fill="%s">bf16 and int16 dot products: 2x (derived)</text>' %
               (px(2 * knee) + 8, py(2 * peak_flops) - 6, COLOURS["bf16"]))
    if amx_flops > 0:
        amx_knee = amx_flops / peak_bytes
        svg.append('<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="2 3" '
                   'points="%.1f,%.1f %.1f,%.1f"/>' % (COLOURS["bf16"], px(amx_knee),
                                                       py(amx_flops), px(hi), py(amx_flops)))
        svg.append('<text x="%.1f" y="%.1f" fill="%s" text-anchor="end">AMX bf16 tiles: %.0f '
                   'GFLOP/s (measured)</text>' % (px(hi) - 4, py(amx_flops) - 6, COLOURS["bf16"],
                                                  amx_flops))
    svg.append('<text x="%.1f" y="%.1f" transform="rotate(-38 %.1f %.1f)">%.1f GB/s (read)'
               '</text>' % (px(lo) + 30, py(peak_bytes * lo * 3) - 8, px(lo) + 30,
                            py(peak_bytes * lo * 3) - 8, peak_bytes))
    legend_y = TOP + 10
    for label, run, intensity, gflops, _, _ in rows:
        colour = COLOURS.get(label.split()[1] if " " in label else label, "#555")
        x, y = px(intensity), py(gflops)
        if run == "decode":
            svg.append('<circle cx="%.1f" cy="%.1f" r="6" fill="%s"/>' % (x, y, colour))
        else:
            svg.append('<rect x="%.1f" y="%.1f" width="12" height="12" fill="%s"/>' %
                       (x - 6, y - 6, colour))
        svg.append('<text x="%d" y="%d" fill="%s">%s, %s: %.0f GFLOP/s</text>' %
                   (LEFT + plot_w + 12, legend_y, colour, label, run, gflops))
        legend_y += 18
    svg.append('<text x="%d" y="%d">circle: decode, square: prefill</text>' %
               (LEFT + plot_w + 12, legend_y + 8))
    svg.append('</svg>')
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
