// sglc complete, tokenize, bench and model random: thin CLI11 front ends over the CPU engine's
// library entry points (runtime/engine_cli.h), which do the work and print the results.
#include <iostream>
#include <memory>

#include "commands.h"
#include "engine_cli.h"

namespace sgl::driver {

void add_engine_commands(CLI::App& app, Action& action) {
  const char* model_help = "Model: a llama2.c .bin, a .gguf file, a Hugging Face folder, or random:LIKE[:DTYPE]";

  auto c = std::make_shared<CompleteOptions>();
  CLI::App* complete = app.add_subcommand("complete", "Print the raw continuation of a prompt (like llama-cli)");
  complete->add_option("--model,-m", c->model, model_help)->required();
  complete->add_option("--prompt,-p", c->prompt, "Prompt text (empty: BOS alone)");
  complete->add_option("--max-tokens,-n", c->max_tokens, "Most tokens to generate")->check(CLI::NonNegativeNumber);
  complete->add_option("--temperature", c->temperature, "Sampling temperature (0: greedy)")->check(CLI::NonNegativeNumber);
  complete->add_option("--top-k", c->top_k, "Top-k sampling (0: off)");
  complete->add_option("--top-p", c->top_p, "Nucleus sampling")->check(CLI::Range(0.0, 1.0));
  complete->add_option("--min-p", c->min_p, "Min-p sampling")->check(CLI::Range(0.0, 1.0));
  complete->add_option("--frequency-penalty", c->frequency_penalty, "Frequency penalty")->check(CLI::Range(-2.0, 2.0));
  complete->add_option("--presence-penalty", c->presence_penalty, "Presence penalty")->check(CLI::Range(-2.0, 2.0));
  complete->add_option("--seed", c->seed, "Sampling seed");
  complete->add_option("--threads,-t", c->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  complete->add_option("--stop", c->stop, "Stop string (repeatable)");
  complete->add_flag("--ignore-eos", c->ignore_eos, "Keep going past the end-of-sequence token");
  complete->add_flag("--echo", c->echo_prompt, "Print the prompt before the continuation");
  complete->add_option("--device", c->device, "auto, cpu or cuda (auto: the CPU engine until the CUDA engine is verified)")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  complete->callback([c, &action] {
    action = [c](const Context&) { return cli_complete(*c, std::cout, std::cerr); };
  });

  auto t = std::make_shared<TokenizeOptions>();
  auto no_bos = std::make_shared<bool>(false);
  CLI::App* tokenize = app.add_subcommand("tokenize", "Print the token ids of TEXT (or, with --decode, the text of ids)");
  tokenize->add_option("--model,-m", t->model, model_help + std::string(" (only its tokenizer is loaded)"))->required();
  tokenize->add_option("text", t->text, "Text to tokenize");
  tokenize->add_option("--decode", t->decode, "Space-separated token ids to turn back into text");
  tokenize->add_flag("--no-bos", *no_bos, "Do not prepend the BOS token");
  tokenize->add_flag("--special", t->parse_special, "Parse special-token text such as <|eot_id|> as the token");
  tokenize->callback([t, no_bos, &action] {
    t->add_bos = !*no_bos;
    action = [t](const Context&) { return cli_tokenize(*t, std::cout, std::cerr); };
  });

  auto b = std::make_shared<BenchOptions>();
  CLI::App* bench = app.add_subcommand("bench", "Measure prefill and decode tokens/s and peak memory (JSON, like llama-bench)");
  bench->add_option("--model,-m", b->model, model_help)->required();
  bench->add_option("--threads,-t", b->threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  bench->add_option("--prompt,-p", b->prompt, "Prompt tokens to prefill (0 skips)")->check(CLI::NonNegativeNumber);
  bench->add_option("--gen,-n", b->gen, "Tokens to decode (0 skips)")->check(CLI::NonNegativeNumber);
  bench->add_option("--batch,-b", b->batch, "Sequences decoded together")->check(CLI::PositiveNumber);
  bench->add_option("--reps,-r", b->reps, "Repetitions averaged after one warm-up")->check(CLI::PositiveNumber);
  bench->add_option("--device", b->device, "auto, cpu or cuda (auto: the CPU engine until the CUDA engine is verified)")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  bench->callback([b, &action] {
    action = [b](const Context&) { return cli_bench(*b, std::cout, std::cerr); };
  });

  auto r = std::make_shared<ModelRandomOptions>();
  CLI::App* model = app.add_subcommand("model", "Model files: 'model random' writes a random-weights model");
  model->require_subcommand(1);
  CLI::App* random = model->add_subcommand("random", "Write a deterministic random-weights model (meaningless text; for benchmarks)");
  random->add_option("--like", r->like, "Shape: stories15M, stories260K, tinyllama-1.1b, llama-3.2-1b, llama-3.1-8b or a config.json");
  random->add_option("--dtype", r->dtype, "Weight type")->check(CLI::IsMember({"f32", "f16", "bf16", "q8_0", "q4_0"}));
  random->add_option("--format", r->format, "gguf (one file) or hf (a folder)")->check(CLI::IsMember({"gguf", "hf"}));
  random->add_option("--output,-o", r->output, "Output file (gguf) or folder (hf)")->required();
  random->add_option("--seed", r->seed, "Weight seed");
  random->callback([r, &action] {
    action = [r](const Context&) { return cli_model_random(*r, std::cout, std::cerr); };
  });
}

}  // namespace sgl::driver
