#!/usr/bin/env bash
# llama.cpp loads the GGUF files `sglc model random` writes (F32, F16, BF16, Q8_0, Q4_0) and its
# logits agree with ours. llama.cpp is not in Debian 12; node-llama-cpp on the npm registry ships
# a prebuilt CPU build of it (libllama + ggml, loaded through a Node addon), which
# llama_logits.mjs drives. Needs node and the npm registry: without them, or on a CPU other than
# x86-64, it says so and exits 77 (CTest reports the test as skipped).
# Also a real trained model, stories260K.gguf from the shared test models, when present.
# usage: run.sh SGLC COMPARE_LOGITS WORKDIR [MODELS_DIR]
set -euo pipefail
sglc=$1 compare=$2 work=$3 models=${4:-}
here=$(cd "$(dirname "$0")" && pwd)
version=3.22.1  # node-llama-cpp; its llama.cpp is release b-tag v0.5.0 of ggml-org/llama.cpp
if [ "$(uname -m)" != x86_64 ]; then echo "SKIPPED: prebuilt llama.cpp used here is x86-64 only"; exit 77; fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIPPED: node/npm not installed (needed for node-llama-cpp)"; exit 77
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "SKIPPED: node-llama-cpp $version needs Node.js >= 20 (this is $(node --version))"; exit 77
fi
mkdir -p "$work"
if [ ! -d "$work/node_modules/@node-llama-cpp/linux-x64" ]; then
  # --ignore-scripts: no postinstall (it would try to download or build); --omit=optional: only
  # the linux-x64 CPU binaries named here, not the CUDA/Vulkan ones (about 600 MB).
  [ -f "$work/package.json" ] || echo '{"name":"sgl-llama-cpp-check","private":true,"type":"module"}' >"$work/package.json"
  if ! timeout 300 npm install --prefix "$work" --no-audit --no-fund --silent --ignore-scripts --omit=optional \
      "node-llama-cpp@$version" "@node-llama-cpp/linux-x64@$version" >"$work/npm.log" 2>&1; then
    echo "SKIPPED: npm install node-llama-cpp failed (no registry?): $(tail -1 "$work/npm.log")"; exit 77
  fi
fi
cp "$here/llama_logits.mjs" "$work/llama_logits.mjs"
# BOS, then tokens from all over the vocabulary (byte tokens, the word-boundary piece, the end).
ids=1,259,75,104,300,5000,31999,12345
text="Hello world, once upon a time: 42 émigrés"
# Largest logit difference allowed, relative to the row's largest |logit|. F32 differs only in
# summation order (seen: 1e-6). For F16 and BF16 weights llama.cpp rounds the activations to the
# weight type (we do for BF16; F16 keeps F32 activations): seen 6e-4. Q8_0/Q4_0 quantise the
# activations to Q8_0 blocks exactly as llama.cpp does (the first position agrees to 1e-7 with the
# portable kernels), but one rounding that goes the other way after a different summation order
# changes later blocks, so runs differ by the quantisation noise itself: seen 2e-2.
declare -A tol=([f32]=1e-5 [f16]=5e-3 [bf16]=1e-2 [q8_0]=5e-2 [q4_0]=5e-2)
status=0
for d in f32 f16 bf16 q8_0 q4_0; do
  f="$work/stories15M-$d.gguf"
  "$sglc" model random --like stories15M --dtype "$d" --format gguf -o "$f" >/dev/null
  node "$work/llama_logits.mjs" "$f" "$ids" "$text" "$work/llama-$d.json"
  echo "== $d"
  "$compare" "$f" "$work/llama-$d.json" "${tol[$d]}" || status=1
done
real="$models/stories260K-gguf/stories260K.gguf"
if [ -n "$models" ] && [ -f "$real" ]; then
  node "$work/llama_logits.mjs" "$real" 1,403,261,500,410,2,9,511 "$text" "$work/llama-stories260K.json"
  echo "== stories260K.gguf (F32, trained)"
  "$compare" "$real" "$work/llama-stories260K.json" 1e-5 || status=1
else
  echo "stories260K.gguf not found under '$models': the trained-model comparison is skipped"
fi
exit $status
