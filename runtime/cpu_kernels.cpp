// ISA selection for the CPU kernels.
#include "cpu_kernels.h"

#include <cstdlib>
#include <cstring>

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

}  // namespace sgl::cpu
