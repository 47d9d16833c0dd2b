// The executor and the stream/gen/select/fork/spawn entry points of rt.h, driven by
// generated-like programs on the scripted backend: what the model is asked (prompts, stops,
// prefix commits), what the stream holds, how branches and tasks run, and how errors travel.
#include <doctest/doctest.h>

#include "program_test_util.h"

using namespace sgl;
using namespace sgl::test;

namespace {

const sgl_loc kGenLoc{"prog.sgl", 4, 15};
const sgl_loc kJoinLoc{"prog.sgl", 9, 5};

}  // namespace

TEST_CASE("stream text streams to stdout; gen text is appended and bound; print lines stay whole") {
  ScriptedBackend b;
  b.gen_named("who", "world");
  b.stream_piece = 2;
  sgl_module m = module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
    append(c, "Hello, ");
    const sgl_str* who = nullptr;
    if (int32_t st = gen(c, "who", &kGenLoc, &who); st != SGL_OK) return st;
    append(c, "!");
    print_str(c, "got " + V(who));
    append(c, " Bye.");
    print_str(c, V(sgl_text(c)));
    return SGL_OK;
  });
  RunResult r = run(m, b);
  CHECK(r.rc == 0);
  CHECK(r.err == "");
  CHECK(r.out == "Hello, world!\ngot world\n Bye.\nHello, world! Bye.\n");
  REQUIRE(b.seen.size() == 1);
  CHECK(b.seen[0].prompt == "Hello, ");
  CHECK(b.seen[0].name == "who");
  CHECK(b.seen[0].gen.max_tokens == 128);  // the default without --max-tokens
}

TEST_CASE("--json: variables in binding order, then the text; prints go to stderr") {
  ScriptedBackend b;
  b.gen_named("a", "1").gen_named("b", "two").gen_named("a", "3");
  sgl_module m = module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
    append(c, "Q: ");
    if (int32_t st = gen(c, "a", &kGenLoc); st) return st;
    if (int32_t st = gen(c, "b", &kGenLoc); st) return st;
    if (int32_t st = gen(c, nullptr, &kGenLoc); st) return st;  // unnamed: no variable
    print_str(c, "hi");
    return SGL_OK;
  });
  b.gen_queue("-");
  RunOptions o;
  o.json = true;
  RunResult r = run(m, b, o);
  CHECK(r.rc == 0);
  // The rule for "a" answers both times ("1"): rules are tried in order.
  CHECK(r.out == "{\"a\":\"1\",\"b\":\"two\",\"text\":\"Q: 1two-\"}\n");
  CHECK(r.err == "hi\n");
}

