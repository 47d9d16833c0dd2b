// Device discovery for the CUDA engine. Safe to call on a machine with no GPU or no driver: it
// reports zero devices instead of failing.
#pragma once

namespace sgl::cuda {

struct DeviceSummary {
  int count = 0;             // usable CUDA devices (0 when there is no driver or no GPU)
  int runtime_version = 0;   // CUDA runtime the binary was built with, e.g. 13000
  int driver_version = 0;    // 0 when no driver is installed
  char first_name[256] = {}; // name of device 0, empty when count == 0
};

DeviceSummary query_devices();

}  // namespace sgl::cuda
