#!/usr/bin/env bash
# GPU benchmark for issue 7 (run on the H100/H200 machine from the repository root):
# random-weight Llama 3.2 1B and Llama 3.1 8B shapes in bf16, decode tokens/s at batch 1, 8, 64,
# 256 and prefill tokens/s on 1k prompts, plus the batch-1 bandwidth limit.
# Needs `sglc bench --device cuda` (see kernels/GPU_TODO.md step 1). Results: bench/gpu/results/.
set -euo pipefail
BUILD=${BUILD:-build-cuda}
SGLC=${SGLC:-$BUILD/bin/sglc}
OUT=${OUT:-bench/gpu/results}
MODELS=${MODELS:-/tmp/sgl-gpu-models}
mkdir -p "$OUT" "$MODELS"
nvidia-smi --query-gpu=name,memory.total,clocks.max.memory --format=csv | tee "$OUT/gpu.txt"
for shape in llama-3.2-1b llama-3.1-8b; do
  m="$MODELS/$shape-bf16.gguf"
  [ -f "$m" ] || "$SGLC" model random --like "$shape" --dtype bf16 -o "$m"
  for b in 1 8 64 256; do
    "$SGLC" bench -m "$m" --device cuda -p 0 -n 128 -b "$b" -r 3 | tee -a "$OUT/$shape.jsonl"
  done
  "$SGLC" bench -m "$m" --device cuda -p 1024 -n 0 -b 1 -r 3 | tee -a "$OUT/$shape.jsonl"
  # Bandwidth limit of batch-1 decode: weight bytes read per step / measured device bandwidth
  # (bandwidth from a large device-to-device copy; see bench/gpu/README.md).
  python3 - "$m" <<'PY'
import os, sys
size = os.path.getsize(sys.argv[1])
print(f"{os.path.basename(sys.argv[1])}: {size/2**30:.2f} GiB of weights read per decode step")
PY
done
