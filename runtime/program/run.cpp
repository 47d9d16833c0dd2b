// run_module: checks the module and the run options, builds main's arguments, and runs one
// instance (streamed, or --json) or one instance per --batch line on the executor.
#include "run.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "backend.h"
#include "chat_template.h"
#include "console.h"
#include "executor.h"
#include "engine_factory.h"
#include "model_backend.h"
#include "progress_bar.h"
#include "run_args.h"
#include "values.h"

namespace sgl {
namespace {

using ojson = nlohmann::ordered_json;

int debug_level() {
  const char* e = std::getenv("SGL_DEBUG");
  return e && *e ? std::atoi(e) : 0;
}

// The --json / --batch object of a finished instance: its variables in binding order, then "text"
// ("text" cannot be a variable name, so the two never clash).
std::string result_json(const sgl_ctx& root) {
  ojson j = ojson::object();
  for (const Var& v : root.stream.vars()) j[v.name] = to_json(v.type, v.bits);
  j["text"] = root.stream.text.str();
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::string error_json(const std::string& message) {
  ojson j = {{"error", message}};
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

// The body of a root instance: main's arguments in the tree's arena, then main.
InstanceBody main_body(const sgl_module& m, std::vector<ArgValue> values) {
  return [&m, values = std::move(values)](sgl_ctx* c) -> int32_t {
    auto* args = static_cast<uint64_t*>(sgl_alloc(c, static_cast<int64_t>(sizeof(uint64_t) * (values.size() + 1))));
    for (size_t i = 0; i < values.size(); ++i) args[i] = arg_bits(c->tree->arena, values[i]);
    return m.main(c, args);
  };
}

void write_stats(const Executor& ex, Backend& backend, std::ostream& err) {
  const auto& c = ex.counters();
  ojson j = {{"runtime",
              {{"instances_trees", c.trees},
               {"instances", c.instances},
               {"gen_requests", c.gen},
               {"select_requests", c.select},
               {"prefill_requests", c.prefill}}},
             {"engine", ojson::parse(backend.stats_json(), nullptr, false)}};
  err << j.dump() << "\n";
}

int run_single(const sgl_module& m, const RunOptions& o, Executor& ex, std::vector<ArgValue> values,
               std::ostream& out, std::ostream& err) {
  Console console{o.json ? err : out};
  std::string result, error;
  TreeHooks hooks;
  if (!o.json) hooks.on_root_text = [&](std::string_view s) { console.text(s); };
  hooks.on_print = [&](std::string_view s) { console.line(s); };
  hooks.on_done = [&](Tree& t) {
    if (t.root->status < 0) error = t.root->error;
    else if (o.json) result = result_json(*t.root);
  };
  ex.start_root(main_body(m, std::move(values)), std::move(hooks), mix_seed(o.seed.value_or(0), 0));
  ex.run();
  if (!o.json && !console.at_line_start) console.text("\n");
  if (!error.empty()) {
    if (o.json) out << error_json(error) << "\n";
    err << error << "\n";
    return 1;
  }
  if (o.json) out << result << "\n";
  return 0;
}

int run_batch(const sgl_module& m, const RunOptions& o, Executor& ex, std::ostream& out, std::ostream& err) {
  std::ifstream in(o.batch_file);
  if (!in) {
    err << "error: cannot read " << o.batch_file << "\n";
    return 2;
  }
  // Every line is checked before anything runs: a typo on line 900 should not cost 899 runs.
  std::vector<std::vector<ArgValue>> lines;
  std::string text;
  for (int64_t no = 1; std::getline(in, text); ++no) {
    if (text.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded()) {
      err << "error: " << o.batch_file << ":" << no << ": not a valid JSON line\n";
      return 2;
    }
    std::vector<ArgValue> values;
    std::string why;
    if (!args_from_json(m, j, o.args, &values, &why)) {
      err << "error: " << o.batch_file << ":" << no << ": " << why << "\n";
      return 2;
    }
    lines.push_back(std::move(values));
  }
  const int64_t total = static_cast<int64_t>(lines.size());
  std::vector<std::optional<std::string>> results(lines.size());
  int64_t next_out = 0, next_start = 0, done = 0, failed = 0;
  Console log{err};
  std::unique_ptr<ProgressBar> bar;
  if (&err == &std::cerr && isatty(STDERR_FILENO)) bar = std::make_unique<ProgressBar>(err, total);
  int64_t limit = o.concurrency > 0 ? o.concurrency : total;

  std::function<void()> start_next = [&] {
    while (next_start < total && next_start - done < limit) {
      int64_t i = next_start++;
      TreeHooks hooks;
      hooks.on_print = [&](std::string_view s) { log.line(s); };
      hooks.on_done = [&, i](Tree& t) {
        if (t.root->status < 0) {
          results[i] = error_json(t.root->error);
          ++failed;
        } else {
          results[i] = result_json(*t.root);
        }
        ++done;
        while (next_out < total && results[next_out]) {
          out << *results[next_out] << "\n";
          results[next_out].reset();
          ++next_out;
        }
        out.flush();
        if (bar) bar->update(done, failed);
        start_next();
      };
      ex.start_root(main_body(m, std::move(lines[i])), std::move(hooks), mix_seed(o.seed.value_or(0), i));
    }
  };

  if (m.prefix && total > 0) {
    // The program's constant prefix, once, as a prefill before the instances start (SGLang's
    // pre-cache): every instance then finds it cached.
    TreeHooks hooks;
    hooks.on_print = [&](std::string_view s) { log.line(s); };
    hooks.on_done = [&](Tree& t) {
      if (t.root->status < 0) log.line("warning: the program prefix failed: " + t.root->error);
      start_next();
    };
    ex.start_root(
        [&m](sgl_ctx* c) -> int32_t {
          if (int32_t st = m.prefix(c); st != SGL_OK) return st;
          if (c->stream.text.size() == 0) return SGL_OK;
          Request r;
          r.kind = RequestKind::Prefill;
          r.prompt = c->stream.text.str();
          r.gen.max_tokens = 0;
          c->ex->wait_request(c, r);
          return SGL_OK;
        },
        std::move(hooks), 0);
  } else {
    start_next();
  }
  ex.run();
  if (bar) bar->finish();
  return failed ? 1 : 0;
}

// An int32 of at least `lo` (CLI11's Range prints floating-point bounds; this says what is meant).
CLI::Validator int_at_least(int32_t lo) {
  std::string want = "an integer >= " + std::to_string(lo);
  return CLI::Validator(
      [lo, want](std::string& s) -> std::string {
        int32_t v = 0;
        auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec != std::errc() || end != s.data() + s.size() || v < lo) return "expected " + want + ", got '" + s + "'";
        return "";
      },
      want);
}

}  // namespace

void add_run_options(CLI::App& app, RunOptions& o) {
  app.add_option("--model", o.model, "the model: a llama2.c .bin, a .gguf file, a Hugging Face folder, or random:LIKE");
  app.add_option_function<std::vector<std::string>>(
         "--arg",
         [&o](const std::vector<std::string>& v) {
           for (const std::string& s : v) {
             size_t k = s.find('=');
             o.args.emplace_back(s.substr(0, k), s.substr(k + 1));
           }
         },
         "NAME=VALUE: a value for main's parameter NAME (repeatable)")
      // One value per --arg, so `--arg a=1 prog.sgl` leaves the file to the positional option.
      ->allow_extra_args(false)
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            return s.find('=') == std::string::npos || s.front() == '=' ? "expected NAME=VALUE, got '" + s + "'" : "";
          },
          "NAME=VALUE"));
  app.add_option("--batch", o.batch_file, "run main once per line of this JSONL file (keys: main's parameters)");
  app.add_option("--concurrency", o.concurrency, "with --batch: at most N instances at once (0: all)")
      ->check(CLI::NonNegativeNumber);
  app.add_option_function<double>("--temperature", [&o](const double& v) { o.temperature = v; },
                                  "default sampling temperature (0: greedy)")
      ->check(CLI::NonNegativeNumber);
  app.add_option_function<int64_t>("--max-tokens", [&o](const int64_t& v) { o.max_tokens = v; },
                                   "default max_tokens of a gen (128)")
      ->check(CLI::NonNegativeNumber);
  app.add_option_function<uint64_t>("--seed", [&o](const uint64_t& v) { o.seed = v; }, "sampling seed");
  app.add_flag("--json", o.json, "print the variables and text as one JSON object at the end instead of streaming");
  app.add_flag("--stats", o.stats, "print runtime and engine counters to stderr as JSON at the end");
  app.add_option("--chat-template", o.chat_template, "chat template: " + chat_template_names() + " (default: from the model)");
  app.add_option("--threads", o.threads, "CPU threads (0: all cores)")->check(CLI::NonNegativeNumber);
  app.add_option("--device", o.device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  // Serving options (SGLang's names). Bad values are parse errors (exit 2), pinned in run_test.
  app.add_option("--max-total-tokens", o.max_total_tokens,
                 "KV pool size in tokens (0: from --kv-cache-mib); tiny values force retraction")
      ->check(int_at_least(0));
  app.add_option("--kv-cache-mib", o.kv_cache_mib, "CPU memory for K/V in MiB (0: 1 GiB, at most 65,536 tokens)")
      ->check(int_at_least(0));
  app.add_option_function<double>("--mem-fraction-static", [&o](const double& v) { o.mem_fraction_static = v; },
                                  "GPU memory fraction for weights and KV (GPU only; the CPU engine ignores it)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            char* end = nullptr;
            double v = std::strtod(s.c_str(), &end);
            return end == s.c_str() || *end || !(v > 0 && v <= 1) ? "expected a fraction in (0, 1], got '" + s + "'"
                                                                  : "";
          },
          "FRACTION"));
  app.add_option("--page-size", o.page_size, "KV page size in tokens (1: token-level prefix sharing)")
      ->check(int_at_least(1));
  app.add_flag("--disable-radix-cache", o.disable_radix_cache, "no prefix reuse between requests (for comparison)");
  app.add_flag("--disable-jump-forward", o.disable_jump_forward,
               "constrained gens sample every token, also the ones the constraint forces (for comparison)");
  app.add_option("--chunked-prefill-size", o.chunked_prefill_size,
                 "prefill tokens per engine step (default 1024; 0 or -1: no chunking)")
      ->check(int_at_least(-1));
  app.add_option("--max-running-requests", o.max_running_requests, "requests decoding at once (64)")
      ->check(int_at_least(1));
  app.add_option("--schedule-policy", o.schedule_policy, "lpm (longest cached prefix first), fcfs or dfs-weight")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string {
            serve::SchedulePolicy p;
            return serve::parse_schedule_policy(s, &p) ? "" : "expected lpm, fcfs or dfs-weight, got '" + s + "'";
          },
          "lpm|fcfs|dfs-weight"));
}

