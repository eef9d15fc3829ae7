#!/usr/bin/env bash
# Builds genc's libFuzzer targets (test/fuzz) and runs each in turn, then
# prints what each did: executions, exec/s, corpus size, libFuzzer's
# coverage (cov: edges, ft: features) and the crash it stopped at, if any.
# Usage: bench/fuzz.sh [-t SECONDS] [-n RUNS] [-B] [TARGET...]
#   TARGET: onnx onnxtext pb npy signature session (default: all), each run for at
#   most SECONDS (default 300) and RUNS inputs (default: no limit); -B
#   runs what is built without building.
# Build dir: $GENC_BUILD_DIR or build-fuzz/. The corpora grow in
# BUILD/corpus/TARGET (seeded by test/fuzz/make-corpus.sh); crashing inputs
# land in BUILD/crashes/. A crash is a bug: fix it, add the input to
# test/fuzz/regressions/ (test/fuzz/regressions.test runs genc on it).
# Needs clang's sanitizer runtimes (Debian: libclang-rt-22-dev).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export GENC_BUILD_DIR=${GENC_BUILD_DIR:-$root/build-fuzz}
build=$GENC_BUILD_DIR
seconds=300 runs=-1 rebuild=1
while getopts t:n:B opt; do
  case $opt in
    t) seconds=$OPTARG ;;
    n) runs=$OPTARG ;;
    B) rebuild=0 ;;
    *) sed -n '5,8p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
targets=${*:-onnx onnxtext pb npy signature session}

[ $rebuild = 0 ] || nice -n 10 bash "$root/scripts/build.sh" --fuzz -j2 $(printf 'genc-fuzz-%s ' $targets) genc
[ -d "$build/corpus" ] || bash "$root/test/fuzz/make-corpus.sh" "$build/corpus/seeds"
mkdir -p "$build/crashes" "$build/corpus/seeds/session"
# The session target drives the zoo's LLaMA-style decoder (small: the
# calls, not the model, are under test; vocabulary 256, as the fuzzed token
# ids), compiled for sessions by this build's genc (so its kernels are
# sanitized too).
if [[ " $targets " == *" session "* ]]; then
  [ -f "$build/zoo/llama-with-past-opset17.onnx" ] ||
    /usr/bin/python3 "$root/models/zoo.py" "$build/zoo" > "$build/zoo.log" 2>&1
  export GENC_FUZZ_SESSION_MODEL=$build/session-model.so
  "$build/tools/genc/genc" compile "$build/zoo/llama-with-past-opset17.onnx" \
    --kv-cache=session -o "$GENC_FUZZ_SESSION_MODEL" --quiet
fi

# As scripts/test-sanitized.sh: ignore LLVM allocators' own poisoning,
# which the system's unsanitized MLIR does not undo.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0}
summary=()
for t in $targets; do
  corpus=$build/corpus/$t log=$build/fuzz-$t.log
  mkdir -p "$corpus"
  dict=() timeout=1
  case $t in onnx | onnxtext) dict=(-dict="$root/test/fuzz/onnx.dict") ;; esac
  # Sessions run their own thread pools: on a loaded machine a descheduled
  # worker alone can stall a call for a second.
  [ "$t" = session ] && timeout=5
  echo "== genc-fuzz-$t: ${seconds}s, runs $runs (log: $log)"
  status=0
  # New inputs go to the first folder; the seeds stay as they are.
  nice -n 10 "$build/test/fuzz/genc-fuzz-$t" "$corpus" "$build/corpus/seeds/$t" "${dict[@]}" \
    -runs="$runs" -max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/crashes/$t-" > "$log" 2>&1 || status=$?
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
  crash=$(sed -n 's/.*Test unit written to \(.*\)/\1/p' "$log" | tail -n 1)
  line="genc-fuzz-$t: $(stat number_of_executed_units) execs, $(stat average_exec_per_sec) exec/s, corpus $(ls "$corpus" | wc -l) new + $(ls "$build/corpus/seeds/$t" | wc -l) seeds, cov $cov, ft $ft"
  if [ "$status" -ne 0 ]; then
    line+=", STOPPED (status $status): ${crash:-see $log}"
    grep -m1 -E 'ERROR: |runtime error:|deadly signal' "$log" >&2 || true
  fi
  echo "$line"
  summary+=("$line")
done
echo "== summary"
printf '%s\n' "${summary[@]}"