TEST_CASE("roles use the chat template; its end-of-turn marker stops gens inside a turn") {
  auto prog = +[](sgl_ctx* c, const uint64_t*) -> int32_t {
    sgl_role_begin(c, SGL_ROLE_SYSTEM);
    append(c, "Be brief.");
    sgl_role_end(c, SGL_ROLE_SYSTEM);
    sgl_role_begin(c, SGL_ROLE_USER);
    append(c, "Hi?");
    sgl_role_end(c, SGL_ROLE_USER);
    sgl_role_begin(c, SGL_ROLE_ASSISTANT);
    if (int32_t st = gen(c, "answer", &kGenLoc); st) return st;
    sgl_role_end(c, SGL_ROLE_ASSISTANT);
    if (int32_t st = gen(c, "after", &kGenLoc); st) return st;  // outside a turn: no marker stop
    return SGL_OK;
  };
  sgl_module m = module(prog);

  SUBCASE("chatml, chosen by name") {
    ScriptedBackend b;
    b.gen_named("answer", "Hello.").gen_named("after", "");
    RunOptions o;
    o.chat_template = "chatml";
    o.json = true;
    RunResult r = run(m, b, o);
    CHECK(r.rc == 0);
    REQUIRE(b.seen.size() == 2);
    CHECK(b.seen[0].prompt ==
          "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n");
    CHECK(b.seen[0].gen.stop == std::vector<std::string>{"<|im_end|>"});
    CHECK(b.seen[1].prompt == b.seen[0].prompt + "Hello.<|im_end|>\n");
    CHECK(b.seen[1].gen.stop.empty());
  }
  SUBCASE("llama3, detected from the model's chat_template text") {
    ScriptedBackend b;
    b.gen_named("answer", "Hello.").gen_named("after", "");
    b.template_source = "{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>...";
    RunResult r = run(m, b);
    CHECK(r.rc == 0);
    CHECK(b.seen[0].prompt ==
          "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|><|start_header_id|>user<|end_header_id|>"
          "\n\nHi?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
    CHECK(b.seen[0].gen.stop == std::vector<std::string>{"<|eot_id|>"});
  }
  SUBCASE("llama2 puts the system prompt inside the first [INST]") {
    ScriptedBackend b;
    b.gen_named("answer", "Hello.").gen_named("after", "");
    RunOptions o;
    o.chat_template = "llama2";
    CHECK(run(m, b, o).rc == 0);
    CHECK(b.seen[0].prompt == "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi? [/INST]");
    CHECK(b.seen[1].prompt == b.seen[0].prompt + "Hello. </s><s>");
  }
  SUBCASE("plain, when the model has no template; an unknown name is an error") {
    ScriptedBackend b;
    b.gen_named("answer", "Hello.").gen_named("after", "");
    RunResult r = run(m, b);
    CHECK(b.seen[0].prompt == "System: Be brief.\nUser: Hi?\nAssistant: ");
    CHECK(r.out == "System: Be brief.\nUser: Hi?\nAssistant: Hello.\n");
    RunOptions o;
    o.chat_template = "vicuna";
    ScriptedBackend b2;
    RunResult bad = run(m, b2, o);
    CHECK(bad.rc == 2);
    CHECK(bad.err == "error: unknown chat template 'vicuna' (chatml, llama2, llama3, mistral, plain)\n");
  }
}

TEST_CASE("typed gen decodes its text; a bad value is a runtime error at the gen") {
  static std::string g_seen;
  ScriptedBackend b;
  b.gen_named("n", "42").gen_named("x", "2.5").gen_named("ok", "true").gen_named("tags", "[\"a\", \"b\"]");
  b.gen_named("p", "{\"name\": \"Ada\", \"age\": 36}").gen_named("bad", "forty");
  sgl_module m = module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
    uint64_t n = 0, x = 0, ok = 0, tags = 0, p = 0, age = 0, bad = 0;
    if (int32_t st = sgl_gen(c, sgl_gen_opts_new(c, "n"), "i", &kGenLoc, &n); st) return st;
    if (int32_t st = sgl_gen(c, sgl_gen_opts_new(c, "x"), "f", &kGenLoc, &x); st) return st;
    if (int32_t st = sgl_gen(c, sgl_gen_opts_new(c, "ok"), "b", &kGenLoc, &ok); st) return st;
    if (int32_t st = sgl_gen(c, sgl_gen_opts_new(c, "tags"), "Ls", &kGenLoc, &tags); st) return st;
    if (int32_t st = sgl_gen(c, sgl_gen_opts_new(c, "p"), "o", &kGenLoc, &p); st) return st;
    if (int32_t st = sgl_obj_get(c, reinterpret_cast<sgl_obj*>(p), "age", "i", &kGenLoc, &age); st) return st;
    g_seen = std::to_string(static_cast<int64_t>(n) + 1) + " " + format_float(bits_double(x)) + " " +
             std::to_string(ok) + " " + V(sgl_to_str(c, "Ls", tags)) + " " + std::to_string(age);
    return sgl_gen(c, sgl_gen_opts_new(c, "bad"), "i", &kGenLoc, &bad);
  });
  RunResult r = run(m, b);
  CHECK(g_seen == "43 2.5 1 [\"a\", \"b\"] 36");
  CHECK(r.rc == 1);
  CHECK(r.err == "prog.sgl:4:15: runtime error: gen 'bad': cannot read \"forty\" as an int\n");
}

