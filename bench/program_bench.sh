#!/usr/bin/env bash
# Program-level throughput with the radix cache on vs off: runs each .sgl workload in
# bench/programs over its --batch file with `sglc run --stats`, REPS times per setting (on and off
# interleaved, so that a noisy machine drifts both alike), and prints one markdown row per
# (workload, cache) with the median wall time and engine-step time. See bench/README.md.
# usage: bench/program_bench.sh SGLC MODEL [THREADS=2] [REPS=3] [WORKLOAD...]
# Extra `sglc run` flags for both settings (e.g. --chunked-prefill-size 512) in $SGL_BENCH_FLAGS.
# SGL_BENCH_COMPARE=jump compares jump-forward on vs off (--disable-jump-forward) instead of the
# cache (e.g. `SGL_BENCH_COMPARE=jump bench/program_bench.sh SGLC MODEL 2 3 json_long_keys`).
set -euo pipefail
compare=${SGL_BENCH_COMPARE:-radix}
case $compare in
  radix) off_flag=--disable-radix-cache column="radix cache" ;;
  jump) off_flag=--disable-jump-forward column="jump-forward" ;;
  *) echo "SGL_BENCH_COMPARE: expected radix or jump, got '$compare'" >&2; exit 2 ;;
esac
sglc=$1 model=$2 threads=${3:-2} reps=${4:-3}
shift $(( $# < 4 ? $# : 4 ))
workloads=("$@")
[ ${#workloads[@]} -eq 0 ] && workloads=(few_shot_select tree_of_thought system_prompt)
dir=$(cd "$(dirname "$0")" && pwd)/programs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "| workload | $column | programs | wall s (median, all runs) | programs/s | served tok/s | generated tok/s | engine-step s (median) | cache hit rate | prefill computed | reused | decode |"
echo "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for w in "${workloads[@]}"; do
  n=$(grep -c . "$dir/$w.jsonl")
  : >"$tmp/wall.on"; : >"$tmp/wall.off"; : >"$tmp/step.on"; : >"$tmp/step.off"
  for ((r = 0; r < reps; r++)); do
    for cache in on off; do
      flag=(); [ $cache = off ] && flag=("$off_flag")
      t0=$(date +%s.%N)
      "$sglc" run "$dir/$w.sgl" --model "$model" --batch "$dir/$w.jsonl" --threads "$threads" --kv-cache-mib 512 \
        --stats "${flag[@]}" ${SGL_BENCH_FLAGS:-} >"$tmp/out.$cache" 2>"$tmp/err.$cache"
      t1=$(date +%s.%N)
      echo "$t1 - $t0" | bc -l >>"$tmp/wall.$cache"
      tail -1 "$tmp/err.$cache" | jq .engine.step_seconds >>"$tmp/step.$cache"
      if grep -q '"error"' "$tmp/out.$cache"; then echo "error in $w ($cache): $(head -1 "$tmp/out.$cache")" >&2; exit 1; fi
    done
  done
  for cache in on off; do
    wall=$(median <"$tmp/wall.$cache")
    step=$(median <"$tmp/step.$cache")
    all=$(xargs printf '%.1f, ' <"$tmp/wall.$cache"); all=${all%, }
    tail -1 "$tmp/err.$cache" | jq -r --arg w "$w" --arg c "$cache" --argjson n "$n" --argjson t "$wall" --arg all "$all" \
      --argjson s "$step" '.engine |
      "| \($w) | \($c) | \($n) | \($t * 10 | round / 10) (\($all)) | \($n / $t * 100 | round / 100) | \((.prefill_tokens + .reused_tokens + .decode_tokens) / $t | round) | \(.generated_tokens / $t | round) | \($s * 10 | round / 10) | \(.cache_hit_rate) | \(.prefill_tokens) | \(.reused_tokens) | \(.decode_tokens) |"'
  done
  # Jump-forward changes the tokens the model sees, so its outputs may differ; the cache never may.
  cmp -s "$tmp/out.on" "$tmp/out.off" || echo "note: $w printed different results with $column on and off" >&2
done
