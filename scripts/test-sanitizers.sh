#!/usr/bin/env bash
# The whole test suite under AddressSanitizer and UndefinedBehaviorSanitizer, in build-asan/.
# Without -DSGL_WERROR: GCC 12 reports -Wmaybe-uninitialized inside <regex> when ASan is on. UB
# reports stop the test that hit them (halt_on_error), so a clean run means no report at all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSGL_CUDA=OFF -DSGL_SANITIZE=address,undefined "$@"
cmake --build build-asan -j "$(nproc)"
cd build-asan && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j "$(nproc)"