TEST_CASE("a constrained gen whose output does not match is a runtime error") {
  auto prog = +[](sgl_ctx* c, const uint64_t*) -> int32_t {
    sgl_gen_opts* o = sgl_gen_opts_new(c, "code");
    sgl_gen_set_int(o, SGL_OPT_MAX_TOKENS, 4);
    sgl_gen_constrain(o, SGL_CONSTRAINT_REGEX, S(c, "[0-9]{3}"));
    uint64_t out = 0;
    return sgl_gen(c, o, "s", &kGenLoc, &out);
  };
  sgl_module m = module(prog);
  ScriptedBackend ok;
  ok.gen_named("code", "123");
  CHECK(run(m, ok).rc == 0);
  CHECK(ok.seen[0].gen.constraint == ConstraintKind::Regex);
  CHECK(ok.seen[0].gen.constraint_text == "[0-9]{3}");
  CHECK(ok.seen[0].gen.max_tokens == 4);

  ScriptedBackend cut;
  cut.gen_named("code", "12");
  cut.finish = FinishReason::Length;
  RunResult r = run(m, cut);
  CHECK(r.rc == 1);
  CHECK(r.err == "prog.sgl:4:15: runtime error: gen 'code' reached max_tokens (4) before its output matched the regex: \"12\"\n");

  ScriptedBackend wrong;
  wrong.gen_named("code", "12a");
  r = run(m, wrong);
  CHECK(r.err == "prog.sgl:4:15: runtime error: the output of gen 'code' does not match its regex: \"12a\"\n");
}

TEST_CASE("select appends and binds the chosen choice") {
  ScriptedBackend b;
  b.select_named("tool", "calculator");
  sgl_module m = module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
    append(c, "Tool: ");
    sgl_list* choices = sgl_list_new(c, "s", 3);
    for (const char* s : {"search", "calculator", "none"}) sgl_list_push(c, choices, reinterpret_cast<uint64_t>(S(c, s)));
    const sgl_str* tool = nullptr;
    if (int32_t st = sgl_select(c, "tool", choices, SGL_SELECT_GREEDY, &kGenLoc, &tool); st) return st;
    print_str(c, "picked " + V(tool));
    return sgl_select(c, "empty", sgl_list_new(c, "s", 0), 0, &kGenLoc, &tool);
  });
  RunOptions o;
  o.json = true;
  RunResult r = run(m, b, o);
  REQUIRE(b.seen.size() == 1);
  CHECK(b.seen[0].kind == RequestKind::Select);
  CHECK(b.seen[0].prompt == "Tool: ");
  CHECK(b.seen[0].choices == std::vector<std::string>{"search", "calculator", "none"});
  CHECK(r.err == "picked calculator\nprog.sgl:4:15: runtime error: select has no choices\n");
  CHECK(r.out == "{\"error\":\"prog.sgl:4:15: runtime error: select has no choices\"}\n");
  CHECK(r.rc == 1);
}

namespace {

// fork 3 { "Idea {i}: " gen idea }
int32_t idea_branch(sgl_ctx* c, void* env, int64_t index, uint64_t) {
  CHECK(*static_cast<int*>(env) == 7);
  append(c, "Idea " + std::to_string(index) + ": ");
  return gen(c, "idea", &kGenLoc);
}

std::string g_fork_report;

int32_t fork_main(sgl_ctx* c, const uint64_t*) {
  append(c, "Topic: tea\n");
  sgl_fork* f = nullptr;
  if (int32_t st = sgl_fork_begin(c, 3, &kJoinLoc, &f); st) return st;
  int* env = static_cast<int*>(sgl_alloc(c, sizeof(int)));
  *env = 7;
  for (int64_t i = 0; i < 3; ++i) sgl_fork_start(c, f, i, idea_branch, env, 0);
  sgl_list* branches = nullptr;
  if (int32_t st = sgl_fork_join(c, f, &kJoinLoc, &branches); st) return st;
  sgl_list* ideas = nullptr;
  if (int32_t st = sgl_branches_var(c, branches, "idea", "s", &kJoinLoc, &ideas); st) return st;
  uint64_t b1 = 0, idea1 = 0;
  sgl_list_get(c, branches, 1, &kJoinLoc, &b1);
  auto* br = reinterpret_cast<const sgl_branch*>(b1);
  sgl_branch_var(c, br, "idea", "s", &kJoinLoc, &idea1);
  g_fork_report = V(sgl_join(c, ideas, S(c, "|"))) + " / " + V(reinterpret_cast<const sgl_str*>(idea1)) + " / " +
                  V(sgl_branch_text(c, br)) + " / " + V(sgl_text(c));
  append(c, "Done.");
  uint64_t missing = 0;
  return sgl_branch_var(c, br, "plan", "s", &kJoinLoc, &missing);
}

}  // namespace

