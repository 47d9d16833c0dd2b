// Stream text sharing, chat turns and variables (see stream.h).
#include "stream.h"

#include "sgl/rt.h"

namespace sgl {

const std::string& SharedText::Chunk::whole() const {
  if (!flat_ready) {
    if (prev) {
      flat.reserve(total);
      flat = prev->whole();
      flat += text;
    } else {
      flat = text;
    }
    flat_ready = true;
  }
  return flat;
}

std::string SharedText::str() const {
  if (!frozen_) return tail_;
  std::string s;
  s.reserve(size());
  s = frozen_->whole();
  s += tail_;
  return s;
}

std::string SharedText::substr(size_t begin, size_t end) const {
  size_t base = shared_bytes();
  if (begin >= base) return tail_.substr(begin - base, end - begin);
  return str().substr(begin, end - begin);
}

SharedText SharedText::fork() {
  if (!tail_.empty()) {
    auto c = std::make_shared<Chunk>();
    c->prev = frozen_;
    c->total = size();
    c->text = std::move(tail_);
    tail_.clear();
    frozen_ = std::move(c);
  }
  SharedText copy;
  copy.frozen_ = frozen_;
  return copy;
}

std::string Stream::role_begin(const ChatTemplate& t, int32_t role) {
  std::string h = t.begin[role];
  if (t.merge_system && role == SGL_ROLE_USER && last_role_ == SGL_ROLE_SYSTEM) h = t.user_after_system;
  text.append(h);
  open_role = role;
  open_begin = text.size();
  return h;
}

std::string Stream::role_end(const ChatTemplate& t, int32_t role) {
  if (open_role >= 0) messages.push_back({open_role, open_begin, text.size()});
  std::string e = t.end[role];
  text.append(e);
  open_role = -1;
  last_role_ = role;
  return e;
}

void Stream::bind(std::string_view name, const char* type, uint64_t bits, const VarMeta& meta) {
  auto it = index_.find(std::string(name));
  if (it != index_.end()) {
    vars_[it->second].type = type;
    vars_[it->second].bits = bits;
    vars_[it->second].meta = meta;
    return;
  }
  index_.emplace(std::string(name), vars_.size());
  vars_.push_back({std::string(name), type, bits, meta});
}

const Var* Stream::find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? nullptr : &vars_[it->second];
}

Stream Stream::fork() {
  Stream s;
  s.text = text.fork();
  s.messages = messages;
  s.open_role = open_role;
  s.open_begin = open_begin;
  s.last_role_ = last_role_;
  return s;
}

}  // namespace sgl
