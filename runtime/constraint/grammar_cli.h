// `sglc grammar` as a library function, so the driver only maps CLI11 options onto
// GrammarCliOptions and the behaviour is tested here without a process.
#pragma once

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>

#include "vocabulary.h"

namespace sgl {

struct GrammarCliOptions {
  std::optional<std::string> regex;             // --regex R
  std::optional<std::string> json_schema_file;  // --json-schema FILE
  std::optional<std::string> check_file;        // --check TEXT_FILE: whole file must match
  // --model PATH: read with `load_vocab` when set (the driver passes the runtime's tokenizer
  // loader, which takes every model format), else as a tokenizer.json or tokenizer.model file.
  std::optional<std::string> model;
  std::function<constraint::Vocabulary(const std::string&)> load_vocab;
  bool stats = false;                           // --stats (with --model: mask timings)
};

// Exit codes: 0 ok / the text matches; 1 the --check text does not match; 2 the constraint is
// invalid or unsupported, or an input file cannot be read (message on `err`). With --stats,
// prints one JSON object on `out`: {"states", "states_complete", "compile_ms", and with --model
// "vocab_size", "trie_ms", "mask_new_us_p50", "mask_new_us_p99", "mask_cached_us_p50",
// "mask_cached_us_p99", "masks_measured"}.
int cli_grammar(const GrammarCliOptions& options, std::ostream& out, std::ostream& err);

}  // namespace sgl
