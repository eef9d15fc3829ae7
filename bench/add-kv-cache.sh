#!/usr/bin/env bash
# What a compiler-added KV cache buys: greedy decoding of the trained
# fixture target (models/fixtures) exported WITHOUT a cache, run
#   - as exported (every step reruns the whole sequence),
#   - compiled with --add-kv-cache,
# beside the export WITH a cache, batch 1, in one run. Each figure is the
# median over PROMPTS prompts (fixed pseudo-random token ids; speed does
# not depend on which) of the time per generated token after the prompt,
# at prompt lengths 32, 128 and 384. Not a test: results go to
# docs/results.md with this command.
# Usage: bench/add-kv-cache.sh [WORK_DIR] [THREADS] [NEW_TOKENS] [PROMPTS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-/tmp/genc-bench-add-kv-cache}
threads=${2:-1}
new=${3:-64}
count=${4:-3}
genc=${GENC_BUILD_DIR:-$root/build}/tools/genc/genc
fixtures=$root/models/fixtures
mkdir -p "$work"
export GENC_CACHE_DIR=$work/cache
compile() { # NAME MODEL OPTIONS...
  local name=$1 model=$2; shift 2
  [ -f "$work/$name.so" ] || "$genc" compile "$fixtures/$model" --kv-cache=session "$@" -o "$work/$name.so" --quiet
}
compile added target-no-past.onnx --add-kv-cache
compile exported target-with-past.onnx
prompt() { # LENGTH SEED: comma-separated ids in 3..1023
  /usr/bin/python3 -c 'import random, sys; r = random.Random(int(sys.argv[2]));
print(",".join(str(r.randrange(3, 1024)) for _ in range(int(sys.argv[1]))))' "$1" "$2"
}
median_ms() { # MODEL LENGTH: the median ms per generated token over the prompts
  for seed in $(seq 1 "$count"); do
    "$genc" generate "$1" --prompt-ids "$(prompt "$2" "$seed")" --max-new-tokens "$new" \
      --min-new-tokens "$new" --eos-token-id 2 --threads "$threads" --output-format json
  done | /usr/bin/python3 -c '
import json, statistics, sys
rates = [json.loads(line)["stats"]["decode_tokens_per_s"] for line in sys.stdin if line.strip()]
print(f"{1000 / statistics.median(rates):.3f}")'
}
echo "== $threads thread(s), $new new tokens, median of $count prompts: ms per generated token"
printf "%-8s %12s %14s %18s %10s\n" prompt recompute --add-kv-cache "with-cache export" speed-up
for length in 32 128 384; do
  # genc generate compiles the export without a cache as it is (cached in
  # GENC_CACHE_DIR): a session that reruns the whole sequence.
  r=$(median_ms "$fixtures/target-no-past.onnx" "$length")
  a=$(median_ms "$work/added.so" "$length") e=$(median_ms "$work/exported.so" "$length")
  printf "%-8s %12s %14s %18s %9.1fx\n" "$length" "$r" "$a" "$e" "$(/usr/bin/python3 -c "print($r / $a)")"
done
