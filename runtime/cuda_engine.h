// The CUDA engine behind the Engine interface: weights in bf16 on one GPU, its own paged bf16
// KV cache with the same slot semantics as KvPool, cuBLAS GEMMs and the kernels in kernels/,
// CUDA graphs for decode batches (padded to 1, 2, 4, ... 256), prefill eager, logits copied back
// on a second stream. make_cuda_engine exists in every build: without CUDA built in, or without
// a GPU or driver, it returns null and says why (callers fall back to the CPU engine).
#pragma once

#include <memory>
#include <string>

#include "engine.h"

namespace sgl {

struct CudaEngineOptions {
  int device = 0;             // CUDA device ordinal
  int32_t kv_slots = 0;       // 0: from kv_mem_fraction of the free memory after weights
  double kv_mem_fraction = 0.85;
  bool cuda_graphs = true;    // capture decode batches (off: every step eager, for debugging)
  int max_graph_batch = 256;  // largest captured decode batch (see cuda_batch_plan.h)
};

// Null (and *err set) when CUDA is not built in, there is no driver or GPU, cuBLAS cannot be
// loaded, or the model does not fit.
std::unique_ptr<Engine> make_cuda_engine(std::shared_ptr<const Model> model, const CudaEngineOptions& opt,
                                         std::string* err);

}  // namespace sgl

#include "communicator.h"

namespace sgl {
// Buffer ops for an in-process communicator group over device buffers (host ops without CUDA).
CommBufferOps cuda_buffer_ops();
}  // namespace sgl
