// cuBLAS through dlopen: only the handful of entry points the engine needs. cublasGemmEx with
// CUBLAS_COMPUTE_32F runs bf16 tensor-core kernels chosen by cuBLASLt's heuristics.
// Ideas: cublasLtMatmul with cached algorithm choices per (T bucket, N, K), and fused epilogues
// (bias, residual add) once the profile says the GEMM launches matter.
#include "gemm.cuh"

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <stdexcept>

namespace sgl::cuda {

namespace {

struct CublasApi {
  cublasStatus_t (*create)(cublasHandle_t*) = nullptr;
  cublasStatus_t (*destroy)(cublasHandle_t) = nullptr;
  cublasStatus_t (*set_stream)(cublasHandle_t, cudaStream_t) = nullptr;
  cublasStatus_t (*set_workspace)(cublasHandle_t, void*, size_t) = nullptr;
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int, const void*,
                            const void*, cudaDataType, int, const void*, cudaDataType, int, const void*, void*,
                            cudaDataType, int, cublasComputeType_t, cublasGemmAlgo_t) = nullptr;
  const char* (*status_string)(cublasStatus_t) = nullptr;
};

// Loaded once per process; null with a reason when the library or a symbol is missing.
const CublasApi* load_cublas(std::string* err) {
  static std::string reason;
  static const CublasApi* api = [] () -> const CublasApi* {
    void* h = dlopen("libcublas.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!h) h = dlopen("libcublas.so", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      reason = std::string("cannot load libcublas (") + (e ? e : "not found") + ")";
      return nullptr;
    }
    static CublasApi a;
    auto sym = [&](const char* name) {
      void* p = dlsym(h, name);
      if (!p) reason = std::string("libcublas lacks ") + name;
      return p;
    };
    a.create = reinterpret_cast<decltype(a.create)>(sym("cublasCreate_v2"));
    a.destroy = reinterpret_cast<decltype(a.destroy)>(sym("cublasDestroy_v2"));
    a.set_stream = reinterpret_cast<decltype(a.set_stream)>(sym("cublasSetStream_v2"));
    a.set_workspace = reinterpret_cast<decltype(a.set_workspace)>(sym("cublasSetWorkspace_v2"));
    a.gemm_ex = reinterpret_cast<decltype(a.gemm_ex)>(sym("cublasGemmEx"));
    a.status_string = reinterpret_cast<decltype(a.status_string)>(sym("cublasGetStatusString"));
    if (!a.create || !a.destroy || !a.set_stream || !a.set_workspace || !a.gemm_ex || !a.status_string) return nullptr;
    return &a;
  }();
  if (!api && err) *err = reason;
  return api;
}

constexpr size_t kWorkspaceBytes = size_t{32} << 20;

}  // namespace

struct Gemm::Impl {
  const CublasApi* api = nullptr;
  cublasHandle_t handle = nullptr;
  void* workspace = nullptr;

  void ok(cublasStatus_t s, const char* what) const {
    if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string(what) + ": " + api->status_string(s));
  }
};

std::unique_ptr<Gemm> Gemm::create(std::string* err) {
  const CublasApi* api = load_cublas(err);
  if (!api) return nullptr;
  std::unique_ptr<Gemm> g(new Gemm());
  g->impl_ = std::make_unique<Impl>();
  g->impl_->api = api;
  if (api->create(&g->impl_->handle) != CUBLAS_STATUS_SUCCESS) {
    if (err) *err = "cublasCreate failed (no usable GPU?)";
    return nullptr;
  }
  if (cudaMalloc(&g->impl_->workspace, kWorkspaceBytes) != cudaSuccess) {
    cudaGetLastError();
    if (err) *err = "cannot allocate the cuBLAS workspace";
    return nullptr;
  }
  g->impl_->ok(api->set_workspace(g->impl_->handle, g->impl_->workspace, kWorkspaceBytes), "cublasSetWorkspace");
  return g;
}

Gemm::~Gemm() {
  if (!impl_) return;
  if (impl_->handle) impl_->api->destroy(impl_->handle);
  if (impl_->workspace) cudaFree(impl_->workspace);
}

void Gemm::set_stream(cudaStream_t s) { impl_->ok(impl_->api->set_stream(impl_->handle, s), "cublasSetStream"); }

void Gemm::matmul(const uint16_t* x, int64_t ldx, const uint16_t* w, int64_t N, int64_t K, int T, void* y,
                  int64_t ldy, bool y_f32, float beta) {
  if (T <= 0 || N <= 0) return;
  // Column-major view: Y^T [N x T] = W^T^T [N x K] * X^T [K x T]; W is K x N column-major (ld K),
  // so op(A) = transpose; X is K x T column-major (ld ldx).
  const float alpha = 1.0f;
  impl_->ok(impl_->api->gemm_ex(impl_->handle, CUBLAS_OP_T, CUBLAS_OP_N, (int)N, T, (int)K, &alpha, w, CUDA_R_16BF,
                                (int)K, x, CUDA_R_16BF, (int)ldx, &beta, y, y_f32 ? CUDA_R_32F : CUDA_R_16BF,
                                (int)ldy, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
            "cublasGemmEx");
}

}  // namespace sgl::cuda
