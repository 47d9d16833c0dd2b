// Where a model's weight matrices live. Decode streams every weight once per token, so address
// translation matters as much as bandwidth. Weight matrices are copied at load into one anonymous
// mapping advised for transparent huge pages (2 MiB): on 4 KiB heap pages, random stories15M F32
// decoded at about half the speed, and a memory-mapped GGUF file about 8 % slower (bench/README.md
// "CPU engine"). The copy is one pass over the weights at load; resident memory stays about the
// size of the weights, since each source is released as soon as it is copied. SGL_NO_HUGE_PAGES=1
// keeps llama.cpp's default instead: weights used in place from the mapped file (zero-copy,
// page cache shared between processes).
#pragma once

#include <cstddef>

namespace sgl {

struct Model;

struct WeightPlacement {
  size_t bytes = 0;     // bytes copied into the arena (0: left where they were)
  size_t matrices = 0;  // distinct matrices moved (a tied output counts once)
};

// Moves every weight matrix of `m` into one 2 MiB-aligned anonymous mapping with MADV_HUGEPAGE
// (64-byte aligned each) and points the matrices there. Each source is released right after its
// copy: a model-owned buffer holding exactly that matrix is freed, other pages (a mapped file's)
// are dropped with MADV_DONTNEED (peak memory: the weights plus the largest matrix). Norm vectors
// and biases stay where they are. Does nothing when the environment sets SGL_NO_HUGE_PAGES=1, or
// when the mapping fails.
WeightPlacement place_weights(Model& m);

}  // namespace sgl
