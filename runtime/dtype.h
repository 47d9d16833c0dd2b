// Element types of model weights (F32, F16, BF16 and GGUF's Q8_0/Q4_0 blocks) and the scalar
// conversions between them; the SIMD kernels in cpu_kernels_* use the same block layouts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace sgl {

enum class DType : uint8_t { F32, F16, BF16, Q8_0, Q4_0 };

// Q8_0: 32 signed bytes sharing one fp16 scale (llama.cpp's block_q8_0, 34 bytes).
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[32];
};
// Q4_0: 32 4-bit values (low nibbles hold elements 0..15, high nibbles 16..31), value = (q-8)*d.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[16];
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18);

constexpr int kQBlock = 32;

const char* dtype_name(DType t);
// Parses "f32", "bf16", "q8_0", ... (case-insensitive); false when unknown.
bool parse_dtype(std::string_view s, DType* out);
// Bytes of one row of `n` elements (n must be a multiple of 32 for the block types).
size_t row_bytes(DType t, int64_t n);

inline float fp16_to_f32(uint16_t h) {
  // Exact conversion including subnormals, without F16C so the scalar path runs anywhere.
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {
      int e = -1;
      do { ++e; man <<= 1; } while (!(man & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_fp16(float f);

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) return (uint16_t)((bits >> 16) | 64);  // keep NaN a NaN
  bits += 0x7fff + ((bits >> 16) & 1);  // round to nearest even
  return (uint16_t)(bits >> 16);
}

// Row conversions (scalar reference; used by loaders, writers and tests).
void dequantize_row(DType t, const void* src, float* dst, int64_t n);
void quantize_row(DType t, const float* src, void* dst, int64_t n);

}  // namespace sgl
