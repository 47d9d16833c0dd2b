// One place that turns --device (and the memory options) into an Engine: `sglc complete`,
// `sglc bench` and the program runtime's model backend all create their engine here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "device_select.h"
#include "engine.h"

namespace sgl {

struct Model;

struct EngineRequest {
  int threads = 0;              // CPU engine threads (0: all cores)
  // KV pool size in token slots. The CPU engine needs it > 0; the CUDA engine sizes the pool from
  // kv_mem_fraction of the free GPU memory after the weights when it is 0.
  int32_t kv_slots = 0;
  double kv_mem_fraction = 0;  // --mem-fraction-static (CUDA only; 0: the CUDA engine's default)
};

// Which engine --device selects on this machine. The CUDA engine has not yet run on a GPU
// (kernels/GPU_TODO.md): until it has, auto means the CPU engine and only an explicit
// --device cuda selects it. False (and *err set, e.g. "--device cuda: no NVIDIA driver on this
// machine") when the request cannot be met. Only `cuda` probes the machine's devices.
bool select_device(const std::string& device, DeviceKind* kind, std::string* err);

// The engine of `kind` (from select_device, which callers run once, before sizing its pool);
// null with *err set when it cannot be created.
std::unique_ptr<Engine> make_engine(const EngineRequest& r, DeviceKind kind, std::shared_ptr<const Model> model,
                                    std::string* err);

}  // namespace sgl
