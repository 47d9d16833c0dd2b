// sglc grammar: compile a regex or JSON schema constraint, check a text against it, and measure
// token-mask costs (runtime/constraint/grammar_cli.h does the work).
#include <iostream>
#include <memory>

#include "commands.h"
#include "grammar_cli.h"
#include "tokenizer_vocab.h"

namespace sgl::driver {

void add_grammar_command(CLI::App& app, Action& action) {
  struct Opts {
    std::string regex, schema, check, model;
    bool stats = false;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* cmd = app.add_subcommand("grammar", "Compile a constraint (--regex or --json-schema); check a text; mask stats");
  CLI::Option* re = cmd->add_option("--regex", o->regex, "A regular expression (RE2 syntax subset)");
  CLI::Option* js = cmd->add_option("--json-schema", o->schema, "A JSON schema file");
  re->excludes(js);
  js->excludes(re);
  cmd->add_option("--check", o->check, "Exit 0 if the whole file matches the constraint, 1 if not");
  cmd->add_option("--model,-m", o->model, "Model or tokenizer whose vocabulary the masks are built for");
  cmd->add_flag("--stats", o->stats, "Print JSON: states, compile ms, and (with --model) mask timings");
  cmd->callback([o, re, js, &action] {
    if (re->count() == 0 && js->count() == 0) throw CLI::RequiredError("--regex or --json-schema");
    GrammarCliOptions g;
    if (re->count()) g.regex = o->regex;
    if (js->count()) g.json_schema_file = o->schema;
    if (!o->check.empty()) g.check_file = o->check;
    if (!o->model.empty()) g.model = o->model;
    g.load_vocab = load_model_vocabulary;
    g.stats = o->stats;
    action = [g](const Context&) { return cli_grammar(g, std::cout, std::cerr); };
  });
}

}  // namespace sgl::driver
