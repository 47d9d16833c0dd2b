// --device auto|cpu|cuda: which engine to create. auto = CUDA when this binary has it and a GPU
// is present, else the CPU engine; cuda without a GPU (or without CUDA built in) is an error
// with a message saying which.
#pragma once

#include <string>
#include <string_view>

#include "device.h"

namespace sgl {

enum class DeviceRequest { Auto, Cpu, Cuda };
enum class DeviceKind { Cpu, Cuda };

// false for anything but auto, cpu, cuda (case-insensitive).
bool parse_device_request(std::string_view s, DeviceRequest* out);
const char* device_kind_name(DeviceKind k);

// false (and *err set) when the request cannot be met on this machine.
bool resolve_device(DeviceRequest req, const DeviceInfo& info, DeviceKind* out, std::string* err);

}  // namespace sgl
