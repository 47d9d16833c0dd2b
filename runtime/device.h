// Which compute devices this process can use. The CUDA part is compiled in only with SGL_CUDA
// and still answers "no GPU" on machines without one, so one binary runs everywhere.
#pragma once

#include <string>

namespace sgl {

struct DeviceInfo {
  bool cuda_built = false;     // this binary contains the CUDA engine
  int cuda_runtime_version = 0;
  int cuda_driver_version = 0;  // 0: no NVIDIA driver on this machine
  int cuda_devices = 0;
  std::string cuda_first_device;
  int cpu_threads = 0;          // hardware threads available to the CPU engine
};

// Probes once per call; cheap enough for --version and start-up logging.
DeviceInfo probe_devices();

// One line for `sglc --version`, e.g. "CUDA 13.0 built in, no GPU found; CPU: 2 threads".
std::string describe_devices(const DeviceInfo& info);

}  // namespace sgl
