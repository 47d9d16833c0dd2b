// Chat template choice: from the model's chat_template text, from its vocabulary, by name.
#include "chat_template.h"

#include <doctest/doctest.h>

#include <set>

using namespace sgl;

TEST_CASE("chat templates are chosen from the chat_template text, then the vocabulary, else plain") {
  auto none = [](std::string_view) { return false; };
  struct Row {
    std::string jinja, name;
  };
  std::vector<Row> rows = {
      {"{{ '<|im_start|>' + message['role'] }}", "chatml"},
      {"<|start_header_id|>{{ role }}<|end_header_id|>", "llama3"},
      {"[INST] <<SYS>>\\n{{ system }}<</SYS>>", "llama2"},
      {"{{ bos_token }}[INST] {{ content }} [/INST]", "mistral"},
      {"{{ content }}", "plain"},
      {"", "plain"},
  };
  for (const Row& r : rows) {
    INFO(r.jinja);
    CHECK(detect_chat_template(r.jinja, none).tmpl->name == r.name);
  }
  std::set<std::string> vocab = {"<|im_start|>", "<|im_end|>"};
  auto has = [&](std::string_view t) { return vocab.count(std::string(t)) > 0; };
  ChatTemplateChoice c = detect_chat_template("", has);
  CHECK(c.tmpl->name == "chatml");
  CHECK(c.reason == "the vocabulary has the token <|im_start|>");
  CHECK(detect_chat_template("{{ '<|start_header_id|>' }}", none).reason ==
        "the model's chat_template mentions <|start_header_id|>");
  CHECK(detect_chat_template("", none).reason == "the model has no chat_template and no known turn tokens");
}

TEST_CASE("chat templates by name; qwen is chatml; every template has an end-of-turn stop but plain's is a new turn") {
  for (const char* n : {"chatml", "llama2", "llama3", "mistral", "plain"}) {
    const ChatTemplate* t = find_chat_template(n);
    REQUIRE(t);
    CHECK(t->name == n);
    CHECK(!t->stop.empty());
  }
  CHECK(find_chat_template("qwen") == find_chat_template("chatml"));
  CHECK(find_chat_template("vicuna") == nullptr);
  CHECK(find_chat_template("plain")->stop == "\nUser:");
}
