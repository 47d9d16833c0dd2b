// Queries the CUDA runtime for devices without ever aborting: every error means "no GPU".
#include "device_info.cuh"

#include <cuda_runtime.h>

#include <cstring>

namespace sgl::cuda {

DeviceSummary query_devices() {
  DeviceSummary s;
  cudaRuntimeGetVersion(&s.runtime_version);
  if (cudaDriverGetVersion(&s.driver_version) != cudaSuccess) s.driver_version = 0;
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky error so later calls start clean
    return s;
  }
  s.count = n;
  cudaDeviceProp prop;
  if (n > 0 && cudaGetDeviceProperties(&prop, 0) == cudaSuccess) {
    std::strncpy(s.first_name, prop.name, sizeof(s.first_name) - 1);
  }
  return s;
}

}  // namespace sgl::cuda
