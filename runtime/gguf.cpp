// GGUF parsing with bounds checks on every read, so a truncated or corrupt file gives a one-line
// error instead of a crash.
#include "gguf.h"

#include <cstring>
#include <fstream>

namespace sgl {
namespace {

enum GgufType : uint32_t {
  kU8 = 0, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64
};

// ggml type ids of the tensor element types we support.
constexpr uint32_t kGgmlF32 = 0, kGgmlF16 = 1, kGgmlQ4_0 = 2, kGgmlQ8_0 = 8, kGgmlBF16 = 30;

struct Reader {
  const uint8_t* p;
  size_t n, off = 0;
  const std::string& path;
  void need(size_t k) {
    if (off + k > n || off + k < off) throw_model_error(path, "truncated GGUF file (header ends early)");
  }
  template <class T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p + off, sizeof(T));
    off += sizeof(T);
    return v;
  }
  std::string str() {
    uint64_t len = get<uint64_t>();
    need(len);
    std::string s((const char*)p + off, len);
    off += len;
    return s;
  }
};

double scalar_as_double(Reader& r, uint32_t t, bool* is_float, bool* ok) {
  *ok = true;
  *is_float = false;
  switch (t) {
    case kU8: return r.get<uint8_t>();
    case kI8: return r.get<int8_t>();
    case kU16: return r.get<uint16_t>();
    case kI16: return r.get<int16_t>();
    case kU32: return r.get<uint32_t>();
    case kI32: return r.get<int32_t>();
    case kU64: return (double)r.get<uint64_t>();
    case kI64: return (double)r.get<int64_t>();
    case kBool: return r.get<uint8_t>();
    case kF32: *is_float = true; return r.get<float>();
    case kF64: *is_float = true; return r.get<double>();
    default: *ok = false; return 0;
  }
}

GgufValue read_value(Reader& r, uint32_t t) {
  if (t == kString) return r.str();
  if (t == kU64) return r.get<uint64_t>();
  if (t == kI64) return r.get<int64_t>();
  if (t == kBool) return r.get<uint8_t>() != 0;
  if (t == kArray) {
    uint32_t et = r.get<uint32_t>();
    uint64_t cnt = r.get<uint64_t>();
    if (cnt > r.n) throw_model_error(r.path, "corrupt GGUF array length");
    if (et == kString) {
      std::vector<std::string> v;
      v.reserve(cnt);
      for (uint64_t i = 0; i < cnt; ++i) v.push_back(r.str());
      return v;
    }
    if (et == kF32 || et == kF64) {
      std::vector<double> v(cnt);
      bool f, ok;
      for (uint64_t i = 0; i < cnt; ++i) v[i] = scalar_as_double(r, et, &f, &ok);
      return v;
    }
    std::vector<int64_t> v(cnt);
    for (uint64_t i = 0; i < cnt; ++i) {
      bool f, ok;
      if (et == kU64) v[i] = (int64_t)r.get<uint64_t>();
      else if (et == kI64) v[i] = r.get<int64_t>();
      else {
        v[i] = (int64_t)scalar_as_double(r, et, &f, &ok);
        if (!ok) throw_model_error(r.path, "unsupported GGUF array element type " + std::to_string(et));
      }
    }
    return v;
  }
  bool f, ok;
  double d = scalar_as_double(r, t, &f, &ok);
  if (!ok) throw_model_error(r.path, "unsupported GGUF metadata type " + std::to_string(t));
  if (f) return d;
  return (int64_t)d;
}

}  // namespace

