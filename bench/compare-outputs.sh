#!/usr/bin/env bash
# Whether two genc builds compute the same bits: each zoo MODEL (a file
# name in ZOO_DIR, as models/zoo.py writes them) compiled by each build
# with the same flags, run on the same inputs (batch 2, 37 tokens; models
# with a KV cache also 11 cached positions) with 2 threads, and every
# output compared byte for byte. For a change that claims to be exact
# (docs/passes.md). Prints one line per output, "identical" or "DIFFER",
# and exits 1 if any differs. Not a test: docs/results.md quotes it with
# the command.
# Usage: bench/compare-outputs.sh OLD_GENC NEW_GENC ZOO_DIR WORK_DIR \
#          "MODEL..." [COMPILE FLAGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
old=$1 new=$2 zoo=$3 work=$4 models=$5
shift 5
mkdir -p "$work"
status=0
for model in $models; do
  onnx="$zoo/$model.onnx"
  past=()
  case $model in *with-past*) past=(--past 11) ;; esac
  inputs=$(/usr/bin/python3 "$root/models/make_inputs.py" "$onnx" "$work/inputs-$model" \
             --batch 2 --sequence 37 "${past[@]}")
  args=()
  for spec in $inputs; do args+=(--input "$spec"); done
  for build in old new; do
    genc=$old
    [ $build = new ] && genc=$new
    "$genc" compile "$onnx" -o "$work/$model-$build.so" --quiet "$@"
    rm -rf "$work/outputs-$model-$build"
    "$genc" run "$work/$model-$build.so" "${args[@]}" --threads 2 \
      --output-dir "$work/outputs-$model-$build" > /dev/null
  done
  # Every output either build wrote.
  for name in $( (ls "$work/outputs-$model-old"; ls "$work/outputs-$model-new") | sort -u); do
    if cmp -s "$work/outputs-$model-old/$name" "$work/outputs-$model-new/$name"; then
      echo "$model $* $name: identical"
    else
      echo "$model $* $name: DIFFER"
      status=1
    fi
  done
done
exit $status
