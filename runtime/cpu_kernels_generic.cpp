// Portable build of the CPU kernels (no ISA flags): the fallback and the reference in tests.
#define SGL_KERNEL_NS generic
#include "cpu_kernels_impl.inc"

namespace sgl::cpu {
const KernelTable& kernels_generic() { return generic::table(); }
}  // namespace sgl::cpu
