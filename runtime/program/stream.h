// The state of one program instance's stream: its text (a prefix shared with the fork parent plus
// an own suffix, so branches never copy the text they share), its chat messages, and the variables
// gen/select bound, each with its meta information.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "backend.h"
#include "chat_template.h"

namespace sgl {

// Text as an immutable shared prefix (a chain of frozen chunks) plus a mutable tail. fork()
// freezes the tail once; every branch then appends to a tail of its own.
class SharedText {
 public:
  void append(std::string_view s) { tail_.append(s); }
  size_t size() const { return (frozen_ ? frozen_->total : 0) + tail_.size(); }
  std::string str() const;
  std::string substr(size_t begin, size_t end) const;
  // A copy that shares everything written so far (this text's tail is frozen first).
  SharedText fork();
  // Bytes held by the frozen prefix (shared with other branches) and by the own tail.
  size_t shared_bytes() const { return frozen_ ? frozen_->total : 0; }
  size_t own_bytes() const { return tail_.size(); }

 private:
  struct Chunk {
    std::shared_ptr<const Chunk> prev;
    std::string text;
    size_t total = 0;           // bytes up to and including this chunk
    mutable std::string flat;   // the whole text up to here, built on first use
    mutable bool flat_ready = false;
    const std::string& whole() const;
  };
  std::shared_ptr<const Chunk> frozen_;
  std::string tail_;
};

struct VarMeta {
  int64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  FinishReason finish = FinishReason::None;
};

struct Var {
  std::string name;
  const char* type;  // interned descriptor
  uint64_t bits;
  VarMeta meta;
};

struct Message {
  int32_t role;        // SGL_ROLE_*
  size_t begin, end;   // the content's byte range in the text (after the header, before the end marker)
};

class Stream {
 public:
  SharedText text;
  std::vector<Message> messages;  // finished turns
  int32_t open_role = -1;         // the turn being written, -1 outside a turn
  size_t open_begin = 0;

  // Writes a turn's header / end marker with `t`; returns the text appended.
  std::string role_begin(const ChatTemplate& t, int32_t role);
  std::string role_end(const ChatTemplate& t, int32_t role);
  std::string message_content(const Message& m) const { return text.substr(m.begin, m.end); }

  // Binds (or rebinds) a variable; the first binding fixes its place in the order.
  void bind(std::string_view name, const char* type, uint64_t bits, const VarMeta& meta);
  const Var* find(std::string_view name) const;
  const std::vector<Var>& vars() const { return vars_; }

  // A branch's stream: the same text (shared), messages and open turn; no variables (a branch's
  // variables are the ones its body binds).
  Stream fork();

 private:
  int32_t last_role_ = -1;  // the role of the last finished turn (Llama 2 system merging)
  std::vector<Var> vars_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace sgl
