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

namespace {
// Buffers only grow: the engine alternates inputs of different widths (288 and 768 columns), and
// shrinking then growing again zero-filled the new part every layer (about 1-2 % of a prefill).
template <class V>
void grow(V& v, size_t n) {
  if (v.size() < n) v.resize(n);
}
}  // namespace

void pack_acts_prepare(DType dt, const Acts& a, PackedActs& p) {
  const int64_t K = a.cols;
  const int G = (a.n + 15) / 16;
  const int64_t nb = K / kQBlock;
  p.groups = G;
  switch (dt) {
    case DType::F32:
    case DType::F16: grow(p.xt, (size_t)G * K * 16); break;
    case DType::BF16: grow(p.xb, (size_t)G * K * 16); break;
    case DType::Q8_0:
    case DType::Q4_0:
      grow(p.xq, (size_t)G * K * 16);
      grow(p.gd, (size_t)G * nb * 16);
      grow(p.gs, (size_t)G * nb * 16);
      break;
  }
}

void pack_acts_range(DType dt, const Acts& a, PackedActs& p, int64_t t0, int64_t t1) {
  if (kernels().pack_range && kernels().pack_range(dt, a, p, t0, t1)) return;
  pack_acts_range_portable(dt, a, p, t0, t1);
}

void pack_acts_range_portable(DType dt, const Acts& a, PackedActs& p, int64_t t0, int64_t t1) {
  const int64_t K = a.cols;
  const int64_t nb = K / kQBlock;
  // Tokens past a.n in the last group: zero lanes (the kernels compute them and drop them).
  const int64_t tend = t1 == a.n ? (t1 + 15) / 16 * 16 : t1;
  // BF16 without a.bf: each row is converted here (the engine's prefill path, one pass).
  thread_local std::vector<uint16_t> bf_row;
  if (dt == DType::BF16 && !a.bf) bf_row.resize((size_t)K);
  for (int64_t t = t0; t < tend; ++t) {
    const int64_t g = t / 16, lane = t % 16;
    const bool pad = t >= a.n;
    switch (dt) {
      case DType::F32:
      case DType::F16: {
        float* dst = p.xt.data() + (size_t)g * K * 16 + lane;
        const float* src = a.x + t * a.ldx;
        if (pad)
          for (int64_t k = 0; k < K; ++k) dst[k * 16] = 0.0f;
        else
          for (int64_t k = 0; k < K; ++k) dst[k * 16] = src[k];
        break;
      }
      case DType::BF16: {
        // bf16 pairs moved as one 32-bit word: xb[g][k/2][lane][2].
        uint32_t* dst = reinterpret_cast<uint32_t*>(p.xb.data() + (size_t)g * K * 16) + lane;
        const uint16_t* src = a.bf ? a.bf + t * K : bf_row.data();
        if (pad) {
          for (int64_t k = 0; k < K / 2; ++k) dst[k * 16] = 0;
          break;
        }
        if (!a.bf) kernels().row_to_bf16(a.x + t * a.ldx, K, bf_row.data());
        for (int64_t k = 0; k < K / 2; ++k) {
          uint32_t v;
          std::memcpy(&v, src + 2 * k, 4);
          dst[k * 16] = v;
        }
        break;
      }
      case DType::Q8_0:
      case DType::Q4_0: {
        int8_t* dst = p.xq.data() + (size_t)g * K * 16 + lane * 4;
        const int8_t* src = a.q + t * K;
        for (int64_t k = 0; k < K; k += 4) {
          if (pad) std::memset(dst + (k / 4) * 64, 0, 4);
          else std::memcpy(dst + (k / 4) * 64, src + k, 4);
        }
        for (int64_t b = 0; b < nb; ++b) {
          p.gd[((size_t)g * nb + b) * 16 + lane] = pad ? 0.0f : a.qd[t * nb + b];
          p.gs[((size_t)g * nb + b) * 16 + lane] = pad ? 0 : a.qs[t * nb + b];
        }
        break;
      }
    }
  }
}

void pack_acts(DType dt, const Acts& a, PackedActs& p, ThreadPool* pool) {
  pack_acts_prepare(dt, a, p);
  auto pack = [&](int64_t t0, int64_t t1) { pack_acts_range(dt, a, p, t0, t1); };
  // Whole groups per chunk: tokens of one group write interleaved lanes of the same lines.
  if (pool) pool->parallel_for(a.n, 16, pack);
  else pack(0, a.n);
}

}  // namespace sgl::cpu
