#!/usr/bin/env bash
# Configures and builds into build/ (Release with assertions). Extra arguments go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSGL_WERROR=ON "$@"
cmake --build build -j "$jobs"
