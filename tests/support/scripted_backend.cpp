// The scripted test backend (see scripted_backend.h).
#include "scripted_backend.h"

#include <algorithm>

namespace sgl::test {

ScriptedBackend& ScriptedBackend::gen_named(std::string name, std::string text, int times) {
  rules_.push_back({std::move(name), "", std::move(text), "", times});
  return *this;
}

ScriptedBackend& ScriptedBackend::gen_after(std::string suffix, std::string text, int times) {
  rules_.push_back({"", std::move(suffix), std::move(text), "", times});
  return *this;
}

ScriptedBackend& ScriptedBackend::gen_queue(std::string text) {
  queue_.push_back(std::move(text));
  return *this;
}

ScriptedBackend& ScriptedBackend::gen_error(std::string name, std::string message) {
  rules_.push_back({std::move(name), "", "", std::move(message), -1});
  return *this;
}

ScriptedBackend& ScriptedBackend::select_named(std::string name, std::string choice) {
  selects_.emplace_back(std::move(name), std::move(choice));
  return *this;
}

bool ScriptedBackend::has_special_token(std::string_view text) const {
  return std::find(special_tokens.begin(), special_tokens.end(), text) != special_tokens.end();
}

std::string ScriptedBackend::stats_json() const {
  return "{\"scripted_requests\": " + std::to_string(seen.size()) + ", \"steps\": " + std::to_string(steps) + "}";
}

void ScriptedBackend::submit(Request* r) {
  seen.push_back({r->id, r->kind, r->name, r->prompt, r->choices, r->gen, 0});
  pending_.push_back(r);
}

void ScriptedBackend::answer(Request* r) {
  if (r->kind == RequestKind::Prefill) return;
  if (r->kind == RequestKind::Select) {
    r->choice = 0;
    bool ruled = false;
    for (auto& [name, choice] : selects_)
      if (name == r->name) {
        auto it = std::find(r->choices.begin(), r->choices.end(), choice);
        if (it != r->choices.end()) {
          r->choice = it - r->choices.begin();
          ruled = true;
          break;
        }
      }
    if (!ruled && select_fn) r->choice = select_fn(*r);
    r->finish = FinishReason::Stop;
    return;
  }
  std::optional<std::string> text;
  if (gen_fn) text = gen_fn(*r);
  for (Rule& rule : rules_) {
    if (text) break;
    if (rule.times == 0) continue;
    bool match = (!rule.name.empty() && rule.name == r->name) ||
                 (!rule.suffix.empty() && r->prompt.size() >= rule.suffix.size() &&
                  r->prompt.compare(r->prompt.size() - rule.suffix.size(), rule.suffix.size(), rule.suffix) == 0);
    if (!match) continue;
    if (rule.times > 0) --rule.times;
    if (!rule.error.empty()) {
      r->error = rule.error;
      return;
    }
    text = rule.text;
  }
  if (!text && !queue_.empty()) {
    text = queue_.front();
    queue_.pop_front();
  }
  if (!text) {
    r->error = "scripted backend: no rule for gen '" + r->name + "' after " + r->prompt;
    return;
  }
  r->text = *text;
  r->finish = finish;
  r->completion_tokens = static_cast<int64_t>(r->text.size());
  r->prompt_tokens = static_cast<int64_t>(r->prompt.size());
  if (r->on_text) {
    size_t n = stream_piece ? stream_piece : std::max<size_t>(r->text.size(), 1);
    for (size_t i = 0; i < r->text.size(); i += n) r->on_text(std::string_view(r->text).substr(i, n));
  }
}

void ScriptedBackend::step(std::vector<Request*>& done) {
  max_outstanding = std::max(max_outstanding, pending_.size());
  size_t n = per_step ? std::min(per_step, pending_.size()) : pending_.size();
  for (size_t i = 0; i < n; ++i) {
    Request* r = pending_.front();
    pending_.pop_front();
    answer(r);
    for (Seen& s : seen)
      if (s.id == r->id) s.step = steps;
    done.push_back(r);
  }
  ++steps;
}

}  // namespace sgl::test