bool model_backend_options(const RunOptions& o, ModelBackendOptions* out, std::string* err) {
  ModelBackendOptions bo;
  bo.threads = o.threads;
  bo.kv_cache_bytes = o.kv_cache_mib * (int64_t{1} << 20);
  bo.jump_forward = !o.disable_jump_forward;
  bo.device = o.device;
  bo.mem_fraction_static = o.mem_fraction_static.value_or(0.0);
  serve::SchedulerOptions& s = bo.sched;
  s.max_total_tokens = o.max_total_tokens;
  s.page_size = o.page_size;
  s.disable_radix_cache = o.disable_radix_cache;
  s.chunked_prefill_size = o.chunked_prefill_size;
  s.max_running_requests = o.max_running_requests;
  if (!serve::parse_schedule_policy(o.schedule_policy, &s.policy)) {
    *err = "--schedule-policy " + o.schedule_policy + ": expected lpm, fcfs or dfs-weight";
    return false;
  }
  if (o.page_size < 1 || o.max_running_requests < 1) {
    *err = "--page-size and --max-running-requests must be at least 1";
    return false;
  }
  if (o.max_total_tokens > 0 && o.max_total_tokens < o.page_size) {
    *err = "--max-total-tokens " + std::to_string(o.max_total_tokens) + " is less than one page (--page-size " +
           std::to_string(o.page_size) + ")";
    return false;
  }
  *out = bo;
  return true;
}