TEST_CASE("fork: the prefix is committed once, branches share it and join in index order") {
  ScriptedBackend b;
  b.per_step = 1;  // finish one request per step: branches complete out of start order below
  b.gen_fn = [](const Request& r) -> std::optional<std::string> {
    return r.prompt.substr(r.prompt.size() - 3, 1) == "0" ? "zero" : r.prompt.substr(r.prompt.size() - 3, 1) == "1" ? "one" : "two";
  };
  g_fork_report.clear();
  RunResult r = run(module(fork_main), b);
  CHECK(r.rc == 1);
  CHECK(r.err == "prog.sgl:9:5: runtime error: branch 1 has no variable 'plan' (no gen or select bound it)\n");
  CHECK(g_fork_report == "zero|one|two / one / Idea 1: one / Topic: tea\n");
  CHECK(r.out == "Topic: tea\nDone.\n");  // branches write to their own streams only
  REQUIRE(b.seen.size() == 4);
  CHECK(b.seen[0].kind == RequestKind::Prefill);
  CHECK(b.seen[0].prompt == "Topic: tea\n");
  for (int i = 0; i < 3; ++i) {
    CHECK(b.seen[1 + i].kind == RequestKind::Gen);
    CHECK(b.seen[1 + i].prompt == "Topic: tea\nIdea " + std::to_string(i) + ": ");
  }
  // All three branch gens were pending together.
  CHECK(b.max_outstanding == 3);
}

namespace {

int32_t leaf(sgl_ctx* c, void*, int64_t index, uint64_t) {
  append(c, "leaf" + std::to_string(index) + " ");
  return gen(c, "x", &kGenLoc);
}

int32_t inner(sgl_ctx* c, void*, int64_t index, uint64_t item) {
  append(c, V(reinterpret_cast<const sgl_str*>(item)) + std::to_string(index) + " ");
  sgl_fork* f = nullptr;
  if (int32_t st = sgl_fork_begin(c, 2, &kJoinLoc, &f); st) return st;
  for (int64_t i = 0; i < 2; ++i) sgl_fork_start(c, f, i, leaf, nullptr, 0);
  sgl_list* br = nullptr;
  if (int32_t st = sgl_fork_join(c, f, &kJoinLoc, &br); st) return st;
  sgl_list* xs = nullptr;
  if (int32_t st = sgl_branches_var(c, br, "x", "s", &kJoinLoc, &xs); st) return st;
  append(c, "=" + V(sgl_join(c, xs, S(c, ","))));
  return SGL_OK;
}

int32_t nested_main(sgl_ctx* c, const uint64_t*) {
  append(c, "root ");
  sgl_list* items = sgl_list_new(c, "s", 2);
  sgl_list_push(c, items, reinterpret_cast<uint64_t>(S(c, "a")));
  sgl_list_push(c, items, reinterpret_cast<uint64_t>(S(c, "b")));
  sgl_fork* f = nullptr;
  if (int32_t st = sgl_fork_begin(c, 2, &kJoinLoc, &f); st) return st;
  for (int64_t i = 0; i < 2; ++i) sgl_fork_start(c, f, i, inner, nullptr, items->items[i]);
  sgl_list* br = nullptr;
  if (int32_t st = sgl_fork_join(c, f, &kJoinLoc, &br); st) return st;
  for (int64_t i = 0; i < 2; ++i) {
    uint64_t b = 0;
    sgl_list_get(c, br, i, &kJoinLoc, &b);
    print_str(c, V(sgl_branch_text(c, reinterpret_cast<const sgl_branch*>(b))));
  }
  return SGL_OK;
}

}  // namespace

TEST_CASE("nested forks: every leaf gen of every branch is pending in the same step") {
  ScriptedBackend b;
  b.gen_fn = [](const Request& r) -> std::optional<std::string> { return r.prompt.substr(5, 1) + r.prompt.substr(r.prompt.size() - 2, 1); };
  RunResult r = run(module(nested_main), b);
  CHECK(r.rc == 0);
  CHECK(r.out == "root \na0 =a0,a1\nb1 =b0,b1\n");
  CHECK(b.max_outstanding == 4);
  // Prefills: the root's prefix, then each branch's own prefix (which extends the root's).
  std::vector<std::string> prefills;
  for (const auto& s : b.seen)
    if (s.kind == RequestKind::Prefill) prefills.push_back(s.prompt);
  CHECK(prefills == std::vector<std::string>{"root ", "root a0 ", "root b1 "});
}

