// A Backend for tests only (never reachable from the command line): gens return scripted text
// chosen by rules (gen name, prompt suffix, or a queue), selects pick by rule, and every request
// is recorded so tests can assert prompts, prefix commits and batching.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backend.h"

namespace sgl::test {

class ScriptedBackend : public Backend {
 public:
  struct Seen {
    uint64_t id;
    RequestKind kind;
    std::string name;
    std::string prompt;
    std::vector<std::string> choices;
    GenParams gen;
    size_t step;  // the step() call that finished it (0-based)
  };

  // Gen rules, tried in the order added; the first match answers. `times` < 0: unlimited.
  ScriptedBackend& gen_named(std::string name, std::string text, int times = -1);
  ScriptedBackend& gen_after(std::string prompt_suffix, std::string text, int times = -1);
  // Answers for gens no rule matched, in order.
  ScriptedBackend& gen_queue(std::string text);
  // Full control: return a text, or nullopt to fall through to the rules.
  std::function<std::optional<std::string>(const Request&)> gen_fn;
  // A gen by this name fails as an engine error with `message`.
  ScriptedBackend& gen_error(std::string name, std::string message);
  // The FinishReason reported for gens (Stop unless a test wants Length).
  FinishReason finish = FinishReason::Stop;

  // select: by name, the choice with this text; otherwise select_fn; otherwise the first choice.
  ScriptedBackend& select_named(std::string name, std::string choice);
  std::function<int64_t(const Request&)> select_fn;

  // Requests finished per step (0: all outstanding); 1 shows interleaving.
  size_t per_step = 0;
  // Split each gen's text into pieces of this many bytes for on_text (0: one piece).
  size_t stream_piece = 0;
  // What chat template detection sees.
  std::string template_source;
  std::vector<std::string> special_tokens;

  void submit(Request* r) override;
  void step(std::vector<Request*>& done) override;
  std::string chat_template_source() const override { return template_source; }
  bool has_special_token(std::string_view text) const override;
  std::string stats_json() const override;

  std::vector<Seen> seen;  // in submission order
  size_t steps = 0;
  size_t max_outstanding = 0;  // the most requests that were pending at one step

 private:
  struct Rule {
    std::string name, suffix, text, error;
    int times;
  };
  void answer(Request* r);
  std::vector<Rule> rules_;
  std::deque<std::string> queue_;
  std::vector<std::pair<std::string, std::string>> selects_;
  std::deque<Request*> pending_;
};

}  // namespace sgl::test
