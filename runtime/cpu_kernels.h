// CPU compute kernels with runtime ISA dispatch: matrix products directly on stored weight dtypes
// (F32, F16, BF16, Q8_0, Q4_0) and the small vector ops of attention. The same source
// (cpu_kernels_impl.inc) is compiled once per ISA; kernels() picks the best for this CPU.
#pragma once

#include <cstdint>
#include <vector>

#include "model.h"

namespace sgl {
class ThreadPool;
}

namespace sgl::cpu {

// Activations of n tokens (rows of x), with the forms the weight dtype needs prepared by
// prepare_acts(): int8 per 32-block with a float scale and block sum for Q8_0/Q4_0 weights,
// bf16 for BF16 weights.
// Activations re-laid out for the prefill GEMM: tokens in groups of 16 (one per SIMD lane), so a
// weight element is broadcast against 16 tokens and no horizontal sums are needed.
//   f32 (F32/F16 weights): xt[g][k][16] floats
//   bf16 (BF16 weights):   xb[g][k/2][16][2] bf16 pairs
//   int8 (Q8_0/Q4_0):      xq[g][k/4][16][4] int8, plus per 32-block scales gd[g][b][16] and sums gs[g][b][16]
struct PackedActs {
  int groups = 0;
  std::vector<float> xt;
  std::vector<uint16_t> xb;
  std::vector<int8_t> xq;
  std::vector<float> gd;
  std::vector<int32_t> gs;
};

struct Acts {
  const float* x = nullptr;
  int64_t ldx = 0;  // floats between rows of x
  int n = 0;
  int64_t cols = 0;
  const int8_t* q = nullptr;     // n * cols
  const float* qd = nullptr;     // n * cols/32 scales
  const int32_t* qs = nullptr;   // n * cols/32 sums of q (Q4_0's -8 offset)
  const uint16_t* bf = nullptr;  // n * cols
  const PackedActs* packed = nullptr;  // set for prefill-sized batches (see pack_acts)
};

// Fills `p` with the layout `dt` weights need (needs q/qd/qs already filled for Q8_0/Q4_0).
// With a pool, the 16-token groups are packed in parallel.
void pack_acts(DType dt, const Acts& a, PackedActs& p, ThreadPool* pool = nullptr);
// The same in two steps, so callers can fuse packing with quantisation: size `p` for a.n tokens
// (buffers only grow, never shrink: their size may exceed what this call uses), then pack tokens [t0, t1), which must be whole
// 16-token groups (t1 may be a.n); the last group's unused lanes are zeroed. For BF16 with a.bf
// unset, the rows of a.x are converted to bf16 on the way (kernels().row_to_bf16).
void pack_acts_prepare(DType dt, const Acts& a, PackedActs& p);
void pack_acts_range(DType dt, const Acts& a, PackedActs& p, int64_t t0, int64_t t1);
// The same without the selected table's SIMD packing (for tests).
void pack_acts_range_portable(DType dt, const Acts& a, PackedActs& p, int64_t t0, int64_t t1);
// Whether matmul uses PackedActs for this many tokens.
inline bool wants_packed(int n) { return n >= 8; }

struct KernelTable {
  const char* isa;
  // Bit (1 << int(dtype)) set: matmul uses PackedActs for that weight dtype when Acts::packed is
  // set (AVX-512: all; AVX2: F32 and F16; portable: none).
  unsigned packed_dtypes;
  // y[t * ldy + r] = dot(W row r, x row t) for r in [r0, r1), every token t.
  void (*matmul)(const Matrix& w, const Acts& a, float* y, int64_t ldy, int64_t r0, int64_t r1);
  // One row: int8 quantisation in 32-blocks (scale, sum) for integer dot products.
  void (*quantize_row_q8)(const float* x, int64_t n, int8_t* q, float* d, int32_t* s);
  void (*row_to_bf16)(const float* x, int64_t n, uint16_t* out);
  float (*dot)(const float* a, const float* b, int n);
  void (*axpy)(float a, const float* x, float* y, int n);  // y += a * x
  // One query head against n positions: out = softmax(scale * q.k_p) . v_p, where k_p / v_p are
  // k[p] + off / v[p] + off (pointers to each position's slot). `scores` holds n floats.
  // g[i] = silu(g[i]) * u[i] (SwiGLU)
  void (*silu_mul)(float* g, const float* u, int64_t n);
  void (*attend)(const float* q, const float* const* k, const float* const* v, int off, int n, int hd, float scale,
                 float* out, float* scores);
  // Up to 16 consecutive queries of one sequence (positions pos0 .. pos0 + nq - 1, rows q +
  // i * q_stride) against positions 0 .. pos0 + nq - 1 with the causal mask, one query per SIMD
  // lane so no horizontal sums are needed. `scratch` holds (pos0 + nq + hd) * 16 floats. nullptr
  // in tables without it (the engine then uses attend per query).
  void (*attend16)(const float* q, int64_t q_stride, int nq, int pos0, const float* const* k, const float* const* v,
                   int off, int hd, float scale, float* out, int64_t out_stride, float* scratch);
  // x += add (when add is set), then out = w * (x / rms(x)), rms with `eps` (RMSNorm).
  void (*add_rmsnorm)(float* out, float* x, const float* add, const float* w, int n, float eps);
  // RoPE on n_heads heads of hd floats with per-pair cos/sin (hd/2 each): adjacent pairs when
  // interleaved, else rotate-half pairs (i, i + hd/2) stored back interleaved (hd <= 512).
  void (*rope)(float* v, int n_heads, int hd, const float* cs, const float* sn, bool interleaved);
  // pack_acts_range through register transposes where it can (F32/F16; BF16 from a.x); false
  // where it cannot (the portable code then packs). nullptr in tables without it.
  bool (*pack_range)(DType dt, const Acts& a, PackedActs& p, int64_t t0, int64_t t1);
};

// Best table for this CPU; SGL_CPU_ISA=generic|avx2|avx512 forces one (if the CPU has it).
const KernelTable& kernels();
const KernelTable& kernels_generic();
// nullptr when the CPU (or this build) lacks the ISA.
const KernelTable* kernels_avx2();
const KernelTable* kernels_avx512();

}  // namespace sgl::cpu
