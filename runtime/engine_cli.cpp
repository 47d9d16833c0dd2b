// The CPU engine's command-line entry points. They own model loading and a single-sequence
// generation loop; the scheduler will replace the loop for served and .sgl workloads.
#include "engine_cli.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cpu_engine.h"
#include "cuda_engine.h"
#include "device_select.h"
#include "engine_factory.h"
#include "model_loader.h"
#include "random_model.h"
#include "sampler.h"
#include "tokenizer.h"

namespace sgl {
namespace {

struct Loaded {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Tokenizer> tok;
};

Loaded load_all(const std::string& spec, bool need_tokenizer = true) {
  Loaded l;
  std::string like;
  DType dt;
  if (parse_random_spec(spec, &like, &dt)) {
    ModelConfig c = random_model_config(like);
    l.model = make_random_model(c, dt);
    l.tok = make_random_tokenizer(l.model->config);
    return l;
  }
  l.model = load_model(spec);
  if (need_tokenizer) l.tok = load_tokenizer(spec);
  return l;
}

std::unique_ptr<Engine> make_engine_for(const std::string& device, std::shared_ptr<const Model> model, int threads,
                                        int32_t kv_slots, DeviceKind* kind, std::string* err) {
  if (!select_device(device, kind, err)) return nullptr;
  EngineRequest r;
  r.threads = threads;
  r.kv_slots = kv_slots;
  return make_engine(r, *kind, std::move(model), err);
}

double cpu_seconds() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double peak_rss_mib() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // Linux reports KiB
}

}  // namespace

