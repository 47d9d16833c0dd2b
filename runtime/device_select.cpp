#include "device_select.h"

#include <algorithm>
#include <cctype>

namespace sgl {

bool parse_device_request(std::string_view s, DeviceRequest* out) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char ch) { return (char)std::tolower(ch); });
  if (l == "auto") *out = DeviceRequest::Auto;
  else if (l == "cpu") *out = DeviceRequest::Cpu;
  else if (l == "cuda" || l == "gpu") *out = DeviceRequest::Cuda;
  else return false;
  return true;
}

const char* device_kind_name(DeviceKind k) { return k == DeviceKind::Cuda ? "cuda" : "cpu"; }

bool resolve_device(DeviceRequest req, const DeviceInfo& info, DeviceKind* out, std::string* err) {
  const bool gpu = info.cuda_built && info.cuda_devices > 0;
  switch (req) {
    case DeviceRequest::Cpu:
      *out = DeviceKind::Cpu;
      return true;
    case DeviceRequest::Auto:
      *out = gpu ? DeviceKind::Cuda : DeviceKind::Cpu;
      return true;
    case DeviceRequest::Cuda:
      if (gpu) {
        *out = DeviceKind::Cuda;
        return true;
      }
      if (!info.cuda_built) *err = "--device cuda: this binary was built without CUDA (rebuild with -DSGL_CUDA=ON)";
      else if (info.cuda_driver_version == 0) *err = "--device cuda: no NVIDIA driver on this machine";
      else *err = "--device cuda: no CUDA GPU found";
      return false;
  }
  return false;
}

}  // namespace sgl
