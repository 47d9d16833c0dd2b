// The built-in chat templates and the rules that pick one for a model (see chat_template.h).
#include "chat_template.h"

#include <array>

#include "sgl/rt.h"

namespace sgl {
namespace {

ChatTemplate make(std::string name, std::array<std::string, 3> begin, std::array<std::string, 3> end,
                  std::string stop) {
  ChatTemplate t;
  t.name = std::move(name);
  for (int i = 0; i < 3; ++i) {
    t.begin[i] = std::move(begin[i]);
    t.end[i] = std::move(end[i]);
  }
  t.stop = std::move(stop);
  return t;
}

const std::array<ChatTemplate, 5>& templates() {
  static const std::array<ChatTemplate, 5> all = [] {
    ChatTemplate chatml = make("chatml",
                               {"<|im_start|>system\n", "<|im_start|>user\n", "<|im_start|>assistant\n"},
                               {"<|im_end|>\n", "<|im_end|>\n", "<|im_end|>\n"}, "<|im_end|>");
    ChatTemplate llama3 = make("llama3",
                               {"<|start_header_id|>system<|end_header_id|>\n\n",
                                "<|start_header_id|>user<|end_header_id|>\n\n",
                                "<|start_header_id|>assistant<|end_header_id|>\n\n"},
                               {"<|eot_id|>", "<|eot_id|>", "<|eot_id|>"}, "<|eot_id|>");
    // SGLang's llama-2-chat: the system prompt sits inside the first [INST].
    ChatTemplate llama2 = make("llama2", {"[INST] <<SYS>>\n", "[INST] ", ""},
                               {"\n<</SYS>>\n\n", " [/INST]", " </s><s>"}, "</s>");
    llama2.merge_system = true;
    // Mistral's template has no system role: the system text opens the first [INST].
    ChatTemplate mistral = make("mistral", {"[INST] ", "[INST] ", ""}, {"\n\n", " [/INST]", "</s>"}, "</s>");
    mistral.merge_system = true;
    // No markers the model knows; a model continuing past its turn starts a "User:" line.
    ChatTemplate plain = make("plain", {"System: ", "User: ", "Assistant: "}, {"\n", "\n", "\n"}, "\nUser:");
    return std::array<ChatTemplate, 5>{chatml, llama2, llama3, mistral, plain};
  }();
  return all;
}

}  // namespace

const ChatTemplate* find_chat_template(std::string_view name) {
  if (name == "qwen") name = "chatml";
  for (const ChatTemplate& t : templates())
    if (t.name == name) return &t;
  return nullptr;
}

std::string chat_template_names() { return "chatml, llama2, llama3, mistral, plain"; }

ChatTemplateChoice detect_chat_template(std::string_view jinja,
                                        const std::function<bool(std::string_view)>& has_token) {
  struct Rule {
    const char* marker;
    const char* name;
  };
  // Most specific first: Llama 2's template also contains [INST].
  static const Rule rules[] = {
      {"<|im_start|>", "chatml"}, {"<|start_header_id|>", "llama3"}, {"<<SYS>>", "llama2"}, {"[INST]", "mistral"}};
  for (const Rule& r : rules)
    if (jinja.find(r.marker) != std::string_view::npos)
      return {find_chat_template(r.name), std::string("the model's chat_template mentions ") + r.marker};
  static const Rule vocab_rules[] = {
      {"<|im_start|>", "chatml"}, {"<|start_header_id|>", "llama3"}, {"[INST]", "mistral"}};
  if (has_token)
    for (const Rule& r : vocab_rules)
      if (has_token(r.marker))
        return {find_chat_template(r.name), std::string("the vocabulary has the token ") + r.marker};
  return {find_chat_template("plain"), jinja.empty() ? "the model has no chat_template and no known turn tokens"
                                                     : "the model's chat_template matches no built-in template"};
}

}  // namespace sgl
