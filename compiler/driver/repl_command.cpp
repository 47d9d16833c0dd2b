// sglc repl: an interactive session (compiler/repl). Takes the run options that make sense for a
// session (the model, sampling defaults, chat template, threads, device); without --model it
// still starts, and code that calls the model stops with sglc run's "a model is needed" message.
#include <iostream>
#include <memory>

#include "backend.h"
#include "commands.h"
#include "model_backend.h"
#include "repl/repl.h"

namespace sgl::driver {

void add_repl_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<repl::ReplOptions>();
  CLI::App* cmd = app.add_subcommand("repl", "Interactive session: definitions persist, statements run at once on one stream");
  RunOptions& r = o->run;
  cmd->add_option("--model", r.model, "the model: a llama2.c .bin, a .gguf file, a Hugging Face folder, or random:LIKE");
  cmd->add_option_function<double>("--temperature", [o](const double& v) { o->run.temperature = v; },
                                   "default sampling temperature (0: greedy)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option_function<int64_t>("--max-tokens", [o](const int64_t& v) { o->run.max_tokens = v; },
                                    "default max_tokens of a gen (128)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option_function<uint64_t>("--seed", [o](const uint64_t& v) { o->run.seed = v; }, "sampling seed");
  cmd->add_option("--chat-template", r.chat_template, "chat template (default: from the model)");
  cmd->add_option("--threads", r.threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--device", r.device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([o, &action] {
    action = [o](const Context& ctx) {
      o->color = ctx.color;
      std::unique_ptr<Backend> backend;
      o->has_model = !o->run.model.empty();
      if (o->has_model) {
        try {
          ModelBackendOptions bo;
          bo.threads = o->run.threads;
          bo.device = o->run.device;
          backend = make_model_backend(o->run.model, bo);
        } catch (const std::exception& e) {
          std::cerr << "error: " << e.what() << "\n";
          return 1;
        }
      } else {
        backend = repl::no_model_backend();
      }
      std::unique_ptr<repl::LineReader> in = repl::stdin_reader();
      return repl::run_repl(*in, *backend, *o, std::cout, std::cerr);
    };
  });
}

}  // namespace sgl::driver
