#!/usr/bin/env bash
# The whole test suite from nothing: install dependencies, build, run every test with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build && ctest --output-on-failure -j "$(nproc)" "$@"