GgufFile::GgufFile(const std::string& path) : file_(path) {
  Reader r{file_.data(), file_.size(), 0, file_.path()};
  if (file_.size() < 4 || std::memcmp(file_.data(), "GGUF", 4) != 0)
    throw_model_error(path, "not a GGUF file (bad magic)");
  r.off = 4;
  version_ = r.get<uint32_t>();
  if (version_ != 2 && version_ != 3)
    throw_model_error(path, "unsupported GGUF version " + std::to_string(version_) + " (need 2 or 3)");
  uint64_t n_tensors = r.get<uint64_t>(), n_kv = r.get<uint64_t>();
  if (n_tensors > (1u << 24) || n_kv > (1u << 24)) throw_model_error(path, "corrupt GGUF header (absurd counts)");
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = r.str();
    uint32_t t = r.get<uint32_t>();
    kv_[key] = read_value(r, t);
  }
  struct Info {
    std::string name;
    std::vector<int64_t> ne;
    uint32_t type;
    uint64_t off;
  };
  std::vector<Info> infos;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    Info in;
    in.name = r.str();
    uint32_t nd = r.get<uint32_t>();
    if (nd > 4) throw_model_error(path, "tensor '" + in.name + "' has " + std::to_string(nd) + " dimensions");
    for (uint32_t d = 0; d < nd; ++d) in.ne.push_back((int64_t)r.get<uint64_t>());
    in.type = r.get<uint32_t>();
    in.off = r.get<uint64_t>();
    infos.push_back(std::move(in));
  }
  uint64_t align = (uint64_t)get_int("general.alignment", 32);
  if (align == 0) align = 32;
  size_t data_start = (r.off + align - 1) / align * align;
  for (auto& in : infos) {
    DType dt;
    switch (in.type) {
      case kGgmlF32: dt = DType::F32; break;
      case kGgmlF16: dt = DType::F16; break;
      case kGgmlBF16: dt = DType::BF16; break;
      case kGgmlQ8_0: dt = DType::Q8_0; break;
      case kGgmlQ4_0: dt = DType::Q4_0; break;
      default:
        throw_model_error(path, "tensor '" + in.name + "' has unsupported ggml type " +
                                    std::to_string(in.type) + " (supported: F32, F16, BF16, Q8_0, Q4_0)");
    }
    int64_t rows = 1;
    for (size_t d = 1; d < in.ne.size(); ++d) rows *= in.ne[d];
    int64_t n0 = in.ne.empty() ? 1 : in.ne[0];
    if ((dt == DType::Q8_0 || dt == DType::Q4_0) && n0 % kQBlock != 0)
      throw_model_error(path, "tensor '" + in.name + "' row length is not a multiple of 32");
    size_t nbytes = row_bytes(dt, n0) * (size_t)rows;
    if (data_start + in.off + nbytes > file_.size())
      throw_model_error(path, "truncated: tensor '" + in.name + "' extends past the end of the file");
    index_[in.name] = tensors_.size();
    tensors_.push_back({in.name, in.ne, dt, file_.data() + data_start + in.off, nbytes});
  }
}

const GgufValue* GgufFile::get(const std::string& key) const {
  auto it = kv_.find(key);
  return it == kv_.end() ? nullptr : &it->second;
}

std::string GgufFile::get_string(const std::string& key, const std::string& def) const {
  auto* v = get(key);
  if (v && std::holds_alternative<std::string>(*v)) return std::get<std::string>(*v);
  return def;
}

int64_t GgufFile::get_int(const std::string& key, int64_t def) const {
  auto* v = get(key);
  if (!v) return def;
  if (auto* i = std::get_if<int64_t>(v)) return *i;
  if (auto* u = std::get_if<uint64_t>(v)) return (int64_t)*u;
  if (auto* b = std::get_if<bool>(v)) return *b;
  if (auto* d = std::get_if<double>(v)) return (int64_t)*d;
  return def;
}

double GgufFile::get_float(const std::string& key, double def) const {
  auto* v = get(key);
  if (!v) return def;
  if (auto* d = std::get_if<double>(v)) return *d;
  if (auto* i = std::get_if<int64_t>(v)) return (double)*i;
  if (auto* u = std::get_if<uint64_t>(v)) return (double)*u;
  return def;
}

bool GgufFile::get_bool(const std::string& key, bool def) const {
  auto* v = get(key);
  if (!v) return def;
  if (auto* b = std::get_if<bool>(v)) return *b;
  return get_int(key, def) != 0;
}

