// Where a model's weight matrices live. Decode streams every weight once per token, so address
// translation matters as much as bandwidth. Weights in ordinary heap buffers (random models,
// tensors converted at load: llama2.c int8 expanded to F32, F16 safetensors) sit on 4 KiB pages
// scattered in physical memory; moved into one anonymous mapping advised for transparent huge
// pages (2 MiB), random stories15M F32 decoded 1.7-2.2x faster on the dev VM (bench/README.md
// "CPU engine"). Memory-mapped files are left alone: the page cache's large folios were as fast
// as huge pages there, and mapping stays zero-copy like llama.cpp's default.
#pragma once

#include <cstddef>

namespace sgl {

struct Model;

struct WeightPlacement {
  size_t bytes = 0;     // bytes copied into the arena (0: left where they were)
  size_t matrices = 0;  // distinct matrices moved (a tied output counts once)
};

// Moves every weight matrix of `m` that lies in a buffer the model owns (owned_bytes, owned_f32:
// exactly one matrix per buffer) into one 2 MiB-aligned anonymous mapping with MADV_HUGEPAGE (64-byte
// aligned each), points the matrices there and frees each buffer right after its copy (peak
// memory: the weights plus the largest matrix). Does nothing when the environment sets
// SGL_NO_HUGE_PAGES=1, or when the mapping fails.
WeightPlacement place_weights(Model& m);

}  // namespace sgl
