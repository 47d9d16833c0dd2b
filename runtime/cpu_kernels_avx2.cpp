// AVX2+FMA+F16C build of the CPU kernels (compiled with those flags; used only if the CPU has them).
#define SGL_KERNEL_NS avx2
#include "cpu_kernels_impl.inc"

namespace sgl::cpu {
const KernelTable* kernels_avx2() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2::table();
  return nullptr;
}
}  // namespace sgl::cpu