namespace {

int32_t summarize(sgl_ctx* c, void* env, uint64_t* result) {
  append(c, "Summarize: " + V(static_cast<const sgl_str*>(env)) + "\n");
  const sgl_str* s = nullptr;
  if (int32_t st = gen(c, "summary", &kGenLoc, &s); st) return st;
  *result = reinterpret_cast<uint64_t>(sgl_str_concat(c, s, S(c, ".")));
  return SGL_OK;
}

int32_t failing_task(sgl_ctx* c, void*, uint64_t* result) {
  int64_t n = 0;
  const sgl_loc loc{"lib.sgl", 2, 12};
  if (int32_t st = sgl_int_from_str(c, S(c, "x"), &loc, &n); st) return st;
  *result = static_cast<uint64_t>(n);
  return SGL_OK;
}

int32_t spawn_main(sgl_ctx* c, const uint64_t*) {
  append(c, "Main\n");
  sgl_task* a = sgl_spawn(c, summarize, const_cast<sgl_str*>(S(c, "doc A")));
  sgl_task* b = sgl_spawn(c, summarize, const_cast<sgl_str*>(S(c, "doc B")));
  if (int32_t st = gen(c, "own", &kGenLoc); st) return st;  // runs alongside the tasks
  uint64_t ra = 0, rb = 0, va = 0;
  const sgl_str* ta = nullptr;
  if (int32_t st = sgl_task_result(c, a, &kJoinLoc, &ra); st) return st;
  if (int32_t st = sgl_task_result(c, b, &kJoinLoc, &rb); st) return st;
  if (int32_t st = sgl_task_text(c, a, &kJoinLoc, &ta); st) return st;
  if (int32_t st = sgl_task_var(c, a, "summary", "s", &kJoinLoc, &va); st) return st;
  print_str(c, V(reinterpret_cast<const sgl_str*>(ra)) + " " + V(reinterpret_cast<const sgl_str*>(rb)) + " [" + V(ta) +
                   "] " + V(reinterpret_cast<const sgl_str*>(va)));
  sgl_task* bad = sgl_spawn(c, failing_task, nullptr);
  return sgl_task_result(c, bad, &kJoinLoc, &ra);
}

}  // namespace

TEST_CASE("spawn: tasks run on fresh streams concurrently; a failed task fails the read") {
  ScriptedBackend b;
  b.gen_after("doc A\n", "sa").gen_after("doc B\n", "sb").gen_named("own", "mine");
  RunResult r = run(module(spawn_main), b);
  CHECK(r.out == "Main\nmine\nsa. sb. [Summarize: doc A\nsa] sa\n");
  CHECK(r.rc == 1);
  CHECK(r.err == "lib.sgl:2:12: runtime error: cannot convert \"x\" to int\n");
  CHECK(b.max_outstanding == 3);
  CHECK(b.steps == 1);
}

namespace {

int32_t maybe_bad_branch(sgl_ctx* c, void*, int64_t index, uint64_t) {
  if (int32_t st = gen(c, "v", &kGenLoc); st) return st;
  if (index == 1) {
    const sgl_loc loc{"prog.sgl", 12, 20};
    return sgl_error(c, &loc, "branch one gave up");
  }
  return SGL_OK;
}

int32_t join_error_main(sgl_ctx* c, const uint64_t*) {
  sgl_fork* f = nullptr;
  if (int32_t st = sgl_fork_begin(c, 3, &kJoinLoc, &f); st) return st;
  for (int64_t i = 0; i < 3; ++i) sgl_fork_start(c, f, i, maybe_bad_branch, nullptr, 0);
  sgl_list* br = nullptr;
  if (int32_t st = sgl_fork_join(c, f, &kJoinLoc, &br); st) return st;
  print_str(c, "not reached");
  return SGL_OK;
}

}  // namespace

