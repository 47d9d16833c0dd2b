#!/usr/bin/env bash
# Measures llama.cpp's llama-bench and our sgl-engine-bench on the same GGUF files, interleaved
# (llama.cpp, then us, then llama.cpp ...) so both see the same state of this shared VM.
#
# llama.cpp is not in Debian 12; the npm registry's node-llama-cpp package carries its source as
# a git bundle (llama/gitRelease.bundle). This script fetches that package with `npm pack`,
# clones the bundle and builds llama-bench natively (Release, GGML_NATIVE=ON: -march=native, so
# AVX-512/VNNI/BF16 here), once, into WORK.
#
# usage: bench/llama_cpp_side_by_side.sh SGL_ENGINE_BENCH WORK [ROUNDS] [DTYPES] [THREADS]
#   e.g. bench/llama_cpp_side_by_side.sh build/bin/sgl-engine-bench /tmp/llcpp 3 "f32 bf16 q8_0 q4_0" "2 1"
# Files: WORK/stories15M-DTYPE.gguf, written with `sgl-engine-bench --write` when missing.
# Prints one line per run and a median table (tokens/s, -p 128 -n 128 as in the issue).
set -euo pipefail
ours=$(realpath "$1") work=$2 rounds=${3:-3} dtypes=${4:-"f32 bf16 q8_0 q4_0"} threads=${5:-"2 1"}
version=3.22.1
mkdir -p "$work" && work=$(realpath "$work")
lb="$work/llama.cpp/build/bin/llama-bench"
if [ ! -x "$lb" ]; then
  (cd "$work" && npm pack --silent "node-llama-cpp@$version" >/dev/null)
  tar -xzf "$work/node-llama-cpp-$version.tgz" -C "$work" package/llama/gitRelease.bundle
  rm -rf "$work/llama.cpp" && git clone -q "$work/package/llama/gitRelease.bundle" "$work/llama.cpp"
  cmake -S "$work/llama.cpp" -B "$work/llama.cpp/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_SERVER=OFF >"$work/cmake.log"
  echo "building llama-bench (about 10 minutes on 2 cores) ..." >&2
  ninja -C "$work/llama.cpp/build" llama-bench >"$work/build.log"
fi
echo "llama.cpp: $(cd "$work/llama.cpp" && git log -1 --format='%h %s' | cut -c1-60) (node-llama-cpp $version)"
results="$work/results.txt"
: >"$results"
for d in $dtypes; do
  f="$work/stories15M-$d.gguf"
  [ -f "$f" ] || "$ours" --write stories15M "$d" "$f" >/dev/null
done
for r in $(seq "$rounds"); do
  for t in $threads; do
    for d in $dtypes; do
      f="$work/stories15M-$d.gguf"
      # llama-bench: -p 128 -n 128 (its defaults otherwise: 5 repetitions, F16 K/V).
      j=$("$lb" -m "$f" -p 128 -n 128 -t "$t" -o json 2>/dev/null)
      lp=$(echo "$j" | tr -d ' \n' | grep -oE '"n_prompt":128,"n_gen":0,[^}]*"avg_ts":[0-9.]+' | grep -oE '[0-9.]+$')
      lg=$(echo "$j" | tr -d ' \n' | grep -oE '"n_prompt":0,"n_gen":128,[^}]*"avg_ts":[0-9.]+' | grep -oE '[0-9.]+$')
      o=$("$ours" "$f" "$t")
      op=$(echo "$o" | grep -oE '"prefill_tok_s":[0-9.]+' | cut -d: -f2)
      og=$(echo "$o" | grep -oE '"decode_tok_s":[0-9.]+' | cut -d: -f2)
      echo "$d $t $lp $lg $op $og" | tee -a "$results"
    done
  done
done
echo
echo "| weights, threads | llama.cpp prefill / decode | sglc prefill / decode | ratio prefill / decode |"
echo "| --- | --- | --- | --- |"
for t in $threads; do
  for d in $dtypes; do
    awk -v d="$d" -v t="$t" '
      function median(a, n,   i, j, x) { for (i = 2; i <= n; ++i) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; --j) a[j + 1] = a[j]; a[j + 1] = x }
                                      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
      $1 == d && $2 == t { n++; lp[n] = $3; lg[n] = $4; op[n] = $5; og[n] = $6 }
      END { if (!n) exit; a = median(lp, n); b = median(lg, n); c = median(op, n); e = median(og, n)
            printf "| %s, %s | %.0f / %.0f | %.0f / %.0f | %.2fx / %.2fx |\n", toupper(d), t, a, b, c, e, c / a, e / b }' "$results"
  done
done
