// ISA selection for the CPU kernels.
#include "cpu_kernels.h"

#include <cstdlib>
#include <cstring>

#include "dtype.h"
#include "thread_pool.h"

namespace sgl::cpu {

const KernelTable& kernels() {
  static const KernelTable* best = [] {
    const char* force = std::getenv("SGL_CPU_ISA");
    const KernelTable* a512 = kernels_avx512();
    const KernelTable* a2 = kernels_avx2();
    if (force) {
      if (!std::strcmp(force, "generic")) return &kernels_generic();
      if (!std::strcmp(force, "avx2") && a2) return a2;
    }
    if (a512) return a512;
    if (a2) return a2;
    return &kernels_generic();
  }();
  return *best;
}

void pack_acts(DType dt, const Acts& a, PackedActs& p, ThreadPool* pool) {
  const int64_t K = a.cols;
  const int G = (a.n + 15) / 16;
  const int64_t nb = K / kQBlock;
  p.groups = G;
  switch (dt) {
    case DType::F32:
    case DType::F16: p.xt.assign((size_t)G * K * 16, 0.0f); break;
    case DType::BF16: p.xb.assign((size_t)G * K * 16, 0); break;
    case DType::Q8_0:
    case DType::Q4_0:
      p.xq.assign((size_t)G * K * 16, 0);
      p.gd.assign((size_t)G * nb * 16, 0.0f);
      p.gs.assign((size_t)G * nb * 16, 0);
      break;
  }
  auto pack_tokens = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t g = t / 16, lane = t % 16;
      switch (dt) {
        case DType::F32:
        case DType::F16: {
          float* dst = p.xt.data() + (size_t)g * K * 16 + lane;
          const float* src = a.x + t * a.ldx;
          for (int64_t k = 0; k < K; ++k) dst[k * 16] = src[k];
          break;
        }
        case DType::BF16: {
          uint16_t* dst = p.xb.data() + (size_t)g * K * 16 + lane * 2;
          const uint16_t* src = a.bf + t * K;
          for (int64_t k = 0; k < K; k += 2) {
            dst[(k / 2) * 32] = src[k];
            dst[(k / 2) * 32 + 1] = src[k + 1];
          }
          break;
        }
        case DType::Q8_0:
        case DType::Q4_0: {
          int8_t* dst = p.xq.data() + (size_t)g * K * 16 + lane * 4;
          const int8_t* src = a.q + t * K;
          for (int64_t k = 0; k < K; k += 4) std::memcpy(dst + (k / 4) * 64, src + k, 4);
          for (int64_t b = 0; b < nb; ++b) {
            p.gd[((size_t)g * nb + b) * 16 + lane] = a.qd[t * nb + b];
            p.gs[((size_t)g * nb + b) * 16 + lane] = a.qs[t * nb + b];
          }
          break;
        }
      }
    }
  };
  // Whole groups per chunk: tokens of one group write interleaved lanes of the same lines.
  if (pool) pool->parallel_for(a.n, 16, pack_tokens);
  else pack_tokens(0, a.n);
}

}  // namespace sgl::cpu
