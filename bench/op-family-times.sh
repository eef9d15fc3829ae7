#!/usr/bin/env bash
# Where a step's time goes, for several genc builds side by side: the
# GPT-2-small-sized and LLaMA-style benchmark models (f32, KV cache in
# their inputs and outputs) compiled by each build with op-family
# profiling (genc compile --profile-input: the mean of 5 runs after a
# warm-up, every thread) on a 128-token prefill and one decode step after
# 127 cached positions, ROUNDS times, builds alternating. Prints the
# milliseconds per op family and the profiled run's wall time, the median
# over the rounds. For a change to genc's loop nests: what moved between
# families, and what it saved. The profiled runs follow the compile that
# wrote the weights file, which these VMs map slowly for a while
# (docs/results.md, "A freshly written weights file"): decode steps, which
# stream the weights, vary by tens of percent here; time them with
# bench/compare-compilers.sh. Not a test: docs/results.md quotes it with
# the command.
# Usage: bench/op-family-times.sh WORK_DIR ROUNDS LABEL=GENC [LABEL=GENC...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/benchmark-models.sh"
work=$1 rounds=$2
shift 2
mkdir -p "$work"
ensure_benchmark_models "$work"
reports=()
for m in gpt2-small llama-small; do
  prefill=$(benchmark_inputs "$work" $m families-$m-prefill 128 0 | paste -sd,)
  decode=$(benchmark_inputs "$work" $m families-$m-decode 1 127 | paste -sd,)
  for round in $(seq "$rounds"); do
    for build in "$@"; do
      label=${build%%=*} genc=${build#*=}
      report="$work/families-$m-$label-$round.json"
      "$genc" compile "$work/$m-with-past-opset17.onnx" -o "$work/families.so" --quiet \
        --report "$report" --profile-input "$prefill" --profile-input "$decode" \
        2> "$work/families.log"
      reports+=("$m $label $report")
    done
  done
done
/usr/bin/python3 - "${reports[@]}" <<'EOF'
import json, statistics, sys
from collections import defaultdict

times = defaultdict(list)  # (model, run, family, label) -> [ms]
labels, families = [], []
for entry in sys.argv[1:]:
    model, label, path = entry.split(" ", 2)
    if label not in labels:
        labels.append(label)
    for profile in json.load(open(path))["profile"]:
        run = "prefill" if profile["tokens"] > 1 else "decode"
        for family, seconds in profile["seconds"].items():
            if family not in families:
                families.append(family)
            times[model, run, family, label].append(1e3 * seconds)
        times[model, run, "wall", label].append(1e3 * profile["wall_seconds"])
print("| model | run | op family | " + " | ".join(f"{l} ms" for l in labels) + " |")
print("|---|---|---|" + "---|" * len(labels))
for model in ("gpt2-small", "llama-small"):
    for run in ("prefill", "decode"):
        for family in families + ["wall"]:
            cells = [statistics.median(times[model, run, family, l]) for l in labels]
            if max(cells) < 0.005:
                continue
            print(f"| {model} | {run} | {family} | " +
                  " | ".join(f"{c:.3f}" if c < 10 else f"{c:.1f}" for c in cells) + " |")
EOF
