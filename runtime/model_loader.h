// Loads a model from a llama2.c `.bin` checkpoint, a GGUF file or a Hugging Face folder, picking
// the format from the path. Errors are ModelError with one line naming the file and the problem.
#pragma once

#include <memory>
#include <string>

#include "model.h"

namespace sgl {

enum class ModelFormat { Llama2c, Gguf, HfFolder };

// Decides the format from the path (folder => HF, GGUF magic => GGUF, otherwise llama2.c).
ModelFormat detect_model_format(const std::string& path);

std::unique_ptr<Model> load_model(const std::string& path);
std::unique_ptr<Model> load_llama2c(const std::string& path);
std::unique_ptr<Model> load_gguf(const std::string& path);
std::unique_ptr<Model> load_hf(const std::string& dir);

}  // namespace sgl
