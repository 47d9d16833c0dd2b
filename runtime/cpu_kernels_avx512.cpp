// AVX-512 (F, BW, VL, VNNI, BF16) build of the CPU kernels, used only if the CPU has all of them.
#define SGL_KERNEL_NS avx512
#include "cpu_kernels_impl.inc"

namespace sgl::cpu {
const KernelTable* kernels_avx512() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
      __builtin_cpu_supports("avx512bf16"))
    return &avx512::table();
  return nullptr;
}
}  // namespace sgl::cpu
