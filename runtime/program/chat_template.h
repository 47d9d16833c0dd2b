// Built-in chat templates (ChatML/Qwen, Llama 2, Llama 3, Mistral, a plain default): the text a
// role turn begins and ends with, and the end-of-turn marker that stops every gen inside a turn.
// The choice looks at the model's tokenizer_config.json chat_template or its vocabulary, and can
// be overridden by name (--chat-template NAME).
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace sgl {

struct ChatTemplate {
  std::string name;
  std::string begin[3];  // by SGL_ROLE_*: written by sgl_role_begin
  std::string end[3];    // written by sgl_role_end
  // Llama 2 / Mistral put the system prompt inside the first [INST]: a user turn right after a
  // system turn then begins with user_after_system instead of begin[user].
  bool merge_system = false;
  std::string user_after_system;
  std::string stop;  // the end-of-turn marker: a stop string for gens inside a turn ("" none)
};

// By name (chatml, qwen, llama2, llama3, mistral, plain); nullptr for an unknown name.
const ChatTemplate* find_chat_template(std::string_view name);
std::string chat_template_names();  // "chatml, llama2, llama3, mistral, plain"

struct ChatTemplateChoice {
  const ChatTemplate* tmpl;
  std::string reason;  // why it was chosen, for SGL_DEBUG=1
};
// `jinja`: the tokenizer's chat_template text (may be empty); `has_token`: whether the vocabulary
// has a special token spelled so. Falls back to "plain".
ChatTemplateChoice detect_chat_template(std::string_view jinja,
                                        const std::function<bool(std::string_view)>& has_token);

}  // namespace sgl
