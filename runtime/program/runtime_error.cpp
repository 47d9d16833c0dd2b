// Formats and records runtime errors (see runtime_error.h).
#include "runtime_error.h"

#include "instance.h"

namespace sgl {

std::string format_runtime_error(const sgl_loc* loc, std::string_view message) {
  std::string s;
  if (loc && loc->file) {
    s += loc->file;
    s += ':' + std::to_string(loc->line) + ':' + std::to_string(loc->col) + ": ";
  }
  s += "runtime error: ";
  s += message;
  return s;
}

int32_t record_error(sgl_ctx* ctx, const sgl_loc* loc, std::string_view message, int32_t status) {
  if (ctx && ctx->error.empty()) ctx->error = format_runtime_error(loc, message);
  return status;
}

}  // namespace sgl