TEST_CASE("a failed branch fails the join with its own error; fork 0 is an error; engine errors") {
  ScriptedBackend b;
  b.gen_queue("x").gen_queue("y").gen_queue("z");
  RunResult r = run(module(join_error_main), b);
  CHECK(r.rc == 1);
  CHECK(r.out == "");
  CHECK(r.err == "prog.sgl:12:20: runtime error: branch one gave up\n");
  // The stream was empty: nothing to commit.
  CHECK(b.seen.size() == 3);

  ScriptedBackend b2;
  RunResult r2 = run(module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
                       sgl_fork* f = nullptr;
                       return sgl_fork_begin(c, 0, &kJoinLoc, &f);
                     }),
                     b2);
  CHECK(r2.err == "prog.sgl:9:5: runtime error: fork needs at least 1 branch, got 0\n");

  ScriptedBackend b3;
  b3.gen_error("who", "the prompt has 600 tokens; the model's context is 512");
  RunResult r3 = run(module(+[](sgl_ctx* c, const uint64_t*) -> int32_t { return gen(c, "who", &kGenLoc); }), b3);
  CHECK(r3.rc == 1);
  CHECK(r3.err == "prog.sgl:4:15: runtime error: gen 'who': the prompt has 600 tokens; the model's context is 512\n");
}

TEST_CASE("gens without a seed get distinct per-instance seeds; an explicit seed is kept") {
  ScriptedBackend b;
  b.gen_queue("a").gen_queue("b").gen_queue("c");
  run(module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
        gen(c, "x", &kGenLoc);
        gen(c, "y", &kGenLoc);
        sgl_gen_opts* o = sgl_gen_opts_new(c, "z");
        sgl_gen_set_int(o, SGL_OPT_SEED, 99);
        sgl_gen_set_float(o, SGL_OPT_TEMPERATURE, 0.7);
        sgl_gen_set_str(o, SGL_OPT_STOP, S(c, "\n"));
        sgl_gen_set_int(o, SGL_OPT_STOP_TOKEN_ID, 2);
        uint64_t out;
        return sgl_gen(c, o, "s", &kGenLoc, &out);
      }),
      b);
  REQUIRE(b.seen.size() == 3);
  CHECK(b.seen[0].gen.seed != b.seen[1].gen.seed);
  CHECK(b.seen[2].gen.seed == 99);
  CHECK(b.seen[2].gen.temperature == 0.7);
  CHECK(b.seen[2].gen.stop == std::vector<std::string>{"\n"});
  CHECK(b.seen[2].gen.stop_token_ids == std::vector<int32_t>{2});
}

namespace {

int g_task_status = 0;

int32_t two_gens(sgl_ctx* c, void*, uint64_t*) {
  if (int32_t st = gen(c, "first", &kGenLoc); st) return g_task_status = st;
  return g_task_status = gen(c, "second", &kGenLoc);
}

}  // namespace

TEST_CASE("tasks still running when main returns are cancelled at their next wait") {
  ScriptedBackend b;
  b.gen_queue("done").gen_queue("1").gen_queue("2");
  g_task_status = 0;
  RunResult r = run(module(+[](sgl_ctx* c, const uint64_t*) -> int32_t {
                      sgl_spawn(c, two_gens, nullptr);
                      append(c, "main ");
                      return gen(c, "own", &kGenLoc);  // the task's first gen is pending alongside
                    }),
                    b);
  CHECK(r.rc == 0);
  CHECK(r.out == "main done\n");
  CHECK(r.err == "");
  CHECK(g_task_status == SGL_ERR_CANCELLED);
  REQUIRE(b.seen.size() == 2);  // the task's first gen was already pending; the second never started
  CHECK(b.seen[1].name == "first");
}

TEST_CASE("SGL_DEBUG=1 says which chat template was chosen and why") {
  ::setenv("SGL_DEBUG", "1", 1);
  ScriptedBackend b;
  b.special_tokens = {"<|im_start|>"};
  RunResult r = run(module(+[](sgl_ctx*, const uint64_t*) -> int32_t { return SGL_OK; }), b);
  RunOptions o;
  o.chat_template = "llama2";
  RunResult r2 = run(module(+[](sgl_ctx*, const uint64_t*) -> int32_t { return SGL_OK; }), b, o);
  ::unsetenv("SGL_DEBUG");
  CHECK(r.err == "sgl: chat template chatml (the vocabulary has the token <|im_start|>)\n");
  CHECK(r2.err == "sgl: chat template llama2 (--chat-template)\n");
  RunResult quiet = run(module(+[](sgl_ctx*, const uint64_t*) -> int32_t { return SGL_OK; }), b);
  CHECK(quiet.err == "");
}
