#!/usr/bin/env bash
# Quick start: install dependencies, build, check every example program, and run one on a real
# model: stories260K from ../shared/models when it is there, else built-in random weights (whose
# text is meaningless, but the program runs the same way).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/bin/sglc check examples/*.sgl
MODEL=../shared/models/stories260K/stories260K.bin
[ -f "$MODEL" ] || MODEL=random:stories260K
build/bin/sglc run examples/hello.sgl --model "$MODEL" --arg name=Ada
build/bin/sglc run examples/batch_classify.sgl --model "$MODEL" --batch examples/batch_classify.jsonl
