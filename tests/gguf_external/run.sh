#!/usr/bin/env bash
# Writes random-weight GGUF files with `sglc model random` (F32, BF16, Q8_0, Q4_0) and reads them
# with Hugging Face's independent GGUF parser (check_gguf.mjs); tests/llama_cpp_external has
# llama.cpp itself compute with them. Needs node and the npm registry: without them it says
# so and exits 77 (CTest reports the test as skipped).
# usage: run.sh SGLC WORKDIR
set -euo pipefail
sglc=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIPPED: node/npm not installed (needed for the @huggingface/gguf reader)"; exit 77
fi
mkdir -p "$work"
if [ ! -d "$work/node_modules/@huggingface/gguf" ]; then
  if ! timeout 180 npm install --prefix "$work" --no-audit --no-fund --silent @huggingface/gguf@0.4 >"$work/npm.log" 2>&1; then
    echo "SKIPPED: npm install @huggingface/gguf failed (no registry?): $(tail -1 "$work/npm.log")"; exit 77
  fi
fi
cp "$here/check_gguf.mjs" "$work/check_gguf.mjs"
files=()
# stories15M's shape (dims multiples of 32, as Q8_0/Q4_0 need) in every dtype.
for d in f32 f16 bf16 q8_0 q4_0; do
  "$sglc" model random --like stories15M --dtype "$d" --format gguf -o "$work/stories15M-$d.gguf" >/dev/null
  files+=("$work/stories15M-$d.gguf")
done
node "$work/check_gguf.mjs" "${files[@]}"
