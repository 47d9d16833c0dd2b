// Runtime errors of a program instance: the one format "file:line:col: runtime error: message"
// and the helper every rt.h entry point uses to record one and return its status.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sgl/rt.h"

namespace sgl {

std::string format_runtime_error(const sgl_loc* loc, std::string_view message);
// Records the error on the instance (the first one wins) and returns `status`.
int32_t record_error(sgl_ctx* ctx, const sgl_loc* loc, std::string_view message, int32_t status = SGL_ERR_RUNTIME);

}  // namespace sgl