int cli_complete(const CompleteOptions& o, std::ostream& out, std::ostream& err) {
  if (o.model.empty()) {
    err << "error: --model is required\n";
    return 2;
  }
  if (o.max_tokens < 0 || o.temperature < 0 || o.top_p <= 0 || o.top_p > 1) {
    err << "error: --max-tokens must be >= 0, --temperature >= 0, --top-p in (0, 1]\n";
    return 2;
  }
  try {
    Loaded l = load_all(o.model);
    const ModelConfig& c = l.model->config;
    std::vector<int32_t> prompt = l.tok->encode(o.prompt, true);
    if (prompt.empty() || prompt[0] != l.tok->bos_id()) {
      if (l.tok->bos_id() >= 0) prompt.insert(prompt.begin(), l.tok->bos_id());
    }
    if (prompt.empty()) {
      err << "error: " << o.model << ": the tokenizer has no BOS token and the prompt is empty\n";
      return 1;
    }
    int ctx = std::min(c.max_seq_len, (int)prompt.size() + o.max_tokens);
    if ((int)prompt.size() > c.max_seq_len) {
      err << "error: the prompt has " << prompt.size() << " tokens, the model's context is " << c.max_seq_len << "\n";
      return 1;
    }
    DeviceKind kind;
    std::string why;
    auto eng = make_engine_for(o.device, l.model, o.threads, ctx, &kind, &why);
    if (!eng) {
      err << "error: " << why << "\n";
      return 1;
    }
    SamplingParams sp;
    sp.temperature = o.temperature;
    sp.top_k = o.top_k;
    sp.top_p = o.top_p;
    sp.min_p = o.min_p;
    sp.frequency_penalty = o.frequency_penalty;
    sp.presence_penalty = o.presence_penalty;
    sp.seed = o.seed;
    Sampler sampler(sp);
    StopChecker stops(o.ignore_eos ? std::vector<int32_t>{} : l.tok->stop_ids(), o.stop);
    if (o.echo_prompt) out << o.prompt;
    std::vector<int32_t> slots, generated;
    eng->kv_pool().alloc((int32_t)prompt.size(), slots);
    std::vector<float> logits;
    SeqInput s;
    s.tokens = prompt;
    s.pos = 0;
    s.slots = slots;
    eng->forward(std::span<const SeqInput>(&s, 1), logits);
    StreamDecoder dec(*l.tok, prompt.back());
    std::string emitted_total;  // text emitted so far (for stop strings held back)
    std::string pending;
    int pos = (int)prompt.size();
    for (int i = 0; i < o.max_tokens && pos < ctx + 1; ++i) {
      SampleResult r = sampler.sample(logits, generated);
      if (stops.is_stop_token(r.token)) break;
      generated.push_back(r.token);
      std::string piece = dec.push(r.token);
      size_t keep;
      if (stops.feed(piece, &keep)) {
        out << stops.text().substr(emitted_total.size(), keep - std::min(keep, emitted_total.size()));
        out.flush();
        return 0;
      }
      // Hold back bytes that may begin a stop string.
      size_t safe = stops.text().size() - stops.held_back();
      if (safe > emitted_total.size()) {
        out << stops.text().substr(emitted_total.size(), safe - emitted_total.size());
        out.flush();
        emitted_total = stops.text().substr(0, safe);
      }
      if (pos >= ctx) break;
      int32_t slot = eng->kv_pool().alloc();
      if (slot < 0) break;
      slots.push_back(slot);
      s.tokens = std::span<const int32_t>(&generated.back(), 1);
      s.pos = pos;
      s.slots = slots;
      eng->forward(std::span<const SeqInput>(&s, 1), logits);
      ++pos;
    }
    std::string tail = dec.flush();
    size_t keep;
    if (stops.feed(tail, &keep)) {
      out << stops.text().substr(emitted_total.size(), keep - std::min(keep, emitted_total.size()));
    } else {
      out << stops.text().substr(emitted_total.size());
    }
    out.flush();
    return 0;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

int cli_tokenize(const TokenizeOptions& o, std::ostream& out, std::ostream& err) {
  if (o.model.empty()) {
    err << "error: --model is required\n";
    return 2;
  }
  try {
    std::unique_ptr<Tokenizer> tok;
    std::string like;
    DType dt;
    if (parse_random_spec(o.model, &like, &dt)) tok = make_random_tokenizer(random_model_config(like));
    else tok = load_tokenizer(o.model);
    if (!o.decode.empty()) {
      std::vector<int32_t> ids;
      std::istringstream is(o.decode);
      std::string w;
      while (is >> w) {
        for (char& ch : w)
          if (ch == ',') ch = ' ';
        std::istringstream ws(w);
        long v;
        while (ws >> v) {
          if (v < 0 || v >= tok->vocab_size()) {
            err << "error: token id " << v << " is outside the vocabulary (size " << tok->vocab_size() << ")\n";
            return 2;
          }
          ids.push_back((int32_t)v);
        }
        if (!ws.eof()) {
          err << "error: --decode expects integers, got '" << w << "'\n";
          return 2;
        }
      }
      out << tok->decode(ids) << "\n";
      return 0;
    }
    auto ids = tok->encode(o.text, o.add_bos, o.parse_special);
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? " " : "") << ids[i];
    out << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

int cli_bench(const BenchOptions& o, std::ostream& out, std::ostream& err) {
  if (o.model.empty() || o.prompt < 0 || o.gen < 0 || o.batch < 1 || o.reps < 1) {
    err << "error: bench needs --model, --prompt >= 0, --gen >= 0, --batch >= 1\n";
    return 2;
  }
  try {
    Loaded l = load_all(o.model, false);
    const ModelConfig& c = l.model->config;
    int per_seq = std::max(o.prompt, o.gen);
    if (per_seq > c.max_seq_len) {
      err << "error: --prompt/--gen exceed the model's context of " << c.max_seq_len << "\n";
      return 2;
    }
    DeviceKind kind;
    std::string why;
    auto eng = make_engine_for(o.device, l.model, o.threads, per_seq * o.batch + 1, &kind, &why);
    if (!eng) {
      err << "error: " << why << "\n";
      return 1;
    }
    const auto* cpu = dynamic_cast<const CpuEngine*>(eng.get());
    const int threads = cpu ? cpu->threads() : 1;
    using clk = std::chrono::steady_clock;
    std::vector<float> logits;
    // Like llama-bench: prefill from an empty cache (logits of the last token only), and decode
    // from an empty cache one token per step; fixed pseudo-random tokens.
    auto tokens = [&](int n, int salt) {
      std::vector<int32_t> t(n);
      for (int i = 0; i < n; ++i) t[i] = (int32_t)((i * 7919 + salt * 104729 + 3) % c.vocab_size);
      return t;
    };
    std::vector<std::vector<int32_t>> slots(o.batch);
    for (int b = 0; b < o.batch; ++b)
      for (int i = 0; i < per_seq; ++i) slots[b].push_back(b * per_seq + i);
    auto run_prefill = [&] {
      std::vector<std::vector<int32_t>> toks(o.batch);
      std::vector<SeqInput> in(o.batch);
      for (int b = 0; b < o.batch; ++b) {
        toks[b] = tokens(o.prompt, b);
        in[b].tokens = toks[b];
        in[b].pos = 0;
        in[b].slots = slots[b];
      }
      eng->forward(in, logits);
    };
    auto run_decode = [&] {
      std::vector<std::vector<int32_t>> toks(o.batch);
      for (int b = 0; b < o.batch; ++b) toks[b] = tokens(o.gen, b);
      std::vector<SeqInput> in(o.batch);
      for (int i = 0; i < o.gen; ++i) {
        for (int b = 0; b < o.batch; ++b) {
          in[b].tokens = std::span<const int32_t>(&toks[b][i], 1);
          in[b].pos = i;
          in[b].slots = slots[b];
        }
        eng->forward(in, logits);
      }
    };
    double wall_total = 0, cpu_total = 0;
    auto time_it = [&](auto&& f) {
      f();  // warm-up: page in weights, grow workspaces
      auto t0 = clk::now();
      double c0 = cpu_seconds();
      for (int r = 0; r < o.reps; ++r) f();
      double wall = std::chrono::duration<double>(clk::now() - t0).count();
      wall_total += wall;
      cpu_total += cpu_seconds() - c0;
      return wall / o.reps;
    };
    double pp = o.prompt ? (double)o.prompt * o.batch / time_it(run_prefill) : 0.0;
    double tg = o.gen ? (double)o.gen * o.batch / time_it(run_decode) : 0.0;
    nlohmann::ordered_json j = {{"model", o.model},
                                {"format", l.model->format},
                                {"dtype", dtype_name(l.model->main_dtype())},
                                {"device", device_kind_name(kind)},
                                {"isa", cpu ? std::string(cpu->isa()) : std::string("cuda")},
                                {"threads", threads},
                                {"prompt", o.prompt},
                                {"gen", o.gen},
                                {"batch", o.batch},
                                {"prefill_tok_s", std::round(pp * 10) / 10},
                                {"decode_tok_s", std::round(tg * 10) / 10},
                                {"peak_rss_mib", std::round(peak_rss_mib() * 10) / 10},
                                // CPU time / (wall time * threads): well below 1 means other
                                // processes took cores during the measurement (or threads idled).
                                {"cpu_busy", wall_total > 0 ? std::round(cpu_total / (wall_total * threads) * 100) / 100 : 0.0},
                                {"weights_mib", std::round(l.model->weight_bytes() / 1048576.0 * 10) / 10}};
    out << j.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

int cli_model_random(const ModelRandomOptions& o, std::ostream& out, std::ostream& err) {
  DType dt;
  if (!parse_dtype(o.dtype, &dt)) {
    err << "error: unknown --dtype '" << o.dtype << "' (f32, f16, bf16, q8_0, q4_0)\n";
    return 2;
  }
  if (o.format != "gguf" && o.format != "hf") {
    err << "error: unknown --format '" << o.format << "' (gguf, hf)\n";
    return 2;
  }
  if (o.output.empty()) {
    err << "error: -o OUT is required\n";
    return 2;
  }
  try {
    ModelConfig c = random_model_config(o.like);
    if ((dt == DType::Q8_0 || dt == DType::Q4_0) && (c.dim % 32 || c.hidden_dim % 32)) {
      err << "error: " << o.like << ": dimensions are not multiples of 32, cannot use " << o.dtype << "\n";
      return 2;
    }
    if (o.format == "gguf") write_random_gguf(c, dt, o.seed, o.output);
    else write_random_hf(c, dt, o.seed, o.output);
    out << "wrote " << o.output << " (random weights like " << o.like << ", " << dtype_name(dt) << ", " << o.format
        << "; its text is meaningless)\n";
    return 0;
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace sgl