const GgufTensor* GgufFile::tensor(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

void GgufWriter::add_tensor(const std::string& name, std::vector<int64_t> ne, DType dtype,
                            std::vector<uint8_t> data) {
  tensors_.push_back({name, std::move(ne), dtype, std::move(data)});
}

namespace {
struct Out {
  std::ofstream& f;
  uint64_t pos = 0;
  void raw(const void* p, size_t n) {
    f.write((const char*)p, (std::streamsize)n);
    pos += n;
  }
  template <class T>
  void put(T v) { raw(&v, sizeof v); }
  void str(const std::string& s) {
    put<uint64_t>(s.size());
    raw(s.data(), s.size());
  }
};
}  // namespace

void GgufWriter::write(const std::string& path) const {
  std::ofstream f(path, std::ios::binary);
  if (!f) throw_model_error(path, "cannot create file");
  Out o{f};
  o.raw("GGUF", 4);
  o.put<uint32_t>(3);
  o.put<uint64_t>(tensors_.size());
  o.put<uint64_t>(kv_.size() + u32_.size() + f32_.size());
  for (auto& [k, v] : u32_) { o.str(k); o.put<uint32_t>(kU32); o.put<uint32_t>(v); }
  for (auto& [k, v] : f32_) { o.str(k); o.put<uint32_t>(kF32); o.put<float>(v); }
  for (auto& [k, v] : kv_) {
    o.str(k);
    if (auto* s = std::get_if<std::string>(&v)) { o.put<uint32_t>(kString); o.str(*s); }
    else if (auto* i = std::get_if<int64_t>(&v)) { o.put<uint32_t>(kI32); o.put<int32_t>((int32_t)*i); }
    else if (auto* u = std::get_if<uint64_t>(&v)) { o.put<uint32_t>(kU64); o.put<uint64_t>(*u); }
    else if (auto* d = std::get_if<double>(&v)) { o.put<uint32_t>(kF32); o.put<float>((float)*d); }
    else if (auto* b = std::get_if<bool>(&v)) { o.put<uint32_t>(kBool); o.put<uint8_t>(*b); }
    else if (auto* vs = std::get_if<std::vector<std::string>>(&v)) {
      o.put<uint32_t>(kArray); o.put<uint32_t>(kString); o.put<uint64_t>(vs->size());
      for (auto& e : *vs) o.str(e);
    } else if (auto* vd = std::get_if<std::vector<double>>(&v)) {
      o.put<uint32_t>(kArray); o.put<uint32_t>(kF32); o.put<uint64_t>(vd->size());
      for (double e : *vd) o.put<float>((float)e);
    } else if (auto* vi = std::get_if<std::vector<int64_t>>(&v)) {
      o.put<uint32_t>(kArray); o.put<uint32_t>(kI32); o.put<uint64_t>(vi->size());
      for (int64_t e : *vi) o.put<int32_t>((int32_t)e);
    }
  }
  const uint64_t align = 32;
  uint64_t off = 0;
  for (auto& t : tensors_) {
    o.str(t.name);
    o.put<uint32_t>((uint32_t)t.ne.size());
    for (int64_t n : t.ne) o.put<uint64_t>((uint64_t)n);
    uint32_t ty = t.dtype == DType::F32 ? kGgmlF32 : t.dtype == DType::F16 ? kGgmlF16
                : t.dtype == DType::BF16 ? kGgmlBF16 : t.dtype == DType::Q8_0 ? kGgmlQ8_0 : kGgmlQ4_0;
    o.put<uint32_t>(ty);
    o.put<uint64_t>(off);
    off += (t.data.size() + align - 1) / align * align;
  }
  static const char zeros[64] = {};
  o.raw(zeros, (align - o.pos % align) % align);
  for (auto& t : tensors_) {
    o.raw(t.data.data(), t.data.size());
    o.raw(zeros, (align - t.data.size() % align) % align);
  }
  if (!f) throw_model_error(path, "write failed");
}

}  // namespace sgl
