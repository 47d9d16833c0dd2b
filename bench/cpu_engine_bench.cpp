// sgl-engine-bench: the CPU engine's benchmark entry points until `sglc bench` and
// `sglc model random` are wired up.
//   sgl-engine-bench MODEL [THREADS] [PROMPT] [GEN] [BATCH]   -> sgl::cli_bench (JSON line)
//   sgl-engine-bench --write LIKE DTYPE OUT.gguf               -> sgl::cli_model_random
// MODEL may be "random:stories15M:q4_0" (built-in random weights) or a model path.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "engine_cli.h"

int main(int argc, char** argv) {
  if (argc >= 5 && !std::strcmp(argv[1], "--write")) {
    sgl::ModelRandomOptions o;
    o.like = argv[2];
    o.dtype = argv[3];
    o.output = argv[4];
    return sgl::cli_model_random(o, std::cout, std::cerr);
  }
  if (argc < 2) {
    std::cerr << "usage: sgl-engine-bench MODEL [THREADS] [PROMPT] [GEN] [BATCH]\n"
                 "       sgl-engine-bench --write LIKE DTYPE OUT.gguf\n";
    return 2;
  }
  sgl::BenchOptions o;
  o.model = argv[1];
  if (argc > 2) o.threads = std::atoi(argv[2]);
  if (argc > 3) o.prompt = std::atoi(argv[3]);
  if (argc > 4) o.gen = std::atoi(argv[4]);
  if (argc > 5) o.batch = std::atoi(argv[5]);
  return sgl::cli_bench(o, std::cout, std::cerr);
}
