// sgl-engine-bench: runs sgl::cli_bench (prefill and decode tokens/s, peak RSS, as JSON) until
// `sglc bench` is wired up. Usage: sgl-engine-bench MODEL [THREADS] [PROMPT] [GEN] [BATCH]
// MODEL may be "random:stories15M:q4_0" (built-in random weights) or a model path.
#include <cstdlib>
#include <iostream>

#include "engine_cli.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: sgl-engine-bench MODEL [THREADS] [PROMPT] [GEN] [BATCH]\n";
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
