// Command-line entry points of the CPU engine as library functions; the sglc driver parses flags
// (CLI11) into these option structs and calls them. Each writes its result to `out`, a one-line
// error to `err`, and returns an exit code: 0 ok, 1 runtime/model error, 2 bad usage.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace sgl {

// Common: --model PATH is a llama2.c .bin, a .gguf, a Hugging Face folder, or
// "random:LIKE[:DTYPE]" for built-in random weights (text is meaningless).

struct CompleteOptions {  // sglc complete
  std::string model;
  std::string prompt;          // empty: BOS alone
  int max_tokens = 128;        // --max-tokens / -n
  float temperature = 0.0f;    // 0: greedy
  int top_k = 0;
  float top_p = 1.0f;
  float min_p = 0.0f;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
  int threads = 0;             // 0: all cores
  std::vector<std::string> stop;  // stop strings
  bool ignore_eos = false;
  bool echo_prompt = false;    // also print the prompt text first
  std::string device = "auto";  // --device auto|cpu|cuda
};
int cli_complete(const CompleteOptions& o, std::ostream& out, std::ostream& err);

struct TokenizeOptions {  // sglc tokenize
  std::string model;
  std::string text;             // the positional TEXT
  std::string decode;           // --decode "1 2 3": print the text of these ids instead
  bool add_bos = true;          // --no-bos clears it
  bool parse_special = false;   // --special: "<|eot_id|>" in TEXT becomes its token
};
int cli_tokenize(const TokenizeOptions& o, std::ostream& out, std::ostream& err);

struct BenchOptions {  // sglc bench
  std::string model;
  int threads = 0;
  int prompt = 128;  // --prompt N: prefill N tokens (0 skips)
  int gen = 128;     // --gen N: decode N tokens one at a time (0 skips)
  int batch = 1;     // --batch B: B sequences decoded together
  int reps = 3;      // repetitions averaged (after one warm-up)
  std::string device = "auto";  // --device auto|cpu|cuda
};
// Prints one JSON object: model, format, dtype, device, isa, threads, prompt/gen/batch, prefill_tok_s,
// decode_tok_s, peak_rss_mib, cpu_busy (CPU time / (wall * threads)), weights_mib.
int cli_bench(const BenchOptions& o, std::ostream& out, std::ostream& err);

struct ModelRandomOptions {  // sglc model random
  std::string like = "stories15M";  // stories15M | stories260K | tinyllama-1.1b | llama-3.2-1b | CONFIG.json
  std::string dtype = "f32";        // f32 | f16 | bf16 | q8_0 | q4_0
  std::string format = "gguf";      // gguf | hf
  std::string output;               // -o OUT (file for gguf, folder for hf)
  uint64_t seed = 1234;
};
int cli_model_random(const ModelRandomOptions& o, std::ostream& out, std::ostream& err);

}  // namespace sgl
