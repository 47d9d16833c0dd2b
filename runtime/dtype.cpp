// Scalar conversions between weight element types, matching llama.cpp's reference quantisers so
// that files we write load and compute identically there.
#include "dtype.h"

#include <algorithm>
#include <cmath>

namespace sgl {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::Q8_0: return "q8_0";
    case DType::Q4_0: return "q4_0";
  }
  return "?";
}

bool parse_dtype(std::string_view s, DType* out) {
  std::string l(s);
  for (char& c : l) c = (char)std::tolower((unsigned char)c);
  static const std::pair<const char*, DType> names[] = {{"f32", DType::F32},   {"f16", DType::F16},
                                                        {"bf16", DType::BF16}, {"q8_0", DType::Q8_0},
                                                        {"q4_0", DType::Q4_0}};
  for (auto& [n, t] : names)
    if (l == n) {
      *out = t;
      return true;
    }
  return false;
}

size_t row_bytes(DType t, int64_t n) {
  switch (t) {
    case DType::F32: return (size_t)n * 4;
    case DType::F16:
    case DType::BF16: return (size_t)n * 2;
    case DType::Q8_0: return (size_t)(n / kQBlock) * sizeof(BlockQ8_0);
    case DType::Q4_0: return (size_t)(n / kQBlock) * sizeof(BlockQ4_0);
  }
  return 0;
}

uint16_t f32_to_fp16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
  if (absx >= 0x477ff000) return (uint16_t)(sign | 0x7c00);  // overflow to inf
  if (absx < 0x38800000) {                                    // subnormal or zero in fp16
    float a;
    std::memcpy(&a, &absx, 4);
    uint32_t m = (uint32_t)std::nearbyint(a * 16777216.0f);  // a / 2^-24
    return (uint16_t)(sign | m);
  }
  uint32_t e = (absx >> 23) - 127 + 15;
  uint32_t m = absx & 0x7fffff;
  uint32_t h = (e << 10) | (m >> 13);
  uint32_t rem = m & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) ++h;  // round to nearest even
  return (uint16_t)(sign | h);
}

void dequantize_row(DType t, const void* src, float* dst, int64_t n) {
  switch (t) {
    case DType::F32: std::memcpy(dst, src, (size_t)n * 4); return;
    case DType::F16: {
      auto* s = (const uint16_t*)src;
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_f32(s[i]);
      return;
    }
    case DType::BF16: {
      auto* s = (const uint16_t*)src;
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(s[i]);
      return;
    }
    case DType::Q8_0: {
      auto* b = (const BlockQ8_0*)src;
      for (int64_t i = 0; i < n / kQBlock; ++i) {
        float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < kQBlock; ++j) dst[i * kQBlock + j] = d * b[i].qs[j];
      }
      return;
    }
    case DType::Q4_0: {
      auto* b = (const BlockQ4_0*)src;
      for (int64_t i = 0; i < n / kQBlock; ++i) {
        float d = fp16_to_f32(b[i].d);
        for (int j = 0; j < 16; ++j) {
          dst[i * kQBlock + j] = d * ((b[i].qs[j] & 15) - 8);
          dst[i * kQBlock + j + 16] = d * ((b[i].qs[j] >> 4) - 8);
        }
      }
      return;
    }
  }
}

void quantize_row(DType t, const float* src, void* dst, int64_t n) {
  switch (t) {
    case DType::F32: std::memcpy(dst, src, (size_t)n * 4); return;
    case DType::F16: {
      auto* d = (uint16_t*)dst;
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_fp16(src[i]);
      return;
    }
    case DType::BF16: {
      auto* d = (uint16_t*)dst;
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(src[i]);
      return;
    }
    case DType::Q8_0: {
      auto* b = (BlockQ8_0*)dst;
      for (int64_t i = 0; i < n / kQBlock; ++i) {
        const float* x = src + i * kQBlock;
        float amax = 0;
        for (int j = 0; j < kQBlock; ++j) amax = std::max(amax, std::fabs(x[j]));
        float d = amax / 127.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (int j = 0; j < kQBlock; ++j) b[i].qs[j] = (int8_t)std::nearbyint(x[j] * id);
      }
      return;
    }
    case DType::Q4_0: {
      // llama.cpp's reference: the value with the largest magnitude maps to -8.
      auto* b = (BlockQ4_0*)dst;
      for (int64_t i = 0; i < n / kQBlock; ++i) {
        const float* x = src + i * kQBlock;
        float amax = 0, vmax = 0;
        for (int j = 0; j < kQBlock; ++j)
          if (std::fabs(x[j]) > amax) {
            amax = std::fabs(x[j]);
            vmax = x[j];
          }
        float d = vmax / -8.0f, id = d ? 1.0f / d : 0.0f;
        b[i].d = f32_to_fp16(d);
        for (int j = 0; j < 16; ++j) {
          int q0 = std::min(15, (int)(x[j] * id + 8.5f));
          int q1 = std::min(15, (int)(x[j + 16] * id + 8.5f));
          b[i].qs[j] = (uint8_t)(q0 | (q1 << 4));
        }
      }
      return;
    }
  }
}

}  // namespace sgl
