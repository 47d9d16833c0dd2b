#include "device.h"

#include <doctest/doctest.h>

TEST_CASE("device probe never fails and describes itself") {
  sgl::DeviceInfo info = sgl::probe_devices();
  CHECK(info.cpu_threads >= 1);
  CHECK(info.cuda_devices >= 0);
#ifdef SGL_HAVE_CUDA
  CHECK(info.cuda_built);
  CHECK(info.cuda_runtime_version >= 12000);
#else
  CHECK_FALSE(info.cuda_built);
#endif
  std::string text = sgl::describe_devices(info);
  CHECK(text.find("CPU: ") != std::string::npos);
  if (info.cuda_devices == 0) CHECK(info.cuda_first_device.empty());
}
