// The interface between the program executor and whatever turns prompts into text: the executor
// hands over every pending request of every suspended instance together, the backend finishes
// them in batches. The CPU-engine backend (model_backend.h) implements it on top of the serving
// core's scheduler and radix cache (runtime/serve); tests script it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sgl {

enum class RequestKind {
  Gen,      // continue `prompt` and return the generated text
  Select,   // score `choices` as continuations of `prompt`, return the index of the best
  Prefill,  // commit `prompt` to the prefix cache (fork_begin); generates nothing (max_tokens 0)
};

// Values equal rt.h's SGL_SELECT_* constants.
enum class SelectMethod { TokenLengthNormalized = 0, Greedy = 1, Unconditional = 2 };

enum class ConstraintKind { None, Regex, JsonSchema };

struct GenParams {
  int64_t max_tokens = 128;
  int64_t min_tokens = 0;  // stop strings, stop ids and EOS are ignored before this many tokens
  std::vector<std::string> stop;          // cut from the text (the stop string is not included)
  std::vector<int32_t> stop_token_ids;    // in addition to the tokenizer's own (EOS, <|eot_id|>)
  double temperature = 0.0;               // 0: greedy
  double top_p = 1.0;
  int64_t top_k = -1;  // -1 or 0: off
  double min_p = 0.0;
  double frequency_penalty = 0.0;
  double presence_penalty = 0.0;
  bool ignore_eos = false;
  uint64_t seed = 0;
  bool logprobs = false;
  int64_t top_logprobs = 0;
  ConstraintKind constraint = ConstraintKind::None;
  std::string constraint_text;  // the regex pattern or the JSON schema text
};

enum class FinishReason { None, Stop, Length };

// One request. The executor creates and owns it; it stays alive and at the same address from
// submit() until step() reports it done. The backend reads the inputs and writes only the
// results (and calls on_text); the executor touches nothing in it meanwhile.
struct Request {
  // ---- inputs (written by the executor before submit) ----
  uint64_t id = 0;  // unique within a run, increasing in submission order
  RequestKind kind = RequestKind::Gen;
  std::string name;    // the gen/select variable name, "" for an unnamed one (rules, debugging)
  std::string prompt;  // the whole stream text so far, chat template markers included
  GenParams gen;                     // Gen (Select and Prefill ignore it)
  std::vector<std::string> choices;  // Select
  SelectMethod method = SelectMethod::TokenLengthNormalized;
  // Gen: called during step() (or already during submit(), for text a constraint forces before
  // the first token) with pieces of the generated text as they become final (a stop string can no
  // longer cut them). The pieces concatenate to a prefix of `text`. May be empty.
  std::function<void(std::string_view)> on_text;

  // ---- results (written by the backend before step() reports the request) ----
  std::string text;         // Gen: the generated text, stop string excluded
  int64_t choice = -1;      // Select: index into choices
  std::vector<double> choice_scores;  // Select: the method's score per choice (informational)
  FinishReason finish = FinishReason::None;
  int64_t prompt_tokens = 0, completion_tokens = 0, cached_tokens = 0;
  std::vector<float> token_logprobs;  // Gen with logprobs: one per generated token
  std::string error;  // non-empty: the backend could not serve the request (message, no position)
};

class Backend {
 public:
  virtual ~Backend() = default;
  // Takes a request (ownership stays with the caller; see Request).
  virtual void submit(Request* r) = 0;
  // Works on everything submitted and not yet finished (batched across requests) until at least
  // one request finishes, and appends the finished ones to `done`. Called only while at least one
  // submitted request is unfinished. Throws only for internal failures; a request the backend
  // cannot serve is finished with `error` set.
  virtual void step(std::vector<Request*>& done) = 0;

  // What the chat template choice looks at: the model's chat_template text (tokenizer_config.json)
  // and whether the vocabulary has a special token spelled `text` (e.g. "<|im_start|>").
  virtual std::string chat_template_source() const { return {}; }
  virtual bool has_special_token(std::string_view /*text*/) const { return false; }
  // Counters for --stats, as one JSON object.
  virtual std::string stats_json() const { return "{}"; }
};

}  // namespace sgl
