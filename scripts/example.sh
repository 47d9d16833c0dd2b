#!/usr/bin/env bash
# Quick start: install dependencies, build, and check every example program with sglc.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/bin/sglc check examples/*.sgl
build/bin/sglc run examples/tree_of_thought.sgl --emit=ast
