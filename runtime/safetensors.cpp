// Safetensors: an 8-byte little-endian header length, a JSON header, then raw data.
#include "safetensors.h"

#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace sgl {

SafetensorsSet::SafetensorsSet(const std::string& dir) {
  std::string index = dir + "/model.safetensors.index.json";
  std::string single = dir + "/model.safetensors";
  if (file_exists(index)) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(read_text_file(index));
    } catch (const nlohmann::json::exception& e) {
      throw_model_error(index, std::string("invalid JSON: ") + e.what());
    }
    std::map<std::string, bool> shards;
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw_model_error(index, "missing 'weight_map'");
    for (auto& [k, v] : j["weight_map"].items()) shards[v.get<std::string>()] = true;
    for (auto& [s, _] : shards) add_file(dir + "/" + s);
    desc_ = index;
  } else if (file_exists(single)) {
    add_file(single);
    desc_ = single;
  } else {
    throw_model_error(dir, "no model.safetensors or model.safetensors.index.json in the folder");
  }
}

void SafetensorsSet::add_file(const std::string& path) {
  auto f = std::make_unique<MappedFile>(path);
  if (f->size() < 8) throw_model_error(path, "truncated safetensors file (no header)");
  uint64_t hlen;
  std::memcpy(&hlen, f->data(), 8);
  if (hlen > f->size() - 8) throw_model_error(path, "truncated safetensors file (header ends early)");
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(std::string((const char*)f->data() + 8, hlen));
  } catch (const nlohmann::json::exception& e) {
    throw_model_error(path, std::string("invalid safetensors header: ") + e.what());
  }
  const uint8_t* base = f->data() + 8 + hlen;
  size_t avail = f->size() - 8 - hlen;
  for (auto& [name, t] : h.items()) {
    if (name == "__metadata__") continue;
    std::string ds = t.value("dtype", "");
    DType dt;
    if (ds == "F32") dt = DType::F32;
    else if (ds == "F16") dt = DType::F16;
    else if (ds == "BF16") dt = DType::BF16;
    else throw_model_error(path, "tensor '" + name + "' has unsupported dtype " + ds + " (supported: F32, F16, BF16)");
    SafeTensor st{name, t.at("shape").get<std::vector<int64_t>>(), dt, nullptr, 0, path};
    auto offs = t.at("data_offsets").get<std::vector<uint64_t>>();
    if (offs.size() != 2 || offs[1] < offs[0]) throw_model_error(path, "tensor '" + name + "' has bad data_offsets");
    if (offs[1] > avail) throw_model_error(path, "truncated: tensor '" + name + "' extends past the end of the file");
    int64_t n = 1;
    for (auto d : st.shape) n *= d;
    if ((uint64_t)row_bytes(dt, n) != offs[1] - offs[0])
      throw_model_error(path, "tensor '" + name + "' byte size does not match its shape");
    st.data = base + offs[0];
    st.nbytes = offs[1] - offs[0];
    tensors_[name] = std::move(st);
  }
  files_.push_back(std::move(f));
}

const SafeTensor* SafetensorsSet::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

void write_safetensors(const std::string& path, const std::vector<SafeTensorOut>& tensors) {
  nlohmann::ordered_json h;
  h["__metadata__"] = {{"format", "pt"}};
  uint64_t off = 0;
  for (auto& t : tensors) {
    const char* ds = t.dtype == DType::F32 ? "F32" : t.dtype == DType::F16 ? "F16" : "BF16";
    h[t.name] = {{"dtype", ds}, {"shape", t.shape}, {"data_offsets", {off, off + t.data.size()}}};
    off += t.data.size();
  }
  std::string hs = h.dump();
  while ((hs.size() + 8) % 8) hs += ' ';
  std::ofstream f(path, std::ios::binary);
  if (!f) throw_model_error(path, "cannot create file");
  uint64_t hl = hs.size();
  f.write((const char*)&hl, 8);
  f.write(hs.data(), (std::streamsize)hs.size());
  for (auto& t : tensors) f.write((const char*)t.data.data(), (std::streamsize)t.data.size());
  if (!f) throw_model_error(path, "write failed");
}

}  // namespace sgl