int run_module(const sgl_module& m, const RunOptions& o, std::ostream& out, std::ostream& err) {
  if (m.abi_version != SGL_RT_ABI_VERSION) {
    err << "error: the module was compiled for runtime ABI " << m.abi_version << ", this runtime has ABI "
        << SGL_RT_ABI_VERSION << "\n";
    return 1;
  }
  if (o.model.empty()) {
    err << "error: a model is needed to run a program: pass --model PATH (a llama2.c .bin, a .gguf file, a Hugging "
           "Face folder, or random:LIKE for random weights)\n";
    return 2;
  }
  ModelBackendOptions bo;
  std::string why;
  if (!model_backend_options(o, &bo, &why)) {
    err << "error: " << why << "\n";
    return 2;
  }
  DeviceKind kind = DeviceKind::Cpu;
  std::string device_err;
  if (o.mem_fraction_static && select_device(o.device, &kind, &device_err) && kind == DeviceKind::Cpu)
    err << "warning: --mem-fraction-static sizes GPU memory pools; the CPU engine ignores it (use --kv-cache-mib or "
           "--max-total-tokens)\n";
  std::unique_ptr<Backend> backend;
  try {
    backend = make_model_backend(o.model, bo);
  } catch (const std::invalid_argument& e) {
    err << "error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
  return run_module(m, o, *backend, out, err);
}

int run_module(const sgl_module& m, const RunOptions& o, Backend& backend, std::ostream& out, std::ostream& err) {
  if (m.abi_version != SGL_RT_ABI_VERSION) {
    err << "error: the module was compiled for runtime ABI " << m.abi_version << ", this runtime has ABI "
        << SGL_RT_ABI_VERSION << "\n";
    return 1;
  }
  ExecOptions eo;
  eo.defaults.temperature = o.temperature.value_or(0.0);
  eo.defaults.max_tokens = o.max_tokens.value_or(128);
  eo.defaults.seed = o.seed.value_or(0);
  if (!o.chat_template.empty()) {
    eo.chat_template = find_chat_template(o.chat_template);
    if (!eo.chat_template) {
      err << "error: unknown chat template '" << o.chat_template << "' (" << chat_template_names() << ")\n";
      return 2;
    }
    if (debug_level() >= 1) err << "sgl: chat template " << eo.chat_template->name << " (--chat-template)\n";
  } else {
    ChatTemplateChoice c = detect_chat_template(backend.chat_template_source(),
                                                [&](std::string_view t) { return backend.has_special_token(t); });
    eo.chat_template = c.tmpl;
    if (debug_level() >= 1) err << "sgl: chat template " << c.tmpl->name << " (" << c.reason << ")\n";
  }
  std::vector<ArgValue> values;
  if (o.batch_file.empty()) {
    std::string why;
    if (!args_from_cli(m, o.args, &values, &why)) {
      err << "error: " << why << "\n";
      return 2;
    }
  }
  try {
    Executor ex(backend, eo);
    int rc = o.batch_file.empty() ? run_single(m, o, ex, std::move(values), out, err) : run_batch(m, o, ex, out, err);
    if (o.stats) write_stats(ex, backend, err);
    return rc;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sgl
