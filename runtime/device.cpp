#include "device.h"

#include <thread>

#ifdef SGL_HAVE_CUDA
#include "device_info.cuh"
#endif

namespace sgl {

DeviceInfo probe_devices() {
  DeviceInfo info;
  info.cpu_threads = static_cast<int>(std::thread::hardware_concurrency());
#ifdef SGL_HAVE_CUDA
  cuda::DeviceSummary s = cuda::query_devices();
  info.cuda_built = true;
  info.cuda_runtime_version = s.runtime_version;
  info.cuda_driver_version = s.driver_version;
  info.cuda_devices = s.count;
  info.cuda_first_device = s.first_name;
#endif
  return info;
}

static std::string cuda_version_text(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}

std::string describe_devices(const DeviceInfo& info) {
  std::string out;
  if (!info.cuda_built) {
    out = "CUDA not built in";
  } else {
    out = "CUDA " + cuda_version_text(info.cuda_runtime_version) + " built in, ";
    if (info.cuda_devices == 0) {
      out += info.cuda_driver_version == 0 ? "no NVIDIA driver" : "no GPU found";
    } else {
      out += std::to_string(info.cuda_devices) + " GPU(s): " + info.cuda_first_device;
    }
  }
  out += "; CPU: " + std::to_string(info.cpu_threads) + " threads";
  return out;
}

}  // namespace sgl
