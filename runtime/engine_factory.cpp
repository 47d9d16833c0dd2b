// --device → Engine (see engine_factory.h).
#include "engine_factory.h"

#include "cpu_engine.h"
#include "cuda_engine.h"

namespace sgl {

bool select_device(const std::string& device, DeviceKind* kind, std::string* err) {
  DeviceRequest req;
  if (!parse_device_request(device, &req)) {
    *err = "--device must be auto, cpu or cuda, got '" + device + "'";
    return false;
  }
  if (req != DeviceRequest::Cuda) {  // auto stays on the CPU engine for now: nothing to probe
    *kind = DeviceKind::Cpu;
    return true;
  }
  return resolve_device(req, probe_devices(), kind, err);
}

std::unique_ptr<Engine> make_engine(const EngineRequest& r, DeviceKind kind, std::shared_ptr<const Model> model,
                                    std::string* err) {
  if (kind == DeviceKind::Cuda) {
    CudaEngineOptions co;
    co.kv_slots = r.kv_slots;
    if (r.kv_mem_fraction > 0) co.kv_mem_fraction = r.kv_mem_fraction;
    return make_cuda_engine(std::move(model), co, err);
  }
  CpuEngineOptions eo;
  eo.threads = r.threads;
  eo.kv_slots = r.kv_slots;
  return make_cpu_engine(std::move(model), eo);
}

}  // namespace sgl
